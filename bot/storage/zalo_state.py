"""Zalo state every worker shares: the OA's token pair (with its lease) and each person's reach.

Two small tables (`bot.storage.models.ZaloToken`, `ZaloReach`), each call one short transaction
that SQLite and PostgreSQL both run. The lease is a conditional UPDATE, so it never blocks the
event loop: a worker that does not get it polls (`bot.channels.zalo_tokens.SqlTokenStore`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.storage.models import Person, ZaloReach, ZaloToken

TOKEN_FIELDS = ("seed", "retired_seeds", "access_token", "refresh_token", "expires_at",
                "refreshed_at", "broken_at", "broken_reason")  # fmt: skip


@dataclass(frozen=True)
class ChainStatus:
    """The token chain as an admin needs to see it (never the tokens themselves)."""

    broken: bool
    reason: str | None
    broken_at: datetime | None
    refreshed_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True)
class Reach:
    """What has been sent to a Zalo person since they last wrote, and whether Zalo refuses them."""

    window_start: datetime | None = None  # the person's last message (None: not known)
    sent: int = 0
    remain: int | None = None  # Zalo's own count of free replies left (from the last send)
    unreachable_at: datetime | None = None
    unreachable_code: int | None = None

    @property
    def unreachable(self) -> bool:
        """Zalo refused the last send to this person (-230: no interaction for 7 days)."""
        return self.unreachable_code is not None


def when(seconds: float | None) -> datetime | None:
    """Unix seconds as an aware UTC datetime (None stays None; 0 means never)."""
    return datetime.fromtimestamp(seconds, timezone.utc) if seconds else None


class ZaloState:
    """The Zalo tables on one engine."""

    def __init__(self, engine: Engine) -> None:
        """Keep the engine (the application database)."""
        self.engine = engine

    # The token pair -----------------------------------------------------------------------------
    def token_row(self, app_id: str) -> dict[str, Any] | None:
        """The stored pair and its bookkeeping, or None before the first start."""
        with self.engine.connect() as c:
            row = c.execute(select(ZaloToken).where(ZaloToken.app_id == app_id)).mappings().first()
        return {k: row[k] for k in TOKEN_FIELDS} if row is not None else None

    def create_token_row(self, app_id: str, values: dict[str, Any]) -> None:
        """Insert the first pair unless another worker just did (then its row stays)."""
        try:
            with self.engine.begin() as c:
                found = c.execute(select(ZaloToken.app_id).where(ZaloToken.app_id == app_id))
                if found.first() is None:
                    c.execute(insert(ZaloToken).values(app_id=app_id, **values))
        except IntegrityError:  # another worker inserted it between our look and our insert
            pass

    def update_tokens(
        self, app_id: str, values: dict[str, Any], *, seed: str | None = None
    ) -> bool:
        """Write fields of the row; with `seed`, only while the row is still that chain."""
        where = [ZaloToken.app_id == app_id]
        if seed is not None:
            where.append(ZaloToken.seed == seed)
        with self.engine.begin() as c:
            return bool(c.execute(update(ZaloToken).where(*where).values(**values)).rowcount)

    def try_lock(self, app_id: str, owner: str, now: float, lease: float) -> bool:
        """Take the lease (free, expired or already ours) until `now + lease`; False if held."""
        free = or_(ZaloToken.lock_owner.is_(None), ZaloToken.lock_until < now,
                   ZaloToken.lock_owner == owner)  # fmt: skip
        with self.engine.begin() as c:
            result = c.execute(update(ZaloToken).where(ZaloToken.app_id == app_id, free)
                               .values(lock_owner=owner, lock_until=now + lease))  # fmt: skip
            return bool(result.rowcount)

    def unlock(self, app_id: str, owner: str) -> None:
        """Give the lease back (only if it is still ours)."""
        with self.engine.begin() as c:
            c.execute(update(ZaloToken).where(ZaloToken.app_id == app_id,
                                              ZaloToken.lock_owner == owner)
                      .values(lock_owner=None, lock_until=None))  # fmt: skip

    def chain_status(self, app_id: str | None = None) -> ChainStatus | None:
        """The chain of `app_id` (default: the only one); None when Zalo never ran here."""
        query = select(ZaloToken).order_by(ZaloToken.app_id).limit(1)
        if app_id is not None:
            query = query.where(ZaloToken.app_id == app_id)
        with self.engine.connect() as c:
            row = c.execute(query).mappings().first()
        if row is None:
            return None
        return ChainStatus(broken=row["broken_at"] is not None, reason=row["broken_reason"],
                           broken_at=when(row["broken_at"]), refreshed_at=when(row["refreshed_at"]),
                           expires_at=when(row["expires_at"]))  # fmt: skip

    # Each person's reach ------------------------------------------------------------------------
    def reach(self, person_id: str) -> Reach | None:
        """The person's window and counts; None when nothing was recorded."""
        with self.engine.connect() as c:
            row = c.execute(select(ZaloReach).where(ZaloReach.person_id == person_id)).first()
        if row is None:
            return None
        return Reach(row.window_start, row.sent, row.remain, row.unreachable_at,
                     row.unreachable_code)  # fmt: skip

    def interaction(self, person_id: str, at: datetime) -> None:
        """The person wrote: a new window starts, nothing sent in it yet, reachable again."""
        self._put(person_id, window_start=at, sent=0, remain=None, unreachable_at=None,
                  unreachable_code=None)  # fmt: skip

    def count_sent(self, person_id: str, remain: int | None) -> None:
        """One more message sent; `remain` is Zalo's own count after it, when it gave one."""
        self._retried(self._count_sent, person_id, remain)

    def _count_sent(self, person_id: str, remain: int | None) -> None:
        with self.engine.begin() as c:
            known = self._row(c, person_id)
            if known is None:
                self._insert(c, person_id, sent=1, remain=remain)
                return
            left = remain if remain is not None else (
                known.remain - 1 if known.remain is not None else None)  # fmt: skip
            c.execute(update(ZaloReach).where(ZaloReach.person_id == person_id)
                      .values(sent=ZaloReach.sent + 1, remain=left))  # fmt: skip

    def unreachable(self, person_id: str, code: int, at: datetime) -> None:
        """Zalo refused to deliver to the person (until they write again)."""
        self._put(person_id, unreachable_at=at, unreachable_code=code)

    def forget(self, person_id: str) -> int:
        """Delete the person's row (also done by the database when the person is deleted)."""
        with self.engine.begin() as c:
            return int(c.execute(delete(ZaloReach).where(ZaloReach.person_id == person_id))
                       .rowcount or 0)  # fmt: skip

    def _put(self, person_id: str, **values: Any) -> None:
        self._retried(self._put_once, person_id, values)

    @staticmethod
    def _retried(call: Any, *args: Any) -> None:
        """Run `call` again once if another worker inserted the same person's row meanwhile."""
        try:
            call(*args)
        except IntegrityError:
            call(*args)

    def _put_once(self, person_id: str, values: dict[str, Any]) -> None:
        with self.engine.begin() as c:
            if self._row(c, person_id) is None:
                self._insert(c, person_id, **values)
            else:
                c.execute(update(ZaloReach).where(ZaloReach.person_id == person_id)
                          .values(**values))  # fmt: skip

    @staticmethod
    def _row(c: Connection, person_id: str) -> Any:
        return c.execute(select(ZaloReach).where(ZaloReach.person_id == person_id)).first()

    @staticmethod
    def _insert(c: Connection, person_id: str, **values: Any) -> None:
        """Insert a row, only for a person the database knows (their row cascades it away)."""
        known = c.execute(select(Person.id).where(Person.id == person_id)).first()
        if known is None:
            return
        values.setdefault("sent", 0)
        c.execute(insert(ZaloReach).values(person_id=person_id, **values))
