"""`ShortRulePolicy` finds exactly the rules Rasa's RulePolicy finds, on the project's own rules."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy

from bot.rule_policy import ShortRulePolicy
from tests.property.strategies import PROPS


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
