"""Properties of the web chat's REST body parser (`WebChannel.parse`)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.channels.base import MESSAGE, BadPayload
from bot.channels.web import MAX_SENDER_CHARS, WebChannel
from bot.nlu.textnorm import nfc
from tests.property.strategies import PROPS, any_text, json_values, loose

senders = st.text(max_size=MAX_SENDER_CHARS + 10)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "sender": loose(senders),
        "message": loose(any_text),
        "message_id": loose(st.text(max_size=90)),
        "metadata": json_values,
    },
)


def valid_sender(sender: Any) -> bool:
    return isinstance(sender, str) and bool(sender.strip()) and len(sender) <= MAX_SENDER_CHARS


@PROPS
@given(st.one_of(bodies, json_values))
def test_rest_body_is_read_or_refused_with_bad_payload(payload: Any) -> None:
    try:
        event = WebChannel.parse(payload)
    except BadPayload as exc:
        assert str(exc)
        ok = isinstance(payload, dict) and valid_sender(payload.get("sender"))
        ok = ok and isinstance(payload.get("message"), str)
        assert not ok or not isinstance(payload.get("message_id"), (str, type(None)))
        return
    assert isinstance(payload, dict) and valid_sender(payload["sender"])
    assert event.kind == MESSAGE and event.message.channel == "web"
    assert event.message.platform_id == payload["sender"].strip()
    assert event.message.text == nfc(payload["message"])


@PROPS
@given(senders.filter(valid_sender), any_text)
def test_any_sender_and_text_within_limits_are_accepted(sender: str, text: str) -> None:
    event = WebChannel.parse({"sender": sender, "message": text})
    assert (event.message.platform_id, event.message.text) == (sender.strip(), nfc(text))


@PROPS
@given(st.one_of(st.just(""), st.text(alphabet=" \t\n\u00a0", max_size=5),
                 st.text(min_size=MAX_SENDER_CHARS + 1, max_size=MAX_SENDER_CHARS + 50)),
       any_text)  # fmt: skip
def test_empty_or_overlong_senders_are_refused(sender: str, text: str) -> None:
    try:
        WebChannel.parse({"sender": sender, "message": text})
    except BadPayload as exc:
        assert "sender" in str(exc)
    else:
        raise AssertionError("accepted")
