"""`IntentPolicy`: the dialogue as a table from the latest intent to the action that answers it.

Every rule of `nlu_data/rules/` is one intent and one action, and everything else a conversation
needs (follow-ups, who is writing, protocols, yes/no questions) happens inside the actions. So the
next action is a lookup: after the person speaks, the action of their intent (Rasa's default
actions for `/restart`, `/back` and `/session_start`, as Rasa's `RulePolicy` has them); after any
action, listen. An intent without a rule gets the fallback action with the configured confidence,
as `RulePolicy` gives it.

Written on Rasa's public `Policy` API (train, persist, load, predict), so no private method of
Rasa's is overridden and nothing is kept on the tracker. Training refuses a rule it cannot
express as one table row (more than one user turn, a condition, a slot or a form), rather than
ignore what the rule says.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Text

from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.core.policies.rule_policy import DEFAULT_ACTION_MAPPINGS
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME, RULE_SNIPPET_ACTION_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException

TABLE_FILE = "intent_actions.json"
FALLBACK_ACTION = "core_fallback_action_name"
FALLBACK_CONFIDENCE = "core_fallback_threshold"


class UnsupportedRule(RasaException):
    """A rule that is not one intent followed by one action."""


def table_row(tracker: DialogueStateTracker) -> tuple[str, str]:
    """(intent, action) of a rule tracker; `UnsupportedRule` for anything more or less.

    A rule tracker holds the rule's steps between Rasa's markers: the snippet action (`...`,
    "anywhere in the conversation") at the start and `action_listen` at the end.
    """
    steps: list[tuple[str, str]] = []
    for event in tracker.events:
        if isinstance(event, ActionExecuted) and event.action_name in (
            RULE_SNIPPET_ACTION_NAME,
            ACTION_LISTEN_NAME,
        ):
            continue
        if isinstance(event, UserUttered) and event.intent_name:
            steps.append(("intent", event.intent_name))
        elif isinstance(event, ActionExecuted) and event.action_name:
            steps.append(("action", event.action_name))
        else:
            raise UnsupportedRule(f"rule '{tracker.sender_id}': {type(event).__name__} is not "
                                  "supported (only one intent and one action)")  # fmt: skip
    if [kind for kind, _ in steps] != ["intent", "action"]:
        raise UnsupportedRule(f"rule '{tracker.sender_id}' must be one intent and one action")
    return steps[0][1], steps[1][1]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class IntentPolicy(Policy):
    """Predicts the action of the latest intent after the person speaks, and listening after it."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """As `RulePolicy`'s: the fallback action and its confidence when no rule matches."""
        return {
            "priority": 6,
            FALLBACK_ACTION: "action_default_fallback",
            FALLBACK_CONFIDENCE: 0.3,
        }

    @staticmethod
    def supported_data() -> SupportedData:
        """Rules only (`nlu_data/rules/`)."""
        return SupportedData.RULE_DATA

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
        table: Dict[Text, Text] | None = None,
    ) -> None:
        """Rasa's policy with the learnt table (empty before training)."""
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self.table: Dict[Text, Text] = dict(table or {})

    def _create_featurizer(self) -> Any:
        return None  # the table reads the tracker itself: no states, no features

    def train(
        self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        """Learn one row per rule; two rules for one intent must name the same action."""
        table: Dict[Text, Text] = {}
        for tracker in training_trackers:
            if not tracker.is_rule_tracker:
                continue
            intent, action = table_row(tracker)
            if table.setdefault(intent, action) != action:
                raise UnsupportedRule(f"intent '{intent}' has two actions: "
                                      f"{table[intent]}, {action}")  # fmt: skip
            if action not in domain.action_names_or_texts:
                raise UnsupportedRule(f"action '{action}' is not in the domain")
        self.table = table
        with self._model_storage.write_to(self._resource) as path:
            (path / TABLE_FILE).write_text(json.dumps(table, sort_keys=True), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "IntentPolicy":
        """The trained table."""
        with model_storage.read_from(resource) as path:
            table = json.loads((path / TABLE_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, execution_context, table=table)

    def next_action(self, tracker: DialogueStateTracker) -> Text | None:
        """The action to run next; None when the person's intent has no rule (fallback)."""
        if tracker.latest_action_name != ACTION_LISTEN_NAME:
            return ACTION_LISTEN_NAME
        message = tracker.latest_message
        intent = (message.intent or {}).get("name") if message is not None else None
        if intent is None:
            return None
        return DEFAULT_ACTION_MAPPINGS.get(intent) or self.table.get(intent)

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Dict[Text, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """Confidence 1 for the table's action; the fallback's confidence when there is none."""
        probabilities = [0.0] * domain.num_actions
        action = self.next_action(tracker)
        if action is None:
            fallback = domain.index_for_action(self.config[FALLBACK_ACTION])
            probabilities[fallback] = float(self.config[FALLBACK_CONFIDENCE])
        else:
            probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities)
