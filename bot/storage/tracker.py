"""Rasa's SQL tracker store, built from the project's `DATABASE_URL`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url


def tracker_store_for(database_url: str) -> Any:
    """Return a `SQLTrackerStore` on `database_url` (SQLite file or PostgreSQL server).

    The SQLite folder is created if needed, so a fresh clone starts without setup.
    """
    from rasa.core.tracker_store import SQLTrackerStore

    url = make_url(database_url)
    dialect = url.get_backend_name()
    if dialect == "sqlite":
        db = url.database or ":memory:"
        if db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        return SQLTrackerStore(dialect="sqlite", db=db)
    store = SQLTrackerStore(dialect=url.drivername, host=url.host, port=url.port, db=url.database,
                            username=url.username, password=url.password,
                            query=dict(url.query))  # fmt: skip
    # Test each pooled connection before use, so the bot recovers by itself after the database
    # restarts (Rasa builds the engine without `pool_pre_ping`).
    store.engine.pool._pre_ping = True
    return store


def forget_tracker(tracker_store: Any, sender_id: str) -> int:
    """Delete every stored event of one conversation (`/xoa`); returns how many were deleted."""
    from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, SQLTrackerStore

    if isinstance(tracker_store, FailSafeTrackerStore):  # how Agent.load wraps every store
        tracker_store = tracker_store._tracker_store
    if isinstance(tracker_store, SQLTrackerStore):
        with tracker_store.session_scope() as session:
            query = session.query(SQLTrackerStore.SQLEvent).filter_by(sender_id=sender_id)
            deleted = int(query.delete(synchronize_session=False))
            session.commit()
            return deleted
    if isinstance(tracker_store, InMemoryTrackerStore):
        return 1 if tracker_store.store.pop(sender_id, None) is not None else 0
    raise TypeError(f"cannot delete from {type(tracker_store).__name__}")
