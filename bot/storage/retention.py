"""The retention job (`donghanh purge`): what is older than the retention period goes.

- **Rasa tracker events** (the messages, in Rasa's `events` table of the same database) older than
  the cutoff are deleted. For a person still active, the events of their current Rasa session are
  kept whole (Rasa counts them to append new events; slots and a counsellor's pause live there),
  so only older sessions go.
- **Conversations** (our per-conversation counts, no text) older than the cutoff are unlinked from
  their person: the yearly report still counts them, nothing points to anyone.
- **Cases** resolved before the cutoff keep only anonymous statistics: the person, the context
  packet (which holds the last messages), the reason, the source and the notes are wiped
  (notes by the case's age, also on cases no longer linked to a person); priority, topic,
  audience, channel, province, outcome and times stay. Open cases are never touched, and neither
  is anything of their person, until they are resolved.
- **People** not seen since the cutoff and with nothing left pointing to them are deleted, with
  their sealed address. **Expired blocks** are deleted.

Every step works in batches of short transactions, so the bot can keep serving while it runs.
A message that arrives for a person while their old events are deleted can, at worst, write those
events back; the next run deletes them again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import and_, column, delete, exists, func, inspect, null, select, table, update
from sqlalchemy.engine import Connection, Engine

from bot.storage.models import (
    OPEN_STATUSES,
    BlockedPerson,
    CaseNote,
    Conversation,
    Escalation,
    Person,
)

BATCH = 500
SENDERS_PER_BATCH = 100
EVENTS = table("events", column("id"), column("sender_id"), column("type_name"),
               column("timestamp"))  # fmt: skip
SESSION_STARTED = "session_started"

# table: (verb, verb in a dry run), in the order the job runs and prints them
ACTIONS = {
    "events": ("deleted", "would be deleted"),
    "conversations": ("unlinked from their person", "would be unlinked from their person"),
    "escalations": ("anonymised", "would be anonymised"),
    "case_notes": ("deleted", "would be deleted"),
    "people": ("deleted", "would be deleted"),
    "blocked_people": ("deleted (expired)", "would be deleted (expired)"),
}


@dataclass
class PurgeReport:
    """What a run removed (or, in a dry run, would remove), per table."""

    cutoff: datetime
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    open_cases_kept: int = 0

    def lines(self) -> list[str]:
        """The report `donghanh purge` prints."""
        head = "Dry run, nothing changed. " if self.dry_run else ""
        out = [f"{head}Cutoff: {self.cutoff:%Y-%m-%d %H:%M} UTC"]
        out += [
            f"{name:<15} {self.counts.get(name, 0):>8}  {verbs[self.dry_run]}"
            for name, verbs in ACTIONS.items()
        ]
        if self.open_cases_kept:
            out.append(
                f"{self.open_cases_kept} open case(s) older than the cutoff: kept, with their "
                "person's data, until resolved."
            )
        return out


def purge(
    engine: Engine, *, now: datetime, days: int, dry_run: bool = False, batch: int = BATCH
) -> PurgeReport:
    """Remove what is older than `days` days before `now` (see the module docstring).

    Args:
        engine: the application database (our tables and Rasa's `events`).
        now: the current time (aware UTC).
        days: the retention period (`DONGHANH_RETENTION_DAYS`).
        dry_run: only count.
        batch: rows per transaction.
    """
    if days < 1:
        raise ValueError("the retention period must be at least one day")
    job = _Job(engine, now - timedelta(days=days), now, dry_run, batch)
    report = PurgeReport(job.cutoff, dry_run)
    report.counts["events"] = job.tracker_events()
    report.counts["conversations"] = job.conversations()
    report.counts["case_notes"], report.counts["escalations"] = job.escalations()
    report.counts["people"] = job.people()
    report.counts["blocked_people"] = job.expired_blocks()
    report.open_cases_kept = job.open_cases_kept()
    return report


@dataclass
class _Job:
    engine: Engine
    cutoff: datetime
    now: datetime
    dry_run: bool
    batch: int

    # Our tables ---------------------------------------------------------------------------------
    def conversations(self) -> int:
        where = [Conversation.person_id.is_not(None), Conversation.last_message_at < self.cutoff]
        return self._batched(
            Conversation.id,
            where,
            lambda c, ids: _rows(
                c,
                update(Conversation).where(Conversation.id.in_(ids), *where).values(person_id=None),
            ),
        )

    def escalations(self) -> tuple[int, int]:
        """Anonymise resolved cases older than the cutoff; returns (notes deleted, cases).

        Notes go by the case's age, whether or not the case still points to a person: a note
        written after the person deleted their data (`/xoa`), or on a flood group's case (which
        has no person), is purged like any other.
        """
        where = [Escalation.person_id.is_not(None), self._anonymisable()]
        old_cases = select(Escalation.id).where(self._anonymisable())
        note_where = [CaseNote.escalation_id.in_(old_cases)]
        if self.dry_run:
            cases = self._count(Escalation.id, where)
            return self._count(CaseNote.id, note_where), cases
        cases = self._batched(
            Escalation.id,
            where,
            lambda c, ids: _rows(
                c,
                update(Escalation)
                .where(Escalation.id.in_(ids), *where)
                .values(person_id=None, context=null(), reason="", source=None),
            ),
        )
        notes = self._batched(
            CaseNote.id,
            note_where,
            lambda c, ids: _rows(c, delete(CaseNote).where(CaseNote.id.in_(ids))),
        )
        sourced = [Escalation.source.is_not(None), self._anonymisable()]  # flood groups too
        self._batched(
            Escalation.id,
            sourced,
            lambda c, ids: _rows(
                c, update(Escalation).where(Escalation.id.in_(ids), *sourced).values(source=None)
            ),
        )
        return notes, cases

    def people(self) -> int:
        """Delete people not seen since the cutoff whom nothing points to any more.

        A dry run changed nothing before this step, so it counts the people whom nothing would
        point to once the earlier steps had run.
        """
        conversations = exists().where(Conversation.person_id == Person.id)
        cases = exists().where(Escalation.person_id == Person.id)
        if self.dry_run:
            conversations = conversations.where(Conversation.last_message_at >= self.cutoff)
            cases = cases.where(~self._anonymisable())
        where = [Person.last_seen < self.cutoff, ~conversations, ~cases]
        return self._batched(
            Person.id,
            where,
            lambda c, ids: _rows(c, delete(Person).where(Person.id.in_(ids), *where)),
        )

    def expired_blocks(self) -> int:
        where = [BlockedPerson.expires_at <= self.now]
        return self._batched(
            BlockedPerson.person_id,
            where,
            lambda c, ids: _rows(
                c, delete(BlockedPerson).where(BlockedPerson.person_id.in_(ids), *where)
            ),
        )

    def _anonymisable(self) -> Any:
        """Cases resolved before the cutoff (open cases are never touched)."""
        return and_(
            Escalation.status == "resolved",
            func.coalesce(Escalation.resolved_at, Escalation.created_at) < self.cutoff,
        )

    def open_cases_kept(self) -> int:
        return self._count(
            Escalation.id,
            [Escalation.status.in_(OPEN_STATUSES), Escalation.created_at < self.cutoff],
        )

    # Rasa's tracker events ---------------------------------------------------------------------
    def tracker_events(self) -> int:
        """Delete old events: all of inactive senders, older sessions of active ones."""
        if not inspect(self.engine).has_table("events"):
            return 0
        cutoff = self.cutoff.timestamp()
        with self.engine.connect() as c:
            held = set(c.execute(
                select(Escalation.person_id).where(Escalation.status.in_(OPEN_STATUSES))
            ).scalars())  # fmt: skip
            senders = c.execute(
                select(EVENTS.c.sender_id, func.max(EVENTS.c.timestamp))
                .group_by(EVENTS.c.sender_id)
                .having(func.min(EVENTS.c.timestamp) < cutoff)
            ).all()
        inactive = [s for s, last in senders if last < cutoff and s not in held]
        active = [s for s, last in senders if last >= cutoff and s not in held]
        total = 0
        for i in range(0, len(inactive), SENDERS_PER_BATCH):
            chunk = inactive[i : i + SENDERS_PER_BATCH]
            total += self._delete_events([EVENTS.c.sender_id.in_(chunk)], cutoff)
        for sender in active:
            start = self._session_start(sender)
            if start is not None:
                total += self._delete_events([EVENTS.c.sender_id == sender], min(cutoff, start))
        return total

    def _session_start(self, sender: str) -> float | None:
        with self.engine.connect() as c:
            return c.execute(
                select(func.max(EVENTS.c.timestamp)).where(
                    EVENTS.c.sender_id == sender, EVENTS.c.type_name == SESSION_STARTED
                )
            ).scalar()

    def _delete_events(self, where: list[Any], before: float) -> int:
        where = [*where, EVENTS.c.timestamp < before]
        return self._batched(
            EVENTS.c.id,
            where,
            lambda c, ids: _rows(c, delete(EVENTS).where(EVENTS.c.id.in_(ids), *where)),
        )

    # Helpers -----------------------------------------------------------------------------------
    def _count(self, key: Any, where: list[Any]) -> int:
        with self.engine.connect() as c:
            return int(c.execute(select(func.count(key)).where(and_(*where))).scalar_one())

    def _batched(
        self, key: Any, where: list[Any], apply: Callable[[Connection, list[Any]], int]
    ) -> int:
        """Apply a change to the rows matching `where`, `batch` rows per transaction."""
        if self.dry_run:
            return self._count(key, where)
        total = 0
        while True:
            with self.engine.begin() as c:
                ids = list(c.execute(select(key).where(*where).limit(self.batch)).scalars())
                done = apply(c, ids) if ids else 0
            total += done
            if done == 0:  # nothing left (or everything left changed under us)
                return total


def _rows(connection: Connection, statement: Any) -> int:
    return int(connection.execute(statement).rowcount or 0)
