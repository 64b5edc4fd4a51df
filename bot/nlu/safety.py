"""The safety net: a Rasa component after the classifier that makes the final urgent decision."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu import rules as rules_module
from bot.nlu import textnorm, triage
from bot.nlu.base import ConfigComponent
from bot.nlu.fingerprint import files_fingerprint

SAFETY = "safety"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SafetyNet(ConfigComponent):
    """Sets `safety.urgent` and, when a rule fires, the final intent (see `bot.nlu.triage.decide`).

    The model's own guess stays in `intent_ranking`; the rule that fired and the words that made it
    fire are in `safety`, so an operator can see why a message was treated as urgent.
    """

    def __init__(self, config: Dict[Text, Any]) -> None:
        """Load the rules once."""
        super().__init__(config)
        self._rules = rules_module.load_rules(Path(config["rules_file"]))

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Defaults: the project's rules file and the thresholds of `triage.decide`."""
        return {"rules_file": str(rules_module.RULES_FILE), "veto_confidence": 0.7,
                "urgent_floor": 0.0}  # fmt: skip

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> str | None:
        """Rebuild when the rules, their engine or the normaliser change."""
        rules_file = Path(config.get("rules_file") or rules_module.RULES_FILE)
        return files_fingerprint(rules_file, Path(rules_module.__file__),
                                 Path(triage.__file__), Path(textnorm.__file__),
                                 textnorm.TEENCODE_FILE)  # fmt: skip

    def process(self, messages: List[Message]) -> List[Message]:
        """Decide each message and record the decision."""
        for message in messages:
            text = message.get(TEXT)
            predicted = message.get(INTENT) or {}
            if not isinstance(text, str) or not predicted.get("name"):
                continue
            decision = triage.decide(
                text,
                predicted["name"],
                float(predicted.get("confidence") or 0.0),
                message.get(INTENT_RANKING_KEY) or [],
                self._rules,
                veto_confidence=self._config["veto_confidence"],
                urgent_floor=self._config["urgent_floor"],
            )
            if decision.intent != predicted["name"] or decision.reason == "safe_word":
                message.set(INTENT, {"name": decision.intent, "confidence": decision.confidence},
                            add_to_output=True)  # fmt: skip
            message.set(SAFETY, decision.as_dict(), add_to_output=True)
        return messages
