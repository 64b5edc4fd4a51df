"""Properties of bot.messages: construction normalises any input, REST and numbered shapes hold."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.messages import Button, IncomingMessage, OutgoingMessage
from bot.nlu.textnorm import nfc
from tests.property.strategies import PROPS, any_text, is_nfc

buttons = st.lists(st.builds(Button, title=any_text, payload=st.text(max_size=40)), max_size=5)


@PROPS
@given(st.sampled_from(["web", "telegram", "zalo"]), st.one_of(any_text, st.integers()), any_text)
def test_incoming_text_is_nfc_stripped_and_stable(
    channel: str, platform_id: object, text: str
) -> None:
    message = IncomingMessage(channel, platform_id, text)  # type: ignore[arg-type]
    assert message.text == nfc(text) and is_nfc(message.text)
    assert message.text == message.text.strip()
    assert message.platform_id == str(platform_id)
    again = IncomingMessage(channel, message.platform_id, message.text)
    assert (again.text, again.platform_id) == (message.text, message.platform_id)
    assert again.message_id != message.message_id and len(message.message_id) == 32


@pytest.mark.parametrize("text", [None, ""])
def test_incoming_without_text_is_empty(text: str | None) -> None:
    first, second = IncomingMessage("web", "u", text), IncomingMessage("web", "u", text)  # type: ignore[arg-type]
    assert first.text == "" and first.metadata == {}
    first.metadata["x"] = 1
    assert second.metadata == {}  # never a shared default


@PROPS
@given(any_text, buttons, st.text(max_size=20))
def test_outgoing_shapes(text: str, choices: list[Button], recipient: str) -> None:
    message = OutgoingMessage(text, tuple(choices))
    numbered = message.as_numbered_text()
    lines = [text] + [f"{i}. {b.title}" for i, b in enumerate(choices, start=1)]
    assert numbered == "\n".join(line for line in lines if line)
    rest = message.to_rest(recipient)
    assert rest["recipient_id"] == recipient and rest["text"] == text
    expected = [{"title": b.title, "payload": b.payload} for b in choices]
    assert rest.get("buttons", []) == expected
    assert ("buttons" in rest) == bool(choices)


@PROPS
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "text": st.one_of(st.none(), any_text),
            "buttons": st.one_of(
                st.none(),
                st.lists(
                    st.fixed_dictionaries(
                        {}, optional={"title": any_text, "payload": st.text(max_size=30)}
                    ),
                    max_size=4,
                ),
            ),
            "image": st.text(max_size=10),
        },
    )
)
def test_from_rasa_reads_any_collected_message(collected: dict[str, Any]) -> None:
    message = OutgoingMessage.from_rasa(collected)
    assert message.text == (collected.get("text") or "")
    raw = collected.get("buttons") or []
    expected = [(b.get("title", ""), b.get("payload", "")) for b in raw]
    assert [(b.title, b.payload) for b in message.buttons] == expected
