"""Handoff: claim pauses the bot, replies are relayed and marked, hand back and resolve resume it.

Most tests use a small fake agent (Rasa's InMemoryTrackerStore and InMemoryLockStore, and a
`handle_message` that stores the message and answers only when not paused, as Rasa's processor
does); one test (`-m model`) checks the same against the real trained agent.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from bot.content import Content, load_content
from bot.core import Core
from bot.delivery import Delivery
from bot.engine.conversations import Engine
from bot.handoff import Handoff, HandoffError, is_open, parse_opening_hours
from bot.messages import IncomingMessage, OutgoingMessage
from bot.pseudonym import Pseudonymizer
from bot.settings import Settings
from bot.storage.store import Store
from tests.helpers.fakes import Clock, EchoAgent, RecordingSender

T0 = datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)  # 10:00 in Hà Nội


@pytest.fixture
def content() -> Content:
    return load_content()


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Store:
    opened = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    opened.clock = clock
    return opened


def build(
    agent: Any,
    store: Store,
    content: Content,
    settings: Settings,
    clock: Clock,
    sender: RecordingSender | None = None,
) -> tuple[Core, Handoff]:
    engine, pseudonymizer = Engine(agent), Pseudonymizer(b"k" * 32)
    delivery = Delivery(store, pseudonymizer)
    handoff = Handoff(engine, store, delivery, content, settings, clock=clock)
    core = Core(engine, store, pseudonymizer, content, max_chars=4000, delivery=delivery,
                hold=handoff)  # fmt: skip
    if sender is not None:
        core.register_sender(sender)
    return core, handoff


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def wired(
    store: Store, content: Content, settings: Settings, clock: Clock, sender: RecordingSender
) -> tuple[EchoAgent, Core, Handoff]:
    agent = EchoAgent()
    core, handoff = build(agent, store, content, settings, clock, sender)
    return agent, core, handoff


async def say(
    core: Core, text: str, platform_id: str = "42", channel: str = "telegram"
) -> list[str]:
    return [m.text for m in await core.handle(IncomingMessage(channel, platform_id, text))]


def open_case(
    store: Store, person: str, priority: str = "urgent_danger", channel: str = "telegram"
) -> int:
    return store.open_escalation(
        person_id=person,
        channel=channel,
        priority=priority,
        reason="r",
        context={"topic": priority},
    ).id


async def test_claim_pause_relay_hand_back(
    wired: tuple[EchoAgent, Core, Handoff], store: Store, content: Content, sender: RecordingSender
) -> None:
    agent, core, handoff = wired
    assert await say(core, "cứu em") == ["echo"]
    person = core.person_id("telegram", "42")
    case_id = open_case(store, person)

    assert await handoff.claim(case_id, "lan")
    assert not await handoff.claim(case_id, "minh")
    assert await handoff.is_paused(person)
    assert sender.sent == [("42", content.say("handoff_waiting", None))]

    assert await say(core, "em đang sợ lắm") == []  # stored, not answered
    assert await handoff.reply(case_id, "lan", "Chào em, chị là Lan.") == "sent"
    assert sender.sent[-1] == ("42", "Chào em, chị là Lan.")
    case = store.case(case_id)
    assert case is not None and case.status == "with_counsellor"

    with pytest.raises(HandoffError):
        await handoff.reply(case_id, "minh", "xin chào")  # not the holder
    with pytest.raises(HandoffError):
        await handoff.reply(case_id, "lan", "   ")
    with pytest.raises(HandoffError):
        await handoff.reply(case_id, "lan", "x" * 4001)

    lines = await handoff.transcript(person)
    assert [(line.sender, line.text) for line in lines if line.sender != "bot"] == [
        ("person", "cứu em"),
        ("event", "paused"),
        ("person", "em đang sợ lắm"),
        ("operator", "Chào em, chị là Lan."),
    ]
    assert [line.operator for line in lines if line.sender == "operator"] == ["lan"]

    await handoff.hand_back(case_id, "lan")
    assert not await handoff.is_paused(person)
    assert sender.sent[-1] == ("42", content.say("handoff_resumed", None))
    assert await say(core, "cảm ơn") == ["echo"]
    assert await handoff.resolve(case_id, "lan", "advised")
    assert len(sender.sent) == 3  # already handed back: no second "resumed" message


async def test_resolve_resumes_the_bot(
    wired: tuple[EchoAgent, Core, Handoff], store: Store
) -> None:
    _, core, handoff = wired
    await say(core, "xin chào")
    person = core.person_id("telegram", "42")
    case_id = open_case(store, person)
    await handoff.claim(case_id, "lan")
    assert not await handoff.resolve(case_id, "minh", "advised")  # not the holder
    assert await handoff.is_paused(person)
    assert await handoff.resolve(case_id, "lan", "referred_111")
    assert not await handoff.is_paused(person)
    assert await say(core, "còn đó không") == ["echo"]
    with pytest.raises(HandoffError):
        await handoff.reply(case_id, "lan", "muộn rồi")


async def test_a_channel_that_cannot_push_is_not_an_error(
    wired: tuple[EchoAgent, Core, Handoff], store: Store
) -> None:
    _, core, handoff = wired
    await say(core, "chào", platform_id="browser-1", channel="web")
    person = core.person_id("web", "browser-1")
    case_id = open_case(store, person, channel="web")
    await handoff.claim(case_id, "lan")
    assert await handoff.reply(case_id, "lan", "Chào bạn") == "stored"
    assert (await handoff.transcript(person))[-1].text == "Chào bạn"  # the web chat reads this


async def test_a_failing_channel_is_reported(
    wired: tuple[EchoAgent, Core, Handoff], store: Store, sender: RecordingSender
) -> None:
    _, core, handoff = wired
    await say(core, "chào")
    case_id = open_case(store, core.person_id("telegram", "42"))
    await handoff.claim(case_id, "lan")

    async def broken(address: str, messages: list[OutgoingMessage]) -> None:
        raise ConnectionError("down")

    sender.send = broken  # type: ignore[method-assign]
    assert await handoff.reply(case_id, "lan", "Chào em") == "failed"


async def test_timeout_is_told_once(
    wired: tuple[EchoAgent, Core, Handoff],
    store: Store,
    clock: Clock,
    sender: RecordingSender,
    content: Content,
) -> None:
    _, core, handoff = wired
    await say(core, "chào", platform_id="1")
    await say(core, "chào", platform_id="2")
    late = open_case(store, core.person_id("telegram", "1"))
    claimed = open_case(store, core.person_id("telegram", "2"))
    await handoff.claim(claimed, "lan")
    sender.sent.clear()
    clock.now = T0 + timedelta(minutes=9)
    assert await handoff.check_timeouts() == 0
    clock.now = T0 + timedelta(minutes=10)
    assert await handoff.check_timeouts() == 1
    assert await handoff.check_timeouts() == 0
    assert sender.sent == [("1", content.say("handoff_timeout", None))]
    assert "111" in sender.sent[0][1]
    assert [e.action for e in store.audit_entries(case_id=late)] == ["timeout"]


async def test_a_timeout_reaches_the_web_chat_and_rest_with_the_next_message_and_the_poll(
    wired: tuple[EchoAgent, Core, Handoff], store: Store, clock: Clock, content: Content
) -> None:
    """Channels that cannot be pushed to get the notice with their next reply, and on a poll."""
    from bot.channels.web import WebChannel

    _, core, handoff = wired
    await say(core, "tôi muốn gặp tư vấn viên", platform_id="w1", channel="web")
    open_case(store, core.person_id("web", "w1"), priority="request_human", channel="web")
    clock.now = T0 + timedelta(minutes=10)
    assert await handoff.check_timeouts() == 1
    notice = content.say("handoff_timeout", None)
    polled = await WebChannel(handoff.settings, core).operator_messages("w1", 0.0)
    assert [(m["text"], m["notice"]) for m in polled] == [(notice, True)]
    replies = await core.handle(IncomingMessage("web", "w1", "có ai không"))
    assert replies[0].text == notice and replies[0].notice_at == polled[0]["timestamp"]
    assert replies[0].to_rest("w1")["notice_at"] == polled[0]["timestamp"]
    again = await say(core, "vẫn chưa có ai à", platform_id="w1", channel="web")
    assert notice not in again  # once with a reply


async def test_no_timeout_message_for_a_case_opened_while_closed(
    store: Store, content: Content, settings: Settings, clock: Clock, sender: RecordingSender
) -> None:
    closed = replace(settings, console=replace(settings.console, opening_hours="08:00-17:00"))
    agent = EchoAgent()
    core, handoff = build(agent, store, content, closed, clock, sender)
    clock.now = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)  # 22:00 in Hà Nội
    await say(core, "chào")
    open_case(store, core.person_id("telegram", "42"))
    sender.sent.clear()
    clock.now += timedelta(minutes=30)
    assert await handoff.check_timeouts() == 0
    assert sender.sent == []


async def test_background_task_starts_and_stops(
    wired: tuple[EchoAgent, Core, Handoff], store: Store, clock: Clock, sender: RecordingSender
) -> None:
    _, core, handoff = wired
    handoff.interval_seconds = 0.01
    await say(core, "chào")
    open_case(store, core.person_id("telegram", "42"))
    clock.now = T0 + timedelta(hours=1)
    sender.sent.clear()
    handoff.start()
    for _ in range(100):
        if sender.sent:
            break
        await asyncio.sleep(0.01)
    await handoff.stop()
    assert len(sender.sent) == 1


async def test_state_survives_a_restart(
    tmp_path: Path, content: Content, settings: Settings, clock: Clock
) -> None:
    """A new process: a new Store on the same database, the same tracker store, a new Handoff."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    agent = EchoAgent()
    core, handoff = build(agent, Store.open(url), content, settings, clock)
    await say(core, "chào")
    person = core.person_id("telegram", "42")
    case_id = open_case(handoff.store, person)
    await handoff.claim(case_id, "lan")
    handoff.store.engine.dispose()

    store2 = Store.open(url)
    core2, handoff2 = build(agent, store2, content, settings, clock)
    assert await handoff2.is_paused(person)
    assert await say(core2, "còn ai không") == []
    assert await handoff2.reply(case_id, "lan", "Chị vẫn ở đây") == "stored"


