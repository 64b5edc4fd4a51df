"""`column_counter` counts exactly the vocabulary columns of sklearn's own `transform`."""

from __future__ import annotations

import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from bot.nlu.ngrams import column_counter
from bot.nlu.textnorm import strip_accents

TRAIN = [
    "em bị bắt nạt trên mạng", "con tôi nghiện game", "e bi doa tung anh nong",
    "Cài Family Link thế nào?", "chú hàng xóm   nhắn tin lạ", "ừ ừ", "a",
]  # fmt: skip
TEXTS = [
    *TRAIN, "", "   ", "!!!", "EM BỊ DỌA", "x" * 300, "bắt\tnạt\n\nbắt nạt bắt nạt",
    "từ từ tự tử", "một từ mới hoàn toàn", "b", "ab  ba",
]  # fmt: skip


@pytest.mark.parametrize(
    "vectorizer",
    [
        CountVectorizer(analyzer="char_wb", ngram_range=(2, 5)),
        CountVectorizer(analyzer="char_wb", ngram_range=(1, 3), lowercase=False),
        TfidfVectorizer(preprocessor=strip_accents, analyzer="char_wb", ngram_range=(2, 5)),
        CountVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b"),
    ],
    ids=["char_wb", "char_wb-cased", "char_wb-preprocessed", "word"],
)
def test_counts_equal_sklearns_transform(vectorizer: CountVectorizer) -> None:
    vectorizer.fit(TRAIN)
    count = column_counter(vectorizer)
    counted = CountVectorizer(
        vocabulary=vectorizer.vocabulary_, analyzer=vectorizer.build_analyzer()
    )
    hits = 0
    for text in [*TEXTS, *TEXTS]:  # the second pass from the words kept
        expected = counted.transform([text]).tocoo()
        got = count(text)
        assert got == dict(zip(expected.col.tolist(), expected.data.tolist(), strict=True)), text
        hits += sum(got.values())
    assert hits > 100  # the texts really hit the vocabulary
