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

from bot.storage.tracker import current_turn, resolve_event_types_once, tracker_store_for, turn

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
    assert len(selects) == 1  # one read; no counting before the saves
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
    with turn(sender) as current:
        assert await store.retrieve(sender) is None
        created = await store.get_or_create_tracker(sender)  # Rasa's path for a new person
        assert await store.retrieve(sender) is created
        created.update(_tracker(sender, "alo").events[1])
        await store.save(created)
    assert current.tracker is created
    assert [e["event"] for e in _stored_events(store, sender)] == ["action", "user"]


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
