"""The operators' blocklist, as methods of `bot.storage.store.Store` (a mixin).

A supervisor or admin blocks the person of a case for a number of days (blocks always expire).
A blocked person's messages get a short reply that names 111, except urgent ones, which the core
always handles normally (`bot.core.Core`). `donghanh purge` deletes expired blocks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.storage.models import BlockedPerson
from bot.storage.snapshot import Snapshot

MAX_BLOCK_DAYS = 365


@dataclass(frozen=True)
class Block:
    """One active block."""

    person_id: str
    blocked_by: str
    reason: str
    blocked_at: datetime
    expires_at: datetime


class BlocklistMixin:
    """Block, unblock and look up people by pseudonym; every call is one short transaction."""

    engine: Engine
    clock: Callable[[], datetime]
    changes: int  # moved by every write that changes who is blocked or held (`Snapshot`)

    def block(self, person_id: str, by: str, *, days: int, reason: str = "") -> Block:
        """Block `person_id` for `days` days from now (replacing an earlier block)."""
        if not 1 <= days <= MAX_BLOCK_DAYS:
            raise ValueError(f"a block lasts 1 to {MAX_BLOCK_DAYS} days")
        now = self.clock()
        with Session(self.engine, future=True) as s, s.begin():
            row = s.get(BlockedPerson, person_id) or BlockedPerson(person_id=person_id)
            row.blocked_by, row.reason = by[:64], reason[:200]
            row.blocked_at, row.expires_at = now, now + timedelta(days=days)
            s.add(row)
        self.changes += 1
        return Block(person_id, by[:64], reason[:200], now, now + timedelta(days=days))

    def unblock(self, person_id: str) -> bool:
        """Lift the block of `person_id`; False if there was none in force."""
        with Session(self.engine, future=True) as s, s.begin():
            result = s.execute(
                delete(BlockedPerson).where(
                    BlockedPerson.person_id == person_id, BlockedPerson.expires_at > self.clock()
                )
            )
            lifted = bool(result.rowcount)
        self.changes += 1
        return lifted

    def blocked_people(self) -> dict[str, datetime]:
        """Everyone blocked now, with when their block ends (`BlocklistSnapshot`)."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(BlockedPerson.person_id, BlockedPerson.expires_at).where(
                    BlockedPerson.expires_at > self.clock()
                )
            )
            return {person_id: expires_at for person_id, expires_at in rows}

    def block_of(self, person_id: str) -> Block | None:
        """The block in force for `person_id`, or None."""
        with Session(self.engine, future=True) as s:
            row = s.execute(
                select(BlockedPerson).where(
                    BlockedPerson.person_id == person_id, BlockedPerson.expires_at > self.clock()
                )
            ).scalar_one_or_none()
            if row is None:
                return None
            return Block(row.person_id, row.blocked_by, row.reason, row.blocked_at, row.expires_at)

    def is_blocked(self, person_id: str) -> bool:
        """Whether `person_id` is blocked now (`bot.limits.Blocklist`)."""
        return self.block_of(person_id) is not None


class BlocklistSnapshot:
    """`bot.limits.Blocklist` from a snapshot of everyone blocked, read every `ttl` seconds.

    A block or unblock made through this process's store is seen at once; one made by another
    worker within `ttl` seconds. A block's end is exact (the snapshot keeps when each ends).
    """

    def __init__(self, store: BlocklistMixin, *, ttl: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        """Snapshot `store`'s blocklist (`clock` times the snapshot's age)."""
        self.store = store
        self.snapshot = Snapshot(store.blocked_people, ttl=ttl, version=lambda: store.changes,
                                 clock=clock)  # fmt: skip

    def is_blocked(self, person_id: str) -> bool:
        """Whether `person_id` is blocked now."""
        ends = self.snapshot.get().get(person_id)
        return ends is not None and ends > self.store.clock()
