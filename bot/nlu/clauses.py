"""Cut a message into the parts the urgency detector scores: sentences, clauses and neighbours.

One urgent sentence in a long letter about screen time is diluted in a whole-message bag of words;
scored on its own, it is not. `parts()` returns the whole message, each sentence, each clause
(sentences cut at commas and at Vietnamese clause joiners) and each pair of neighbouring clauses
("em bị chú ruột, ông ấy xâm hại em" is cut at the comma, but the pair keeps victim and harm
together). Pure text work: no Rasa import, so the evaluation and the tests can use it.
"""

from __future__ import annotations

import re

from bot.nlu.textnorm import normalize_text

# Sentence ends: punctuation a sentence ends with, and line breaks (a chat message's lines).
_SENTENCE_END = re.compile(r"(?:[.!?…;]+|\n+)")
# Clause joiners, as normalised words. With diacritics only where the bare form is another common
# word: "con" is "còn" (and) but also "con" (child), "ma" is "mà" (but) but also "má" (mother).
_JOINERS = (
    "nhưng", "nhung", "nhưng mà", "mà", "thì", "còn", "rồi", "roi", "xong rồi", "sau đó", "sau do",
    "tại vì", "tai vi", "vì", "vi", "nên", "nen", "với lại", "voi lai", "hay là", "hoặc", "và",
)  # fmt: skip
_CLAUSE_CUT = re.compile(
    r"\s*,\s*|\s(?=(?:"
    + "|".join(sorted((re.escape(j) for j in _JOINERS), key=len, reverse=True))
    + r")\s)"
)
MIN_WORDS = 3  # a shorter clause is joined to the one before it
MAX_PARTS = 60  # a letter of ~150 words gives ~40; a flood of text must not cost more


def sentences(text: str) -> list[str]:
    """The message cut at sentence ends and line breaks, empty pieces dropped."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _joined_short(pieces: list[str]) -> list[str]:
    out: list[str] = []
    for piece in pieces:
        if out and len(piece.split()) < MIN_WORDS or out and len(out[-1].split()) < MIN_WORDS:
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def clauses(sentence: str) -> list[str]:
    """A sentence cut at commas and clause joiners (normalised text), short pieces joined."""
    normal = normalize_text(sentence)
    pieces = [p.strip() for p in _CLAUSE_CUT.split(normal) if p and p.strip(" ,")]
    return _joined_short(pieces)


def parts(text: str) -> list[str]:
    """The whole message, its sentences, its clauses and neighbouring clause pairs, once each.

    Every part is in normal form (`normalize_text`: lower case, teencode expanded), the whole
    message first; at most `MAX_PARTS`.
    """
    found: dict[str, None] = {normalize_text(text): None}
    for sentence in sentences(text):
        found.setdefault(normalize_text(sentence), None)
        cut = clauses(sentence)
        if len(cut) > 1:
            for clause in cut:
                found.setdefault(clause, None)
            for first, second in zip(cut, cut[1:], strict=False):
                found.setdefault(f"{first} {second}", None)
    return [p for p in found if p.strip()][:MAX_PARTS]
