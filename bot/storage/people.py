"""People and their turns: who wrote, the report's counts of each message, and `/xoa`."""

from __future__ import annotations

import logging
import re
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import Boolean, Integer, bindparam, delete, insert, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from bot.storage.api import TurnRecord
from bot.storage.base import StoreBase, deleted
from bot.storage.models import (
    OPEN_STATUSES,
    BlockedPerson,
    CaseNote,
    Conversation,
    ConversationTopic,
    Escalation,
    Person,
    UTCDateTime,
)

log = logging.getLogger(__name__)

IDLE = timedelta(minutes=60)  # a new conversation starts after this much silence
CHECKPOINT_TRIES = 20
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


def code(value: Any) -> str | None:
    """A campaign or province code if it is a short plain token, else None."""
    return value if isinstance(value, str) and CODE.match(value) else None


class PeopleMixin(StoreBase):
    """People (pseudonyms), the counts of their messages, and deleting them."""

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
        province = code(turn.extra.get("province"))
        with self.turn_engine.begin() as c:
            c.execute(TOUCH_PERSON, {"id": turn.person_id, "channel": turn.channel, "now": now,
                                     "sealed": turn.sealed_address or None})  # fmt: skip
            latest = c.execute(LATEST_CONVERSATION, {"person": turn.person_id}).first()
            if latest is None or turn.at - latest.last_message_at > IDLE:
                created = c.execute(insert(Conversation).values(
                    person_id=turn.person_id, channel=turn.channel, started_at=turn.at,
                    last_message_at=turn.at, message_count=1, urgent=turn.urgent,
                    audience=turn.audience, campaign=code(turn.campaign), province=province,
                ))  # fmt: skip
                conversation_id = created.inserted_primary_key[0]
            else:
                conversation_id = latest.id
                c.execute(COUNT_MESSAGE, {
                    "id": latest.id, "at": max(turn.at, latest.last_message_at),
                    "urgent": bool(turn.urgent), "audience": turn.audience or None,
                    "campaign": code(turn.campaign), "province": province,
                })  # fmt: skip
            if turn.intent and turn.intent not in NOT_TOPICS:
                c.execute(ADD_TOPIC, {"conversation": conversation_id, "topic": turn.intent[:64]})

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
            deleted(s, update(Escalation).where(mine, Escalation.status.in_(OPEN_STATUSES))
                     .values(forgotten_at=now))  # fmt: skip
            deleted(s, update(Escalation).where(mine, Escalation.status == "new").values(
                status="resolved", outcome="no_further_contact", resolved_at=now))  # fmt: skip
            gone = {
                "conversation_topics": deleted(
                    s,
                    delete(ConversationTopic).where(
                        ConversationTopic.conversation_id.in_(conversations)
                    ),
                ),
                "conversations": deleted(
                    s, delete(Conversation).where(Conversation.person_id == person_id)
                ),
                "case_notes": deleted(s, delete(CaseNote).where(CaseNote.escalation_id.in_(cases))),
                "escalations_anonymised": deleted(
                    s,
                    update(Escalation)
                    .where(Escalation.person_id == person_id)
                    .values(person_id=None, context=None, reason="", source=None),
                ),
                "people": deleted(s, delete(Person).where(Person.id == person_id)),
            }
            deleted(s, update(BlockedPerson).where(BlockedPerson.person_id == person_id)
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
