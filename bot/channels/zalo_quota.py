"""How many replies a Zalo person may still get, and how a turn's messages fit into them.

Zalo counts customer-service messages per person: free ones within 48 hours of the person's last
interaction (8 per interaction in the OA help centre's rule; Zalo's documentation says that since
1 Jan 2026 they are unlimited within 48 h: `ZALO_FREE_REPLIES=0`), and none at all once the
person has not interacted for 7 days (error -230). Each send answers with a `quota` object
(`quota_type` "reply" with `remain`/`total` while the free replies last; another type once a
message is charged to a package), which is read here when present.

The bot therefore merges its split messages into as few sends as fit (2,000 characters each),
never spends the last free reply on anything but the help card ("111 and how to reach us", from
content/ui.yml), and refuses a counsellor's reply that no free reply is left for.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from bot.channels.base import split_text
from bot.messages import Button, OutgoingMessage
from bot.storage.zalo_state import Reach, ZaloState

MAX_BUTTONS = 5
REPLY_QUOTA = "reply"  # Zalo's `quota_type` of a free reply; any other type was charged


class ReplyRefused(RuntimeError):
    """No free reply is left for this person (until they write again), or Zalo refuses them."""


@dataclass(frozen=True)
class Plan:
    """What to send now; `complete` is False when some of the messages had to be left out."""

    sends: tuple[OutgoingMessage, ...]
    complete: bool


class ReplyBudget:
    """The free replies of one person's window (`free` 0: no limit, only the window)."""

    def __init__(self, free: int, window_hours: int) -> None:
        """`free` replies per interaction, within `window_hours` of it."""
        self.free = max(free, 0)
        self.window = timedelta(hours=window_hours)

    def left(self, reach: Reach | None, now: datetime) -> int | None:
        """Free replies left (None: no limit); 0 outside the window or when Zalo refuses them."""
        if reach is None:  # nothing recorded (a person from before this table): count from now
            return self.free or None
        if reach.unreachable:
            return 0
        if reach.window_start is not None and now - reach.window_start > self.window:
            return 0
        if not self.free:
            return None
        left = self.free - reach.sent
        if reach.remain is not None:
            left = min(left, reach.remain)
        return max(left, 0)

    def plan(self, messages: list[OutgoingMessage], left: int | None, help_card: str,
             limit: int) -> Plan:  # fmt: skip
        """The sends for `messages` when `left` free replies remain (the last kept for 111).

        Text-only messages are joined to the next one; if that is still more sends than may be
        spent, neighbours are merged (their buttons together, at most 5); if still more, the
        last free reply carries the help card instead of the rest.
        """
        sends = pack(messages, limit)
        if left is None:
            return Plan(tuple(sends), True)
        spend = left - 1  # the last free reply is kept for the help card
        if len(sends) > spend:
            sends = squeeze(sends, spend, limit)
        if len(sends) <= spend:
            return Plan(tuple(sends), True)
        if left <= 0:
            return Plan((), not sends)
        return Plan((*sends[: max(spend, 0)], OutgoingMessage(help_card)), False)


def pack(messages: list[OutgoingMessage], limit: int) -> list[OutgoingMessage]:
    """Join each text-only message to the next; split what is longer than `limit`."""
    sends: list[OutgoingMessage] = []
    pending = ""
    for message in messages:
        pending = _join(pending, message.text)
        if message.buttons:
            sends += _split(pending, message.buttons, limit)
            pending = ""
    return sends + _split(pending, (), limit)


def squeeze(sends: list[OutgoingMessage], target: int, limit: int) -> list[OutgoingMessage]:
    """Merge neighbouring sends (buttons of both, earlier first, at most 5) towards `target`."""
    merged = list(sends)
    i = 0
    while len(merged) > max(target, 1) and i < len(merged) - 1:
        first, second = merged[i], merged[i + 1]
        text = _join(first.text, second.text)
        if len(text) <= limit:
            merged[i : i + 2] = [OutgoingMessage(text, _buttons(first.buttons + second.buttons))]
        else:
            i += 1
    return merged


def remain_of(data: dict[str, Any]) -> int | None:
    """Free replies left after a send, from Zalo's `quota` (None when Zalo gave no count).

    A message charged to a package (`quota_type` other than "reply") means no free reply is left.
    """
    quota = data.get("quota")
    if not isinstance(quota, dict):
        return None
    if quota.get("quota_type") not in (None, REPLY_QUOTA):
        return 0
    remain = quota.get("remain")
    if isinstance(remain, bool) or not isinstance(remain, (int, str)):
        return None
    return int(remain) if str(remain).isascii() and str(remain).isdigit() else None


def _join(first: str, second: str) -> str:
    return f"{first}\n\n{second}" if first and second else first or second


def _split(text: str, buttons: tuple[Button, ...], limit: int) -> list[OutgoingMessage]:
    parts = split_text(text, limit) or ([""] if buttons else [])
    if not parts:
        return []
    *head, last = parts
    return [OutgoingMessage(part) for part in head] + [OutgoingMessage(last, _buttons(buttons))]


def _buttons(buttons: tuple[Button, ...]) -> tuple[Button, ...]:
    seen: dict[str, Button] = {}
    for button in buttons:
        seen.setdefault(button.payload, button)
    return tuple(seen.values())[:MAX_BUTTONS]


class ReachBook(Protocol):
    """Where each person's reach is kept: the database (`ZaloState`) or memory."""

    def reach(self, person_id: str) -> Reach | None:
        """The person's window and counts."""

    def interaction(self, person_id: str, at: datetime) -> None:
        """The person wrote."""

    def count_sent(self, person_id: str, remain: int | None) -> None:
        """One more message went out."""

    def unreachable(self, person_id: str, code: int, at: datetime) -> None:
        """Zalo refused to deliver to the person."""


class MemoryReach:
    """`ReachBook` in this process (no database: tests, a one-off process)."""

    def __init__(self) -> None:
        """Empty."""
        self.people: dict[str, Reach] = {}

    def reach(self, person_id: str) -> Reach | None:
        """The person's window and counts."""
        return self.people.get(person_id)

    def interaction(self, person_id: str, at: datetime) -> None:
        """A new window, nothing sent in it, reachable again."""
        self.people[person_id] = Reach(window_start=at)

    def count_sent(self, person_id: str, remain: int | None) -> None:
        """One more message went out (`remain`: Zalo's count after it)."""
        known = self.people.get(person_id) or Reach()
        left = remain if remain is not None else (
            known.remain - 1 if known.remain is not None else None)  # fmt: skip
        self.people[person_id] = replace(known, sent=known.sent + 1, remain=left)

    def unreachable(self, person_id: str, code: int, at: datetime) -> None:
        """Zalo refused to deliver to the person."""
        known = self.people.get(person_id) or Reach()
        self.people[person_id] = replace(known, unreachable_at=at, unreachable_code=code)


def reach_book_for(core: Any) -> ReachBook:
    """The database when the core has a SQL store, else memory."""
    engine = getattr(getattr(core, "store", None), "engine", None)
    return ZaloState(engine) if engine is not None else MemoryReach()


def utc(seconds: float) -> datetime:
    """Unix seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, timezone.utc)
