"""`ShortRulePolicy` finds exactly the rules Rasa's RulePolicy finds, on the project's own rules."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy

from bot.rule_policy import ShortRulePolicy
from tests.property.strategies import PROPS, tracker_events


@pytest.fixture(scope="module")
def policy(agent: Any) -> ShortRulePolicy:
    """The rule policy of the trained model."""
    nodes = agent.processor.graph_runner._instantiated_nodes
    found = [n._component for n in nodes.values() if isinstance(n._component, RulePolicy)]
    assert len(found) == 1
    return found[0]


def test_the_model_predicts_with_the_short_rule_policy(policy: Any) -> None:
    assert type(policy) is ShortRulePolicy
    assert len(policy.lookup[RULES]) > 20  # the project's rules were learned


def _rasa() -> RulePolicy:
    """Rasa's own matching (the methods used read no instance state)."""
    return object.__new__(RulePolicy)


def _states(policy: Any) -> list[dict[str, Any]]:
    """Every state that appears in a rule, and unions of two (conversations carry more)."""
    seen: dict[str, dict[str, Any]] = {}
    for lookup in (policy.lookup[RULES], policy.lookup[RULES_FOR_LOOP_UNHAPPY_PATH]):
        for key in lookup:
            for state in json.loads(key):
                seen.setdefault(json.dumps(state, sort_keys=True), state)
    return list(seen.values())


@PROPS
@given(data=st.data())
def test_the_same_rules_match_any_conversation_end(policy: Any, data: st.DataObject) -> None:
    pool = _states(policy)
    one = st.sampled_from(pool)
    both = st.tuples(one, one).map(
        lambda pair: {
            part: {**pair[0].get(part, {}), **pair[1].get(part, {})}
            for part in {*pair[0], *pair[1]}
        }  # fmt: skip
    )
    states = data.draw(st.lists(st.one_of(one, both, st.just({})), max_size=14))
    for name in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH):
        lookup = policy.lookup[name]
        assert policy._get_possible_keys(lookup, states) == _rasa()._get_possible_keys(
            lookup, states
        )


def test_rules_are_matched_on_the_end_of_a_long_conversation(policy: Any) -> None:
    lookup = policy.lookup[RULES]
    key = max(lookup, key=lambda k: len(json.loads(k)))
    rule = json.loads(key)
    for history in ([], rule[1:] * 30):  # the same rule after a long conversation
        states = history + rule
        found = policy._get_possible_keys(lookup, states)
        assert key in found and found == _rasa()._get_possible_keys(lookup, states)


def test_rules_added_to_a_lookup_in_place_are_found(policy: Any) -> None:
    lookup = dict(policy.lookup[RULES])
    key = max(lookup, key=lambda k: len(json.loads(k)))
    states = json.loads(key)
    action = lookup.pop(key)
    assert key not in policy._get_possible_keys(lookup, states)  # the rules grouped without it
    lookup[key] = action  # Rasa's training edits its lookups in place
    found = policy._get_possible_keys(lookup, states)
    assert key in found and found == _rasa()._get_possible_keys(lookup, states)


@PROPS
@given(data=st.data())
def test_kept_states_are_rasas_states_as_the_conversation_grows(
    policy: Any, agent: Any, data: st.DataObject
) -> None:
    """After every new event, the kept history gives Rasa's states, for text and for intents."""
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = agent.domain
    tracker = DialogueStateTracker("someone", domain.slots)
    for event in data.draw(st.lists(tracker_events(domain), max_size=25)):
        tracker.update(event)
        for text in (True, False):
            expected = RulePolicy._prediction_states(policy, tracker, domain, text)
            assert policy._prediction_states(tracker, domain, text) == expected


@pytest.mark.parametrize("amend", ["featurization", "entities"])
def test_a_message_amended_after_a_kept_state_read_it_is_replayed(
    policy: Any, agent: Any, amend: str
) -> None:
    """Rasa amends the latest user message in place; a kept state that read it is redone."""
    from rasa.shared.core.events import (
        ActionExecuted,
        DefinePrevUserUtteredFeaturization,
        EntitiesAdded,
        UserUttered,
    )
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = agent.domain
    tracker = DialogueStateTracker("someone", domain.slots)
    amends = {"featurization": DefinePrevUserUtteredFeaturization(True),
              "entities": EntitiesAdded([{"entity": "item", "value": "thẻ game"}])}  # fmt: skip
    for event in (UserUttered("chào", {"name": "greet"}), ActionExecuted("action_listen"),
                  amends[amend], ActionExecuted("action_answer")):  # fmt: skip
        tracker.update(event)
        found = policy._prediction_states(tracker, domain)
        assert found == RulePolicy._prediction_states(policy, tracker, domain)
    if amend == "featurization":
        assert found[0] == {"user": {"text": "chào"}}  # the amendment reached the kept state


def test_a_tracker_whose_events_were_replaced_is_replayed_anew(policy: Any, agent: Any) -> None:
    from collections import deque

    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = agent.domain
    tracker = DialogueStateTracker("someone", domain.slots)
    for event in (ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet"}),
                  ActionExecuted("action_answer")):  # fmt: skip
        tracker.update(event)
    before = policy._prediction_states(tracker, domain)
    tracker.events = deque([ActionExecuted("action_listen"), UserUttered("x", {"name": "thank"}),
                            ActionExecuted("action_listen")])  # fmt: skip
    after = policy._prediction_states(tracker, domain)
    assert after == RulePolicy._prediction_states(policy, tracker, domain) and after != before


async def test_kept_states_are_rasas_states_in_real_conversations(
    policy: Any, agent: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the real dialogue, every prediction sees Rasa's states, mostly from kept history."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    from bot import rule_policy

    replays = []
    replayed = rule_policy.StateHistory.replayed
    monkeypatch.setattr(rule_policy.StateHistory, "replayed",
                        classmethod(lambda cls, *a: replays.append(1) or replayed(*a)))  # fmt: skip
    calls = []
    ours = policy._prediction_states

    def both(tracker: Any, domain: Any, text: bool = False, rule_only_data: Any = None) -> Any:
        expected = RulePolicy._prediction_states(policy, tracker, domain, text, rule_only_data)
        found = ours(tracker, domain, text, rule_only_data)
        assert found == expected
        calls.append(len(found))
        return found

    monkeypatch.setattr(policy, "_prediction_states", both)
    texts = ["chào", "con tôi bị lừa nạp thẻ game", "/ask_scam", "cảm ơn", "e bi bat nat tren fb",
             "không phải", "tôi là phụ huynh", "tạm biệt"]  # fmt: skip
    for text in texts:
        output = CollectingOutputChannel()
        await agent.handle_message(UserMessage(text, output, sender_id="states-kept"))
    assert len(calls) >= 2 * len(texts) and max(calls) > 10  # a conversation of some length
    # The tracker is read from the store once a turn (a new object): at most one replay per turn.
    assert len(replays) <= len(texts) < len(calls)
