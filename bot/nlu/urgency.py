"""The urgency detector: none / danger / self-harm, scored on the whole message and on each part.

The intent classifier answers "what is this about?" over 28 labels, and one urgent sentence in a
long letter about screen time is outvoted by the rest of the letter. This detector answers only
"is a child in danger?", trained on every example of every intent (all non-urgent ones are its
negatives), on letters composed from them (an urgent example inserted at a random place in an
ordinary letter is urgent; a figure of speech inserted is not), and on the clauses of non-urgent
examples. It scores the whole message and each sentence, clause and pair of neighbouring clauses
(`bot.nlu.clauses.parts`); the message is as urgent as its most urgent part, and that part is the
evidence shown by `donghanh parse`.

Pure sklearn (no Rasa import): the Rasa component is `bot.nlu.safety.UrgencyDetector`.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.utils.extmath import softmax

from bot.nlu.clauses import clauses, parts, sentences
from bot.nlu.ngrams import Columns, column_counter
from bot.nlu.textnorm import normalize_text, strip_accents
from bot.nlu.triage import INTENT_OF

NONE, DANGER, SELF_HARM = "none", "danger", "self_harm"
CLASSES = (NONE, DANGER, SELF_HARM)
LABEL_OF_INTENT = {intent: label for label, intent in INTENT_OF.items()}
ABSENT = -30.0  # the intercept of a class the training data lacks: softmax gives it ~1e-13
LONG_WORDS = 60  # a message this long is a letter: scored by its parts only (see `score`)
LETTER_MIN_WORDS = 12  # an ordinary example this long can take an inserted sentence
INSERT_MAX_WORDS = 40  # an urgent example this short can be inserted


@dataclass(frozen=True)
class Urgency:
    """The detector's verdict on one message."""

    score: float  # 1 - P(none) of the most urgent part
    category: str  # DANGER or SELF_HARM: the more likely of the two in that part
    evidence: str  # that part, in normal form
    whole: float = 0.0  # the score of the whole message alone (for the with/without-parts figures)
    long: bool = False  # a letter (`LONG_WORDS` or more): its parts decide, at a higher threshold

    @property
    def intent(self) -> str:
        """The urgent intent this category stands for."""
        return INTENT_OF[self.category]

    def as_dict(self) -> dict[str, object]:
        """What the parse result carries under `urgency`."""
        return {"score": round(self.score, 4), "whole": round(self.whole, 4),
                "category": self.category, "evidence": self.evidence,
                "long": self.long}  # fmt: skip


def _bare(text: str) -> str:
    return strip_accents(text)


def _vectorizers() -> list[TfidfVectorizer]:
    words = r"(?u)\b\w+\b"  # one-letter words count: "e", "t", "m"
    return [
        # words and word pairs without diacritics: "bi chu ruot xam hai" = "bị chú ruột xâm hại"
        TfidfVectorizer(preprocessor=_bare, token_pattern=words, ngram_range=(1, 2),
                        sublinear_tf=True, min_df=1, dtype=np.float32),
        # letters inside words without diacritics: typos, stretched or clipped words
        TfidfVectorizer(preprocessor=_bare, analyzer="char_wb", ngram_range=(2, 5),
                        sublinear_tf=True, min_df=2, dtype=np.float32),
        # words as typed with diacritics: "từ từ" (slowly) is not "tự tử"
        TfidfVectorizer(lowercase=False, token_pattern=words, ngram_range=(1, 1),
                        sublinear_tf=True, min_df=1, dtype=np.float32),
    ]  # fmt: skip


def _inserted(letter: str, sentence: str, rng: random.Random) -> str:
    """`sentence` put between two sentences of `letter`, at a random place."""
    cut = sentences(letter)
    at = rng.randint(0, len(cut))
    tail = sentence.strip().rstrip(".!?…") + "."
    return " ".join([*(s + "." for s in cut[:at]), tail, *(s + "." for s in cut[at:])])


LETTER_PIECES = 3  # an ordinary letter is made of one to this many ordinary examples


def _letter(letters: Sequence[str], rng: random.Random) -> str:
    """An ordinary letter: one to `LETTER_PIECES` ordinary examples, each ending a sentence."""
    pieces = rng.sample(list(letters), min(len(letters), rng.randint(1, LETTER_PIECES)))
    return " ".join(p.strip().rstrip(".!?…") + "." for p in pieces)


