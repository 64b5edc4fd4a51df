"""The storage contract the conversation core and the actions rely on.

`bot.storage.store.Store` implements it on SQLAlchemy (SQLite or PostgreSQL); the tests also use a
small in-memory fake. Every method commits before it returns: when `open_escalation` returns, the
case is on disk, and only then may the bot tell the person it was passed on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

# Priority order of the queue: lower is more urgent.
PRIORITIES = {"self_harm": 1, "urgent_danger": 1, "request_human": 2, "fallback": 3}


@dataclass(frozen=True)
class EscalationRef:
    """What the bot needs to know about a case it opened."""

    id: int
    status: str  # new | claimed | with_counsellor | resolved
    created: bool  # False when an open case of the same person was updated instead


@dataclass
class TurnRecord:
    """One message of a person, reduced to what the yearly report counts (no text)."""

    person_id: str
    channel: str
    intent: str | None
    audience: str | None
    urgent: bool
    at: datetime
    campaign: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    sealed_address: str | None = None  # where to push counsellor replies (push channels only)


class StoreAPI(Protocol):
    """The calls the conversation core and the actions make."""

    def touch_person(self, person_id: str, channel: str, sealed_address: str | None) -> None:
        """Create or update a person (pseudonym, channel, sealed address, last seen)."""

    def person_address(self, person_id: str) -> tuple[str, str] | None:
        """(channel, sealed address) of a person, or None."""

    def record_turn(self, turn: TurnRecord) -> None:
        """Count one message towards the person's current conversation (new after 60 min idle).

        Also touches the person, as `touch_person` does, in the same transaction.
        """

    def open_escalation(
        self, *, person_id: str, channel: str, priority: str, reason: str, context: dict[str, Any]
    ) -> EscalationRef:
        """Open a case, or raise the priority of the person's open case; committed on return."""

    def forget_person(self, person_id: str) -> dict[str, int]:
        """Delete everything kept about a person (`/xoa`); returns rows deleted per table."""

    def active_operators(self, since: datetime) -> list[str]:
        """Counsellors active in the console since `since`: who is on duty (actions/common.py)."""
