"""Count-vectors featurizers: sentence features only, and a view of the text without diacritics."""

from __future__ import annotations

from typing import Any, List, Text, Tuple

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.constants import TEXT
from scipy.sparse import coo_matrix

from bot.nlu.ngrams import Columns, column_counter
from bot.nlu.textnorm import strip_accents


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):
    """Rasa's count vectors, without the per-token (sequence) features nothing here reads.

    Rasa computes two matrices per message: one row per token (for DIET, CRF entity extraction)
    and one for the whole message. Our classifier reads only the whole-message one
    (`bot.nlu.classifier`), so the per-token transform, half of the featurizers' time, is skipped.
    The whole-message features are the same as Rasa's, counted without sklearn's `transform`
    (`count_row`).
    """

    def _create_features(
        self, attribute: Text, all_tokens: List[List[Text]]
    ) -> Tuple[List[Any | None], List[Any | None]]:
        if not self.vectorizers.get(attribute):
            return [None], [None]
        sentence_features: List[Any | None] = []
        for tokens in all_tokens:
            if tokens and attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
                vectorizer = self.vectorizers[attribute]
                sentence_features.append(count_row(vectorizer, self._counter(vectorizer),
                                                   " ".join(tokens)))  # fmt: skip
            else:
                sentence_features.append(None)
        return [None] * len(all_tokens), sentence_features

    def _counter(self, vectorizer: Any) -> Columns:
        """The vectorizer's text → counted columns function, built once per vectorizer."""
        kept: dict[int, tuple[Any, Columns]]
        kept = self.__dict__.setdefault("_counters", {})  # Rasa builds the instance
        found = kept.get(id(vectorizer))
        if found is None or found[0] is not vectorizer:  # a vectorizer trained since
            found = kept[id(vectorizer)] = (vectorizer, column_counter(vectorizer))
        return found[1]


def count_row(vectorizer: Any, count: Columns, text: str) -> coo_matrix:
    """`vectorizer.transform([text])` as a sorted 1-row COO matrix, without sklearn's overhead.

    The same counting as `CountVectorizer._count_vocab` (each n-gram of the fitted vocabulary,
    counted; unknown ones ignored; 1s when `binary`), the same shape and dtypes as
    `transform([text])` followed by `sort_indices()` and `tocoo()`, which is what Rasa stores. The
    sklearn call costs ~0.15 ms of checks and conversions per message for a few dozen lookups;
    `count` (`bot.nlu.ngrams.column_counter`) keeps each word's character n-grams.
    """
    counts = count(text)
    columns = sorted(counts)
    data = np.fromiter((1 if vectorizer.binary else counts[c] for c in columns),
                       dtype=vectorizer.dtype, count=len(columns))  # fmt: skip
    return row_matrix(data, columns, len(vectorizer.vocabulary_))


def row_matrix(data: np.ndarray, columns: list[int], width: int) -> coo_matrix:
    """`coo_matrix((data, (zeros, columns)), shape=(1, width))`: one row of counts.

    Built with scipy's public constructor (issue #19: building it through private attributes
    saved a few microseconds and would break with any scipy that renames them).
    """
    rows = np.zeros(len(columns), dtype=np.int32)
    return coo_matrix((data, (rows, np.asarray(columns, dtype=np.int32))), shape=(1, width))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class AccentFreeFeaturizer(SentenceCountVectorsFeaturizer):
    """Count vectors over accent-stripped lemmas, compounds split back into syllables.

    sklearn's `strip_accents` keeps "đ" and would be the only view of the text; here it is an extra
    view beside the accented one, so "bắt nạt" and "bat nat" share features without merging
    ma/má/mà in the accented view. Splitting "bat_nat" into "bat nat" lets word bigrams match
    what the segmenter cannot join in unaccented text.
    """

    def _process_tokens(self, tokens: List[Text], attribute: Text = TEXT) -> List[Text]:
        processed = super()._process_tokens(tokens, attribute)
        if attribute != TEXT:
            return processed
        return [strip_accents(t).replace("_", " ").strip() or t for t in processed]
