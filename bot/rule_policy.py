"""Rasa's RulePolicy, matching rules against the end of the conversation only."""

from __future__ import annotations

from typing import Any, Dict, List, Set, Text, Tuple

from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER
from rasa.shared.nlu.constants import ACTION_NAME, INTENT

NO_ACTION = "\x00no previous action"  # markers that no action or intent name can equal
ANY = "\x00anything"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class ShortRulePolicy(RulePolicy):
    """The same rules and predictions as Rasa's; each rule is compared with as many turns as it has.

    Rasa filters every rule against every turn of the conversation, newest first, although a rule
    is applicable to all turns older than its own length (`RulePolicy._is_rule_applicable`
    answers True there). This stops at the length of the longest rule still in the running,
    so the cost of a prediction no longer grows with the length of the conversation; and a rule
    whose turn names another previous action or intent than the conversation's is set aside
    without the full comparison. The set of matching rules, and so the prediction, is the same
    (tests/test_rule_policy.py).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """As Rasa's; the rules' states are read back once, newest first."""
        super().__init__(*args, **kwargs)
        self._reversed: Dict[Text, List[Dict[Text, Any]]] = {}
        self._asks: Dict[Tuple[Text, int], Tuple[Text, Text]] = {}

    def _reversed_states(self, rule_key: Text) -> List[Dict[Text, Any]]:
        found = self._reversed.get(rule_key)
        if found is None:
            found = self._reversed[rule_key] = list(reversed(self._rule_key_to_state(rule_key)))
        return found

    def _is_rule_applicable(
        self, rule_key: Text, turn_index: int, conversation_state: Dict[Text, Any]
    ) -> bool:
        """Rasa's test, without rebuilding the rule's reversed states at every call."""
        rule_states = self._reversed_states(rule_key)
        if turn_index >= len(rule_states):
            return True
        current_previous_action = conversation_state.get(PREVIOUS_ACTION)
        rule_previous_action = rule_states[turn_index].get(PREVIOUS_ACTION)
        if not rule_previous_action and not current_previous_action:
            return True
        if not rule_previous_action or not current_previous_action:
            return False
        return self._does_rule_match_state(rule_states[turn_index], conversation_state)

    def _get_possible_keys(self, lookup: Dict[Text, Text], states: List[Any]) -> Set[Text]:
        """The rules of `lookup` that match the end of `states`."""
        possible_keys = set(lookup)
        for turn_index, state in enumerate(reversed(states)):
            longest = max((len(self._reversed_states(key)) for key in possible_keys), default=0)
            if turn_index >= longest:
                break  # every rule left is applicable to the older turns
            # a rule turn that names another previous action or intent cannot match: only the
            # others get the full check
            previous = state.get(PREVIOUS_ACTION)
            actions = {ANY, previous.get(ACTION_NAME)} if previous else {NO_ACTION}
            intents = {ANY, (state.get(USER) or {}).get(INTENT)}
            possible_keys = {key for key in possible_keys
                             if (asked := self._asked(key, turn_index))[0] in actions
                             and asked[1] in intents
                             and self._is_rule_applicable(key, turn_index, state)}  # fmt: skip
        return possible_keys

    def _asked(self, rule_key: Text, turn_index: int) -> Tuple[Text, Text]:
        """What a rule's turn asks of the previous action and of the intent, for a quick test.

        The action is `NO_ACTION` for a conversation start (it matches only a state without a
        previous action), an action name (only a state after that action), or `ANY`; the intent
        is an intent name (only a state with that intent) or `ANY`. `ANY` leaves the question to
        `_is_rule_applicable`; a turn beyond the rule's length asks nothing.
        """
        found = self._asks.get((rule_key, turn_index))
        if found is None:
            rule_states = self._reversed_states(rule_key)
            if turn_index >= len(rule_states):
                found = (ANY, ANY)
            else:
                rule_state = rule_states[turn_index]
                previous = rule_state.get(PREVIOUS_ACTION)
                action = _named(previous.get(ACTION_NAME)) if previous else NO_ACTION
                found = (action, _named((rule_state.get(USER) or {}).get(INTENT)))
            self._asks[(rule_key, turn_index)] = found
        return found


def _named(value: Any) -> Text:
    """A name a state must have to match, or `ANY` (not set, or set to "should not be set")."""
    return value if isinstance(value, str) and value and value != SHOULD_NOT_BE_SET else ANY
