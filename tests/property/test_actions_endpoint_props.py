"""The action-result check that looks at each event's own type agrees with Rasa's whole schema."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction

from bot.engine.actions_endpoint import result_checker
from tests.property.strategies import PROPS

SCHEMA = RemoteAction.action_response_format_spec()
WHOLE = validators.validator_for(SCHEMA)(SCHEMA)
CHECK = result_checker(SCHEMA)
TYPES = [
    b["properties"]["event"]["const"] for b in SCHEMA["properties"]["events"]["items"]["oneOf"]
]
FIELDS = ["text", "name", "value", "timestamp", "metadata", "parse_data", "entities", "policy",
          "confidence", "input_channel", "message_id", "hide_rule_turn", "data", "start",
          "end"]  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=3)
    ),  # fmt: skip
    max_leaves=6,
)
events = st.one_of(
    st.fixed_dictionaries(
        {"event": st.sampled_from([*TYPES, "no_such_event"])},
        optional={f: json_values for f in FIELDS},
    ),
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=3),  # no "event" at all
    json_values,  # not even an object
)
results = st.fixed_dictionaries(
    {},
    optional={
        "events": st.lists(events, max_size=4) | json_values,
        "responses": st.lists(json_values, max_size=2) | json_values,
    },  # fmt: skip
)


def valid(check: Any, result: Any) -> bool:
    try:
        check(result)
    except ValidationError:
        return False
    return True


@PROPS
@given(results)
def test_the_per_type_check_accepts_exactly_what_the_whole_schema_accepts(result: Any) -> None:
    assert valid(CHECK, result) == valid(WHOLE.validate, result)


def test_each_event_type_is_checked_against_its_own_fields() -> None:
    assert valid(CHECK, {"events": [{"event": "slot", "name": "audience", "value": "child"}]})
    assert not valid(CHECK, {"events": [{"event": "slot", "name": "audience"}]})  # no value
    assert not valid(CHECK, {"events": [{"event": "user", "text": 3}]})
    assert not valid(CHECK, {"events": [{"event": "no_such_event"}]})
    assert valid(CHECK, {"events": [{"event": "bot", "text": "Chào bạn"}], "responses": []})
