"""Properties of bot.channels.telegram's pure parts: `parse_update` and `PayloadMap`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from bot.channels.base import BUTTON, CANNED, MESSAGE
from bot.channels.telegram import CAMPAIGN, MAX_CALLBACK_BYTES, PayloadMap, parse_update
from bot.nlu.textnorm import nfc
from tests.property.strategies import PROPS, any_text, chat_text, json_values, loose, mutated

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "telegram"
RECORDED = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(FIXTURES.glob("*.json"))]
CHAT_ID = re.compile(r"-?[0-9]+")
REPLIES = {"group_chat", "media_photo", "media_other"}

chat_types = st.sampled_from(["private", "private", "group", "supergroup", "channel"])
chats = loose(st.fixed_dictionaries({"id": loose(st.integers()), "type": loose(chat_types)}))
media = st.sampled_from(["photo", "document", "sticker", "voice", "audio", "video", "animation"])
documents = st.fixed_dictionaries({}, optional={"mime_type": loose(st.text(max_size=12))})
messages = st.fixed_dictionaries(
    {"chat": chats},
    optional={
        "text": loose(chat_text),
        "document": loose(documents),
        "photo": json_values,
        "sticker": json_values,
        "location": json_values,
    },
)
callbacks = st.fixed_dictionaries(
    {"data": loose(st.text(max_size=64)), "message": loose(st.fixed_dictionaries({"chat": chats}))}
)
update_ids = st.fixed_dictionaries({}, optional={"update_id": loose(st.integers())})


def update(key: str, body: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """An update carrying `body` (or a wrong-typed value) under `key`."""
    return st.tuples(update_ids, loose(body)).map(lambda pair: {**pair[0], key: pair[1]})


recorded = st.sampled_from(RECORDED).flatmap(mutated)


def check_event(payload: dict[str, Any]) -> None:
    event = parse_update(payload)
    if event is None:
        return
    message = event.message
    assert message.channel == "telegram" and CHAT_ID.fullmatch(message.platform_id)
    assert set(message.metadata) <= {"campaign"}
    if event.kind == CANNED:
        assert event.reply in REPLIES and message.text == ""
    else:
        assert event.kind in (MESSAGE, BUTTON) and event.reply is None
        assert message.text == nfc(message.text)
    if event.kind == BUTTON:
        assert message.text


@PROPS
@given(st.one_of(update("message", messages), update("channel_post", messages)))
@example({"message": {"chat": {"id": 1, "type": "private"}, "document": "x"}})  # found: crashed
@example({"message": {"chat": {"id": True, "type": "private"}, "text": "hi"}})  # found: "True"
def test_parse_update_never_raises_on_any_message(payload: dict[str, Any]) -> None:
    check_event(payload)


@PROPS
@given(update("callback_query", callbacks))
@example({"callback_query": {"data": "/x", "message": "x"}})  # found: crashed
@example({"callback_query": {"data": "/x", "message": {"chat": [1]}}})  # found: crashed
def test_parse_update_never_raises_on_any_button_press(payload: dict[str, Any]) -> None:
    check_event(payload)


HANDLED = {"message", "callback_query"}  # `allowed_updates`; everything else is ignored
IGNORED = ["edited_message", "channel_post", "edited_channel_post", "my_chat_member",
           "chat_member", "chat_join_request", "inline_query", "poll", "poll_answer",
           "message_reaction", "business_message", "pre_checkout_query"]  # fmt: skip
other_keys = st.one_of(st.sampled_from(IGNORED), st.text(max_size=15)).filter(
    lambda key: key not in HANDLED
)


@PROPS
@given(update_ids, st.dictionaries(other_keys, st.one_of(messages, json_values), max_size=4))
@example({}, {"edited_message": {"chat": {"id": 1, "type": "private"}, "text": "muốn chết"}})
@example({}, {"channel_post": {"chat": {"id": -100, "type": "channel"}, "text": "hi"}})
def test_parse_update_ignores_unknown_updates(ids: dict[str, Any], body: dict[str, Any]) -> None:
    """An update of a kind the bot does not handle, however its body looks, reaches no one."""
    assert parse_update({**ids, **body}) is None


@PROPS
@given(recorded)
def test_parse_update_never_raises_on_mutated_recorded_updates(payload: Any) -> None:
    if isinstance(payload, dict):
        check_event(payload)


@PROPS
@given(st.integers(min_value=1, max_value=2**52), any_text)
def test_private_text_reaches_the_core_as_nfc(chat_id: int, text: str) -> None:
    event = parse_update({"message": {"chat": {"id": chat_id, "type": "private"}, "text": text}})
    assert event is not None and event.kind == MESSAGE
    assert event.message.platform_id == str(chat_id)
    if not text.strip().startswith("/start"):
        assert event.message.text == nfc(text) and event.message.metadata == {}


@PROPS
@given(st.one_of(st.from_regex(CAMPAIGN, fullmatch=True), st.text(max_size=80)), st.booleans())
def test_start_keeps_only_a_valid_campaign_code(code: str, mention: bool) -> None:
    command = "/start@dong_hanh_bot" if mention else "/start"
    chat = {"id": 5, "type": "private"}
    event = parse_update({"message": {"chat": chat, "text": f"{command} {code}"}})
    assert event is not None and event.message.text == "/start"
    valid = CAMPAIGN.fullmatch(code.strip()) is not None
    assert event.message.metadata == ({"campaign": code.strip()} if valid else {})


@PROPS
@given(st.integers(), chat_types.filter(lambda t: t != "private"), messages)
def test_group_chats_only_ever_get_the_canned_link(chat_id: int, kind: str, message: Any) -> None:
    event = parse_update({"message": {**message, "chat": {"id": chat_id, "type": kind}}})
    assert event is not None and (event.kind, event.reply) == (CANNED, "group_chat")


@PROPS
@given(st.lists(st.text(max_size=120), min_size=1, max_size=20))
def test_payload_map_round_trips_and_fits_telegram(payloads: list[str]) -> None:
    mapping = PayloadMap(capacity=len(payloads))
    encoded = [mapping.encode(p) for p in payloads]
    assert all(len(data.encode()) <= MAX_CALLBACK_BYTES for data in encoded)
    assert [mapping.decode(data) for data in encoded] == payloads
