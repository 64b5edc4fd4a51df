"""Rasa's SQL tracker store from the project's `DATABASE_URL`, read once per turn.

Rasa's `SQLTrackerStore` reads and rebuilds a person's whole session every time anyone asks for
it, and counts the stored events again before every save. One turn asked three times (the
duplicate check, Rasa's processor, the turn's bookkeeping). Inside `turn(sender)`, which the
core opens while it holds the person's lock, `bot.storage.turn_store.TurnTrackerStore` reads
the session once, hands the same tracker to everyone in the turn, and saves only the events
added since it was read. Outside a turn it behaves exactly like Rasa's store: same tables,
same rows.

Between turns the store keeps the most recent trackers in memory (`TurnTrackerStore.recent`). A
kept tracker is used for the person's next turn only if the last stored event is still the one
it ended with (one indexed query), so a write by another worker, the console or a deletion makes
the next turn read the database again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url


@dataclass
class Turn:
    """What one turn knows of a person's tracker: the object in use, and how much is stored."""

    sender_id: str
    loaded: bool = False
    tracker: Any = None  # rasa DialogueStateTracker, or None for a person not seen before
    stored: int = 0  # how many of `tracker.events` are in the database
    over: bool = False  # set when the turn ends (a task started inside it may live longer)
    # run when the turn ends without an error, still under the person's lock
    on_success: list[Callable[[], None]] = field(default_factory=list)


_TURN: ContextVar[Turn | None] = ContextVar("donghanh_tracker_turn", default=None)


@contextmanager
def turn(sender_id: str) -> Iterator[Turn]:
    """One turn of one person (hold their lock): the tracker is read at most once inside it.

    After the turn `Turn.tracker` is the tracker as last saved, or None when the tracker store is
    not a `TurnTrackerStore` or nothing read it. Read what you need of it before the turn ends:
    the store may hand the same object to the person's next turn.
    """
    current = Turn(sender_id)
    token = _TURN.set(current)
    try:
        yield current
    finally:
        current.over = True
        _TURN.reset(token)
    for callback in current.on_success:  # not reached when the turn raised
        callback()


def current_turn(sender_id: str) -> Turn | None:
    """The turn of `sender_id` this task is in, if any."""
    found = _TURN.get()
    return found if found is not None and found.sender_id == sender_id and not found.over else None


def resolve_event_types_once() -> None:
    """Make Rasa find an event's class by a dictionary lookup, not a walk of every subclass.

    `Event.resolve_by_type` lists all subclasses of `Event` (recursively, with an abstractness
    check) for every event it reads back from the database: most of the time spent rebuilding a
    tracker. The lookup table is built on first use and rebuilt when a name is not in it (a
    subclass imported later); the answer, and the error for an unknown name, are unchanged.
    """
    from rasa.shared.core.events import Event

    if getattr(Event.resolve_by_type, "looked_up", False):
        return
    original = Event.resolve_by_type
    table: dict[str, type] = {}

    def rebuild() -> None:
        from rasa.shared.utils.common import all_subclasses

        table.clear()
        for cls in all_subclasses(Event):
            table.setdefault(cls.type_name, cls)  # the first match wins, as in Rasa's loop

    def resolve_by_type(type_name: str, default: type | None = None) -> type | None:
        if type_name not in table:
            rebuild()
        found = table.get(type_name)
        return found if found is not None else original(type_name, default)

    resolve_by_type.looked_up = True  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign,assignment]


def tracker_store_for(database_url: str) -> Any:
    """Return a `TurnTrackerStore` on `database_url` (SQLite file or PostgreSQL server).

    The SQLite folder is created if needed, so a fresh clone starts without setup.
    """
    from bot.storage.turn_store import TurnTrackerStore

    resolve_event_types_once()
    url = make_url(database_url)
    dialect = url.get_backend_name()
    if dialect == "sqlite":
        db = url.database or ":memory:"
        if db == ":memory:":
            store = TurnTrackerStore(dialect="sqlite", db=db)
            store.engine.hide_parameters = True  # see make_engine
            return store
        from sqlalchemy.orm import sessionmaker

        from bot.storage.store import make_engine

        Path(db).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        store = TurnTrackerStore(dialect="sqlite", db=db)
        store.engine.dispose()  # Rasa's engine opens a connection per transaction (NullPool)
        # conversation events: no disk sync per commit (see make_engine; cases always sync)
        store.engine = make_engine(f"sqlite:///{db}", sync_every_commit=False)
        store.sessionmaker = sessionmaker(bind=store.engine)
        return store
    store = TurnTrackerStore(dialect=url.drivername, host=url.host, port=url.port, db=url.database,
                             username=url.username, password=url.password,
                             query=dict(url.query))  # fmt: skip
    # Test each pooled connection before use, so the bot recovers by itself after the database
    # restarts (Rasa builds the engine without `pool_pre_ping`).
    store.engine.pool._pre_ping = True
    store.engine.hide_parameters = True  # errors and logs never show the events' text
    return store


def forget_tracker(tracker_store: Any, sender_id: str) -> int:
    """Delete every stored event of one conversation (`/xoa`); returns how many were deleted."""
    from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, SQLTrackerStore

    if isinstance(tracker_store, FailSafeTrackerStore):  # how Agent.load wraps every store
        tracker_store = tracker_store._tracker_store
    if isinstance(tracker_store, SQLTrackerStore):
        getattr(tracker_store, "recent", {}).pop(sender_id, None)  # TurnTrackerStore's
        with tracker_store.session_scope() as session:
            query = session.query(SQLTrackerStore.SQLEvent).filter_by(sender_id=sender_id)
            deleted = int(query.delete(synchronize_session=False))
            session.commit()
            return deleted
    if isinstance(tracker_store, InMemoryTrackerStore):
        return 1 if tracker_store.store.pop(sender_id, None) is not None else 0
    raise TypeError(f"cannot delete from {type(tracker_store).__name__}")
