"""A fitted vectorizer's text → counted vocabulary columns, with character n-grams cached per word.

Both the intent featurizers (`bot.nlu.featurizer`) and the urgency detector (`bot.nlu.urgency`)
count, for every message and every part of it, the n-grams of a fitted sklearn vectorizer that are
in its vocabulary. For the `char_wb` views that is ~160 n-grams a text, cut in Python one slice at a
time (`_char_wb_ngrams`), and the same words come back in every part of a message (the whole, the
sentence, the clause, the pair) and in most messages. `char_wb` n-grams never cross a word boundary,
so a text's n-grams are its words' n-grams one after the other: here each word's columns are
computed once and kept (`WORD_CACHE` words per vectorizer), which gives the same counts as
`vectorizer.transform` (`tests/nlu/test_ngrams.py` compares them) for a dictionary lookup per word.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any, Callable

WORD_CACHE = 1 << 16  # distinct words kept per vectorizer (~10 MB at most for the four views)

Columns = Callable[[str], "Counter[int]"]


def column_counter(vectorizer: Any) -> Columns:
    """For a fitted vectorizer, a function: text → Counter of its vocabulary columns.

    The text goes through the vectorizer's own decoder and preprocessor (or, for `word` views, its
    whole analyzer); n-grams outside the vocabulary are not counted.
    """
    vocabulary: dict[str, int] = vectorizer.vocabulary_
    if vectorizer.analyzer != "char_wb":
        analyze = vectorizer.build_analyzer()

        def count(text: str) -> "Counter[int]":
            found = Counter(map(vocabulary.get, analyze(text)))
            found.pop(None, None)  # type: ignore[call-overload]
            return found  # type: ignore[return-value]

        return count

    decode, preprocess = vectorizer.decode, vectorizer.build_preprocessor()
    min_n, max_n = vectorizer.ngram_range

    @lru_cache(maxsize=WORD_CACHE)
    def word_columns(word: str) -> tuple[int, ...]:
        # `_char_wb_ngrams` for one word: padded with a space each side, each n-gram length; a
        # word shorter than n gives its padded self once.
        padded = f" {word} "
        size = len(padded)
        found: list[int] = []
        for n in range(min_n, max_n + 1):
            offset = 0
            column = vocabulary.get(padded[:n])
            if column is not None:
                found.append(column)
            while offset + n < size:
                offset += 1
                column = vocabulary.get(padded[offset : offset + n])
                if column is not None:
                    found.append(column)
            if offset == 0:
                break
        return tuple(found)

    def count_words(text: str) -> "Counter[int]":
        found: Counter[int] = Counter()
        for word in preprocess(decode(text)).split():
            found.update(word_columns(word))
        return found

    return count_words
