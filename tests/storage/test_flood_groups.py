"""A flood of new cases from one source waits in one case for a supervisor, not in the queue."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Iterator

from bot.limits import CASE_ORIGIN, CaseOrigin
from bot.storage.store import FLOOD, Store
from tests.helpers.fakes import Clock


@contextlib.contextmanager
def origin(source: str | None, per_source: int = 3, total: int = 30) -> Iterator[None]:
    token = CASE_ORIGIN.set(CaseOrigin(source, per_source, total))
    try:
        yield
    finally:
        CASE_ORIGIN.reset(token)


def case(store: Store, person: str, priority: str = "self_harm") -> int:
    return store.open_escalation(person_id=person, channel="web", priority=priority,
                                 reason="urgent", context={}).id  # fmt: skip


def test_over_the_sources_limit_its_new_cases_wait_in_one_group(store: Store, clock: Clock) -> None:
    with origin("a-flood"):
        flood = [case(store, f"web-{i}") for i in range(40)]
    with origin("a-child"):
        child = case(store, "web-child")
    queue = store.queue()
    assert queue[0].id == child  # a real child elsewhere is first
    [group] = [c for c in queue if c.priority == FLOOD]
    assert len(queue) == 2 and group.context == {"members": 40}
    assert [c.id for c in store.group_members(group.id)] == flood  # nothing lost


def test_up_to_the_limit_cases_stay_single(store: Store) -> None:
    with origin("a-school", per_source=3):
        cases = [case(store, f"web-{i}") for i in range(3)]
    assert [c.id for c in store.queue()] == cases


def test_the_window_is_one_minute(store: Store, clock: Clock) -> None:
    with origin("a-school", per_source=2):
        for i in range(4):
            case(store, f"web-{i}")
            clock.now += timedelta(seconds=31)  # never more than two in a minute
    assert all(c.priority != FLOOD for c in store.queue()) and len(store.queue()) == 4


def test_closing_the_group_closes_what_nobody_claimed(store: Store) -> None:
    with origin("a-flood", per_source=1):
        first, second, third = (case(store, f"web-{i}") for i in range(3))
    [group] = store.queue()
    assert store.claim(second, "sup")  # a supervisor takes one out of the group
    assert store.resolve(group.id, "sup", "duplicate", any_holder=True)
    assert {store.case(i).status for i in (first, third)} == {"resolved"}  # type: ignore[union-attr]
    assert [c.id for c in store.queue()] == [second]


def test_over_the_global_limit_only_non_urgent_cases_are_grouped(store: Store) -> None:
    for i in range(4):
        with origin(f"a-{i}", per_source=10, total=2):
            case(store, f"web-asks-{i}", "request_human")
    for i in range(4):
        with origin(f"a-u{i}", per_source=10, total=2):
            case(store, f"web-urgent-{i}", "urgent_danger")
    queue = store.queue()
    assert [c.priority for c in queue].count("urgent_danger") == 4
    assert [c.priority for c in queue].count("request_human") == 2
    assert [c.priority for c in queue].count(FLOOD) == 1


def test_without_an_origin_nothing_is_grouped(store: Store) -> None:
    for i in range(10):
        case(store, f"telegram-{i}")
    assert len(store.queue()) == 10
