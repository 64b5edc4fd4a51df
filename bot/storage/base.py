"""What every part of the store shares: the engines, the clock, one short transaction a call."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from typing import Any, Callable, Iterator

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session


class StoreError(ValueError):
    """A request the store refuses (unknown priority, outcome or role)."""


class StoreBase:
    """The state the store's parts share (`bot.storage.store.Store` sets it)."""

    engine: Engine
    turn_engine: Engine  # the same database, for `record_turn` (on SQLite without a disk sync)
    clock: Callable[[], datetime]
    changes: int  # moved by every write that changes who is blocked or held (`Snapshot`)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with Session(self.engine, future=True, expire_on_commit=False) as session, session.begin():
            yield session


def deleted(s: Session, statement: Any) -> int:
    """Run a bulk DELETE or UPDATE; the number of rows it touched."""
    return int(s.execute(statement.execution_options(synchronize_session=False)).rowcount or 0)