async def test_on_message_restores_a_pause_lost_with_a_new_session(
    wired: tuple[EchoAgent, Core, Handoff], store: Store
) -> None:
    from rasa.shared.core.events import SessionStarted

    agent, core, handoff = wired
    await say(core, "chào")
    person = core.person_id("telegram", "42")
    case_id = open_case(store, person)
    await handoff.claim(case_id, "lan")
    tracker = await agent.tracker_store.retrieve(person)
    tracker.update(SessionStarted())  # Rasa starts a new session after 60 idle minutes
    await agent.tracker_store.save(tracker)
    assert not await handoff.is_paused(person)
    await handoff.on_message(person)
    assert await handoff.is_paused(person)


@pytest.mark.parametrize(
    ("hours", "local", "expected"),
    [
        ("", "03:00", True),
        ("08:00-17:00", "07:59", False),
        ("08:00-17:00", "08:00", True),
        ("08:00-17:00", "16:59", True),
        ("08:00-17:00", "17:00", False),
        ("22:00-06:00", "23:30", True),
        ("22:00-06:00", "05:59", True),
        ("22:00-06:00", "12:00", False),
    ],
)
def test_is_open(settings: Settings, hours: str, local: str, expected: bool) -> None:
    console = replace(settings.console, opening_hours=hours, timezone="Asia/Ho_Chi_Minh")
    hh, mm = map(int, local.split(":"))
    now = datetime(2026, 3, 2, hh, mm, tzinfo=timezone(timedelta(hours=7)))
    assert is_open(console, now.astimezone(timezone.utc)) is expected


