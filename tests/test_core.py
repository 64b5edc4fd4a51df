"""The conversation core's limits: rate limit and blocklist, never in the way of urgent help."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot import runtime
from bot.content import Content, load_content
from bot.core import Core
from bot.engine.conversations import Engine
from bot.limits import MemoryRateLimiter
from bot.messages import IncomingMessage, OutgoingMessage
from bot.pseudonym import Pseudonymizer
from bot.settings import Settings
from bot.storage.store import Store
from tests.helpers.fakes import Clock, MemoryStore

URGENT = "em muốn chết"


class FakeAgent:
    """Records what it parsed and handled; a message is urgent when it contains "chết"."""

    def __init__(self, *, urgent_by: str = "safety") -> None:
        from rasa.core.lock_store import InMemoryLockStore
        from rasa.core.tracker_store import InMemoryTrackerStore
        from rasa.shared.core.domain import Domain

        slots = {"audience": {"type": "text", "mappings": [{"type": "custom"}]}}
        self.tracker_store = InMemoryTrackerStore(Domain.from_dict({"slots": slots}))
        self.lock_store = InMemoryLockStore()
        self.processor = self
        self.urgent_by = urgent_by
        self.parsed: list[str] = []
        self.handled: list[str] = []

    async def parse_message(self, text: str) -> dict[str, Any]:
        self.parsed.append(text)
        urgent = "chết" in text
        if self.urgent_by == "intent":
            return {"text": text, "intent": {"name": "self_harm" if urgent else "ask_scam"}}
        return {"text": text, "intent": {"name": "ask_scam"}, "safety": {"urgent": urgent}}

    async def handle_message(self, message: Any) -> None:
        from rasa.shared.core.events import BotUttered, UserUttered

        self.handled.append(message.text)
        tracker = await self.tracker_store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, {"name": "ask_scam", "confidence": 1.0},
                                   message_id=message.message_id))  # fmt: skip
        tracker.update(BotUttered("answer"))
        await message.output_channel.send_text_message(message.sender_id, "answer")
        await self.tracker_store.save(tracker)

    async def set_audience(self, person: str, audience: str) -> None:
        from rasa.shared.core.events import SlotSet

        tracker = await self.tracker_store.get_or_create_tracker(person)
        tracker.update(SlotSet("audience", audience))
        await self.tracker_store.save(tracker)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def make_core(agent: Any, store: Any, content: Content, **limits: Any) -> Core:
    return Core(Engine(agent), store, Pseudonymizer(b"k" * 32), content, max_chars=4000, **limits)


async def say(core: Core, text: str, who: str = "42") -> list[str]:
    return [m.text for m in await core.handle(IncomingMessage("telegram", who, text))]


async def test_without_limits_nothing_is_parsed_twice(content: Content) -> None:
    agent = FakeAgent()
    core = make_core(agent, MemoryStore(), content)
    assert core.rate_limiter is None and core.blocklist is None  # MemoryStore keeps no blocklist
    for _ in range(30):
        assert await say(core, "xin chào") == ["answer"]
    assert agent.parsed == [] and len(agent.handled) == 30


@pytest.mark.parametrize("urgent_by", ["safety", "intent"])
async def test_over_the_rate_limit_only_urgent_messages_get_through(
    content: Content, urgent_by: str
) -> None:
    agent, store, clock = FakeAgent(urgent_by=urgent_by), MemoryStore(), Clock(1_800_000_000.0)
    core = make_core(agent, store, content, rate_limiter=MemoryRateLimiter(2, clock=clock))
    assert await say(core, "một") == ["answer"] and await say(core, "hai") == ["answer"]
    assert agent.parsed == []  # under the limit the NLU runs once, in the dialogue

    assert await say(core, "ba") == [content.say("rate_limited", None)]
    assert agent.parsed == ["ba"] and agent.handled == ["một", "hai"]
    assert len(store.turns) == 2  # a refused message is not stored or counted

    assert await say(core, URGENT) == ["answer"]  # never refused
    assert agent.handled[-1] == URGENT
    assert await say(core, "bốn", who="43") == ["answer"]  # someone else is not limited
    clock.now += 120
    assert await say(core, "năm") == ["answer"]


class Held:
    """A handoff stand-in: holds the given people, hears of every message."""

    def __init__(self, people: set[str]) -> None:
        self.people = people
        self.heard: list[str] = []

    def holds(self, person_id: str) -> bool:
        return person_id in self.people

    async def on_message(self, person_id: str) -> None:
        self.heard.append(person_id)


async def test_a_person_a_counsellor_holds_is_never_rate_limited(content: Content) -> None:
    """Every message of a held conversation is for the counsellor: none is refused as too fast."""
    agent, store = FakeAgent(), MemoryStore()
    person = Pseudonymizer(b"k" * 32).pseudonym("telegram", "42")
    hold = Held({person})
    core = make_core(agent, store, content, rate_limiter=MemoryRateLimiter(2),
                     hold=hold)  # fmt: skip
    for text in ("một", "hai", "ba", "bốn"):
        assert await say(core, text) == ["answer"]
    assert hold.heard == [person] * 4  # the handoff hears of every message
    assert agent.handled == ["một", "hai", "ba", "bốn"] and len(store.turns) == 4
    for text in ("một", "hai"):
        assert await say(core, text, who="43") == ["answer"]
    assert await say(core, "ba", who="43") == [content.say("rate_limited", None)]  # not held


async def test_a_refusal_speaks_in_the_persons_voice(content: Content) -> None:
    agent = FakeAgent()
    core = make_core(agent, MemoryStore(), content, rate_limiter=MemoryRateLimiter(1))
    await say(core, "một")
    await agent.set_audience(core.person_id("telegram", "42"), "child")
    [reply] = await say(core, "hai")
    assert reply == content.say("rate_limited", "child") != content.say("rate_limited", "parent")
    assert "111" in reply


async def test_commands_are_parsed_as_the_payloads_they_stand_for(content: Content) -> None:
    agent = FakeAgent()
    core = make_core(agent, MemoryStore(), content, rate_limiter=MemoryRateLimiter(0))
    await say(core, "/HELP")
    assert agent.parsed == ["/ask_hotline"]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'core.db'}")


async def test_a_blocked_person_gets_the_blocked_reply_but_urgent_still_passes(
    content: Content, store: Store
) -> None:
    agent = FakeAgent()
    core = make_core(agent, store, content)
    assert core.blocklist is store  # the real store keeps the blocklist
    person = core.person_id("telegram", "42")
    store.block(person, "sup", days=1)

    [reply] = await say(core, "chào")
    assert reply == content.say("blocked", None)
    assert "111" in reply and agent.handled == []
    assert store.person_address(person) is None  # nothing stored for a refused message
    assert await say(core, URGENT) == ["answer"]
    assert await say(core, "chào", who="43") == ["answer"]  # only that person

    store.unblock(person)
    assert await say(core, "chào") == ["answer"]


async def test_blocked_before_rate_limited(content: Content) -> None:
    class Blocked:
        def is_blocked(self, person_id: str) -> bool:
            return True

    agent, limiter = FakeAgent(), MemoryRateLimiter(1)
    core = make_core(agent, MemoryStore(), content, rate_limiter=limiter, blocklist=Blocked())
    for _ in range(3):
        assert await say(core, "chào") == [content.say("blocked", None)]
    assert limiter._buckets == {}  # a blocked person's messages do not count


@pytest.mark.model
async def test_the_real_bot_answers_an_urgent_message_over_the_limit(
    agent: Any, settings: Settings, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore()
    monkeypatch.setattr(runtime, "_current", runtime.Services(settings, content, store))
    core = make_core(agent, store, content, rate_limiter=MemoryRateLimiter(1))

    def texts(replies: list[OutgoingMessage]) -> str:
        return "\n".join(r.text for r in replies)

    first = await core.handle(IncomingMessage("web", "limits-1", "cai family link the nao"))
    assert content.say("rate_limited", None) not in texts(first)
    urgent = await core.handle(
        IncomingMessage("web", "limits-1", "e bi 1 ng la doa tung anh nong neu ko chuyen tien")
    )
    refusals = [content.say("rate_limited", voice) for voice in ("parent", "child")]
    assert "111" in texts(urgent) and not any(r in texts(urgent) for r in refusals)
    assert any(e["priority"] == "urgent_danger" for e in store.escalations)
    later = await core.handle(IncomingMessage("web", "limits-1", "cach cai screen time"))
    assert texts(later) == content.say("rate_limited", "child")  # the voice the bot inferred


async def test_deleting_ones_data_is_never_refused(content: Content) -> None:
    class Blocked:
        def is_blocked(self, person_id: str) -> bool:
            return True

    agent = FakeAgent()
    core = make_core(agent, MemoryStore(), content, blocklist=Blocked())
    assert await say(core, "chào") == [content.say("blocked", None)]
    assert await say(core, "/xoa") == [content.say("delete_confirm", None)]  # the core asks
    assert agent.handled == []  # before Rasa: tests/test_deletion.py


async def test_a_message_over_the_limit_gets_the_limit_and_reaches_nobody(content: Content) -> None:
    agent, store = FakeAgent(), MemoryStore()
    core = make_core(agent, store, content)
    replies = await say(core, "a" * 4001)
    assert replies == [content.say("blocked_too_long", None, limit="4000")]
    assert agent.handled == [] and store.turns == []
    assert await say(core, "\x00") == []  # other invalid messages get no reply
