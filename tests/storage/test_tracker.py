"""Rasa's SQL tracker store from DATABASE_URL, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import asyncio
import contextvars
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from bot.engine.patches import resolve_event_types_once
from bot.engine.tracker_store import tracker_store_for
from bot.engine.turns import current_turn, turn

PG_URL = os.environ.get("TEST_DATABASE_URL")


def _urls(tmp_path: Path) -> dict[str, str]:
    return {"sqlite": f"sqlite:///{tmp_path / 'nested' / 'donghanh.db'}"}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("PostgreSQL part skipped: TEST_DATABASE_URL is not set")
        return PG_URL
    return _urls(tmp_path)["sqlite"]


async def test_tracker_round_trip(database_url: str) -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    store = tracker_store_for(database_url)
    store.domain = Domain.empty()
    sender = f"test-{uuid.uuid4().hex}"
    tracker = DialogueStateTracker(sender, slots=[])
    tracker.update(ActionExecuted("action_listen"))
    intent = {"name": "ask_cyberbullying", "confidence": 0.9}
    tracker.update(UserUttered("con tôi bị bắt nạt", intent))
    await store.save(tracker)
    loaded = await store.retrieve(sender)
    assert loaded is not None
    assert loaded.latest_message.text == "con tôi bị bắt nạt"
    assert sender in list(await store.keys())


def test_sqlite_folder_is_created(tmp_path: Path) -> None:
    tracker_store_for(f"sqlite:///{tmp_path / 'a' / 'b' / 'x.db'}")
    assert (tmp_path / "a" / "b").is_dir()


def _selects(store: Any) -> list[str]:
    """Every SELECT the store's engine runs from now on."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", record)
    return seen


def _stored_events(store: Any, sender: str) -> list[dict[str, Any]]:
    with store.session_scope() as session:
        rows = store._event_query(session, sender, fetch_events_from_all_sessions=True).all()
        return [json.loads(row.data) for row in rows]


def _tracker(sender: str, *texts: str) -> Any:
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker(sender, slots=[])
    for text in texts:
        tracker.update(ActionExecuted("action_listen"))
        tracker.update(UserUttered(text, {"name": "greet", "confidence": 1.0}))
    return tracker


async def test_a_turn_reads_the_tracker_once_and_saves_only_new_events(database_url: str) -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered

    store = tracker_store_for(database_url)
    store.domain = Domain.empty()
    sender = f"test-{uuid.uuid4().hex}"
    await store.save(_tracker(sender, "chào", "cảm ơn"))  # outside a turn: Rasa's own save
    selects = _selects(store)
    with turn(sender) as current:
        first = await store.retrieve(sender)
        again = await store.retrieve(sender)
        assert again is first and current.stored == 4
        first.update(BotUttered("Chào bạn"))
        first.update(BotUttered("Mình có thể giúp gì?"))
        await store.save(first)  # several new events: one INSERT, in order
        first.update(_tracker(sender, "tạm biệt").events[1])
        await store.save(first)
    assert current.tracker is first and current.stored == 7
    assert len(selects) == 2  # a look at the last event, one read; no counting before the saves
    stored = _stored_events(store, sender)
    assert [e["event"] for e in stored] == [
        "action",
        "user",
        "action",
        "user",
        "bot",
        "bot",
        "user",
    ]
    assert [e["text"] for e in stored if e["event"] == "bot"] == [
        "Chào bạn",
        "Mình có thể giúp gì?",
    ]
    assert [e.get("text") for e in stored if e["event"] == "user"] == ["chào", "cảm ơn", "tạm biệt"]
    reread = await store.retrieve(sender)  # outside the turn: a fresh read of what is stored
    assert reread is not first and [e.as_dict() for e in reread.events] == stored


async def test_a_new_person_in_a_turn_is_created_once(database_url: str) -> None:
    from rasa.shared.core.domain import Domain

    store = tracker_store_for(database_url)
    store.domain = Domain.empty()
    sender = f"test-{uuid.uuid4().hex}"
    selects = _selects(store)
    with turn(sender) as current:
        assert await store.retrieve(sender) is None
        created = await store.get_or_create_tracker(sender)  # Rasa's path for a new person
        # one look at the person's last event, which finds none: not Rasa's session query…
        assert len(selects) == 1 and "LIMIT" in selects[0] and "max(" not in selects[0].lower()
        # …and nothing stored to count: the events are written as new
        assert await store.retrieve(sender) is created
        created.update(_tracker(sender, "alo").events[1])
        await store.save(created)
    assert current.tracker is created
    assert [e["event"] for e in _stored_events(store, sender)] == ["action", "user"]


async def test_a_person_not_kept_in_memory_is_read_in_full(database_url: str) -> None:
    from rasa.shared.core.domain import Domain

    store = tracker_store_for(database_url)
    writer = tracker_store_for(database_url)  # another worker stored the conversation
    store.domain = writer.domain = Domain.empty()
    sender = f"test-{uuid.uuid4().hex}"
    await writer.save(_tracker(sender, "chào", "cảm ơn"))
    selects = _selects(store)
    with turn(sender):
        tracker = await store.retrieve(sender)
    assert len(selects) == 2  # the look at the last event finds one: Rasa's query reads them all
    assert [e.text for e in tracker.events if e.type_name == "user"] == ["chào", "cảm ơn"]


