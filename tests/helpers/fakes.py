"""In-memory fakes for the seams of the bot (storage), so tests need no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from bot.storage.api import PRIORITIES, EscalationRef, TurnRecord


@dataclass
class MemoryStore:
    """Implements `bot.storage.api.StoreAPI` in memory; `fail` makes escalations raise."""

    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    turns: list[TurnRecord] = field(default_factory=list)
    escalations: list[dict[str, Any]] = field(default_factory=list)
    fail: bool = False
    seen: dict[str, datetime] = field(default_factory=dict)  # operator: last console activity
    disabled: set[str] = field(default_factory=set)  # operators whose account is disabled

    def touch_person(self, person_id: str, channel: str, sealed_address: str | None) -> None:
        person = self.people.setdefault(person_id, {"channel": channel, "address": None})
        if sealed_address:
            person["address"] = sealed_address

    def person_address(self, person_id: str) -> tuple[str, str] | None:
        person = self.people.get(person_id)
        return (person["channel"], person["address"]) if person and person["address"] else None

    def record_turn(self, turn: TurnRecord) -> None:
        self.touch_person(turn.person_id, turn.channel, turn.sealed_address)
        self.turns.append(turn)

    def open_escalation(
        self, *, person_id: str, channel: str, priority: str, reason: str, context: dict[str, Any]
    ) -> EscalationRef:
        if self.fail:
            raise RuntimeError("database is down")
        for case in self.escalations:
            if case["person_id"] == person_id and case["status"] != "resolved":
                if PRIORITIES[priority] < PRIORITIES[case["priority"]]:
                    case["priority"] = priority
                case["context"] = context
                return EscalationRef(case["id"], case["status"], created=False)
        case = {
            "id": len(self.escalations) + 1, "person_id": person_id, "channel": channel,
            "priority": priority, "reason": reason, "context": context, "status": "new",
        }  # fmt: skip
        self.escalations.append(case)
        return EscalationRef(case["id"], "new", created=True)

    def forget_person(self, person_id: str) -> dict[str, int]:
        gone = {"people": int(self.people.pop(person_id, None) is not None)}
        before = len(self.turns)
        self.turns = [t for t in self.turns if t.person_id != person_id]
        gone["turns"] = before - len(self.turns)
        for case in self.escalations:
            if case["person_id"] == person_id:
                case["person_id"], case["context"] = None, {}
        return gone

    def mark_active(self, operator: str, at: datetime) -> None:
        self.seen[operator] = max(at, self.seen.get(operator, at))

    def active_operators(self, since: datetime) -> list[str]:
        return sorted(o for o, at in self.seen.items() if at >= since and o not in self.disabled)


T = TypeVar("T")


class Clock(Generic[T]):
    """A clock the test sets: `clock.now = ...`; calling it returns the time.

    Any kind of time: an aware `datetime` for the store, seconds (`time.time`, `time.monotonic`)
    for limits, snapshots and tokens.
    """

    def __init__(self, now: T) -> None:
        self.now = now

    def __call__(self) -> T:
        return self.now


class EchoAgent:
    """A Rasa agent stand-in: stores every message; answers "echo" unless the conversation is
    paused (as Rasa does). The core holds the person's lock and calls `processor.handle_message`."""

    def __init__(self) -> None:
        from rasa.core.lock_store import InMemoryLockStore
        from rasa.core.tracker_store import InMemoryTrackerStore
        from rasa.shared.core.domain import Domain

        self.tracker_store = InMemoryTrackerStore(Domain.empty())
        self.lock_store = InMemoryLockStore()
        self.processor = self

    async def handle_message(self, message: Any) -> None:
        from rasa.shared.core.events import BotUttered, UserUttered

        tracker = await self.tracker_store.get_or_create_tracker(message.sender_id)
        intent = {"name": "ask_scam", "confidence": 1.0}
        tracker.update(UserUttered(message.text, intent, message_id=message.message_id))
        if not tracker.is_paused():
            tracker.update(BotUttered("echo"))
            await message.output_channel.send_text_message(message.sender_id, "echo")
        await self.tracker_store.save(tracker)


class RecordingSender:
    """A push channel that records (address, text) instead of sending."""

    name = "telegram"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, address: str, messages: list[Any]) -> None:
        self.sent.extend((address, m.text) for m in messages)