@pytest.mark.parametrize("bad", ["8h-17h", "08:00", "25:00-26:00"])
def test_malformed_opening_hours_fail_fast(
    bad: str, settings: Settings, store: Store, content: Content
) -> None:
    with pytest.raises(ValueError):
        parse_opening_hours(bad)
    broken = replace(settings, console=replace(settings.console, opening_hours=bad))
    with pytest.raises(ValueError):
        Handoff(
            Engine(EchoAgent()), store, Delivery(store, Pseudonymizer(b"k" * 32)), content, broken
        )


@pytest.mark.model
async def test_with_the_real_agent(
    agent: Any, store: Store, content: Content, settings: Settings, clock: Clock
) -> None:
    """Rasa itself stores the paused person's message and predicts nothing."""
    sender = RecordingSender()
    core, handoff = build(agent, store, content, settings, clock, sender)
    first = await say(core, "xin chào", platform_id="real-1")
    assert first  # the bot answers before the handoff
    person = core.person_id("telegram", "real-1")
    case_id = open_case(store, person, "request_human")
    assert await handoff.claim(case_id, "lan")
    assert await say(core, "con tôi bị bắt nạt trên mạng", platform_id="real-1") == []
    assert await handoff.reply(case_id, "lan", "Chào anh/chị") == "sent"
    texts = [(line.sender, line.text) for line in await handoff.transcript(person)]
    assert ("person", "con tôi bị bắt nạt trên mạng") in texts
    assert texts[-1] == ("operator", "Chào anh/chị")
    await handoff.hand_back(case_id, "lan")
    assert await say(core, "con tôi bị bắt nạt trên mạng", platform_id="real-1")


