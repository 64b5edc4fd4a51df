"""A count-vectors featurizer that ignores diacritics, for messages typed without them."""

from __future__ import annotations

from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.constants import TEXT

from bot.nlu.textnorm import strip_accents


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class AccentFreeFeaturizer(CountVectorsFeaturizer):
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
