"""Our own tables (SQLAlchemy models); Alembic migrations in `migrations/` create them.

Nothing here holds a raw platform id, a phone number or a name: a person is a pseudonym
(`bot.pseudonym`), their address is sealed, and operators are staff known by username. Rasa's
`events` table lives in the same database but is not ours: it is not in this metadata, and the
migrations never touch it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import declarative_base
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
Base: Any = declarative_base(metadata=MetaData(naming_convention=NAMING))

STATUSES = ("new", "claimed", "with_counsellor", "resolved")
OPEN_STATUSES = ("new", "claimed", "with_counsellor")
HELD_STATUSES = ("claimed", "with_counsellor")
OUTCOMES = ("advised", "referred_111", "referred_police", "no_further_contact", "duplicate")
ROLES = ("counsellor", "supervisor", "admin")


class UTCDateTime(TypeDecorator):  # type: ignore[type-arg]
    """Stored as naive UTC on every backend, returned as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        """Aware datetimes are converted to UTC; naive ones are taken as UTC."""
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        """Mark what comes back as UTC."""
        return value.replace(tzinfo=timezone.utc) if value is not None else None


def utcnow() -> datetime:
    """The current time in UTC (aware)."""
    return datetime.now(timezone.utc)


class Person(Base):
    """Someone who wrote to the bot: a pseudonym, the channel and a sealed address."""

    __tablename__ = "people"
    id = Column(String(64), primary_key=True)  # bot.pseudonym: "<channel>-<24 hex>"
    channel = Column(String(32), nullable=False)
    sealed_address = Column(Text, nullable=True)
    first_seen = Column(UTCDateTime, nullable=False, default=utcnow)
    last_seen = Column(UTCDateTime, nullable=False, default=utcnow)


class Conversation(Base):
    """A run of messages of one person with no gap over 60 minutes, counted for the report.

    `donghanh purge` unlinks conversations older than the retention period from their person
    (`person_id` NULL): the counts stay for the yearly report, nothing points to anyone.
    """

    __tablename__ = "conversations"
    id = Column(Integer, primary_key=True)
    person_id = Column(String(64), ForeignKey("people.id", ondelete="CASCADE"), nullable=True)
    channel = Column(String(32), nullable=False)
    audience = Column(String(16), nullable=True)
    campaign = Column(String(64), nullable=True)
    province = Column(String(16), nullable=True)
    urgent = Column(Boolean, nullable=False, default=False)
    started_at = Column(UTCDateTime, nullable=False)
    last_message_at = Column(UTCDateTime, nullable=False)
    message_count = Column(Integer, nullable=False, default=0)

    __table_args__ = (
        Index("ix_conversations_person_last", "person_id", "last_message_at"),
        Index("ix_conversations_started_at", "started_at"),
    )


