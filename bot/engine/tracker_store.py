"""Rasa's SQL tracker store from the project's `DATABASE_URL`, read once per turn.

Rasa's `SQLTrackerStore` reads and rebuilds a person's whole session every time anyone asks for
it, and counts the stored events again before every save. One turn asked three times (the
duplicate check, Rasa's processor, the turn's bookkeeping). Inside `turn(sender)`, which the
core opens while it holds the person's lock (`bot.engine.turns`), `TurnTrackerStore` reads
the session once, hands the same tracker to everyone in the turn, and saves only the events
added since it was read. Outside a turn it behaves exactly like Rasa's store: same tables,
same rows.

Between turns the store keeps the most recent trackers in memory (`TurnTrackerStore.recent`). A
kept tracker is used for the person's next turn only if the last stored event is still the one
it ended with (one indexed query), so a write by another worker, the console or a deletion makes
the next turn read the database again.

The database work runs in a worker thread (`bot.storage.threads`), one hop per read and one per
save: a turn waiting for SQLite's write lock (the busy timeout is 30 s) or a PostgreSQL pool slot
must not stall `/health` and everyone else (issue #17). Rasa's `retrieve`, `retrieve_full_tracker`
and `keys` are coroutines with synchronous bodies; they are run to their end in the thread
(`off_loop_coroutine`), so what they read is Rasa's own code's. Rasa's `save` first streams the
events to an event broker, which needs the loop (`stream_events`, nothing without a broker, and
we configure none): that part stays on the loop, and its write, Rasa's body below it (count the
session's stored events, add the rest), runs in the thread with the same rows (`_row`). What
stays on the loop is memory only: the turn's bookkeeping and the kept trackers (`recent`), so
nothing else touches them from a thread. On SQLite the saves of one process take turns on a
lock, as they did on the loop: side by side they only met SQLite's write lock and slept in its
busy handler (20 people at once in-process: 14 INSERTs waiting at a time, writes up to ~0.6 s).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import make_url

from bot.engine.turns import Turn, current_turn
from bot.storage.threads import off_loop, off_loop_coroutine, run_to_end

# Trackers kept in memory between turns. A short conversation's tracker is a few dozen events
# (tens of kB); the least recently used is dropped first.
RECENT_TRACKERS = 512


@dataclass(frozen=True)
class Recent:
    """A tracker as a turn left it: every event stored, the last one stored as `last_data`."""

    tracker: Any
    length: int  # len(tracker.events) then: a longer tracker has events nobody stored
    last_data: str


class TurnTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` that reads a tracker once per `turn()` and saves only what is new."""

    def __init__(self, *args: Any, recent: int = RECENT_TRACKERS, **kwargs: Any) -> None:
        """Rasa's store; `recent` trackers are kept between turns (0: none)."""
        super().__init__(*args, **kwargs)
        self.recent: OrderedDict[str, Recent] = OrderedDict()
        self.recent_size = recent
        table = self.SQLEvent.__table__
        self._insert = insert(table)
        self._last_event = (select(table.c.data).where(table.c.sender_id == bindparam("sender"))
                            .order_by(table.c.id.desc()).limit(1))  # fmt: skip
        # SQLite takes one writer at a time, and a writer that finds the file locked sleeps in
        # growing steps (1, 2, 5 … 100 ms) with no queue: this process's saves take turns on a
        # lock instead, as they did on the event loop (PostgreSQL writes side by side).
        sqlite = self.engine.dialect.name == "sqlite"
        self._writing = threading.Lock() if sqlite else contextlib.nullcontext()

    async def retrieve(self, sender_id: str) -> Any:
        """The tracker of the latest session; inside a turn, the turn's own tracker."""
        current = current_turn(sender_id)
        if current is None:
            return await off_loop_coroutine(super().retrieve, sender_id)
        if not current.loaded:
            kept = self.recent.pop(sender_id, None)
            if kept is not None and len(kept.tracker.events) != kept.length:
                kept = None  # changed since, and not stored
            tracker = await off_loop(self._recall, sender_id, kept)
            current.tracker = tracker
            current.stored = len(tracker.events) if tracker is not None else 0
            current.loaded = True
            if self.recent_size:
                current.on_success.append(lambda: self._remember(current))
        return current.tracker

    async def retrieve_full_tracker(self, conversation_id: str) -> Any:
        """Every session's events: Rasa's read, in a worker thread."""
        return await off_loop_coroutine(super().retrieve_full_tracker, conversation_id)

    async def keys(self) -> Any:
        """Every stored conversation's id: Rasa's query, in a worker thread."""
        return await off_loop_coroutine(super().keys)

    async def save(self, tracker: Any) -> None:
        """Store the tracker's new events (in a turn, those after the ones it was read with)."""
        current = current_turn(tracker.sender_id)
        if current is not None and current.loaded and current.tracker is None:
            # a person with nothing stored (Rasa's `create_tracker`): all events are new
            current.tracker, current.stored = tracker, 0
        if (
            current is None
            or not current.loaded
            or tracker is not current.tracker
            or tracker.events.maxlen is not None  # a capped history shifts the indexes
        ):
            self.recent.pop(tracker.sender_id, None)
            await self.stream_events(tracker)  # Rasa's `save`: first the broker, on the loop…
            await off_loop(self._save_counted, tracker)  # …then count what is stored, and add
            if current is not None:  # from now on the turn uses this (fully stored) tracker
                current.tracker, current.stored, current.loaded = tracker, len(tracker.events), True
            return
        await self.stream_events(tracker)
        stored = len(tracker.events)
        await off_loop(self._insert_after, tracker, current.stored)
        current.stored = stored

    def _recall(self, sender_id: str, kept: Recent | None) -> Any:
        """The tracker a turn starts with (worker thread): `kept`, or Rasa's read, or None.

        `kept` (what the person's last turn left) if nothing was stored or deleted since. None
        when the person has no event at all: Rasa's `retrieve` would find none and answer None,
        after building and running its ORM query for the latest session (0.41 ms against 0.04 on
        SQLite, at every person's first message).
        """
        with self.engine.connect() as connection:
            stored = connection.execute(self._last_event, {"sender": sender_id}).scalar()
        if stored is None:
            return None
        if kept is not None and stored == kept.last_data:
            return kept.tracker
        return run_to_end(super().retrieve, sender_id)

    def _save_counted(self, tracker: Any) -> None:
        """Rasa's `SQLTrackerStore.save` after `stream_events`, with the same rows (worker thread).

        In one session: count the events of the latest session already stored, add the others.
        """
        with self._writing, self.session_scope() as session:
            new = self._additional_events(session, tracker)
            session.add_all([self.SQLEvent(**self._row(tracker.sender_id, event)) for event in new])
            session.commit()

    def _insert_after(self, tracker: Any, stored: int) -> None:
        """Insert the tracker's events after the first `stored` (worker thread).

        One multi-row INSERT, no ORM unit of work.
        """
        new = itertools.islice(tracker.events, stored, None)
        rows = [self._row(tracker.sender_id, event) for event in new]
        if rows:
            with self._writing, self.engine.begin() as connection:
                connection.execute(self._insert, rows)

    def _remember(self, current: Turn) -> None:
        """Keep the tracker a turn ended with, when it is exactly what `retrieve` would read."""
        tracker, sender_id = current.tracker, current.sender_id
        if (
            tracker is None
            or not tracker.events
            or current.stored != len(tracker.events)  # something was not saved
            or tracker.events.maxlen is not None
            # a new session started in this turn: `retrieve` would read only the latest one
            or sum(event.type_name == "session_started" for event in tracker.events) > 1
        ):
            self.recent.pop(sender_id, None)
            return
        last = self._row(sender_id, tracker.events[-1])["data"]
        self.recent[sender_id] = Recent(tracker, len(tracker.events), last)
        self.recent.move_to_end(sender_id)
        while len(self.recent) > self.recent_size:
            self.recent.popitem(last=False)

    @staticmethod
    def _row(sender_id: str, event: Any) -> dict[str, Any]:
        """The database row of one event, exactly as `SQLTrackerStore.save` writes it."""
        data = event.as_dict()
        intent = data.get("parse_data", {}).get("intent", {}).get("name")
        return {"sender_id": sender_id, "type_name": event.type_name,
                "timestamp": data.get("timestamp"), "intent_name": intent,
                "action_name": data.get("name"), "data": json.dumps(data)}  # fmt: skip


def tracker_store_for(database_url: str) -> Any:
    """Return a `TurnTrackerStore` on `database_url` (SQLite file or PostgreSQL server).

    The SQLite folder is created if needed, so a fresh clone starts without setup. The store's
    patches (`bot.engine.patches`: pooled SQLite, pre-ping) are applied here.
    """
    from bot.engine import patches

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        db = url.database or ":memory:"
        if db != ":memory:":
            Path(db).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        store = TurnTrackerStore(dialect="sqlite", db=db)
    else:
        store = TurnTrackerStore(dialect=url.drivername, host=url.host, port=url.port,
                                 db=url.database, username=url.username, password=url.password,
                                 query=dict(url.query))  # fmt: skip
    store.engine.hide_parameters = True  # errors and logs never show the events' text
    patches.install(tracker_store=store)
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
