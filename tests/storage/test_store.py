"""The application store on SQLite and PostgreSQL: people, conversations, cases, operators."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from bot.storage.api import PRIORITIES, StoreAPI, TurnRecord
from bot.storage.models import CaseNote, Conversation, ConversationTopic, Escalation, Person
from bot.storage.store import Store, StoreError
from tests.helpers.fakes import Clock

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def turn(person: str, at: datetime, intent: str | None = "ask_scam", **kw: object) -> TurnRecord:
    return TurnRecord(
        person_id=person,
        channel=str(kw.pop("channel", "telegram")),
        intent=intent,
        audience=kw.pop("audience", "parent"),
        urgent=bool(kw.pop("urgent", False)),
        at=at,
        **kw,
    )  # type: ignore[arg-type]


def open_case(store: Store, person: str, priority: str = "request_human") -> int:
    ref = store.open_escalation(
        person_id=person,
        channel="telegram",
        priority=priority,
        reason="asked",
        context={"topic": "ask_scam", "audience": "child", "last_messages": [{"text": "x"}]},
    )
    return ref.id


def test_store_implements_the_protocol(store: Store) -> None:
    api: StoreAPI = store
    assert api is store
    for name in (
        "touch_person",
        "person_address",
        "record_turn",
        "open_escalation",
        "forget_person",
    ):
        assert callable(getattr(store, name))


def test_sqlite_folder_is_created_and_open_is_repeatable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a' / 'b' / 'x.db'}"
    Store.open(url).engine.dispose()
    again = Store.open(url)  # already at head: nothing to do, nothing fails
    assert again.queue() == []


def test_touch_person_keeps_the_latest_address(store: Store, clock: Clock) -> None:
    store.touch_person("telegram-aaa", "telegram", None)
    assert store.person_address("telegram-aaa") is None
    store.touch_person("telegram-aaa", "telegram", "sealed-1")
    clock.now += timedelta(minutes=5)
    store.touch_person("telegram-aaa", "telegram", None)  # no address: keep the old one
    assert store.person_address("telegram-aaa") == ("telegram", "sealed-1")
    with store.session() as s:
        assert s.get(Person, "telegram-aaa").last_seen == clock.now
    assert store.person_address("nobody") is None


def test_a_new_conversation_starts_after_60_idle_minutes(store: Store) -> None:
    store.record_turn(turn("p1", T0, "greet", campaign="hn2026", extra={"province": "HN"}))
    store.record_turn(turn("p1", T0 + timedelta(minutes=59), "ask_scam"))
    store.record_turn(turn("p1", T0 + timedelta(minutes=121), "ask_scam", urgent=True))
    store.record_turn(turn("p1", T0 + timedelta(minutes=130), "ask_scam", audience=None))
    store.record_turn(turn("p1", T0 + timedelta(minutes=131), "self_harm"))
    with store.session() as s:
        rows = s.execute(select(Conversation).order_by(Conversation.id)).scalars().all()
        topics = s.execute(
            select(ConversationTopic.conversation_id, ConversationTopic.topic).order_by(
                ConversationTopic.topic
            )
        ).all()
    assert [r.message_count for r in rows] == [2, 3]
    assert [r.urgent for r in rows] == [False, True]
    assert (rows[0].campaign, rows[0].province) == ("hn2026", "HN")
    assert rows[1].audience == "parent"  # a turn without audience keeps the known one
    assert rows[1].started_at == T0 + timedelta(minutes=121)
    assert rows[1].last_message_at == T0 + timedelta(minutes=131)
    # greet is not a topic; ask_scam counts once per conversation
    assert topics == [(rows[0].id, "ask_scam"), (rows[1].id, "ask_scam"), (rows[1].id, "self_harm")]


def test_a_turn_touches_the_person_and_keeps_what_came_first(store: Store, clock: Clock) -> None:
    store.record_turn(turn("p1", T0, campaign="hn2026", sealed_address="sealed-1"))
    clock.now += timedelta(minutes=3)
    later = {"campaign": "hcm2026", "extra": {"province": "HN"}, "audience": None}
    store.record_turn(turn("p1", T0 + timedelta(minutes=2), **later))
    store.record_turn(turn("p1", T0 + timedelta(minutes=1), extra={"province": "DN"}))  # late
    assert store.person_address("p1") == ("telegram", "sealed-1")  # no address: the old stays
    with store.session() as s:
        person = s.get(Person, "p1")
        row = s.execute(select(Conversation)).scalar_one()
    assert person.last_seen == clock.now and person.first_seen < clock.now
    assert (row.campaign, row.province, row.audience) == ("hn2026", "HN", "parent")
    assert (row.message_count, row.last_message_at) == (3, T0 + timedelta(minutes=2))


def test_bad_codes_are_not_stored(store: Store) -> None:
    store.record_turn(turn("p1", T0, campaign="x" * 200, extra={"province": "<script>"}))
    with store.session() as s:
        row = s.execute(select(Conversation)).scalar_one()
    assert (row.campaign, row.province) == (None, None)


def test_open_escalation_creates_then_raises_priority(store: Store) -> None:
    ref = store.open_escalation(
        person_id="p1",
        channel="zalo",
        priority="fallback",
        reason="r",
        context={"topic": "ask_scam"},
    )
    assert (ref.status, ref.created) == ("new", True)
    again = store.open_escalation(
        person_id="p1",
        channel="zalo",
        priority="self_harm",
        reason="r",
        context={"topic": "self_harm"},
    )
    assert (again.id, again.created) == (ref.id, False)
    lower = store.open_escalation(
        person_id="p1", channel="zalo", priority="request_human", reason="r", context={"topic": "x"}
    )
    case = store.case(ref.id)
    assert lower.id == ref.id and case is not None
    assert (case.priority, case.rank) == ("self_harm", PRIORITIES["self_harm"])
    assert case.context == {"topic": "x"}
    with pytest.raises(StoreError):
        store.open_escalation(
            person_id="p1", channel="zalo", priority="bogus", reason="", context={}
        )


def test_open_escalation_is_committed_on_return(store: Store, database_url: str) -> None:
    case_id = open_case(store, "p1", "urgent_danger")
    other = create_engine(database_url, future=True)  # a separate connection sees it at once
    with other.connect() as c:
        assert (
            c.execute(select(Escalation.status).where(Escalation.id == case_id)).scalar() == "new"
        )
    other.dispose()


def test_queue_orders_by_priority_then_waiting_time(store: Store, clock: Clock) -> None:
    ids = {}
    for minutes, person, priority in [
        (0, "a", "fallback"),
        (1, "b", "request_human"),
        (2, "c", "self_harm"),
        (3, "d", "urgent_danger"),
        (4, "e", "request_human"),
    ]:
        clock.now = T0 + timedelta(minutes=minutes)
        ids[person] = open_case(store, person, priority)
    assert [c.person_id for c in store.queue()] == ["c", "d", "b", "e", "a"]
    now = T0 + timedelta(minutes=10)
    assert store.queue()[0].waited(now) == timedelta(minutes=8)


def test_lifecycle(store: Store, clock: Clock) -> None:
    case_id = open_case(store, "p1", "self_harm")
    clock.now = T0 + timedelta(minutes=3)
    assert store.claim(case_id, "lan")
    assert not store.claim(case_id, "minh")  # already taken
    assert not store.start_counselling(case_id, "minh")  # not the holder
    assert store.start_counselling(case_id, "lan")
    case = store.case(case_id)
    assert case is not None and case.status == "with_counsellor" and case.held_by("lan")
    assert case.waited(T0 + timedelta(hours=1)) == timedelta(minutes=3)
    assert store.hand_back(case_id, "lan")
    with pytest.raises(StoreError):
        store.resolve(case_id, "lan", "solved")
    assert not store.resolve(case_id, "minh", "advised")
    assert store.resolve(case_id, "lan", "referred_111")
    case = store.case(case_id)
    assert case is not None and (case.status, case.outcome) == ("resolved", "referred_111")
    assert not store.resolve(case_id, "lan", "advised")  # resolved once
    assert store.queue() == []
    # a new request of the same person opens a new case
    assert open_case(store, "p1") != case_id


def test_supervisor_can_resolve_a_case_they_do_not_hold(store: Store) -> None:
    case_id = open_case(store, "p1")
    assert store.resolve(case_id, "boss", "duplicate", any_holder=True)


@pytest.mark.parametrize("workers", [8])
def test_claim_is_atomic_under_concurrency(store: Store, workers: int) -> None:
    """Many operators press "claim" at the same moment, each on its own connection."""
    case_ids = [open_case(store, f"p{i}", "urgent_danger") for i in range(5)]
    for case_id in case_ids:
        barrier = threading.Barrier(workers)
        wins: list[str] = []

        def attempt(
            name: str,
            case_id: int = case_id,
            barrier: threading.Barrier = barrier,
            wins: list[str] = wins,
        ) -> None:
            barrier.wait()
            if store.claim(case_id, name):
                wins.append(name)

        threads = [threading.Thread(target=attempt, args=(f"op{i}",)) for i in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        case = store.case(case_id)
        assert len(wins) == 1
        assert case is not None and case.claimed_by == wins[0] and case.status == "claimed"


def test_timeouts_are_marked_once(store: Store, clock: Clock) -> None:
    old = open_case(store, "p1")
    clock.now = T0 + timedelta(minutes=8)
    fresh = open_case(store, "p2")
    due = store.due_for_timeout(T0 + timedelta(minutes=5))
    assert [c.id for c in due] == [old]
    assert store.mark_timeout_notified(old)
    assert not store.mark_timeout_notified(old)
    assert store.due_for_timeout(T0 + timedelta(minutes=9)) == [store.case(fresh)]


def test_forget_person_leaves_only_anonymous_statistics(store: Store) -> None:
    store.touch_person("p1", "telegram", "sealed")
    store.record_turn(turn("p1", T0))
    case_id = open_case(store, "p1", "self_harm")
    assert store.add_note(case_id, "lan", "đã gọi lại")
    store.touch_person("p2", "telegram", "sealed-2")
    other = open_case(store, "p2")
    gone = store.forget_person("p1")
    assert gone == {
        "conversation_topics": 1,
        "conversations": 1,
        "case_notes": 1,
        "escalations_anonymised": 1,
        "people": 1,
    }
    case = store.case(case_id)
    assert case is not None
    assert (case.person_id, case.context, case.reason) == (None, {}, "")
    assert (case.priority, case.topic, case.audience) == ("self_harm", "ask_scam", "child")
    with store.session() as s:
        assert s.execute(select(CaseNote)).scalars().all() == []
    assert store.person_address("p1") is None
    assert store.person_address("p2") == ("telegram", "sealed-2")
    assert store.case(other).person_id == "p2"  # type: ignore[union-attr]
    assert store.forget_person("p1") == dict.fromkeys(gone, 0)


def test_notes_and_audit(store: Store, clock: Clock) -> None:
    case_id = open_case(store, "p1")
    assert not store.add_note(9999, "lan", "x")
    store.add_note(case_id, "lan", "một")
    clock.now += timedelta(seconds=1)
    store.add_note(case_id, "minh", "hai")
    assert [(a, t) for _, a, t in store.notes(case_id)] == [("lan", "một"), ("minh", "hai")]
    store.audit("lan", "view", case_id)
    store.audit("lan", "claim", case_id, "x" * 500)
    entries = store.audit_entries(case_id=case_id)
    assert [e.action for e in entries] == ["claim", "view"]
    assert max(len(e.detail) for e in entries) == 200


def test_operators_and_lockout(store: Store, clock: Clock) -> None:
    assert store.count_operators() == 0
    store.add_operator("lan", "hash", "counsellor")
    with pytest.raises(StoreError):
        store.add_operator("lan", "hash", "counsellor")
    with pytest.raises(StoreError):
        store.add_operator("x", "hash", "king")
    found = store.operator("lan")
    assert found is not None and found[1] == "hash" and found[0].active
    lockout = timedelta(minutes=15)
    assert not store.login_failed("lan", max_failures=3, lockout=lockout)
    assert not store.login_failed("lan", max_failures=3, lockout=lockout)
    assert store.login_failed("lan", max_failures=3, lockout=lockout)
    view = store.operator("lan")[0]  # type: ignore[index]
    assert view.locked_until == clock.now + lockout
    store.login_succeeded("lan")
    assert store.operator("lan")[0].locked_until is None  # type: ignore[index]
    assert not store.login_failed("ghost", max_failures=3, lockout=lockout)
    assert store.set_operator_active("lan", False)
    assert not store.set_operator_active("ghost", False)
    assert [o.username for o in store.operators()] == ["lan"]
    assert not store.operators()[0].active


def test_on_a_sqlite_file_only_the_counts_skip_the_disk_sync(tmp_path: Path) -> None:
    from sqlalchemy import text

    opened = Store.open(f"sqlite:///{tmp_path / 'donghanh.db'}")
    for engine, expected in ((opened.engine, 2), (opened.turn_engine, 1)):  # FULL, NORMAL
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA synchronous")).scalar() == expected
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
