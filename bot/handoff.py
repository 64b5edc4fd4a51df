"""Handoff to a counsellor: pause the bot for one person, relay replies, hand back, time out.

The pause lives in Rasa's tracker (`ConversationPaused` / `ConversationResumed`, written under the
same per-conversation lock Rasa takes) and the cases in our database, so both survive a restart.
While paused, `Core.handle` still runs the agent: Rasa stores the person's message and answers
nothing, and the console reads it from the tracker. A counsellor's reply is written to the tracker
as a bot message marked with the operator's username (`bot.engine.conversations.Reply`), then
pushed on the person's own channel (`Delivery.deliver` returns False for channels that cannot
push, such as the web chat, which reads the tracker instead: that is not an error).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

from bot.content import Content
from bot.delivery import Delivery
from bot.engine.conversations import Change, Engine, Pause, Reply, SetSlot
from bot.messages import OutgoingMessage
from bot.settings import ConsoleSettings, Settings
from bot.storage.models import utcnow
from bot.storage.snapshot import Snapshot
from bot.storage.store import CaseView, Store
from bot.storage.threads import off_loop

log = logging.getLogger(__name__)

SYSTEM = "system"  # the audit log's name for what the handoff does by itself
TRANSCRIPT_LIMIT = 300
HELD_TTL_SECONDS = 1.0


class HandoffError(Exception):
    """An operator action that is not allowed (not the holder, case closed, empty reply)."""


def parse_opening_hours(value: str) -> tuple[time, time] | None:
    """("HH:MM", "HH:MM") from "HH:MM-HH:MM"; None when empty (always open).

    Raises:
        ValueError: if the value is not of that form.
    """
    if not value.strip():
        return None
    start, sep, end = value.strip().partition("-")
    if not sep:
        raise ValueError(f"opening hours must look like 08:00-22:00, not {value!r}")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def is_open(console: ConsoleSettings, now: datetime) -> bool:
    """Whether counsellors are on duty at `now` (opening hours in the console's time zone).

    An empty `opening_hours` means always open; a range like "22:00-06:00" crosses midnight.
    """
    hours = parse_opening_hours(console.opening_hours)
    if hours is None:
        return True
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    local = now.astimezone(ZoneInfo(console.timezone)).time()
    start, end = hours
    if start <= end:
        return start <= local < end
    return local >= start or local < end


@dataclass(frozen=True)
class Line:
    """One line of a transcript."""

    sender: str  # "person" | "bot" | "operator" | "event"
    text: str
    at: datetime
    operator: str | None = None


def _line(event: Any) -> Line | None:
    at = datetime.fromtimestamp(event.timestamp, timezone.utc)
    kind = event.type_name
    if kind == "user" and event.text:
        return Line("person", event.text, at)
    if kind == "bot" and event.text:
        operator = (event.metadata or {}).get("operator")
        return Line("operator" if operator else "bot", event.text, at, operator)
    if kind == "pause":
        return Line("event", "paused", at)
    if kind == "resume":
        return Line("event", "resumed", at)
    return None


class Handoff:
    """The bridge between the console, the Rasa tracker and the person's channel."""

    def __init__(
        self,
        engine: Engine,
        store: Store,
        delivery: Delivery,
        content: Content,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        interval_seconds: float = 30.0,
    ) -> None:
        """Wire the handoff; fails fast on malformed opening hours.

        `delivery` pushes replies to the person's channel (the core registers the channels
        that can push in the same `Delivery`).
        """
        parse_opening_hours(settings.console.opening_hours)
        self.engine = engine
        self.store = store
        # who is held, for the check after every message (claims by other workers: within 1 s)
        self.held = Snapshot(store.held_people, ttl=HELD_TTL_SECONDS, version=lambda: store.changes)
        self.delivery = delivery
        self.content = content
        self.settings = settings
        self.clock = clock
        self.interval_seconds = interval_seconds
        self._task: asyncio.Task[None] | None = None

    # Operator actions ---------------------------------------------------------------------------
    async def claim(self, case_id: int, operator: str) -> bool:
        """Take a new case and pause the bot for that person; False if someone was faster."""
        if not await off_loop(self.store.claim, case_id, operator):
            return False
        case = await self._case(case_id)
        if case.person_id:
            await self._write(case.person_id, paused=True)
            await self._tell(case, "handoff_waiting")
        return True

    async def reply(self, case_id: int, operator: str, text: str) -> str:
        """Send a counsellor's reply; returns "sent", "stored" (channel polls) or "failed"."""
        text = text.strip()
        if not text or len(text) > self.settings.max_message_chars:
            raise HandoffError("empty or too long")
        case = await self._held(case_id, operator)
        await self._write(case.person_id or "", paused=True, text=text, operator=operator)
        await off_loop(self.store.start_counselling, case_id, operator)
        return await self._deliver(case.person_id or "", text)

    async def hand_back(self, case_id: int, operator: str) -> None:
        """Give the conversation back to the bot; the operator keeps the case until resolved."""
        case = await self._held(case_id, operator)
        await off_loop(self.store.hand_back, case_id, operator)
        await self._resume(case)

    async def resolve(
        self, case_id: int, operator: str, outcome: str, *, any_holder: bool = False
    ) -> bool:
        """Close a case with an outcome and give the conversation back to the bot."""
        case = await self._case(case_id)
        resolved = off_loop(self.store.resolve, case_id, operator, outcome, any_holder=any_holder)
        if not await resolved:
            return False
        await self._resume(case)
        return True

    # Reading ------------------------------------------------------------------------------------
    async def transcript(self, person_id: str, limit: int = TRANSCRIPT_LIMIT) -> list[Line]:
        """The person's messages, the bot's and the counsellors', oldest first."""
        tracker = await self.engine.full_tracker(person_id)
        if tracker is None:
            return []
        lines = [line for line in map(_line, tracker.events) if line is not None]
        return lines[-limit:]

    async def is_paused(self, person_id: str) -> bool:
        """Whether the bot is paused for this person."""
        return await self.engine.is_paused(person_id)

    def holds(self, person_id: str) -> bool:
        """Whether a counsellor holds this person's case (claimed, not handed back)."""
        return person_id in self.held.get()

    async def on_message(self, person_id: str) -> None:
        """Core listener: a new Rasa session clears the pause; restore it while a case is held."""
        if not self.holds(person_id):
            return
        held = await off_loop(self.store.held_case, person_id)
        if held is not None and held.handed_back_at is None and not await self.is_paused(person_id):
            await self._write(person_id, paused=True)

    # Timeouts -----------------------------------------------------------------------------------
    async def check_timeouts(self) -> int:
        """Tell each person whose case nobody claimed in time, once; returns how many were told."""
        now = self.clock()
        cutoff = now - timedelta(minutes=self.settings.console.claim_timeout_minutes)
        told = 0
        for case in await off_loop(self.store.due_for_timeout, cutoff):
            if not await off_loop(self.store.mark_timeout_notified, case.id):
                continue  # another process got there first
            await off_loop(self.store.audit, SYSTEM, "timeout", case.id)
            if is_open(self.settings.console, case.created_at):  # else it heard "handoff_closed"
                await self._tell(case, "handoff_timeout")
                told += 1
        return told

    def start(self) -> None:
        """Start the background timeout check (call from the running event loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        """Stop the background check."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await self.check_timeouts()
            except Exception:  # noqa: BLE001 - keep checking; the next round may succeed
                log.exception("timeout check failed")
            await asyncio.sleep(self.interval_seconds)

    # Helpers ------------------------------------------------------------------------------------
    async def _case(self, case_id: int) -> CaseView:
        case = await off_loop(self.store.case, case_id)
        if case is None:
            raise HandoffError("no such case")
        return case

    async def _held(self, case_id: int, operator: str) -> CaseView:
        case = await self._case(case_id)
        if not case.held_by(operator) or not case.person_id:
            raise HandoffError("you do not hold this case")
        return case

    async def _resume(self, case: CaseView) -> None:
        if case.person_id and await self.is_paused(case.person_id):
            await self._write(case.person_id, paused=False, waiting=False)
            await self._tell(case, "handoff_resumed")
        elif case.person_id:
            await self._write(case.person_id, waiting=False)  # resolved before anyone claimed it

    async def _tell(self, case: CaseView, key: str) -> None:
        person = case.person_id or ""
        audience = await self.engine.audience(person) or case.audience
        text = self.content.say(key, audience)
        await self._write(person, text=text, notice=key)
        await self._deliver(person, text)

    async def _write(
        self,
        person_id: str,
        *,
        paused: bool | None = None,
        text: str | None = None,
        operator: str | None = None,
        notice: str | None = None,
        waiting: bool | None = None,
    ) -> None:
        """Write to the person's tracker under their lock.

        A counsellor's reply carries `operator`; a message of the bot's own outside a turn (a
        timeout, "handed back") carries `notice`, so channels that cannot push show it on their
        next poll or message (`Core.notices`).
        """
        changes: list[Change] = []
        if text is not None:
            metadata = {"operator": operator} if operator else {"notice": notice} if notice else {}
            changes.append(Reply(text, metadata=metadata))
        if waiting is not None:
            changes.append(SetSlot("waiting", waiting))
        if paused is not None:
            changes.append(Pause(paused))
        await self.engine.write(person_id, *changes)

    async def _deliver(self, person_id: str, text: str) -> str:
        from bot.channels.zalo_quota import ReplyRefused

        try:
            pushed = await self.delivery.deliver(person_id, [OutgoingMessage(text)])
        except ReplyRefused:  # Zalo: no free reply left until the person writes again
            log.info("a reply to %s was not sent: no free reply left", person_id)
            return "refused"
        except Exception:  # noqa: BLE001 - the reply is in the transcript; say it did not leave
            log.exception("could not deliver to %s", person_id)
            return "failed"
        return "sent" if pushed else "stored"
