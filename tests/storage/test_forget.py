"""`/xoa` in the store: nothing left in the files, blocks keep no reason, the holder is told."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.tracker_store import forget_tracker, tracker_store_for
from bot.storage.api import TurnRecord
from bot.storage.store import Store
from tests.helpers.fakes import Clock

MARKER = "Zqxjv-bi-mat-cua-em"


def open_case(store: Store, person: str) -> int:
    return store.open_escalation(
        person_id=person, channel="telegram", priority="self_harm", reason="urgent",
        context={"last_messages": [{"from": "person", "text": MARKER}]},
    ).id  # fmt: skip


async def test_after_forgetting_the_text_is_in_no_file_of_the_database(tmp_path: Path) -> None:
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    url = f"sqlite:///{tmp_path / 'donghanh.db'}"
    store = Store.open(url)
    trackers = tracker_store_for(url)
    person = "telegram-abc"
    await trackers.save(DialogueStateTracker.from_events(person, [UserUttered(MARKER * 20)]))
    store.record_turn(TurnRecord(person, "telegram", "self_harm", "child", True, store.clock()))
    case = open_case(store, person)
    store.add_note(case, "lan", MARKER)
    files = [tmp_path / "donghanh.db", tmp_path / "donghanh.db-wal"]
    assert any(MARKER.encode() in f.read_bytes() for f in files if f.exists())

    forget_tracker(trackers, person)
    store.forget_person(person)

    for f in files:
        if f.exists():
            assert MARKER.encode() not in f.read_bytes(), f.name
    store.engine.dispose()
    store.turn_engine.dispose()
    trackers.engine.dispose()


def test_a_block_outlives_forgetting_but_not_its_reason(store: Store) -> None:
    store.block("telegram-abc", "sup", days=7, reason=f"gửi {MARKER}")
    store.forget_person("telegram-abc")
    block = store.block_of("telegram-abc")
    assert block is not None and block.reason == ""  # still blocked: /xoa is no way around it


def test_open_cases_tell_who_held_them_and_unclaimed_ones_close(store: Store) -> None:
    held, waiting = open_case(store, "telegram-a"), open_case(store, "telegram-b")
    assert store.claim(held, "lan")
    store.forget_person("telegram-a")
    store.forget_person("telegram-b")
    kept = store.case(held)
    assert kept is not None and kept.status == "claimed" and kept.claimed_by == "lan"
    assert kept.forgotten_at is not None and kept.person_id is None and kept.context == {}
    closed = store.case(waiting)
    assert closed is not None and closed.status == "resolved"
    assert closed.outcome == "no_further_contact" and closed.forgotten_at is not None
    assert [c.id for c in store.queue()] == [held]


def test_checkpoint_is_a_no_op_elsewhere(store: Store, clock: Clock) -> None:
    assert store.checkpoint() is True


@pytest.mark.parametrize("times", [2])
def test_forgetting_twice_is_harmless(store: Store, times: int) -> None:
    open_case(store, "telegram-x")
    for _ in range(times):
        store.forget_person("telegram-x")
    assert store.queue() == []