def training_set(
    examples: Sequence[tuple[str, str]],
    figures: Sequence[str] = (),
    *,
    compositions: int = 2,
    seed: int = 830,
) -> tuple[list[str], list[str]]:
    """Texts (normal form) and labels for the detector, from (text, intent) training examples.

    1. every example, labelled by its intent (urgent intents as their category, the rest none);
    2. each short urgent example inserted `compositions` times into a random ordinary letter (an
       example of a non-urgent intent with at least `LETTER_MIN_WORDS` words): urgent, so that
       one sentence decides;
    3. as many letters with an ordinary example or a figure of speech inserted: none, so that
       length and a scary word are not urgency;
    4. the clauses of every non-urgent example: none, since parts are scored one by one.
    """
    rng = random.Random(seed)
    texts: list[str] = []
    labels: list[str] = []

    def add(text: str, label: str) -> None:
        texts.append(normalize_text(text))
        labels.append(label)

    urgent = [(t, LABEL_OF_INTENT[i]) for t, i in examples if i in LABEL_OF_INTENT]
    ordinary = [t for t, i in examples if i not in LABEL_OF_INTENT]
    letters = [t for t in ordinary if len(t.split()) >= LETTER_MIN_WORDS]
    for text, intent in examples:
        add(text, LABEL_OF_INTENT.get(intent, NONE))
    if letters:
        short = [(t, label) for t, label in urgent if len(t.split()) <= INSERT_MAX_WORDS]
        for _ in range(compositions):
            for text, label in short:
                add(_inserted(_letter(letters, rng), text, rng), label)
        fillers = list(figures) + [t for t in ordinary if len(t.split()) <= INSERT_MAX_WORDS]
        for _ in range(compositions * len(short)):
            add(_inserted(_letter(letters, rng), rng.choice(fillers), rng), NONE)
    seen = set(texts)
    for text in ordinary:
        for sentence in sentences(text):
            for clause in clauses(sentence):
                if clause not in seen:
                    seen.add(clause)
                    texts.append(clause)
                    labels.append(NONE)
    return texts, labels


