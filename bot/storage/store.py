"""The application database: `StoreAPI` for the core and the actions, plus what the console needs.

`Store.open(url)` creates the engine (and the SQLite folder) and brings the schema to the latest
Alembic revision. Every method opens its own short transaction and commits before it returns.
State changes of a case are single conditional UPDATEs (`... WHERE status = 'new'`), so two
operators claiming at once cannot both win, on SQLite or on PostgreSQL.
"""

from __future__ import annotations

import logging
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterator

from sqlalchemy import (
    Boolean,
    Integer,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from bot.limits import CASE_ORIGIN, CaseOrigin
from bot.storage.api import PRIORITIES, EscalationRef, TurnRecord
from bot.storage.blocklist import BlocklistMixin
from bot.storage.models import (
    HELD_STATUSES,
    OPEN_STATUSES,
    OUTCOMES,
    ROLES,
    AuditEntry,
    BlockedPerson,
    CaseNote,
    Conversation,
    ConversationTopic,
    Escalation,
    Operator,
    Person,
    UTCDateTime,
    utcnow,
)
from bot.storage.zalo_state import ChainStatus, ZaloState
from bot.storage.zalo_state import Reach as ZaloReachView

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
IDLE = timedelta(minutes=60)  # a new conversation starts after this much silence
CHECKPOINT_TRIES = 20
ACTIVE_EVERY = timedelta(minutes=1)  # `mark_active` writes at most this often per operator
NOT_TOPICS = frozenset(
    {
        "greet",
        "goodbye",
        "thank",
        "affirm",
        "deny",
        "bot_challenge",
        "out_of_scope",
        "nlu_fallback",
        "ask_capabilities",
    }
)
CODE = re.compile(r"^[A-Za-z0-9_.-]{1,16}$")
FLOOD = "flood"  # the priority of a case that groups a flood of new cases from one source
FLOOD_RANK = 2  # after every single urgent case, with the requests for a person
URGENT_RANK = 1  # PRIORITIES of self_harm and urgent_danger
FLOOD_WINDOW = timedelta(minutes=1)
EVERYWHERE = "*"  # the source of the group of non-urgent cases over the global limit

# The statements of `Store.record_turn` (plain SQL that SQLite and PostgreSQL both run).
TOUCH_PERSON = sql_text(
    "INSERT INTO people (id, channel, sealed_address, first_seen, last_seen)"
    " VALUES (:id, :channel, :sealed, :now, :now)"
    " ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen,"
    " sealed_address = COALESCE(excluded.sealed_address, people.sealed_address)"
).bindparams(bindparam("now", type_=UTCDateTime))
LATEST_CONVERSATION = sql_text(
    "SELECT id, last_message_at FROM conversations WHERE person_id = :person"
    " ORDER BY last_message_at DESC LIMIT 1"
).columns(id=Integer, last_message_at=UTCDateTime)
COUNT_MESSAGE = sql_text(
    "UPDATE conversations SET last_message_at = :at, message_count = message_count + 1,"
    " urgent = (urgent OR :urgent), audience = COALESCE(:audience, audience),"
    # the first campaign and province codes seen in a conversation stay
    " campaign = COALESCE(campaign, :campaign), province = COALESCE(province, :province)"
    " WHERE id = :id"
).bindparams(bindparam("at", type_=UTCDateTime), bindparam("urgent", type_=Boolean))
ADD_TOPIC = sql_text(
    "INSERT INTO conversation_topics (conversation_id, topic) VALUES (:conversation, :topic)"
    " ON CONFLICT DO NOTHING"
)


class StoreError(ValueError):
    """A request the store refuses (unknown priority, outcome or role)."""


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


@dataclass(frozen=True)
class OperatorView:
    """An operator account without its password hash."""

    username: str
    role: str
    active: bool
    failed_logins: int
    locked_until: datetime | None
    last_login_at: datetime | None
    session_version: int = 0


def _operator_view(row: Operator) -> OperatorView:
    return OperatorView(
        row.username,
        row.role,
        row.active,
        row.failed_logins,
        row.locked_until,
        row.last_login_at,
        row.session_version,
    )


MIGRATION_LOCK = 0x444F4E47  # "DONG": the PostgreSQL advisory lock held while migrating


def _code(value: Any) -> str | None:
    """A campaign or province code if it is a short plain token, else None."""
    return value if isinstance(value, str) and CODE.match(value) else None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # Write-ahead log (kept in the file): a commit writes and syncs one log file instead of a
    # journal and the database, ~0.3 ms instead of 1.4 ms here, and readers no longer wait for
    # a writer. synchronous stays FULL unless make_engine is told otherwise.
    cursor.execute("PRAGMA journal_mode=WAL")
    # Deleted rows are overwritten with zeros, so `/xoa` and the retention job leave no text in
    # free pages of the file (costs only when deleting).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _sqlite_synchronous_normal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(database_url: str, *, sync_every_commit: bool = True) -> Engine:
    """An engine for `database_url`; creates the folder of a SQLite file.

    On SQLite, `sync_every_commit=False` lets commits skip the disk sync (WAL, synchronous
    NORMAL): a commit still survives the process being killed, but the last ones before a power
    cut or an operating-system crash may be lost. Rasa's conversation events and the counts of
    each message (`Store.record_turn`) use it; cases, accounts, notes, the audit log and the
    blocklist always sync. The log is written in order, so a synced commit also makes every
    earlier one durable. PostgreSQL is not affected.

    Statement parameters are never put in errors or logs (`hide_parameters`): they hold what
    people wrote (a case's context packet, Rasa's events).
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, future=True, pool_pre_ping=True, hide_parameters=True)
    options: dict[str, Any] = {}
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # SQLAlchemy 1.4 opens and closes a new connection for every transaction on a SQLite file
        # (NullPool); closing the last one also checkpoints the write-ahead log. A pool keeps
        # them open: a turn's bookkeeping went from ~8 ms to ~1 ms here.
        options = {"poolclass": QueuePool, "pool_size": 5, "max_overflow": 10}
    connect = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(url, future=True, hide_parameters=True, connect_args=connect, **options)
    event.listen(engine, "connect", _sqlite_pragmas)
    if not sync_every_commit:
        event.listen(engine, "connect", _sqlite_synchronous_normal)
    return engine


def migrate(engine: Engine, revision: str = "head", *, down: bool = False) -> None:
    """Run Alembic on `engine` (upgrade to `revision`, or downgrade to it)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":  # workers starting together migrate one by one
            lock = sql_text("SELECT pg_advisory_xact_lock(:key)")
            connection.execute(lock, {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


class Store(BlocklistMixin):
    """`bot.storage.api.StoreAPI` on SQLAlchemy: case lifecycle, operator accounts, blocklist."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], datetime] = utcnow,
        turn_engine: Engine | None = None,
    ) -> None:
        """`turn_engine`: the same database for `record_turn` (default: `engine`)."""
        self.engine = engine
        self.turn_engine = turn_engine or engine
        self.clock = clock
        self.changes = 0  # see BlocklistMixin.changes
        self._marked: dict[str, datetime] = {}  # `mark_active`: last write per operator

    @classmethod
    def open(cls, database_url: str) -> "Store":
        """Connect and bring the schema up to date."""
        engine = make_engine(database_url)
        migrate(engine)
        url = make_url(database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            # the counts of every message commit without a disk sync (`record_turn`)
            return cls(engine, turn_engine=make_engine(database_url, sync_every_commit=False))
        return cls(engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with Session(self.engine, future=True, expire_on_commit=False) as session, session.begin():
            yield session

    # StoreAPI ----------------------------------------------------------------------------------
    def touch_person(self, person_id: str, channel: str, sealed_address: str | None) -> None:
        """Create or update a person (pseudonym, channel, sealed address, last seen)."""
        with self.session() as s:
            person = self._person(s, person_id, channel)
            person.last_seen = self.clock()
            if sealed_address:
                person.sealed_address = sealed_address

    def person_address(self, person_id: str) -> tuple[str, str] | None:
        """(channel, sealed address) of a person, or None."""
        with self.session() as s:
            person = s.get(Person, person_id)
            if person is None or not person.sealed_address:
                return None
            return person.channel, person.sealed_address

    def record_turn(self, turn: TurnRecord) -> None:
        """Count one message towards the person's conversation (a new one after 60 min idle).

        The person is touched in the same transaction (last seen, sealed address). This runs
        after every message: one short transaction of statements written once (building
        SQLAlchemy expressions cost more than running them), on SQLite without a disk sync of
        its own (see `make_engine`): the next case or account change syncs it with everything
        before it.
        """
        now = self.clock()
        province = _code(turn.extra.get("province"))
        with self.turn_engine.begin() as c:
            c.execute(TOUCH_PERSON, {"id": turn.person_id, "channel": turn.channel, "now": now,
                                     "sealed": turn.sealed_address or None})  # fmt: skip
            latest = c.execute(LATEST_CONVERSATION, {"person": turn.person_id}).first()
            if latest is None or turn.at - latest.last_message_at > IDLE:
                created = c.execute(insert(Conversation).values(
                    person_id=turn.person_id, channel=turn.channel, started_at=turn.at,
                    last_message_at=turn.at, message_count=1, urgent=turn.urgent,
                    audience=turn.audience, campaign=_code(turn.campaign), province=province,
                ))  # fmt: skip
                conversation_id = created.inserted_primary_key[0]
            else:
                conversation_id = latest.id
                c.execute(COUNT_MESSAGE, {
                    "id": latest.id, "at": max(turn.at, latest.last_message_at),
                    "urgent": bool(turn.urgent), "audience": turn.audience or None,
                    "campaign": _code(turn.campaign), "province": province,
                })  # fmt: skip
            if turn.intent and turn.intent not in NOT_TOPICS:
                c.execute(ADD_TOPIC, {"conversation": conversation_id, "topic": turn.intent[:64]})

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
                _deleted(s, grouped)  # (moved, not deleted: same bulk UPDATE)
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

    def forget_person(self, person_id: str) -> dict[str, int]:
        """Delete everything kept about a person; their cases stay only as anonymous counts.

        A case nobody had claimed is closed (no further contact); one a counsellor holds stays
        open for them, marked `forgotten_at` so the console tells them. A block stays (deleting
        is no way around it) but loses its reason. On SQLite the write-ahead log is then
        checkpointed and truncated, and deleted pages are zeroed (`secure_delete`), so the
        text is gone from the files too.
        """
        now = self.clock()
        with self.session() as s:
            conversations = select(Conversation.id).where(Conversation.person_id == person_id)
            cases = select(Escalation.id).where(Escalation.person_id == person_id)
            mine = Escalation.person_id == person_id
            _deleted(s, update(Escalation).where(mine, Escalation.status.in_(OPEN_STATUSES))
                     .values(forgotten_at=now))  # fmt: skip
            _deleted(s, update(Escalation).where(mine, Escalation.status == "new").values(
                status="resolved", outcome="no_further_contact", resolved_at=now))  # fmt: skip
            gone = {
                "conversation_topics": _deleted(
                    s,
                    delete(ConversationTopic).where(
                        ConversationTopic.conversation_id.in_(conversations)
                    ),
                ),
                "conversations": _deleted(
                    s, delete(Conversation).where(Conversation.person_id == person_id)
                ),
                "case_notes": _deleted(
                    s, delete(CaseNote).where(CaseNote.escalation_id.in_(cases))
                ),
                "escalations_anonymised": _deleted(
                    s,
                    update(Escalation)
                    .where(Escalation.person_id == person_id)
                    .values(person_id=None, context=None, reason="", source=None),
                ),
                "people": _deleted(s, delete(Person).where(Person.id == person_id)),
            }
            _deleted(s, update(BlockedPerson).where(BlockedPerson.person_id == person_id)
                     .values(reason=""))  # fmt: skip
        self.changes += 1
        self.checkpoint()
        return gone

    def checkpoint(self) -> bool:
        """Copy SQLite's write-ahead log into the database and empty it (True when complete).

        Without it a deleted conversation stays readable in the `-wal` file until the next
        automatic checkpoint. Nothing to do on PostgreSQL.
        """
        if self.engine.dialect.name != "sqlite":
            return True
        for _ in range(CHECKPOINT_TRIES):
            with self.engine.connect() as connection:
                busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
            if busy is None or not busy[0]:
                return True
            time.sleep(0.01)
        log.warning("the write-ahead log could not be checkpointed (busy); it will be later")
        return False

    # Cases ---------------------------------------------------------------------------------------
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

    # Operators and audit ------------------------------------------------------------------------
    def add_operator(self, username: str, password_hash: str, role: str) -> None:
        """Create an account (raises StoreError if the role is unknown or the name is taken)."""
        if role not in ROLES:
            raise StoreError(f"unknown role {role!r}")
        with self.session() as s:
            if s.execute(select(Operator).where(Operator.username == username)).first():
                raise StoreError(f"operator {username!r} exists")
            s.add(
                Operator(
                    username=username,
                    password_hash=password_hash,
                    role=role,
                    active=True,
                    failed_logins=0,
                    session_version=0,
                    created_at=self.clock(),
                )
            )

    def operator(self, username: str) -> tuple[OperatorView, str] | None:
        """(account, password hash) for a username, or None."""
        with self.session() as s:
            row = s.execute(select(Operator).where(Operator.username == username)).scalar()
            return (_operator_view(row), row.password_hash) if row is not None else None

    def operators(self) -> list[OperatorView]:
        """Every account, by username."""
        with self.session() as s:
            rows = s.execute(select(Operator).order_by(Operator.username)).scalars()
            return [_operator_view(row) for row in rows]

    def count_operators(self) -> int:
        """How many accounts exist (0 on a fresh install)."""
        with self.session() as s:
            return int(s.execute(select(func.count()).select_from(Operator)).scalar_one())

    def set_operator_active(self, username: str, active: bool) -> bool:
        """Enable or disable an account (ending its sessions); False if there is none."""
        with self.session() as s:
            result = s.execute(
                update(Operator)
                .where(Operator.username == username)
                .values(active=active, session_version=Operator.session_version + 1)
            )
            return bool(result.rowcount)

    def end_sessions(self, username: str) -> None:
        """Invalidate every session cookie of an operator (logout)."""
        with self.session() as s:
            s.execute(
                update(Operator)
                .where(Operator.username == username)
                .values(session_version=Operator.session_version + 1)
            )

    def login_failed(self, username: str, *, max_failures: int, lockout: timedelta) -> bool:
        """Count a failed login; True when this failure locks the account."""
        with self.session() as s:
            row = s.execute(
                select(Operator).where(Operator.username == username).with_for_update()
            ).scalar()
            if row is None:
                return False
            row.failed_logins += 1
            if row.failed_logins >= max_failures:
                row.failed_logins, row.locked_until = 0, self.clock() + lockout
                return True
            return False

    def count_failed_login(self, username: str) -> bool:
        """Count a failed login of an account (shown by `operator list`); False if none."""
        with self.engine.begin() as connection:
            result = connection.execute(
                update(Operator)
                .where(Operator.username == username)
                .values(failed_logins=Operator.failed_logins + 1)
            )
            return bool(result.rowcount)

    def login_succeeded(self, username: str) -> None:
        """Reset the failure counter and note the login time."""
        with self.session() as s:
            s.execute(
                update(Operator)
                .where(Operator.username == username)
                .values(failed_logins=0, locked_until=None, last_login_at=self.clock())
            )

    def mark_active(self, operator: str, at: datetime) -> None:
        """Note console activity of `operator` at `at` (for an honest "on duty").

        Cheap enough for every request: at most one write a minute per operator from this
        process (remembered here), and the UPDATE itself only moves a time older than a minute,
        so several workers do not rewrite the row on every request either.
        """
        last = self._marked.get(operator)
        if last is not None and timedelta(0) <= at - last < ACTIVE_EVERY:
            return
        self._marked[operator] = at
        with self.engine.begin() as connection:
            connection.execute(
                update(Operator)
                .where(Operator.username == operator)
                .where((Operator.last_active_at.is_(None))
                       | (Operator.last_active_at <= at - ACTIVE_EVERY))
                .values(last_active_at=at)
            )  # fmt: skip

    def active_operators(self, since: datetime) -> list[str]:
        """Usernames of enabled accounts with console activity at or after `since`, sorted.

        Activity is recorded at most once a minute (`mark_active`), so ask with a `since` at
        least a minute in the past.
        """
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(Operator.username)
                .where(Operator.active.is_(True), Operator.last_active_at >= since)
                .order_by(Operator.username)
            )
            return [username for (username,) in rows]

    def audit(
        self, operator: str, action: str, case_id: int | None = None, detail: str = ""
    ) -> None:
        """Append one audit entry (never message text)."""
        with self.session() as s:
            s.add(
                AuditEntry(
                    at=self.clock(),
                    operator=operator,
                    action=action[:32],
                    escalation_id=case_id,
                    detail=detail[:200],
                )
            )

    def audit_entries(self, *, case_id: int | None = None, limit: int = 200) -> list[AuditEntry]:
        """The latest audit entries, newest first (optionally of one case)."""
        query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
        if case_id is not None:
            query = query.where(AuditEntry.escalation_id == case_id)
        with self.session() as s:
            return list(s.execute(query).scalars())

    # Helpers -----------------------------------------------------------------------------------
    def _person(self, s: Session, person_id: str, channel: str) -> Person:
        person = s.get(Person, person_id)
        if person is None:
            now = self.clock()
            person = Person(id=person_id, channel=channel, first_seen=now, last_seen=now)
            s.add(person)
            s.flush()
        return person

    def _province(self, s: Session, person_id: str) -> str | None:
        return s.execute(
            select(Conversation.province)
            .where(Conversation.person_id == person_id)
            .order_by(Conversation.last_message_at.desc())
            .limit(1)
        ).scalar()

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

    # Zalo (`bot.storage.zalo_state`; written by `bot.channels.zalo`) ----------------------------
    def zalo_reach(self, person_id: str) -> ZaloReachView | None:
        """What may still be sent to a Zalo person: replies used, unreachable (-230)."""
        return ZaloState(self.engine).reach(person_id)

    def zalo_chain(self) -> ChainStatus | None:
        """The Zalo token chain (`broken`: an OA admin must re-authorise); None without Zalo."""
        return ZaloState(self.engine).chain_status()


def _deleted(s: Session, statement: Any) -> int:
    return int(s.execute(statement.execution_options(synchronize_session=False)).rowcount or 0)


def _short(value: Any) -> str | None:
    return str(value)[:64] if value else None
