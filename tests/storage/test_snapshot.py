"""Snapshots of rare state (who is blocked, whose case is held): local changes at once."""

from __future__ import annotations

from datetime import timedelta

from bot.storage.blocklist import BlocklistSnapshot
from bot.storage.snapshot import Snapshot
from bot.storage.store import Store
from tests.helpers.fakes import Clock

PERSON = "telegram-0123456789abcdef01234567"


def test_a_snapshot_is_read_again_after_ttl_or_a_local_change() -> None:
    reads: list[int] = []
    version = [0]
    ticker = Clock(100.0)  # monotonic seconds

    def load() -> int:
        reads.append(1)
        return len(reads)

    snap = Snapshot(load, ttl=2.0, version=lambda: version[0], clock=ticker)
    assert snap.get() == 1 and snap.get() == 1
    ticker.now += 1.9
    assert snap.get() == 1
    ticker.now += 0.1
    assert snap.get() == 2
    version[0] += 1
    assert snap.get() == 3 and snap.get() == 3


def test_a_block_made_here_is_seen_at_once(store: Store) -> None:
    blocklist = BlocklistSnapshot(store, ttl=3600)
    assert not blocklist.is_blocked(PERSON)
    store.block(PERSON, "sup", days=1)
    assert blocklist.is_blocked(PERSON)
    store.unblock(PERSON)
    assert not blocklist.is_blocked(PERSON)


def test_a_block_made_by_another_worker_is_seen_within_ttl(store: Store, clock: Clock) -> None:
    other = Store(store.engine, clock=clock)  # another process's store on the same database
    ticker = Clock(100.0)
    blocklist = BlocklistSnapshot(store, ttl=2.0, clock=ticker)
    assert not blocklist.is_blocked(PERSON)
    other.block(PERSON, "sup", days=1)
    assert not blocklist.is_blocked(PERSON)  # not yet: the snapshot is younger than ttl
    ticker.now += 2.0
    assert blocklist.is_blocked(PERSON)


def test_a_block_ends_on_time_even_inside_the_snapshot(store: Store, clock: Clock) -> None:
    blocklist = BlocklistSnapshot(store, ttl=3600)
    store.block(PERSON, "sup", days=1)
    assert blocklist.is_blocked(PERSON)
    clock.now += timedelta(days=1)
    assert not blocklist.is_blocked(PERSON)


def test_held_people_are_those_claimed_and_not_handed_back(store: Store) -> None:
    ref = store.open_escalation(person_id=PERSON, channel="telegram", priority="urgent_danger",
                                reason="r", context={})  # fmt: skip
    assert store.held_people() == frozenset()
    before = store.changes
    assert store.claim(ref.id, "op")
    assert store.changes > before  # a local snapshot reads again at once
    assert store.held_people() == {PERSON}
    assert store.hand_back(ref.id, "op")
    assert store.held_people() == frozenset()
