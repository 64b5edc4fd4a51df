"""A stand-in for `bot.core.Core`: records what channels hand it and answers from a script."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Callable

from bot.content import load_content
from bot.core import Core
from bot.engine.conversations import Engine
from bot.messages import Button, IncomingMessage, OutgoingMessage
from bot.pseudonym import Pseudonymizer

Script = Callable[[IncomingMessage], list[OutgoingMessage]]


def echo(message: IncomingMessage) -> list[OutgoingMessage]:
    """Answer with the text seen, plus a follow-up button; "111" for anything urgent-looking."""
    if "chết" in message.text:
        return [OutgoingMessage("Gọi ngay 111 (miễn phí, 24/7).")]
    return [OutgoingMessage(f"Bạn nói: {message.text}", (Button("Thêm", "/ask_more"),))]


@dataclass
class FakeTracker:
    """Just enough of a Rasa tracker: events and slots."""

    events: list[Any] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)

    def get_slot(self, name: str) -> Any:
        return self.slots.get(name)


class FakeTrackerStore:
    """`retrieve` from a dict of pseudonym → FakeTracker."""

    def __init__(self) -> None:
        self.trackers: dict[str, FakeTracker] = {}

    async def retrieve(self, sender_id: str) -> FakeTracker | None:
        return self.trackers.get(sender_id)


class FakeCore:
    """Implements what channels use of `bot.core.Core`."""

    def __init__(self, script: Script = echo) -> None:
        self.script = script
        self.seen: list[IncomingMessage] = []
        self.senders: dict[str, Any] = {}
        self.content = load_content()
        self.engine = Engine(SimpleNamespace(tracker_store=FakeTrackerStore()))  # type: ignore[arg-type]
        self.pseudonymizer = Pseudonymizer(b"0123456789abcdef0123456789abcdef")

    def person_id(self, channel: str, platform_id: str) -> str:
        return self.pseudonymizer.pseudonym(channel, platform_id)

    def register_sender(self, sender: Any) -> None:
        self.senders[sender.name] = sender

    # what channels ask of a conversation: the real core's answers, from the fake tracker store
    audience = Core.audience
    operator_messages = Core.operator_messages

    @property
    def trackers(self) -> dict[str, FakeTracker]:
        """The fake trackers by pseudonym."""
        return self.engine.agent.tracker_store.trackers  # type: ignore[no-any-return]

    async def handle(self, message: IncomingMessage) -> list[OutgoingMessage]:
        self.seen.append(message)
        return self.script(message)
