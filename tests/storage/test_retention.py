"""The retention job on SQLite and PostgreSQL: old data goes, recent and others' data stay."""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select, text

from bot.engine.tracker_store import tracker_store_for
from bot.privacy_commands import add_commands
from bot.settings import Settings
from bot.storage.api import TurnRecord
from bot.storage.models import Conversation, ConversationTopic, Escalation, Person
from bot.storage.retention import ACTIONS, purge
from bot.storage.store import Store, make_engine, migrate
from tests.helpers.fakes import Clock

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
DAYS = 90


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def trackers(database_url: str) -> Any:
    """Rasa's own SQL tracker store on the same database (it creates the `events` table)."""
    tracker_store = tracker_store_for(database_url)
    yield tracker_store
    tracker_store.engine.dispose()


def session(at: datetime, *texts: str) -> list[Any]:
    """The events of one Rasa session starting at `at`, one user and one bot event per text."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

    ts = at.timestamp()
    events: list[Any] = [
        ActionExecuted("action_session_start", timestamp=ts),
        SessionStarted(timestamp=ts),
        ActionExecuted("action_listen", timestamp=ts),
    ]
    for i, said in enumerate(texts, start=1):
        events += [
            UserUttered(said, {"name": "ask_scam", "confidence": 1.0}, timestamp=ts + i),
            BotUttered("trả lời", timestamp=ts + i + 0.5),
            ActionExecuted("action_listen", timestamp=ts + i + 0.5),
        ]
    return events


async def save_tracker(trackers: Any, sender: str, events: list[Any]) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    await trackers.save(DialogueStateTracker.from_events(sender, events))


def person_writes(store: Store, clock: Clock, person: str, at: datetime) -> None:
    clock.now = at
    store.touch_person(person, "telegram", "sealed")
    store.record_turn(TurnRecord(person, "telegram", "ask_scam", "parent", False, at))
    clock.now = NOW


def resolved_case(store: Store, clock: Clock, person: str, opened: datetime, days: float) -> int:
    clock.now = opened
    case = store.open_escalation(
        person_id=person,
        channel="telegram",
        priority="request_human",
        reason="asked for a person",
        context={"topic": "ask_scam", "last_messages": [{"text": "tin nhắn riêng tư"}]},
    ).id
    store.add_note(case, "lan", "ghi chú riêng")
    store.claim(case, "lan")
    clock.now = opened + timedelta(days=days)
    store.resolve(case, "lan", "advised")
    clock.now = NOW
    return case


def event_texts(store: Store, sender: str) -> list[str]:
    with store.engine.connect() as c:
        rows = c.execute(
            text("SELECT type_name FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
        ).scalars()
        return list(rows)


def count(store: Store, model: Any, *where: Any) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


@pytest.fixture
async def world(store: Store, clock: Clock, trackers: Any) -> dict[str, Any]:
    """Four people: old and gone, active for months, old with an open case, new."""
    old, active, waiting, new = "telegram-old", "telegram-active", "telegram-waiting", "web-new"
    person_writes(store, clock, old, ago(120))
    await save_tracker(trackers, old, session(ago(120), "chuyện cũ"))
    old_case = resolved_case(store, clock, old, ago(119), days=1)

    person_writes(store, clock, active, ago(100))
    person_writes(store, clock, active, ago(1))
    await save_tracker(
        trackers, active, session(ago(100), "hồi đó") + session(ago(1), "hôm qua", "còn nữa")
    )
    recent_case = resolved_case(store, clock, active, ago(2), days=1)

    person_writes(store, clock, waiting, ago(120))
    await save_tracker(trackers, waiting, session(ago(120), "đang chờ"))
    clock.now = ago(120)
    open_case = store.open_escalation(
        person_id=waiting, channel="telegram", priority="self_harm", reason="rule",
        context={"last_messages": [{"text": "đang chờ"}]},
    ).id  # fmt: skip
    clock.now = NOW

    person_writes(store, clock, new, ago(0.1))
    await save_tracker(trackers, new, session(ago(0.1), "mới"))
    return {
        "people": (old, active, waiting, new),
        "cases": (old_case, recent_case, open_case),
    }


async def test_purge_removes_old_data_and_keeps_recent_and_other_peoples(
    store: Store, world: dict[str, Any], trackers: Any
) -> None:
    old, active, waiting, new = world["people"]
    old_case, recent_case, open_case = world["cases"]
    events_before = {p: event_texts(store, p) for p in world["people"]}
    conversations_before = count(store, Conversation)

    dry = purge(store.engine, now=NOW, days=DAYS, dry_run=True, batch=2)
    assert {p: event_texts(store, p) for p in world["people"]} == events_before
    assert count(store, Person) == 4

    done = purge(store.engine, now=NOW, days=DAYS, batch=2)
    assert done.counts == dry.counts
    assert done.counts == {
        "events": len(events_before[old]) + len(session(ago(100), "hồi đó")),
        "conversations": 3,  # the old, the waiting and the active person's first
        "escalations": 1,
        "case_notes": 1,
        "people": 1,
        "blocked_people": 0,
    }
    assert done.open_cases_kept == 1

    # The old person: gone, their case anonymous statistics, their messages deleted.
    assert event_texts(store, old) == []
    with store.session() as s:
        assert s.get(Person, old) is None
        case = s.get(Escalation, old_case)
        assert (case.person_id, case.context, case.reason) == (None, None, "")
        assert (case.status, case.outcome, case.priority, case.topic) == (
            "resolved", "advised", "request_human", "ask_scam",
        )  # fmt: skip
        assert case.created_at == ago(119) and case.resolved_at == ago(118)
    assert store.notes(old_case) == []

    # Conversations stay counted for the yearly report, unlinked from anyone.
    assert count(store, Conversation) == conversations_before
    assert count(store, Conversation, Conversation.person_id.is_(None)) == 3
    assert count(store, ConversationTopic) == conversations_before

    # The active person: the old session deleted, the current one whole, the recent case intact.
    assert event_texts(store, active) == events_before[active][-len(session(ago(1), "a", "b")) :]
    tracker = await trackers.retrieve(active)
    assert [e.text for e in tracker.events if e.type_name == "user"] == ["hôm qua", "còn nữa"]
    assert store.case(recent_case).person_id == active  # type: ignore[union-attr]
    assert store.notes(recent_case)[0][2] == "ghi chú riêng"
    assert count(store, Conversation, Conversation.person_id == active) == 1

    # An open case keeps its person and everything of theirs, however old.
    assert event_texts(store, waiting) == events_before[waiting]
    assert store.case(open_case).context["last_messages"]  # type: ignore[union-attr]
    assert store.person_address(waiting) == ("telegram", "sealed")

    # The new person is untouched.
    assert event_texts(store, new) == events_before[new]
    assert store.person_address(new) == ("telegram", "sealed")

    again = purge(store.engine, now=NOW, days=DAYS)
    assert set(again.counts.values()) == {0}


async def test_rasa_keeps_working_after_a_purge(
    store: Store, world: dict[str, Any], trackers: Any
) -> None:
    from rasa.shared.core.events import UserUttered

    active = world["people"][1]
    purge(store.engine, now=NOW, days=DAYS)
    tracker = await trackers.retrieve(active)
    tracker.update(UserUttered("hôm nay", {"name": "ask_scam", "confidence": 1.0}))
    await trackers.save(tracker)
    again = await trackers.retrieve(active)
    assert [e.text for e in again.events if e.type_name == "user"] == [
        "hôm qua", "còn nữa", "hôm nay",
    ]  # fmt: skip


async def test_a_longer_retention_keeps_more(store: Store, world: dict[str, Any]) -> None:
    report = purge(store.engine, now=NOW, days=150)
    assert set(report.counts.values()) == {0}
    assert count(store, Person) == 4


def test_expired_blocks_are_deleted_and_others_kept(store: Store, clock: Clock) -> None:
    clock.now = ago(10)
    store.block("telegram-expired", "sup", days=1)
    clock.now = ago(1)
    store.block("telegram-blocked", "sup", days=30, reason="spam")
    clock.now = NOW
    report = purge(store.engine, now=NOW, days=DAYS)
    assert report.counts["blocked_people"] == 1
    assert store.is_blocked("telegram-blocked") and not store.is_blocked("telegram-expired")


def test_without_rasa_events_table_and_bad_periods(store: Store) -> None:
    assert purge(store.engine, now=NOW, days=DAYS).counts["events"] == 0
    with pytest.raises(ValueError):
        purge(store.engine, now=NOW, days=0)


def test_purge_command_prints_counts_per_table(
    store: Store, database_url: str, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser()
    handlers = add_commands(parser.add_subparsers(dest="command"))
    configured = replace(settings, database_url=database_url, retention_days=30)
    args = parser.parse_args(["purge", "--dry-run"])
    assert handlers["purge"](args, configured) == 0
    out = capsys.readouterr().out
    assert "Retention: 30 days" in out and "Dry run" in out
    for table in ACTIONS:
        assert f"{table} " in out
    args = parser.parse_args(["purge", "--days", "0"])
    assert handlers["purge"](args, configured) == 2
    assert "at least one day" in capsys.readouterr().err


def test_migration_0002_keeps_conversation_topics(database_url: str) -> None:
    """SQLite rebuilds `conversations` to relax a column; the topics must survive it."""
    engine = make_engine(database_url)
    migrate(engine, "0001")
    with engine.begin() as c:
        c.execute(text("INSERT INTO people VALUES ('telegram-x', 'telegram', NULL, :t, :t)"),
                  {"t": NOW.replace(tzinfo=None)})  # fmt: skip
        c.execute(
            text(
                "INSERT INTO conversations (id, person_id, channel, urgent, started_at, "
                "last_message_at, message_count) VALUES (1, 'telegram-x', 'telegram', false, :t, "
                ":t, 1)"
            ),
            {"t": NOW.replace(tzinfo=None)},
        )
        c.execute(text("INSERT INTO conversation_topics VALUES (1, 'ask_scam')"))
    migrate(engine)
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM conversation_topics")).scalar() == 1
    with engine.begin() as c:
        c.execute(text("UPDATE conversations SET person_id = NULL"))
    migrate(engine, "0001", down=True)
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM conversations")).scalar() == 0
    engine.dispose()


def test_purge_while_people_keep_writing(store: Store, clock: Clock) -> None:
    """Small transactions: the bot's writes go on during a purge, and what they write stays."""
    import threading

    for i in range(60):
        person_writes(store, clock, f"telegram-old{i}", ago(200))
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(30):
                store.touch_person("telegram-old0", "telegram", "sealed")  # an old one is back
                store.record_turn(TurnRecord("telegram-old0", "telegram", "ask_scam", None,
                                             False, NOW))  # fmt: skip
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    report = purge(store.engine, now=NOW, days=DAYS, batch=1)
    thread.join()
    assert errors == []
    assert 59 <= report.counts["people"] <= 60
    assert store.person_address("telegram-old0") == ("telegram", "sealed")
    assert count(store, Conversation, Conversation.person_id == "telegram-old0") == 1
    assert count(store, Person) == 1


