"""Properties of bot.channels.zalo's pure parts: signatures, `parse_event`, replay memory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from bot.channels.base import CANNED, MESSAGE, BadPayload
from bot.channels.zalo import (
    HANDLERS,
    MEDIA_EVENTS,
    RecentIds,
    _timestamp,
    parse_event,
    signature,
    verify_signature,
)
from bot.channels.zalo_quota import MAX_BUTTONS, ReplyBudget, remain_of
from bot.messages import Button, OutgoingMessage
from bot.nlu.textnorm import nfc
from tests.property.strategies import PROPS, any_text, chat_text, json_values, loose, mutated

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "zalo"
RECORDED = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(FIXTURES.glob("*.json"))]

secrets_ = st.text(min_size=1, max_size=40)
app_ids = st.from_regex(r"[0-9]{1,20}", fullmatch=True)
timestamps = st.integers(min_value=0, max_value=10**16).map(str)
bodies = st.one_of(
    st.binary(max_size=300), json_values.map(lambda v: json.dumps(v, ensure_ascii=False).encode())
)
users = st.fixed_dictionaries({"id": loose(st.one_of(st.text(max_size=20), st.integers()))})
events = st.fixed_dictionaries(
    {"event_name": loose(st.sampled_from(sorted(HANDLERS) + ["user_send_link", "oa_send_text"]))},
    optional={
        "sender": loose(users),
        "follower": loose(users),
        "message": loose(
            st.fixed_dictionaries(
                {}, optional={"text": loose(chat_text), "msg_id": loose(st.text(max_size=20))}
            )
        ),
        "timestamp": loose(timestamps),
    },
)


@PROPS
@given(app_ids, bodies, timestamps, secrets_, st.sampled_from(["mac=", "MAC=", "", " mac="]))
def test_a_valid_signature_verifies(
    app_id: str, body: bytes, timestamp: str, secret: str, prefix: str
) -> None:
    mac = signature(app_id, body, timestamp, secret)
    assert len(mac) == 64 and mac == mac.lower()
    for header in (prefix + mac, prefix + mac.upper() + " "):
        assert verify_signature(header, app_id, body, timestamp, secret)


def _change(data: st.DataObject, value: bytes) -> bytes:
    at = data.draw(st.integers(min_value=0, max_value=max(len(value) - 1, 0)), label="at")
    if not value:
        return bytes([data.draw(st.integers(0, 255), label="byte")])
    new = data.draw(st.integers(0, 255).filter(lambda b: b != value[at]), label="byte")
    return value[:at] + bytes([new]) + value[at + 1 :]


@PROPS
@given(app_ids, bodies, timestamps, secrets_, st.data())
def test_any_changed_byte_of_the_body_fails(
    app_id: str, body: bytes, timestamp: str, secret: str, data: st.DataObject
) -> None:
    header = "mac=" + signature(app_id, body, timestamp, secret)
    assert not verify_signature(header, app_id, _change(data, body), timestamp, secret)


@PROPS
@given(app_ids, bodies, timestamps, secrets_, st.data())
def test_any_changed_character_of_the_timestamp_fails(
    app_id: str, body: bytes, timestamp: str, secret: str, data: st.DataObject
) -> None:
    header = "mac=" + signature(app_id, body, timestamp, secret)
    changed = _change(data, timestamp.encode()).decode("latin-1")
    assert not verify_signature(header, app_id, body, changed, secret)


@PROPS
@given(app_ids, bodies, timestamps, secrets_, st.data())
def test_any_changed_character_of_the_mac_fails(
    app_id: str, body: bytes, timestamp: str, secret: str, data: st.DataObject
) -> None:
    mac = signature(app_id, body, timestamp, secret).encode()
    changed = _change(data, mac).decode("latin-1")
    assume(changed.lower() != mac.decode())  # hex is case-insensitive: "A" and "a" are one digit
    assert not verify_signature("mac=" + changed, app_id, body, timestamp, secret)
    assert not verify_signature("mac=" + mac.decode()[:-1], app_id, body, timestamp, secret)


@PROPS
@given(app_ids, bodies, timestamps, secrets_, secrets_)
def test_another_secret_fails(
    app_id: str, body: bytes, timestamp: str, secret: str, other: str
) -> None:
    assume(secret != other)
    header = "mac=" + signature(app_id, body, timestamp, other)
    assert not verify_signature(header, app_id, body, timestamp, secret)


@PROPS
@given(st.text(max_size=100), bodies, timestamps)
def test_any_header_is_checked_without_raising(header: str, body: bytes, timestamp: str) -> None:
    assert verify_signature(header, "1", body, timestamp, "k") is (
        header.strip().lower().removeprefix("mac=") == signature("1", body, timestamp, "k")
    )


def check_event(payload: dict[str, Any]) -> None:
    event = parse_event(payload)
    if event is None:
        return
    message = event.message
    assert message.channel == "zalo" and message.platform_id
    if event.kind == CANNED:
        assert event.reply in set(MEDIA_EVENTS.values()) and message.text == ""
    else:
        assert event.kind == MESSAGE and message.text == nfc(message.text)


@PROPS
@given(events)
@example({"event_name": "user_send_text", "sender": {"id": 7}, "message": {"text": " a\u0301 "}})
def test_parse_event_never_raises_on_any_event(payload: dict[str, Any]) -> None:
    check_event(payload)


@PROPS
@given(st.sampled_from(RECORDED).flatmap(mutated))
def test_parse_event_never_raises_on_mutated_recorded_events(payload: Any) -> None:
    if isinstance(payload, dict):
        check_event(payload)


@PROPS
@given(st.text(min_size=1, max_size=20), any_text)
def test_text_events_reach_the_core_as_nfc(user: str, text: str) -> None:
    payload = {"event_name": "user_send_text", "sender": {"id": user}, "message": {"text": text}}
    event = parse_event(payload)
    assert event is not None and event.kind == MESSAGE
    assert (event.message.platform_id, event.message.text) == (user, nfc(text))


@PROPS
@given(loose(timestamps))
@example(True)
@example("١٢٣")
@example("9" * 5_000)
def test_timestamp_is_digits_or_refused(value: Any) -> None:
    payload = {"timestamp": value}
    try:
        found = _timestamp(payload)
    except BadPayload:
        assert not (isinstance(value, str) and value.isascii() and value.isdigit()
                    and len(value) <= 18) or isinstance(value, bool)  # fmt: skip
        return
    assert found.isascii() and found.isdigit() and int(found) >= 0


@PROPS
@given(st.lists(st.tuples(st.text(max_size=3), st.floats(0, 100)), max_size=40))
def test_recent_ids_report_each_id_once_within_the_ttl(calls: list[tuple[str, float]]) -> None:
    recent, now = RecentIds(capacity=1_000, ttl=50.0), 0.0
    last_new: dict[str, float] = {}
    for key, step in calls:
        now += step
        fresh = recent.add(key, now)
        expected = key not in last_new or last_new[key] < now - 50.0
        assert fresh == expected
        if fresh:
            last_new[key] = now


@pytest.mark.parametrize("capacity", [1, 2, 5])
def test_recent_ids_stay_within_capacity(capacity: int) -> None:
    recent = RecentIds(capacity=capacity, ttl=1e9)
    for i in range(20):
        assert recent.add(str(i), float(i))
        assert len(recent._seen) <= capacity


# The reply budget (bot.channels.zalo_quota): what a plan may send ---------------------------------
LIMIT = 2000
HELP = "Gọi 111 (miễn phí, 24/7). Muốn gặp người thật, gõ: gặp tư vấn viên"
words = st.text(alphabet=st.sampled_from("aăbcđ xyz.\n"), min_size=0, max_size=2600)
plan_buttons = st.lists(st.builds(Button, title=st.sampled_from(["Có", "Không", "Gọi 111"]),
                                  payload=st.from_regex(r"/[a-z]{1,8}", fullmatch=True)),
                        max_size=7).map(tuple)  # fmt: skip
outgoing = st.lists(st.builds(OutgoingMessage, text=words, buttons=plan_buttons), max_size=8)


def _letters(texts: list[str]) -> str:
    return "".join("".join(texts).split())


@PROPS
@given(outgoing, st.one_of(st.none(), st.integers(min_value=-1, max_value=9)),
       st.integers(min_value=0, max_value=12))  # fmt: skip
def test_a_plan_never_spends_what_is_not_left_and_keeps_the_last_for_111(
    messages: list[OutgoingMessage], left: int | None, free: int
) -> None:
    plan = ReplyBudget(free, 48).plan(messages, left, HELP, LIMIT)
    assert all(len(m.text) <= LIMIT and len(m.buttons) <= MAX_BUTTONS for m in plan.sends)
    if left is None:
        assert plan.complete
    elif plan.complete:
        assert len(plan.sends) <= max(left - 1, 0)  # the last free reply stays unspent
    else:
        assert len(plan.sends) == max(left, 0)  # every free reply used, the last for the card
        assert left <= 0 or plan.sends[-1].text == HELP
    if plan.complete:  # nothing said was lost: every letter of every message, in order
        assert _letters([m.text for m in plan.sends]) == _letters([m.text for m in messages])


@PROPS
@given(st.one_of(st.none(), st.dictionaries(st.sampled_from(["quota_type", "remain", "total"]),
                                            json_values)))  # fmt: skip
@example({"quota_type": "reply", "remain": "7", "total": "8"})
@example({"quota_type": "sub_quota"})
def test_zalos_quota_answer_is_read_or_ignored_never_raises(quota: Any) -> None:
    remain = remain_of({"quota": quota})
    assert remain is None or remain >= 0
    if isinstance(quota, dict) and quota.get("quota_type") not in (None, "reply"):
        assert remain == 0
