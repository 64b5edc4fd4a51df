"""The follow-up a question is about, by its words, across every topic.

The intent model reads "Nếu Google chịu hoàn thì bao lâu tiền mới về?" after the refund answer as a
question about hacked accounts (0.59), and "Ngân hàng thì tui gọi số mô, nói răng?" as nothing it
knows. The cues of `bot.conversation.followups` name what they list and no more. This second pass
compares the question with every follow-up (its title, its cues, its text) as TF-IDF vectors of
words and word pairs without diacritics, and prefers the topic of the conversation: the answer
people most often want next is in the topic they are in.

Pure: no Rasa, no I/O; the index is built once from the content.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from sklearn.feature_extraction.text import TfidfVectorizer

from bot.nlu.textnorm import fold

CURRENT = 1.3  # a follow-up of the conversation's topic
GUESSED = 1.1  # a follow-up of one of the intent model's top guesses
CUES = 3  # a follow-up's title and cues count this many times its text
# Words that say nothing about what is asked (folded).
STOP_WORDS = frozenset({
    "toi", "tui", "minh", "em", "anh", "chi", "con", "chau", "ba", "ong", "co", "thay", "ban",
    "no", "ho", "thi", "la", "ma", "va", "voi", "cua", "cho", "de", "khong", "ko", "duoc", "roi",
    "nua", "a", "ah", "ha", "nhe", "nha", "nhi", "vay", "the", "sao", "gi", "nao", "dau", "day",
    "do", "kia", "nay", "ni", "muon", "can", "hoi", "xin", "cam", "on", "oi", "da", "vang", "u",
    "um",
})  # fmt: skip


@dataclass(frozen=True)
class Found:
    """A follow-up a question is about, and how close."""

    topic: str
    item: str
    score: float


def _document(item: Mapping[str, Any]) -> str:
    """The words of a follow-up: its title and cues (weighted), then its texts."""
    named = " ".join([str(item.get("title") or ""), *(str(c) for c in item.get("cues") or [])])
    texts = " ".join(str(item.get(voice) or "") for voice in ("parent", "child"))
    return " ".join([named] * CUES + [texts])


class Retriever:
    """Rank the follow-ups of every topic against a question."""

    def __init__(self, topics: Mapping[str, Mapping[str, Any]]) -> None:
        """Index every follow-up of every topic."""
        self.keys: list[tuple[str, str]] = []
        documents: list[str] = []
        for topic, entry in topics.items():
            for key, item in (entry.get("followups") or {}).items():
                self.keys.append((str(topic), str(key)))
                documents.append(fold(_document(item)))
        self.vectorizer = TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b",
            stop_words=sorted(STOP_WORDS),
        )  # fmt: skip
        self.matrix = self.vectorizer.fit_transform(documents) if documents else None

    def rank(
        self,
        text: str,
        current: str | None = None,
        guesses: Iterable[str] = (),
        shown: Iterable[str] = (),
    ) -> list[Found]:
        """Every follow-up with a score above 0, best first.

        `current`: the conversation's topic (its follow-ups weigh `CURRENT`); `guesses`: the intent
        model's top topics (`GUESSED`); `shown`: the current topic's follow-ups already read.
        """
        if self.matrix is None:
            return []
        query = self.vectorizer.transform([fold(text)])
        if query.nnz == 0:
            return []
        scores = (self.matrix @ query.T).toarray().ravel()
        guessed, seen = set(guesses), set(shown)
        found = []
        for (topic, key), score in zip(self.keys, scores, strict=True):
            if score <= 0 or (topic == current and key in seen):
                continue
            weight = CURRENT if topic == current else GUESSED if topic in guessed else 1.0
            found.append(Found(topic, key, float(score) * weight))
        return sorted(found, key=lambda f: f.score, reverse=True)