def test_notes_go_by_the_cases_age_even_after_the_person_was_forgotten(
    store: Store, clock: Clock
) -> None:
    """A note written after `/xoa` (the case no longer points to anyone) is purged all the same."""
    case = resolved_case(store, clock, "telegram-gone", ago(120), days=1)
    store.forget_person("telegram-gone")
    store.add_note(case, "lan", "ghi chú sau khi người hỏi đã xóa")
    recent = resolved_case(store, clock, "telegram-recent", ago(10), days=1)
    store.forget_person("telegram-recent")
    store.add_note(recent, "lan", "ghi chú mới")
    assert purge(store.engine, now=NOW, days=DAYS, dry_run=True).counts["case_notes"] == 1
    report = purge(store.engine, now=NOW, days=DAYS)
    assert report.counts["case_notes"] == 1
    assert store.notes(case) == [] and len(store.notes(recent)) == 1


def test_old_cases_keep_no_source_address_hash(store: Store, clock: Clock) -> None:
    from bot.limits import CASE_ORIGIN, CaseOrigin

    token = CASE_ORIGIN.set(CaseOrigin("a-0123456789abcdef01234567", 1, 30))
    try:
        clock.now = ago(120)
        for i in range(3):
            store.open_escalation(person_id=f"web-{i}", channel="web", priority="self_harm",
                                  reason="urgent", context={})  # fmt: skip
    finally:
        CASE_ORIGIN.reset(token)
    for case in store.queue():
        store.resolve(case.id, "sup", "duplicate", any_holder=True)
    clock.now = NOW
    purge(store.engine, now=NOW, days=DAYS)
    with store.session() as s:
        assert s.execute(select(func.count()).where(Escalation.source.is_not(None))).scalar() == 0