class ConversationTopic(Base):
    """One topic (intent) a conversation touched; each counts once per conversation."""

    __tablename__ = "conversation_topics"
    conversation_id = Column(
        Integer, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    topic = Column(String(64), primary_key=True)


class Escalation(Base):
    """A case for a counsellor. After `/xoa` only the anonymous statistics remain."""

    __tablename__ = "escalations"
    id = Column(Integer, primary_key=True)
    person_id = Column(String(64), ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    channel = Column(String(32), nullable=False)
    priority = Column(String(32), nullable=False)
    rank = Column(Integer, nullable=False)  # bot.storage.api.PRIORITIES: lower is more urgent
    reason = Column(String(200), nullable=False, default="")
    topic = Column(String(64), nullable=True)
    audience = Column(String(16), nullable=True)
    province = Column(String(16), nullable=True)
    context = Column(JSON, nullable=True)  # the context packet; deleted with the person
    status = Column(String(20), nullable=False, default="new")
    outcome = Column(String(32), nullable=True)
    claimed_by = Column(String(64), nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    claimed_at = Column(UTCDateTime, nullable=True)
    handed_back_at = Column(UTCDateTime, nullable=True)
    resolved_at = Column(UTCDateTime, nullable=True)
    timeout_notified_at = Column(UTCDateTime, nullable=True)
    # the person deleted their data (`/xoa`) while the case was open: the holder is told
    forgotten_at = Column(UTCDateTime, nullable=True)
    # a keyed hash of the address the case came from (`bot.limits.source_of`), for flood grouping
    source = Column(String(32), nullable=True)
    # a case opened in a flood from one source waits in its group's case, not in the queue
    group_id = Column(Integer, nullable=True)

    __table_args__ = (
        Index("ix_escalations_queue", "status", "rank", "created_at"),
        Index("ix_escalations_person_id", "person_id"),
        Index("ix_escalations_source", "source", "created_at"),
        Index("ix_escalations_group_id", "group_id"),
    )


class Operator(Base):
    """A staff account of the console (argon2 hash, role, lockout counters)."""

    __tablename__ = "operators"
    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(UTCDateTime, nullable=True)
    session_version = Column(Integer, nullable=False, default=0)  # bumped to end every session
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    last_login_at = Column(UTCDateTime, nullable=True)
    last_active_at = Column(UTCDateTime, nullable=True)  # console presence (`Store.mark_active`)


class CaseNote(Base):
    """A counsellor's note on a case (deleted with the person)."""

    __tablename__ = "case_notes"
    id = Column(Integer, primary_key=True)
    escalation_id = Column(
        Integer, ForeignKey("escalations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    author = Column(String(64), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class AuditEntry(Base):
    """Who viewed or changed what, and when; never message text."""

    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    operator = Column(String(64), nullable=False)
    action = Column(String(32), nullable=False)
    escalation_id = Column(Integer, nullable=True, index=True)  # no FK: the log outlives cases
    detail = Column(String(200), nullable=False, default="")


class BlockedPerson(Base):
    """A person an operator blocked: who, when, why and until when (blocks always expire).

    Keyed by pseudonym, with no foreign key: the person's other data may be purged while the block
    lasts. `donghanh purge` deletes expired blocks. Urgent messages always get through.
    """

    __tablename__ = "blocked_people"
    person_id = Column(String(64), primary_key=True)
    blocked_by = Column(String(64), nullable=False)
    reason = Column(String(200), nullable=False, default="")
    blocked_at = Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = Column(UTCDateTime, nullable=False, index=True)


class ZaloToken(Base):
    """The Zalo OA token pair every worker shares (`bot.storage.zalo_state`), one row per app.

    Zalo's refresh tokens are single-use: the row is re-read under its lease (`lock_owner`,
    `lock_until`) before every refresh, so no worker ever sends a used one. Tokens are sealed
    with `DONGHANH_SECRET_KEY` when the bot has a key (AES-GCM, as addresses are).
    """

    __tablename__ = "zalo_tokens"
    app_id = Column(String(32), primary_key=True)
    seed = Column(String(16), nullable=False)  # a hash of the ZALO_REFRESH_TOKEN it started from
    retired_seeds = Column(Text, nullable=False, default="")  # earlier seeds, space-separated
    access_token = Column(Text, nullable=False, default="")
    refresh_token = Column(Text, nullable=False)
    expires_at = Column(Float, nullable=False, default=0.0)  # unix seconds
    refreshed_at = Column(Float, nullable=False, default=0.0)
    lock_owner = Column(String(64), nullable=True)
    lock_until = Column(Float, nullable=True)
    broken_at = Column(Float, nullable=True)  # the last refresh was refused: re-authorise
    broken_reason = Column(String(200), nullable=True)


class ZaloReach(Base):
    """What may still be sent to a Zalo person: their reply window, replies used, reachability.

    Deleted with the person (`/xoa`, retention): only times and counts, keyed by pseudonym.
    """

    __tablename__ = "zalo_reach"
    person_id = Column(String(64), ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    window_start = Column(UTCDateTime, nullable=True)  # the person's last message (interaction)
    sent = Column(Integer, nullable=False, default=0)  # messages sent since then
    remain = Column(Integer, nullable=True)  # Zalo's own count of free replies left, if it sent one
    unreachable_at = Column(UTCDateTime, nullable=True)  # Zalo refused: not interacted in 7 days
    unreachable_code = Column(Integer, nullable=True)