async def test_turns_of_other_people_and_other_tasks_are_not_shared(database_url: str) -> None:
    from rasa.shared.core.domain import Domain

    store = tracker_store_for(database_url)
    store.domain = Domain.empty()
    a, b = f"a-{uuid.uuid4().hex}", f"b-{uuid.uuid4().hex}"
    await store.save(_tracker(a, "một"))
    await store.save(_tracker(b, "hai"))

    async def other_task() -> Any:
        return await store.retrieve(a)

    with turn(a):
        mine = await store.retrieve(a)
        assert await store.retrieve(b) is not await store.retrieve(b)  # b is not in a turn
        theirs = await asyncio.create_task(other_task())  # a task started in the turn is in it…
        assert theirs is mine
        context = contextvars.copy_context()
    assert context.run(current_turn, a) is None  # …until the turn ends
    assert await asyncio.create_task(other_task()) is not mine


def test_event_types_are_resolved_as_rasa_does() -> None:
    from rasa.shared.core.events import Event, SlotSet, UserUttered
    from rasa.shared.utils.common import all_subclasses

    resolve_event_types_once()
    for cls in all_subclasses(Event):
        first = next(c for c in all_subclasses(Event) if c.type_name == cls.type_name)
        assert Event.resolve_by_type(cls.type_name) is first
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("no such event", SlotSet) is SlotSet
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no such event")


def test_sqlite_events_skip_the_disk_sync_but_the_app_data_does_not(tmp_path: Path) -> None:
    from sqlalchemy import text

    from bot.storage.store import make_engine

    url = f"sqlite:///{tmp_path / 'donghanh.db'}"
    store = tracker_store_for(url)
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    with make_engine(url).connect() as connection:
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL


async def _one_turn(store: Any, sender: str, text: str) -> Any:
    """A turn that reads the tracker and adds one exchange; the tracker it ended with."""
    from rasa.shared.core.events import BotUttered

    with turn(sender) as current:
        tracker = await store.retrieve(sender)
        if tracker is None:
            tracker = await store.get_or_create_tracker(sender)
        for event in _tracker(sender, text).events:
            tracker.update(event)
        tracker.update(BotUttered(f"đáp: {text}"))
        await store.save(tracker)
    return current.tracker


async def test_the_next_turn_reuses_the_tracker_after_one_check(database_url: str) -> None:
    from rasa.shared.core.domain import Domain

    store = tracker_store_for(database_url)
    store.domain = Domain.empty()
    sender = f"test-{uuid.uuid4().hex}"
    first = await _one_turn(store, sender, "chào")
    selects = _selects(store)
    second = await _one_turn(store, sender, "cảm ơn")
    assert second is first  # no rebuild from the database…
    assert len(selects) == 1 and "ORDER BY" in selects[0]  # …only a look at the last event
    texts = [e.text for e in (await store.retrieve(sender)).events if e.type_name == "user"]
    assert texts == ["chào", "cảm ơn"]


async def test_a_write_from_elsewhere_makes_the_next_turn_read_again(database_url: str) -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ConversationPaused

    store = tracker_store_for(database_url)
    other = tracker_store_for(database_url)  # another worker, or the console
    store.domain = other.domain = Domain.empty()
    sender = f"test-{uuid.uuid4().hex}"
    first = await _one_turn(store, sender, "chào")
    elsewhere = await other.retrieve(sender)
    elsewhere.update(ConversationPaused())
    await other.save(elsewhere)
    with turn(sender):
        fresh = await store.retrieve(sender)
    assert fresh is not first and fresh.is_paused()


async def test_a_tracker_is_not_kept_after_a_failed_turn_or_a_deletion(database_url: str) -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered

    from bot.engine.tracker_store import forget_tracker

    store = tracker_store_for(database_url)
    store.domain = Domain.empty()
    sender = f"test-{uuid.uuid4().hex}"
    first = await _one_turn(store, sender, "chào")
    with pytest.raises(RuntimeError), turn(sender):
        tracker = await store.retrieve(sender)
        assert tracker is first
        tracker.update(BotUttered("chưa lưu"))  # the turn fails before saving this
        raise RuntimeError("boom")
    with turn(sender):
        again = await store.retrieve(sender)
    said = [e.text for e in again.events if e.type_name == "bot"]
    assert again is not first and "chưa lưu" not in said
    await _one_turn(store, sender, "xoá giúp em")
    assert sender in store.recent
    forget_tracker(store, sender)
    assert sender not in store.recent
    with turn(sender):
        assert await store.retrieve(sender) is None


