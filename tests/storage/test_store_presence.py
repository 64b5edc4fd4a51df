"""Console presence: `mark_active` and `active_operators`, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select

from bot.storage.models import Operator
from bot.storage.store import Store
from tests.helpers.fakes import Clock


def add(store: Store, *names: str) -> None:
    for name in names:
        store.add_operator(name, "hash", "counsellor")


def test_active_operators_are_those_seen_since(store: Store, clock: Clock) -> None:
    add(store, "lan", "minh", "hoa")
    assert store.active_operators(clock.now - timedelta(minutes=5)) == []
    store.mark_active("lan", clock.now)
    store.mark_active("minh", clock.now - timedelta(minutes=10))
    assert store.active_operators(clock.now - timedelta(minutes=5)) == ["lan"]
    assert store.active_operators(clock.now - timedelta(minutes=15)) == ["lan", "minh"]


def test_a_disabled_account_is_never_on_duty(store: Store, clock: Clock) -> None:
    add(store, "lan", "minh")
    store.mark_active("lan", clock.now)
    store.mark_active("minh", clock.now)
    store.set_operator_active("minh", False)
    assert store.active_operators(clock.now - timedelta(minutes=1)) == ["lan"]


def test_an_unknown_operator_is_ignored(store: Store, clock: Clock) -> None:
    store.mark_active("nobody", clock.now)
    assert store.active_operators(clock.now - timedelta(minutes=1)) == []


def test_activity_is_written_at_most_once_a_minute(store: Store, clock: Clock) -> None:
    add(store, "lan")
    updates: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("UPDATE OPERATORS"):
            updates.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    for seconds in range(0, 60, 5):  # a poll every 5 s for a minute: one write
        store.mark_active("lan", clock.now + timedelta(seconds=seconds))
    assert len(updates) == 1
    store.mark_active("lan", clock.now + timedelta(seconds=61))
    assert len(updates) == 2
    with store.session() as s:
        stored = s.execute(select(Operator.last_active_at)).scalar_one()
    assert stored == clock.now + timedelta(seconds=61)


def test_another_worker_does_not_rewrite_a_fresh_mark(database_url: str, clock: Clock) -> None:
    first, second = Store.open(database_url), Store.open(database_url)
    try:
        add(first, "lan")
        first.mark_active("lan", clock.now)
        second.mark_active("lan", clock.now + timedelta(seconds=30))  # within the minute
        with first.session() as s:
            assert s.execute(select(Operator.last_active_at)).scalar_one() == clock.now
        since = clock.now + timedelta(seconds=10)
        assert first.active_operators(since) == []  # the mark is at most a minute old
        assert first.active_operators(clock.now - timedelta(minutes=1)) == ["lan"]
    finally:
        first.engine.dispose()
        second.engine.dispose()
