"""Count-vectors featurizers: sentence features only, and a view of the text without diacritics."""

from __future__ import annotations

from typing import Any, List, Text, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.constants import TEXT

from bot.nlu.textnorm import strip_accents


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):
    """Rasa's count vectors, without the per-token (sequence) features nothing here reads.

    Rasa computes two matrices per message: one row per token (for DIET, CRF entity extraction)
    and one for the whole message. Our classifier reads only the whole-message one
    (`bot.nlu.classifier`), so the per-token transform, half of the featurizers' time, is skipped.
    The whole-message features are computed exactly as Rasa does.
    """

    def _create_features(
        self, attribute: Text, all_tokens: List[List[Text]]
    ) -> Tuple[List[Any | None], List[Any | None]]:
        if not self.vectorizers.get(attribute):
            return [None], [None]
        sentence_features: List[Any | None] = []
        for tokens in all_tokens:
            if tokens and attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
                sentence = self.vectorizers[attribute].transform([" ".join(tokens)])
                sentence.sort_indices()
                sentence_features.append(sentence.tocoo())
            else:
                sentence_features.append(None)
        return [None] * len(all_tokens), sentence_features


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
