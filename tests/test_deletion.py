"""`/xoa` is handled by the core before Rasa: paused, blocked or rate-limited, it always works."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.content import Content, load_content
from bot.core import Core
from bot.engine.conversations import Engine
from bot.limits import MemoryRateLimiter
from bot.messages import IncomingMessage, OutgoingMessage
from bot.pseudonym import Pseudonymizer
from bot.storage.store import Store
from tests.helpers.fakes import Clock, MemoryStore

SLOTS = {
    "audience": {"type": "text", "mappings": [{"type": "custom"}]},
    "pending": {"type": "text", "mappings": [{"type": "custom"}]},
}


class PausingAgent:
    """A Rasa stand-in: answers "answer", and nothing while the conversation is paused."""

    def __init__(self) -> None:
        from rasa.core.lock_store import InMemoryLockStore
        from rasa.core.tracker_store import InMemoryTrackerStore
        from rasa.shared.core.domain import Domain

        self.tracker_store = InMemoryTrackerStore(Domain.from_dict({"slots": SLOTS}))
        self.lock_store = InMemoryLockStore()
        self.processor = self
        self.handled: list[str] = []

    async def parse_message(self, text: str) -> dict[str, Any]:
        return {"text": text, "intent": {"name": "ask_scam"}, "safety": {"urgent": False}}

    async def handle_message(self, message: Any) -> None:
        from rasa.shared.core.events import BotUttered, UserUttered

        self.handled.append(message.text)
        tracker = await self.tracker_store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, {"name": "ask_scam", "confidence": 1.0},
                                   message_id=message.message_id))  # fmt: skip
        if not tracker.is_paused():
            tracker.update(BotUttered("answer"))
            await message.output_channel.send_text_message(message.sender_id, "answer")
        await self.tracker_store.save(tracker)

    async def pause(self, person: str) -> None:
        from rasa.shared.core.events import ConversationPaused

        tracker = await self.tracker_store.get_or_create_tracker(person)
        tracker.update(ConversationPaused())
        await self.tracker_store.save(tracker)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def make_core(store: Any, content: Content, **limits: Any) -> tuple[Core, PausingAgent]:
    agent = PausingAgent()
    core = Core(Engine(agent), store, Pseudonymizer(b"k" * 32), content, max_chars=4000, **limits)
    return core, agent


async def say(core: Core, text: str, who: str = "42") -> list[OutgoingMessage]:
    return await core.handle(IncomingMessage("telegram", who, text))


async def delete_all(core: Core, content: Content, who: str = "42") -> None:
    [asked] = await say(core, "/xoa", who)
    assert asked.text == content.say("delete_confirm", None)
    assert [b.payload for b in asked.buttons] == ["/affirm", "/deny"]
    [done] = await say(core, "/affirm", who)
    assert done.text == content.say("delete_done", None)


async def test_deletion_works_while_a_counsellor_holds_the_conversation(
    content: Content, tmp_path: Path
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'd.db'}")
    core, agent = make_core(store, content)
    person = core.person_id("telegram", "42")
    await say(core, "con tôi bị dọa")
    case = store.open_escalation(person_id=person, channel="telegram", priority="self_harm",
                                 reason="urgent", context={"last_messages": []}).id  # fmt: skip
    assert store.claim(case, "lan")
    await agent.pause(person)
    assert await say(core, "em vẫn ở đây") == []  # paused: Rasa is silent
    await delete_all(core, content)
    assert await agent.tracker_store.retrieve(person) is None
    held = store.case(case)
    assert held is not None and held.person_id is None and held.context == {}
    assert held.status == "claimed" and held.forgotten_at is not None  # the holder is told
    assert agent.handled == ["con tôi bị dọa", "em vẫn ở đây"]  # Rasa never saw /xoa
    store.engine.dispose()


@pytest.mark.parametrize("limit", ["blocked", "rate_limited"])
async def test_deletion_works_while_blocked_or_rate_limited(content: Content, limit: str) -> None:
    class Blocked:
        def is_blocked(self, person_id: str) -> bool:
            return True

    store = MemoryStore()
    limits: dict[str, Any] = (
        {"blocklist": Blocked()}
        if limit == "blocked"
        else {"rate_limiter": MemoryRateLimiter(1, clock=Clock(1_800_000_000.0))}
    )
    core, agent = make_core(store, content, **limits)
    await say(core, "chào")
    [refused] = await say(core, "chào nữa")
    assert refused.text == content.say(limit, None)
    await delete_all(core, content)
    assert core.person_id("telegram", "42") not in store.people


async def test_no_keeps_everything_and_a_yes_to_another_question_is_rasas(
    content: Content,
) -> None:
    store = MemoryStore()
    core, agent = make_core(store, content)
    await say(core, "chào")
    await say(core, "/xoa")
    [kept] = await say(core, "/deny")
    assert kept.text == content.say("delete_cancelled", None)
    assert core.person_id("telegram", "42") in store.people
    assert [m.text for m in await say(core, "/affirm")] == ["answer"]  # nothing pending now
    assert agent.handled == ["chào", "/affirm"]


async def test_the_question_and_the_answer_stay_in_the_transcript(content: Content) -> None:
    core, agent = make_core(MemoryStore(), content)
    await say(core, "/xoa")
    tracker = await agent.tracker_store.retrieve(core.person_id("telegram", "42"))
    texts = [getattr(e, "text", None) for e in tracker.events if e.type_name in ("user", "bot")]
    assert texts == ["/xoa", content.say("delete_confirm", None)]
    assert tracker.get_slot("pending") == "delete"
