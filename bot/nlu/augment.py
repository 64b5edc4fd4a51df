"""Training-time augmentation: every example typed with diacritics is also learnt without them."""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.base import ConfigComponent
from bot.nlu.textnorm import has_diacritics, strip_accents


def unaccented_copies(examples: List[Message]) -> List[Message]:
    """Accent-stripped copies of the intent examples that carry diacritics."""
    return [
        Message.build(text=strip_accents(m.get(TEXT)), intent=m.get(INTENT))
        for m in examples
        if m.get(INTENT) and isinstance(m.get(TEXT), str) and has_diacritics(m.get(TEXT))
    ]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class AccentAugmenter(ConfigComponent):
    """Adds "con toi bi lua" for every "con tôi bị lừa" in the training data; a no-op at inference.

    Half the real messages are typed without diacritics. Without this, the features learnt from
    accented examples (words, character n-grams with diacritics) outweigh the accent-free ones, and
    accuracy on unaccented messages trails by 6-7 points; with it, by about 2 (see README).
    """

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Return the training data with the unaccented copies added."""
        return training_data.merge(TrainingData(unaccented_copies(training_data.training_examples)))

    def process(self, messages: List[Message]) -> List[Message]:
        """Leave incoming messages as they are."""
        return messages
