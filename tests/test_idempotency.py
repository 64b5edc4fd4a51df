"""A message id is answered once: a retry gets the first answer back (pull channels) or nothing
(channels that already pushed it), and the conversation holds the message once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from bot import runtime
from bot.content import load_content
from bot.core import Core
from bot.engine.conversations import Engine
from bot.messages import IncomingMessage, OutgoingMessage
from bot.pseudonym import Pseudonymizer
from bot.settings import Settings
from tests.helpers.fakes import MemoryStore

pytestmark = pytest.mark.model


class PushSender:
    name = "telegram"

    async def send(self, address: str, messages: list[OutgoingMessage]) -> None:
        raise AssertionError("not used here")


@pytest.fixture
def core(agent: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Core:
    store = MemoryStore()
    content = load_content()
    monkeypatch.setattr(runtime, "_current", runtime.Services(settings, content, store))
    core = Core(Engine(agent), store, Pseudonymizer(b"i" * 32), content, max_chars=4000)
    core.register_sender(PushSender())
    return core


async def user_events(core: Core, channel: str, platform_id: str) -> list[Any]:
    tracker = await core.engine.agent.tracker_store.retrieve(core.person_id(channel, platform_id))
    return [e for e in tracker.events if e.type_name == "user"]


async def test_a_retried_web_message_gets_the_same_answer_and_is_stored_once(core: Core) -> None:
    sender, message_id = uuid.uuid4().hex, "web:retry-1"
    message = IncomingMessage("web", sender, "con tôi bị lừa nạp thẻ game", message_id=message_id)
    first = await core.handle(message)
    again = await core.handle(message)
    assert first and again == first
    assert [e.message_id for e in await user_events(core, "web", sender)] == [message_id]


async def test_a_redelivered_push_message_is_not_answered_twice(core: Core) -> None:
    sender, message_id = uuid.uuid4().hex, "telegram:991"
    message = IncomingMessage("telegram", sender, "em bị bắt nạt trên mạng", message_id=message_id)
    assert await core.handle(message)
    assert await core.handle(message) == []
    assert len(await user_events(core, "telegram", sender)) == 1


async def test_distinct_ids_are_distinct_messages(core: Core) -> None:
    sender = uuid.uuid4().hex
    for i in range(2):
        assert await core.handle(IncomingMessage("web", sender, "chào bạn", message_id=f"web:{i}"))
    assert len(await user_events(core, "web", sender)) == 2
