"""Rasa's RulePolicy, matching rules against the end of the conversation only."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from typing import Any, Dict, List, Set, Text, Tuple

from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    DefinePrevUserUtteredFeaturization,
    EntitiesAdded,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
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
        self._first_turns: Dict[int, FirstTurns] = {}

    def _prediction_states(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        use_text_for_last_user_input: bool = False,
        rule_only_data: Dict[Text, Any] | None = None,
    ) -> List[State]:
        """Rasa's states of the whole conversation, without replaying it from the start each time.

        Rasa replays every event of the conversation to rebuild its states, three times a turn.
        The states up to the last action stay the same as the conversation grows, so they are
        kept on the tracker (`StateHistory`) and only the new events are replayed.
        """
        featurizer = self.featurizer
        if not isinstance(featurizer, MaxHistoryTrackerFeaturizer) or featurizer.max_history:
            return super()._prediction_states(
                tracker, domain, use_text_for_last_user_input, rule_only_data
            )
        history = StateHistory.of(tracker, domain)
        states = history.states + [history.current(domain)]
        featurizer._choose_last_user_input([states], use_text_for_last_user_input)
        return states

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
            # a rule turn that names another previous action or intent cannot match: only the
            # others get the full check
            previous = state.get(PREVIOUS_ACTION)
            actions = {ANY, previous.get(ACTION_NAME)} if previous else {NO_ACTION}
            intents = {ANY, (state.get(USER) or {}).get(INTENT)}
            if turn_index == 0:  # every rule is in the running: ask the index, not each rule
                asking = self._first_turns_of(lookup).asking
                possible_keys = {key for action in actions for intent in intents
                                 for key in asking.get((action, intent), ())
                                 if self._is_rule_applicable(key, 0, state)}  # fmt: skip
                continue
            longest = max((len(self._reversed_states(key)) for key in possible_keys), default=0)
            if turn_index >= longest:
                break  # every rule left is applicable to the older turns
            possible_keys = {key for key in possible_keys
                             if (asked := self._asked(key, turn_index))[0] in actions
                             and asked[1] in intents
                             and self._is_rule_applicable(key, turn_index, state)}  # fmt: skip
        return possible_keys

    def _first_turns_of(self, lookup: Dict[Text, Text]) -> "FirstTurns":
        """The rules of `lookup` by what their last turn asks, built once per set of rules."""
        found = self._first_turns.get(id(lookup))
        if found is None or found.lookup is not lookup or found.keys != lookup.keys():
            asking: Dict[Tuple[Text | None, Text | None], List[Text]] = {}
            for key in lookup:
                asking.setdefault(self._asked(key, 0), []).append(key)
            found = FirstTurns(lookup, frozenset(lookup), asking)
            self._first_turns[id(lookup)] = found
        return found

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


@dataclass(frozen=True)
class FirstTurns:
    """A set of rules grouped by what their last turn asks (`ShortRulePolicy._asked`).

    A conversation's last state can only match the rules under one of the four pairs of its
    previous action or `ANY` with its intent or `ANY`: with ~50 rules, asking each of them was
    a sixth of a prediction.
    """

    lookup: Dict[Text, Text]  # the rules (key → action) this was built from
    keys: frozenset[Text]  # their keys then, to notice a lookup changed in place
    asking: Dict[Tuple[Text | None, Text | None], List[Text]]  # (action, intent) → rule keys


def _named(value: Any) -> Text:
    """A name a state must have to match, or `ANY` (not set, or set to "should not be set")."""
    return value if isinstance(value, str) and value and value != SHOULD_NOT_BE_SET else ANY


HISTORY = "_donghanh_state_history"  # the attribute of a tracker that keeps its StateHistory
# Events after which the applied events are no longer the old ones plus the new ones.
REWRITES = (Restarted, SessionStarted, ActionReverted, UserUtteranceReverted, ActiveLoop)
# Events that change the latest user message in place (Rasa applies them right after it).
AMENDS_MESSAGE = (DefinePrevUserUtteredFeaturization, EntitiesAdded)


@dataclass
class StateHistory:
    """The states of a conversation before each of its actions, as Rasa computes them.

    Rasa's `Domain.states_for_tracker_history` (without rule-only turns, all slots) replays the
    tracker's applied events on a fresh copy and takes the state before each `ActionExecuted`,
    then the state at the end. The states before the actions already taken do not change when
    events are appended, so they are kept with the replayed copy and the new events are applied
    to it. Anything that rewrites the applied events (a restart, a new session, a revert, a loop)
    or a tracker with a bounded event history starts the replay over, as Rasa does every time.
    So does an event that amends the latest user message in place once a kept state has read
    that message: Rasa's replay would read the amended message there too.
    """

    count: int  # the tracker's events read so far
    last: Event | None  # the last of them, to know the tracker was only appended to
    replay: DialogueStateTracker  # the applied events so far, replayed
    states: List[State]  # the state before each ActionExecuted so far
    rewrites: bool  # the applied events are not a plain sequence (loops)
    message_read: bool = False  # a kept state has read the replay's latest user message

    @classmethod
    def of(cls, tracker: DialogueStateTracker, domain: Domain) -> "StateHistory":
        """The tracker's history, brought up to date (kept on the tracker when it can be)."""
        found = tracker.__dict__.get(HISTORY)
        if isinstance(found, StateHistory) and found.extend(tracker, domain):
            return found
        history = cls.replayed(tracker, domain)
        if tracker.events.maxlen is None:
            tracker.__dict__[HISTORY] = history
        return history

    @classmethod
    def replayed(cls, tracker: DialogueStateTracker, domain: Domain) -> "StateHistory":
        """Replay the tracker's applied events from the start (Rasa's way)."""
        events = tracker.events
        rewrites = any(isinstance(e, ActiveLoop) and e.name for e in events)
        history = cls(len(events), events[-1] if events else None, tracker.init_copy(), [],
                      rewrites)  # fmt: skip
        for event in tracker.applied_events():
            history._apply(event, domain)
        return history

    def extend(self, tracker: DialogueStateTracker, domain: Domain) -> bool:
        """Apply the events added since; False when the history has to be replayed anew."""
        events = tracker.events
        if self.rewrites or events.maxlen is not None or len(events) < self.count:
            return False
        if self.count and events[self.count - 1] is not self.last:
            return False
        new = list(islice(events, self.count, None))
        if any(isinstance(event, REWRITES) for event in new):
            return False
        for event in new:
            if isinstance(event, AMENDS_MESSAGE) and self.message_read:
                return False  # the replay is left half-way: the caller replays anew
            self._apply(event, domain)
        self.count = len(events)
        self.last = events[-1] if events else None
        return True

    def _apply(self, event: Event, domain: Domain) -> None:
        if isinstance(event, ActionExecuted):
            self.states.append(_state(domain, self.replay))
            self.message_read = True
        elif isinstance(event, UserUttered):
            self.message_read = False
        self.replay.update(event)

    def current(self, domain: Domain) -> State:
        """The state at the end of the conversation (a new object at every call)."""
        return _state(domain, self.replay)


def _state(domain: Domain, tracker: DialogueStateTracker) -> State:
    return domain._clean_state(domain.get_active_state(tracker))