class UrgencyModel:
    """Three TF-IDF views and a multinomial logistic regression over none / danger / self-harm.

    Saved as plain data (vocabularies in JSON, weights in an `.npz` without pickles), so loading a
    model never runs code from the model file.
    """

    def __init__(self, c: float = 10.0) -> None:
        """An untrained model; `c` is the regression's inverse regularisation."""
        self.c = c
        self.vectorizers = _vectorizers()
        self.coef = np.zeros((len(CLASSES), 0), dtype=np.float64)
        self.intercept = np.zeros(len(CLASSES), dtype=np.float64)
        self._views: list[tuple[Columns, np.ndarray, np.ndarray]] | None = None

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> "UrgencyModel":
        """Train on texts in normal form (`training_set` gives them)."""
        matrix = hstack([v.fit_transform(texts) for v in self.vectorizers], format="csr")
        self._views = None
        present = sorted(set(labels), key=CLASSES.index)
        # A class the data lacks (a tiny data set, a cross-validation fold) is never predicted.
        self.coef = np.zeros((len(CLASSES), matrix.shape[1]), dtype=np.float64)
        self.intercept = np.full(len(CLASSES), ABSENT, dtype=np.float64)
        if len(present) == 1:
            self.intercept[CLASSES.index(present[0])] = 0.0
            return self
        classifier = LogisticRegression(C=self.c, class_weight="balanced", max_iter=3000)
        classifier.fit(matrix, list(labels))
        found = [str(c) for c in classifier.classes_]
        if len(found) == 2:  # one weight vector for the second class against the first: a softmax
            self.intercept[CLASSES.index(found[0])] = 0.0  # of (0, w.x + b) is the same sigmoid
            self.coef[CLASSES.index(found[1])] = classifier.coef_[0]
            self.intercept[CLASSES.index(found[1])] = classifier.intercept_[0]
            return self
        for row, name in enumerate(found):
            self.coef[CLASSES.index(name)] = classifier.coef_[row]
            self.intercept[CLASSES.index(name)] = classifier.intercept_[row]
        return self

    def matrix(self, texts: Sequence[str]) -> Any:
        """The features of `texts` as sklearn builds them (the three views side by side)."""
        return hstack([v.transform(texts) for v in self.vectorizers], format="csr")

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """P(none), P(danger), P(self_harm) for each text in normal form, one row each.

        sklearn's own formula for a multinomial logistic regression, softmax(X @ coef.T + b), with
        X computed here as `TfidfVectorizer.transform` does (sublinear tf x idf, L2-normalised per
        view) but without building sparse matrices, character n-grams kept per word: ~0.1 ms for a
        short message instead of ~2 ms (`tests/nlu/test_urgency.py` checks that both give the same
        numbers).
        """
        if self._views is None:
            self._views = self._prepare_views()
        scores = np.tile(self.intercept, (len(texts), 1))
        for row, text in enumerate(texts):
            for count, idf, weights in self._views:
                counts = count(text)
                if not counts:
                    continue
                columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
                tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
                values = (np.log(tf) + 1.0) * idf[columns]
                scores[row] += weights[:, columns] @ values / np.sqrt(values @ values)
        return np.asarray(softmax(scores, copy=False))

    def _prepare_views(self) -> list[tuple[Columns, np.ndarray, np.ndarray]]:
        """Each view's column counter (`bot.nlu.ngrams`), idf and slice of the weights."""
        views, start = [], 0
        for vec in self.vectorizers:
            width = len(vec.vocabulary_)
            views.append((column_counter(vec), np.asarray(vec.idf_, np.float64),
                          np.ascontiguousarray(self.coef[:, start : start + width])))  # fmt: skip
            start += width
        return views

    def score_parts(self, units: Sequence[str], *, long: bool = False) -> Urgency:
        """The verdict over already-cut parts (normal form, the whole message first).

        The most urgent part decides; in a long message, any part but the whole message.
        """
        if not units:
            return Urgency(0.0, DANGER, "")
        found = self.probabilities(units)
        urgency = 1.0 - found[:, 0]
        candidates = urgency[1:] if long and len(units) > 1 else urgency
        best = int(np.argmax(candidates)) + (len(urgency) - len(candidates))
        category = DANGER if found[best, 1] >= found[best, 2] else SELF_HARM
        return Urgency(float(urgency[best]), category, units[best], float(urgency[0]), long)

    def score(self, text: str) -> Urgency:
        """The verdict on one message, scored whole and part by part.

        A letter of `LONG_WORDS` words or more is unlike anything the detector learnt whole (its
        ordinary letters scored 0.8-0.99 whole on the letters set): there, only its sentences and
        clauses decide, and `triage` asks more of them (`long`).
        """
        return self.score_parts(parts(text), long=len(text.split()) >= LONG_WORDS)

    def score_whole(self, text: str) -> Urgency:
        """The verdict on the whole message only (for the with/without-parts comparison)."""
        return self.score_parts([normalize_text(text)])

    def save(self, folder: Path) -> None:
        """Write the model into `folder` as JSON and an `.npz` of arrays."""
        folder.mkdir(parents=True, exist_ok=True)
        vocabularies = [{k: int(v) for k, v in vec.vocabulary_.items()} for vec in self.vectorizers]
        (folder / "urgency.json").write_text(
            json.dumps({"c": self.c, "classes": CLASSES, "vocabularies": vocabularies},
                       ensure_ascii=False), encoding="utf-8")  # fmt: skip
        arrays = {f"idf{i}": vec.idf_ for i, vec in enumerate(self.vectorizers)}
        np.savez(folder / "urgency.npz", coef=self.coef, intercept=self.intercept, **arrays)

    @classmethod
    def load(cls, folder: Path) -> "UrgencyModel":
        """Read a model written by `save`."""
        meta = json.loads((folder / "urgency.json").read_text(encoding="utf-8"))
        if tuple(meta["classes"]) != CLASSES:
            raise ValueError(f"urgency model classes {meta['classes']} are not {CLASSES}")
        model = cls(float(meta["c"]))
        with np.load(folder / "urgency.npz", allow_pickle=False) as arrays:
            model.coef = np.ascontiguousarray(arrays["coef"])
            model.intercept = np.asarray(arrays["intercept"])
            for i, (vec, vocabulary) in enumerate(
                zip(model.vectorizers, meta["vocabularies"], strict=True)
            ):
                vec.vocabulary_ = vocabulary
                vec.fixed_vocabulary_ = True
                vec.idf_ = np.asarray(arrays[f"idf{i}"])
        return model


def train(
    examples: Iterable[tuple[str, str]], figures: Sequence[str] = (), *, c: float = 10.0
) -> UrgencyModel:
    """Build the training set from (text, intent) examples and fit a model on it."""
    texts, labels = training_set(list(examples), figures)
    return UrgencyModel(c).fit(texts, labels)
