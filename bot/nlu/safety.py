"""Triage components: the urgency detector (trained) and the safety net (the final decision)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import clauses, textnorm, triage, urgency
from bot.nlu import rules as rules_module
from bot.nlu.base import ConfigComponent
from bot.nlu.fingerprint import files_fingerprint

SAFETY = "safety"
URGENCY = "urgency"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UrgencyDetector(GraphComponent):
    """Scores none / danger / self-harm on the whole message and each part (`bot.nlu.urgency`).

    Trained by `donghanh train` on the intent examples as they are in nlu_data (it comes first in
    the pipeline, before the accent-free copies) and the rules' figures of speech. Sets the
    message's `urgency` (score, category, evidence: the part that decided), which the safety net
    reads.
    """

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: urgency.UrgencyModel | None = None) -> None:  # fmt: skip
        """Keep the config, where to save, and the trained model (None before training)."""
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._model = model

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The regression's inverse regularisation and the rules file (its figures of speech)."""
        return {"c": 10.0, "rules_file": str(rules_module.RULES_FILE)}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> str | None:
        """Retrain when the detector, the way it cuts messages or the figures change."""
        rules_file = Path(config.get("rules_file") or rules_module.RULES_FILE)
        return files_fingerprint(Path(urgency.__file__), Path(clauses.__file__),
                                 Path(textnorm.__file__), rules_file)  # fmt: skip

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "UrgencyDetector":  # fmt: skip
        """An untrained detector."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "UrgencyDetector":  # fmt: skip
        """The detector saved by `train` (an untrained one if there is none)."""
        try:
            with model_storage.read_from(resource) as folder:
                model = urgency.UrgencyModel.load(Path(folder))
        except (ValueError, FileNotFoundError):
            model = None
        return cls(config, model_storage, resource, model)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit on every intent example and save the model into the model storage."""
        examples = [(m.get(TEXT), m.get(INTENT)) for m in training_data.intent_examples
                    if isinstance(m.get(TEXT), str) and m.get(INTENT)]  # fmt: skip
        figures = rules_module.load_rules(Path(self._config["rules_file"])).figures
        self._model = urgency.train(examples, figures, c=float(self._config["c"]))
        with self._storage.write_to(self._resource) as folder:
            self._model.save(Path(folder))
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to add to the training data."""
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Score each message; nothing is set when the detector was not trained."""
        if self._model is None:
            return messages
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and text.strip():
                message.set(URGENCY, self._model.score(text).as_dict(), add_to_output=True)
        return messages


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
                "urgent_floor": 0.0, "urgent_threshold": triage.URGENT_THRESHOLD,
                "long_threshold": triage.LONG_THRESHOLD,
                "grey_threshold": triage.GREY_THRESHOLD,
                "unsure_confidence": triage.UNSURE_CONFIDENCE}  # fmt: skip

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
                urgency=message.get(URGENCY),
                urgent_threshold=self._config["urgent_threshold"],
                long_threshold=self._config["long_threshold"],
                grey_threshold=self._config["grey_threshold"],
                unsure_confidence=self._config["unsure_confidence"],
            )
            if decision.intent != predicted["name"] or decision.reason == "safe_word":
                message.set(INTENT, {"name": decision.intent, "confidence": decision.confidence},
                            add_to_output=True)  # fmt: skip
            message.set(SAFETY, decision.as_dict(), add_to_output=True)
        return messages
