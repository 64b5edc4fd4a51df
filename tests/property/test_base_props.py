"""Properties of bot.channels.base: split_text, JSON body decoding and `Channel.send`."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channels.base import (
    CANNED,
    MESSAGE,
    MESSAGE_ID,
    BadPayload,
    Channel,
    Event,
    parse_json,
    split_text,
    with_message_id,
)
from bot.messages import Button, IncomingMessage, OutgoingMessage
from tests.property.strategies import PROPS, any_text, chat_text, json_values

limits = st.integers(min_value=1, max_value=60)
# Text made of words, sentence ends and every kind of whitespace, where the cut rules matter.
prose = st.lists(
    st.one_of(
        st.text(alphabet="abcđờ", min_size=1, max_size=12),
        st.sampled_from([" ", "  ", "\n", ". ", "! ", "? ", "… ", "\t", "\u00a0", "\u3000"]),
    ),
    max_size=40,
).map("".join)


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


@PROPS
@given(st.one_of(prose, any_text), limits)
def test_split_text_parts_fit_and_rebuild_the_text(text: str, limit: int) -> None:
    """Parts are non-empty, within the limit, in order; only whitespace at the cuts is dropped."""
    parts = split_text(text, limit)
    assert all(0 < len(part) <= limit for part in parts)
    assert all(part == part.strip() for part in parts)
    stripped, at = text.strip(), 0
    for part in parts:
        assert stripped.startswith(part, at)
        at = _skip_space(stripped, at + len(part))
    assert at == len(stripped)


@PROPS
@given(st.one_of(prose, any_text), limits)
def test_split_text_cuts_mid_word_only_when_a_word_is_too_long(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    stripped, at = text.strip(), 0
    for part, following in zip(parts, parts[1:], strict=False):
        at += len(part)
        if at < len(stripped) and not stripped[at].isspace() and part[-1] not in ".!?…":
            assert len(part) == limit  # no space, line break or sentence end in the window
            window = stripped[at - len(part) : at]
            assert " " not in window[1:] and "\n" not in window[1:]
        at = _skip_space(stripped, at)
        assert stripped.startswith(following, at)


@PROPS
@given(st.one_of(prose, any_text), limits)
def test_text_that_fits_is_one_part(text: str, limit: int) -> None:
    if 0 < len(text.strip()) <= limit:
        assert split_text(text, limit) == [text.strip()]


@PROPS
@given(json_values)
def test_parse_json_reads_back_any_json_document(value: Any) -> None:
    for ensure_ascii in (True, False):
        assert parse_json(json.dumps(value, ensure_ascii=ensure_ascii).encode()) == value


@PROPS
@given(st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode()[:-1])))
def test_parse_json_refuses_anything_else_with_bad_payload(body: bytes) -> None:
    try:
        parse_json(body)
    except BadPayload as exc:
        assert str(exc).startswith("malformed JSON")


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b'{"a":' * 50_000,
        b"1" * 5_000,
        b'{"timestamp": ' + b"9" * 5_000 + b"}",
        b'"\\ud800"',
        b'{"sender": "\\udfff", "message": "x"}',
        b'["\\ud83d"]',
    ],
    ids=["deep-array", "deep-object", "huge-int", "huge-int-field", "lone-surrogate",
         "surrogate-field", "half-pair"],
)  # fmt: skip
def test_parse_json_refuses_documents_python_cannot_handle(body: bytes) -> None:
    """Deep nesting, integers over Python's 4,300-digit limit and lone surrogates: 400, not 500."""
    with pytest.raises(BadPayload, match="malformed JSON"):
        parse_json(body)


def test_parse_json_keeps_escaped_surrogate_pairs() -> None:
    assert parse_json(b'["\\ud83d\\ude00"]') == ["😀"]


class Recorder(Channel):
    name = "rec"

    def __init__(self, max_text: int) -> None:
        super().__init__(settings=None, core=None)  # type: ignore[arg-type]
        self.max_text = max_text  # type: ignore[misc]
        self.sent: list[tuple[str, str, tuple[Button, ...]]] = []

    def parse(self, payload: dict[str, Any]) -> Event | None:
        return None

    async def send_text(self, recipient_id: str, text: str) -> None:
        self.sent.append((recipient_id, text, ()))

    async def send_buttons(self, recipient_id: str, text: str, buttons: Any) -> None:
        self.sent.append((recipient_id, text, tuple(buttons)))


@PROPS
@given(
    st.lists(
        st.builds(
            OutgoingMessage,
            text=st.one_of(prose, chat_text),
            buttons=st.lists(
                st.builds(Button, title=st.text(max_size=8), payload=st.just("/x")), max_size=2
            ).map(tuple),  # fmt: skip
        ),
        max_size=4,
    ),
    st.integers(min_value=1, max_value=40),
)
def test_send_splits_every_message_and_keeps_buttons_on_its_last_part(
    messages: list[OutgoingMessage], limit: int
) -> None:
    channel = Recorder(limit)
    asyncio.run(channel.send("to", messages))
    assert all(to == "to" and len(text) <= limit for to, text, _ in channel.sent)
    assert [b for _, _, b in channel.sent if b] == [m.buttons for m in messages if m.buttons]
    expected = [part for m in messages for part in split_text(m.text, limit)]
    assert [t for _, t, _ in channel.sent if t] == expected


platform_ids = st.one_of(st.integers(), st.text(max_size=90), st.booleans(), st.none(), json_values)


@PROPS
@given(st.sampled_from(["web", "telegram", "zalo"]), st.sampled_from([MESSAGE, CANNED]),
       platform_ids, platform_ids)  # fmt: skip
def test_message_ids_are_safe_deterministic_and_distinct(
    channel: str, kind: str, first: Any, second: Any
) -> None:
    def tagged(platform_message_id: Any) -> str:
        message = IncomingMessage(channel, "u", "chào")
        event = with_message_id(Event(kind, message), platform_message_id)
        assert event is not None and event.message.text == "chào"
        if event.message.message_id == message.message_id:  # not usable: a fresh random id
            return ""
        assert kind == MESSAGE and MESSAGE_ID.fullmatch(event.message.message_id)
        assert event.message.message_id == f"{channel}:{platform_message_id}"
        return event.message.message_id

    a, b = tagged(first), tagged(second)
    assert tagged(first) == a  # a retry of the same delivery gets the same id
    if a and b:
        assert (a == b) == (str(first) == str(second))
    assert with_message_id(None, first) is None