async def test_a_deletion_by_another_process_is_noticed(database_url: str) -> None:
    from rasa.shared.core.domain import Domain

    from bot.engine.tracker_store import forget_tracker

    store = tracker_store_for(database_url)
    purger = tracker_store_for(database_url)  # `donghanh purge` runs in its own process
    store.domain = purger.domain = Domain.empty()
    sender = f"test-{uuid.uuid4().hex}"
    await _one_turn(store, sender, "chào")
    assert forget_tracker(purger, sender) > 0
    with turn(sender):
        assert await store.retrieve(sender) is None


async def test_only_the_most_recent_trackers_are_kept(database_url: str) -> None:
    from rasa.shared.core.domain import Domain

    from bot.engine.tracker_store import TurnTrackerStore

    store = tracker_store_for(database_url)
    assert isinstance(store, TurnTrackerStore)
    store.domain = Domain.empty()
    store.recent_size = 2
    people = [f"p{i}-{uuid.uuid4().hex}" for i in range(3)]
    for person in people:
        await _one_turn(store, person, "chào")
    assert list(store.recent) == people[1:]
    await _one_turn(store, people[1], "nữa")  # used again: now the most recent
    assert list(store.recent) == [people[2], people[1]]


async def test_a_tracker_that_started_a_new_session_is_read_again(database_url: str) -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted

    store = tracker_store_for(database_url)
    store.domain = Domain.empty()
    sender = f"test-{uuid.uuid4().hex}"
    with turn(sender):
        tracker = await store.get_or_create_tracker(sender)
        for event in (SessionStarted(), ActionExecuted("action_listen")):
            tracker.update(event)
        await store.save(tracker)
    assert sender in store.recent
    with turn(sender):  # the session expired: Rasa adds a new session to the same tracker
        tracker = await store.retrieve(sender)
        for event in (ActionExecuted("action_session_start"), SessionStarted(),
                      ActionExecuted("action_listen")):  # fmt: skip
            tracker.update(event)
        await store.save(tracker)
    assert sender not in store.recent  # `retrieve` reads the latest session only
    with turn(sender):
        latest = await store.retrieve(sender)
    assert [e.type_name for e in latest.events].count("session_started") == 1


async def test_the_rows_are_those_rasas_own_store_writes(tmp_path: Path) -> None:
    """Both saves, now in a worker thread (the counted one outside a turn, the turn's insert),
    write exactly the rows of Rasa's `SQLTrackerStore` given the same events."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered
    from sqlalchemy import text

    ours = tracker_store_for(f"sqlite:///{tmp_path / 'ours.db'}")
    rasas = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "rasa.db"))
    ours.domain = Domain.empty()
    sender = f"test-{uuid.uuid4().hex}"
    first = _tracker(sender, "chào", "cảm ơn")
    await ours.save(first)
    await rasas.save(first)
    reply, later = BotUttered("Chào bạn", metadata={"k": 1}), _tracker(sender, "tạm biệt").events
    with turn(sender):
        tracker = await ours.retrieve(sender)
        for event in (reply, *later):
            tracker.update(event)
        await ours.save(tracker)
    mirror = await rasas.retrieve(sender)
    for event in (reply, *later):
        mirror.update(event)
    await rasas.save(mirror)

    def rows(store: Any) -> list[tuple[Any, ...]]:
        query = "SELECT id, sender_id, type_name, timestamp, intent_name, action_name, data " \
                "FROM events ORDER BY id"  # fmt: skip
        with store.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query))]

    assert len(rows(ours)) == 7
    assert rows(ours) == rows(rasas)
    rasas.engine.dispose()


async def test_on_sqlite_the_saves_of_one_process_take_turns(tmp_path: Path) -> None:
    """Saves run in worker threads; on SQLite they write one at a time, as they did on the event
    loop, instead of meeting SQLite's lock and sleeping in its busy handler."""
    import threading

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered
    from sqlalchemy import event

    store = tracker_store_for(f"sqlite:///{tmp_path / 'donghanh.db'}")
    store.domain = Domain.empty()
    guard, writing, most = threading.Lock(), [0], [0]

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT"):
            with guard:
                writing[0] += 1
                most[0] = max(most[0], writing[0])

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT"):
            with guard:
                writing[0] -= 1

    event.listen(store.engine, "before_cursor_execute", before)
    event.listen(store.engine, "after_cursor_execute", after)

    async def one(sender: str, in_turn: bool) -> None:
        tracker = _tracker(sender, "chào")
        tracker.update(BotUttered("Chào bạn"))
        if not in_turn:
            await store.save(tracker)  # Rasa's counted save
            return
        with turn(sender):
            assert await store.retrieve(sender) is None
            created = await store.get_or_create_tracker(sender)
            for event_ in tracker.events:
                created.update(event_)
            await store.save(created)  # the turn's insert

    people = [f"p{i}-{uuid.uuid4().hex}" for i in range(20)]
    await asyncio.gather(*(one(person, i % 2 == 0) for i, person in enumerate(people)))
    assert most == [1]  # without the lock: 14 INSERTs at once, all but one waiting for SQLite
    assert all(_stored_events(store, person)[-1]["event"] == "bot" for person in people)
