"""Operator accounts: creating, disabling, logins, sessions, and who is on duty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from bot.storage.base import StoreBase, StoreError
from bot.storage.models import ROLES, Operator

ACTIVE_EVERY = timedelta(minutes=1)  # `mark_active` writes at most this often per operator


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


class OperatorsMixin(StoreBase):
    """Operator accounts and their logins."""

    _marked: dict[str, datetime]  # `mark_active`: last write per operator (set by `Store`)

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
