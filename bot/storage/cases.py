"""Cases and their notes: opening, the queue, claiming, handing back, resolving, flood groups.

State changes of a case are single conditional UPDATEs (`... WHERE status = 'new'`), so two
operators claiming at once cannot both win, on SQLite or on PostgreSQL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bot.limits import CASE_ORIGIN, CaseOrigin
from bot.storage.api import PRIORITIES, EscalationRef
from bot.storage.base import StoreBase, StoreError, deleted
from bot.storage.models import HELD_STATUSES, OPEN_STATUSES, OUTCOMES, CaseNote, Escalation
from bot.storage.people import PeopleMixin

log = logging.getLogger(__name__)

FLOOD = "flood"  # the priority of a case that groups a flood of new cases from one source
FLOOD_RANK = 2  # after every single urgent case, with the requests for a person
URGENT_RANK = 1  # PRIORITIES of self_harm and urgent_danger
FLOOD_WINDOW = timedelta(minutes=1)
EVERYWHERE = "*"  # the source of the group of non-urgent cases over the global limit


@dataclass(frozen=True)
class CaseView:
    """One escalation as the console and the handoff see it."""

    id: int
    person_id: str | None
    channel: str
    priority: str
    rank: int
    reason: str
    topic: str | None
    audience: str | None
    context: dict[str, Any]
    status: str
    outcome: str | None
    claimed_by: str | None
    created_at: datetime
    claimed_at: datetime | None
    handed_back_at: datetime | None
    resolved_at: datetime | None
    timeout_notified_at: datetime | None
    forgotten_at: datetime | None = None  # the person deleted their data while it was open
    source: str | None = None
    group_id: int | None = None  # the flood group this case waits in

    @classmethod
    def of(cls, row: Escalation) -> "CaseView":
        """Copy a row (so it can be used after its session closed)."""
        values = {f.name: getattr(row, f.name) for f in fields(cls)}
        values["context"] = dict(row.context or {})
        return cls(**values)

    def waited(self, now: datetime) -> timedelta:
        """How long the person waited (until claimed, or until now)."""
        return (self.claimed_at or now) - self.created_at

    def held_by(self, operator: str) -> bool:
        """Whether `operator` holds this case now."""
        return self.status in HELD_STATUSES and self.claimed_by == operator

    @property
    def is_group(self) -> bool:
        """Whether this is the case that groups a flood of new cases from one source."""
        return self.priority == FLOOD


class CasesMixin(PeopleMixin, StoreBase):
    """The case lifecycle and case notes (a case is opened for a person: `PeopleMixin`)."""

    def open_escalation(
        self, *, person_id: str, channel: str, priority: str, reason: str, context: dict[str, Any]
    ) -> EscalationRef:
        """Open a case, or raise the priority of the person's open case; committed on return."""
        if priority not in PRIORITIES:
            raise StoreError(f"unknown priority {priority!r}")
        origin = CASE_ORIGIN.get()  # where the message came from (`bot.limits`), if known
        with self.session() as s:
            self._person(s, person_id, channel)
            case = s.execute(
                select(Escalation)
                .where(Escalation.person_id == person_id, Escalation.status.in_(OPEN_STATUSES))
                .order_by(Escalation.id.desc())
                .limit(1)
                .with_for_update()
            ).scalar_one_or_none()
            if case is not None:
                if PRIORITIES[priority] < case.rank:
                    case.priority, case.rank = priority, PRIORITIES[priority]
                case.context = context
                return EscalationRef(case.id, case.status, created=False)
            case = Escalation(
                person_id=person_id,
                channel=channel,
                priority=priority,
                rank=PRIORITIES[priority],
                reason=reason[:200],
                topic=_short(context.get("topic")),
                audience=_short(context.get("audience")),
                province=self._province(s, person_id),
                context=context,
                status="new",
                created_at=self.clock(),
                source=origin.source if origin is not None else None,
            )
            s.add(case)
            s.flush()
            if origin is not None:
                self._group_flood(s, case, origin)
            log.info("escalation %s opened for %s (%s)", case.id, person_id, priority)
            return EscalationRef(case.id, "new", created=True)

    def _group_flood(self, s: Session, case: Escalation, origin: CaseOrigin) -> None:
        """Put a new case over its source's (or, if not urgent, everyone's) limit into a group.

        Over `origin.per_source` new cases in a minute from one source, that source's new cases
        of the last minute (this one included) wait in one case for a supervisor (priority
        `flood`, after every single urgent case) instead of filling the queue; a real child
        writing from elsewhere stays at the top. Over `origin.total` new non-urgent cases in a
        minute from everywhere, further non-urgent ones are grouped the same way. Every grouped
        case is kept whole: a supervisor sees them on the group's page and can claim any.
        """
        since = case.created_at - FLOOD_WINDOW
        recent = [Escalation.created_at >= since, Escalation.priority != FLOOD]
        if origin.source is not None and origin.per_source > 0:
            count = s.execute(select(func.count()).select_from(Escalation).where(
                Escalation.source == origin.source, *recent)).scalar_one()  # fmt: skip
            if count > origin.per_source:
                group = self._group_of(s, case, origin.source)
                waiting = [Escalation.source == origin.source, Escalation.status == "new",
                           Escalation.group_id.is_(None), *recent]  # fmt: skip
                grouped = update(Escalation).where(*waiting).values(group_id=group.id)
                deleted(s, grouped)  # (moved, not deleted: same bulk UPDATE)
                self._count_members(s, group)
                return
        if origin.total > 0 and case.rank > URGENT_RANK:
            count = s.execute(select(func.count()).select_from(Escalation).where(
                Escalation.group_id.is_(None), Escalation.rank > URGENT_RANK, *recent,
            )).scalar_one()  # fmt: skip
            if count > origin.total:
                group = self._group_of(s, case, EVERYWHERE)
                case.group_id = group.id
                s.flush()
                self._count_members(s, group)

    def _group_of(self, s: Session, case: Escalation, source: str) -> Escalation:
        """The open group case of `source`, or a new one."""
        group = s.execute(
            select(Escalation)
            .where(Escalation.priority == FLOOD, Escalation.source == source,
                   Escalation.status.in_(OPEN_STATUSES))
            .order_by(Escalation.id.desc()).limit(1).with_for_update()
        ).scalar_one_or_none()  # fmt: skip
        if group is None:
            group = Escalation(
                person_id=None, channel=case.channel, priority=FLOOD, rank=FLOOD_RANK,
                reason="flood", context={"members": 0}, status="new",
                created_at=case.created_at, source=source,
            )  # fmt: skip
            s.add(group)
            s.flush()
            log.warning("a flood of new cases from one source: grouped in case %s", group.id)
        return group

    @staticmethod
    def _count_members(s: Session, group: Escalation) -> None:
        members = s.execute(select(func.count()).select_from(Escalation)
                            .where(Escalation.group_id == group.id)).scalar_one()  # fmt: skip
        group.context = {"members": int(members)}

    def queue(self) -> list[CaseView]:
        """Open cases, most urgent first, then longest waiting.

        New cases of a flood group wait in their group's case (`group_members`).
        """
        with self.session() as s:
            rows = s.execute(
                select(Escalation)
                .where(
                    Escalation.status.in_(OPEN_STATUSES),
                    or_(Escalation.group_id.is_(None), Escalation.status != "new"),
                )
                .order_by(Escalation.rank, Escalation.created_at, Escalation.id)
            ).scalars()
            return [CaseView.of(row) for row in rows]

    def held_people(self) -> frozenset[str]:
        """Everyone whose open case a counsellor has claimed and not handed back."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(Escalation.person_id).where(
                    Escalation.status.in_(OPEN_STATUSES), Escalation.claimed_by.is_not(None),
                    Escalation.handed_back_at.is_(None), Escalation.person_id.is_not(None),
                )
            )  # fmt: skip
            return frozenset(person_id for (person_id,) in rows)

    def held_case(self, person_id: str) -> CaseView | None:
        """The person's open case a counsellor has claimed (the most urgent first), or None."""
        with self.session() as s:
            row = s.execute(
                select(Escalation)
                .where(Escalation.person_id == person_id, Escalation.status.in_(OPEN_STATUSES),
                       Escalation.claimed_by.is_not(None))
                .order_by(Escalation.rank, Escalation.created_at, Escalation.id)
                .limit(1)
            ).scalar_one_or_none()  # fmt: skip
            return CaseView.of(row) if row is not None else None

    def group_members(self, group_id: int) -> list[CaseView]:
        """The cases grouped in a flood group's case, most urgent first, then oldest."""
        with self.session() as s:
            rows = s.execute(
                select(Escalation)
                .where(Escalation.group_id == group_id)
                .order_by(Escalation.rank, Escalation.created_at, Escalation.id)
            ).scalars()
            return [CaseView.of(row) for row in rows]

    def case(self, case_id: int) -> CaseView | None:
        """One case, or None."""
        with self.session() as s:
            row = s.get(Escalation, case_id)
            return CaseView.of(row) if row is not None else None

    def claim(self, case_id: int, operator: str) -> bool:
        """Take a new case; exactly one of several simultaneous claims returns True."""
        return self._transition(
            case_id,
            [Escalation.status == "new"],
            status="claimed",
            claimed_by=operator,
            claimed_at=self.clock(),
            handed_back_at=None,
        )

    def start_counselling(self, case_id: int, operator: str) -> bool:
        """Mark that the holder wrote to the person (claimed → with_counsellor)."""
        return self._transition(
            case_id, self._held(operator), status="with_counsellor", handed_back_at=None
        )

    def hand_back(self, case_id: int, operator: str) -> bool:
        """Note that the holder gave the conversation back to the bot (the case stays theirs)."""
        return self._transition(case_id, self._held(operator), handed_back_at=self.clock())

    def resolve(
        self, case_id: int, operator: str, outcome: str, *, any_holder: bool = False
    ) -> bool:
        """Close a case with an outcome; only its holder may, unless `any_holder` (supervisors)."""
        if outcome not in OUTCOMES:
            raise StoreError(f"unknown outcome {outcome!r}")
        where = [Escalation.status.in_(OPEN_STATUSES)] if any_holder else self._held(operator)
        done = self._transition(
            case_id, where, status="resolved", outcome=outcome, resolved_at=self.clock()
        )
        if done:  # a flood group's cases nobody claimed are closed with it
            with self.engine.begin() as connection:
                connection.execute(
                    update(Escalation)
                    .where(Escalation.group_id == case_id, Escalation.status == "new")
                    .values(status="resolved", outcome=outcome, resolved_at=self.clock())
                )
        return done

    def due_for_timeout(self, cutoff: datetime) -> list[CaseView]:
        """New cases opened before `cutoff` whose person was not yet told nobody is free."""
        with self.session() as s:
            rows = s.execute(
                select(Escalation)
                .where(
                    Escalation.status == "new",
                    Escalation.created_at <= cutoff,
                    Escalation.timeout_notified_at.is_(None),
                    Escalation.person_id.is_not(None),
                )
                .order_by(Escalation.id)
            ).scalars()
            return [CaseView.of(row) for row in rows]

    def mark_timeout_notified(self, case_id: int) -> bool:
        """Record that the person was told; True only for the first caller."""
        return self._transition(
            case_id, [Escalation.timeout_notified_at.is_(None)], timeout_notified_at=self.clock()
        )

    def add_note(self, case_id: int, author: str, text: str) -> bool:
        """Add a note to an existing case; False if there is no such case."""
        with self.session() as s:
            if s.get(Escalation, case_id) is None:
                return False
            s.add(
                CaseNote(escalation_id=case_id, author=author, text=text, created_at=self.clock())
            )
            return True

    def notes(self, case_id: int) -> list[tuple[datetime, str, str]]:
        """(time, author, text) of a case's notes, oldest first."""
        with self.session() as s:
            rows = s.execute(
                select(CaseNote)
                .where(CaseNote.escalation_id == case_id)
                .order_by(CaseNote.created_at, CaseNote.id)
            ).scalars()
            return [(n.created_at, n.author, n.text) for n in rows]

    @staticmethod
    def _held(operator: str) -> list[Any]:
        return [Escalation.status.in_(HELD_STATUSES), Escalation.claimed_by == operator]

    def _transition(self, case_id: int, where: list[Any], **values: Any) -> bool:
        with self.engine.begin() as connection:
            result = connection.execute(
                update(Escalation).where(Escalation.id == case_id, *where).values(**values)
            )
            changed = result.rowcount == 1
        self.changes += 1
        return changed


def _short(value: Any) -> str | None:
    return str(value)[:64] if value else None
