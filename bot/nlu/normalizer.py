"""A Rasa component: message text in NFC with collapsed whitespace, and its normal form."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import textnorm
from bot.nlu.base import ConfigComponent
from bot.nlu.fingerprint import files_fingerprint

NORMALIZED_TEXT = "text_normalized"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseNormalizer(ConfigComponent):
    """NFC and whitespace on `text`; lower case, squashed letters, teencode in `text_normalized`.

    The text itself keeps its case and its words, so offsets and what the person wrote stay intact;
    the tokenizer and the safety net read the normal form through `bot.nlu.textnorm`.
    """

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> str | None:
        """Retrain when the normalisation code or the teencode table changes."""
        return files_fingerprint(Path(textnorm.__file__), textnorm.TEENCODE_FILE)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Normalise every training example."""
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Normalise incoming messages in place."""
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str):
                message.set(TEXT, textnorm.nfc(text))
                message.set(NORMALIZED_TEXT, textnorm.normalize_text(text))
        return messages