async def test_served_bot_lets_a_held_persons_messages_through_the_rate_limit(
    store: Store, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `donghanh run` wires it: while a counsellor holds the case, nothing is refused."""
    from bot import bootstrap, runtime

    monkeypatch.setattr(runtime, "_current", runtime._current)  # restored after the test
    limited = replace(settings, data_dir=tmp_path, rate_limit_per_minute=2, redis_url="")

    class Agent(EchoAgent):
        async def parse_message(self, text: str) -> dict[str, Any]:  # a refusal looks for urgency
            return {"text": text, "intent": {"name": "ask_scam"}}

    bot = bootstrap.build(limited, agent=Agent(), store=store)
    assert bot.handoff is not None
    for text in ("một", "hai"):
        assert await say(bot.core, text) == ["echo"]
    assert await say(bot.core, "ba") == [bot.content.say("rate_limited", None)]
    case_id = open_case(store, bot.core.person_id("telegram", "42"))
    assert await bot.handoff.claim(case_id, "lan")
    for text in ("em sợ", "chị ơi", "em ở nhà một mình"):
        assert await say(bot.core, text) == []  # for the counsellor: stored, the bot stays silent
    lines = await bot.handoff.transcript(bot.core.person_id("telegram", "42"))
    assert [line.text for line in lines if line.sender == "person"][-3:] == [
        "em sợ", "chị ơi", "em ở nhà một mình"]  # fmt: skip


async def test_a_reply_zalo_refuses_for_want_of_free_replies_is_said_so(
    wired: tuple[EchoAgent, Core, Handoff], store: Store, sender: RecordingSender
) -> None:
    """The counsellor learns why the reply did not leave, not just "failed, try again"."""
    from bot.channels.zalo_quota import ReplyRefused

    _, core, handoff = wired
    await say(core, "cứu em")
    case_id = open_case(store, core.person_id("telegram", "42"))
    assert await handoff.claim(case_id, "lan")

    async def refuse(address: str, messages: list[Any]) -> None:
        raise ReplyRefused("no free reply left")

    sender.send = refuse  # type: ignore[method-assign]
    assert await handoff.reply(case_id, "lan", "Chị đây, em ổn không?") == "refused"
    lines = await handoff.transcript(core.person_id("telegram", "42"))
    assert lines[-1].text == "Chị đây, em ổn không?"  # kept in the transcript all the same
