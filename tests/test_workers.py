"""Two workers on PostgreSQL and Redis: one person's turns never interleave; a worker killed mid-run
loses no escalation, answers no message twice and keeps paused conversations paused; a database
restart makes requests fail cleanly (503) and the workers recover without a restart.

These tests start real `donghanh run` processes against the PostgreSQL of `TEST_DATABASE_URL` (a
fresh database each run) and the Redis of `TEST_REDIS_URL` (default redis://127.0.0.1:6379/14), as
clients: every Redis key they write is under a prefix of their own, deleted afterwards. The
restart test stops and starts a PostgreSQL cluster of its own (`tests/helpers/servers.py`), never
the machine's.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.pseudonym import Pseudonymizer
from tests.helpers.servers import PrivatePostgres, private_postgres, redis_key_space
from tests.helpers.workers import (
    CHAT_IDS,
    IN_FLIGHT,
    Outcome,
    Worker,
    chat_id,
    running_workers,
    send,
    worker_env,
)

pytestmark = [pytest.mark.model, pytest.mark.slow, pytest.mark.workers]
PG_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
KEY = "workers-test-key-0123456789abcdef"
URGENT = "có người dọa gửi ảnh khỏa thân của em cho cả lớp nếu em không chuyển tiền"


def _admin_execute(sql: str) -> None:
    assert PG_URL
    engine = create_engine(PG_URL, future=True, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(sql))
    engine.dispose()


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("PostgreSQL part skipped: TEST_DATABASE_URL is not set")
    name = f"dh_workers_{uuid.uuid4().hex[:8]}"
    _admin_execute(f"CREATE DATABASE {name}")
    yield str(make_url(PG_URL).set(database=name))
    _admin_execute(
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    )
    _admin_execute(f"DROP DATABASE IF EXISTS {name}")


@pytest.fixture(scope="module")
def redis_prefix() -> Iterator[str]:
    """This run's key prefix on the Redis of `TEST_REDIS_URL`; only its keys are deleted after."""
    with redis_key_space(REDIS_URL) as prefix:
        yield prefix


@pytest.fixture(scope="module")
def workers(
    trained_model: Path,
    database_url: str,
    redis_prefix: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[Worker]]:
    tmp = tmp_path_factory.mktemp("workers")
    env = worker_env(database_url, REDIS_URL, tmp / "data", KEY, redis_key_prefix=redis_prefix)
    with running_workers(env, trained_model, tmp) as pool:
        yield pool


def person(sender: str) -> str:
    """The pseudonym of the person a test calls `sender` (their issued web chat id, hashed)."""
    return Pseudonymizer(KEY.encode()).pseudonym("web", CHAT_IDS[sender])


def events_of(database_url: str, sender: str) -> list[dict[str, Any]]:
    engine = create_engine(database_url, future=True)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT type_name, action_name, data FROM events WHERE sender_id = :s ORDER BY id"
            ),
            {"s": person(sender)},
        ).all()
    engine.dispose()
    import json

    return [{"type": r[0], "action": r[1], **json.loads(r[2])} for r in rows]


def assert_turns_whole(events: list[dict[str, Any]]) -> list[str]:
    """Each user message is followed by the bot's whole turn (to action_listen) before the next."""
    ids = []
    for i, event in enumerate(events):
        if event["type"] != "user":
            continue
        ids.append(event.get("message_id"))
        later = events[i + 1 :]
        nxt = next((j for j, e in enumerate(later) if e["type"] == "user"), len(later))
        turn = later[:nxt]
        listens = [e for e in turn if e["type"] == "action" and e["action"] == "action_listen"]
        assert listens, f"turn of {event.get('text')!r} never finished"
    return ids


async def test_one_persons_messages_are_never_handled_by_two_workers_at_once(
    workers: list[Worker], database_url: str
) -> None:
    """Each person sends three messages at once, to alternating workers."""
    texts = ["chào bạn", "con tôi bị lừa nạp thẻ game", "cảm ơn nhé"]
    people = [f"lock-{uuid.uuid4().hex[:8]}" for _ in range(8)]
    async with httpx.AsyncClient(timeout=60) as client:
        jobs = [
            send(client, [workers[i % 2], workers[(i + 1) % 2]], sender, text_)
            for sender in people
            for i, text_ in enumerate(texts)
        ]
        outcomes = await asyncio.gather(*jobs)
    assert all(o.replies for o in outcomes), [o.statuses for o in outcomes if not o.replies]
    for sender in people:
        ids = assert_turns_whole(events_of(database_url, sender))
        assert len(ids) == len(texts) and len(set(ids)) == len(texts)


async def test_a_worker_killed_mid_run_loses_nothing_and_answers_nothing_twice(
    workers: list[Worker], database_url: str
) -> None:
    from bot.engine.tracker_store import tracker_store_for

    paused = [f"paused-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    async with httpx.AsyncClient(timeout=60) as client:
        for sender in paused:
            assert (await send(client, workers, sender, "tôi muốn gặp tư vấn viên")).replies
    store = tracker_store_for(database_url)
    from rasa.shared.core.events import ConversationPaused

    for sender in paused:  # a counsellor holds these conversations
        tracker = await store.get_or_create_tracker(person(sender))
        tracker.update(ConversationPaused())
        await store.save(tracker)

    people = [f"urgent-{uuid.uuid4().hex[:8]}" for _ in range(40)]
    answered: list[Outcome] = []

    async def conversation(client: httpx.AsyncClient, sender: str) -> list[Outcome]:
        first = await send(client, workers, sender, URGENT)
        answered.append(first)
        second = await send(client, workers, sender, "có")
        answered.append(second)
        return [first, second]

    async def killer() -> None:
        # Kill in the middle of the load, and only while the worker holds requests: killing it
        # between two requests would prove nothing (it did once, on a fast run).
        deadline = asyncio.get_running_loop().time() + 120
        while len(answered) < len(people) // 4 or IN_FLIGHT.get(workers[0].port, 0) < 2:
            assert asyncio.get_running_loop().time() < deadline, "worker 0 never held 2 requests"
            await asyncio.sleep(0.005)
        workers[0].kill()
        workers[0].start()
        await asyncio.to_thread(workers[0].wait_healthy)

    async with httpx.AsyncClient(timeout=60) as client:
        results = await asyncio.gather(
            killer(),
            *(conversation(client, s) for s in people),
            *(send(client, workers, s, "cô ơi con tôi vẫn chưa về") for s in paused),
        )
    conversations: list[list[Outcome]] = results[1 : 1 + len(people)]
    paused_outcomes: list[Outcome] = results[1 + len(people) :]

    assert workers[0].starts >= 2 and workers[0].alive()
    retried = [o for c in conversations for o in c if o.attempts > 1]
    assert retried, "the kill hit no request in flight: the test proved nothing"
    for outcomes in conversations:  # every message answered, 111 first for the urgent one
        assert all(o.replies for o in outcomes), [o.statuses for o in outcomes]
        assert "111" in outcomes[0].replies[0]["text"]
    for sender in people:  # each message handled exactly once
        ids = assert_turns_whole(events_of(database_url, sender))
        assert len(ids) == 2 and len(set(ids)) == 2, ids
    engine = create_engine(database_url, future=True)
    with engine.connect() as connection:
        query = "SELECT person_id, count(*) FROM escalations GROUP BY person_id"
        counts = dict(connection.execute(text(query)).all())
    engine.dispose()
    for sender in people:  # no escalation lost, none doubled
        assert counts.get(person(sender)) == 1, sender
    for outcome in paused_outcomes:  # the bot stays quiet while a counsellor holds them
        assert outcome.replies == [] and 200 in outcome.statuses
    for sender in paused:
        tracker = await store.retrieve(person(sender))
        assert tracker is not None and tracker.is_paused()


async def test_a_database_restart_fails_requests_cleanly_and_the_workers_recover(
    trained_model: Path, redis_prefix: str, tmp_path: Path
) -> None:
    """Two workers on a private PostgreSQL cluster, stopped (fast shutdown) and started again."""
    with private_postgres() as server:
        data = tmp_path / "data"
        env = worker_env(server.url, REDIS_URL, data, KEY, redis_key_prefix=redis_prefix)
        with running_workers(env, trained_model, tmp_path) as pool:
            await restart_and_check(server, pool)


async def restart_and_check(server: PrivatePostgres, workers: list[Worker]) -> None:
    """Stop `server`: every request gets a clean 503; start it: the workers answer again."""
    statuses: list[int] = []
    async with httpx.AsyncClient(timeout=30) as client:
        ids = [await chat_id(client, workers, f"db-{i}") for i in range(6)]  # while it is up

        async def ask(i: int) -> None:
            body = {"sender": ids[i], "message": "chào bạn", "message_id": uuid.uuid4().hex}
            try:
                response = await client.post(
                    f"{workers[i % 2].url}/webhooks/rest/webhook", json=body
                )
                statuses.append(response.status_code)
            except httpx.HTTPError:
                statuses.append(-1)

        await asyncio.gather(*(ask(i) for i in range(2)))
        assert statuses == [200, 200], statuses  # the workers run on this server
        statuses.clear()
        server.stop("fast")
        try:
            await asyncio.gather(*(ask(i) for i in range(6)))
        finally:
            server.start()
        assert statuses and set(statuses) == {503}, statuses  # failed cleanly, no crash, no 500
        assert all(w.alive() for w in workers)
        recovered: list[int] = []
        for _ in range(40):
            statuses.clear()
            await asyncio.gather(*(ask(i) for i in range(2)))
            recovered = list(statuses)
            if recovered == [200, 200]:
                break
            await asyncio.sleep(0.5)
        assert recovered == [200, 200], recovered


# Zalo: two workers share one OA -------------------------------------------------------------------
ZALO_TOKEN_SECONDS = 4  # the fake's access tokens expire every 4 s: many expiries in one run
ZALO_RUN_SECONDS = 30.0


def zalo_worker_env(env: dict[str, str], fake_url: str) -> dict[str, str]:
    """A worker's environment with Zalo on: the fake's URLs and keys."""
    from tests.helpers.fake_zalo import APP_ID, APP_SECRET, FIRST_REFRESH_TOKEN, OA_SECRET_KEY

    return {**env, "ZALO_APP_ID": APP_ID, "ZALO_APP_SECRET": APP_SECRET,
            "ZALO_OA_SECRET_KEY": OA_SECRET_KEY, "ZALO_REFRESH_TOKEN": FIRST_REFRESH_TOKEN,
            "ZALO_OPENAPI_BASE_URL": fake_url, "ZALO_OAUTH_BASE_URL": fake_url}  # fmt: skip


async def test_two_workers_answer_zalo_across_token_expiries_without_reusing_a_refresh_token(
    trained_model: Path, database_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    """Three people write to alternating workers for 30 s while the access token expires every
    4 s: every message is answered, every refresh token is sent once (the fake refuses reuse)."""
    from tests.helpers.fake_zalo import FakeZalo, event, signed

    fake = FakeZalo(expires_in=ZALO_TOKEN_SECONDS)
    await fake.start()
    env = worker_env(database_url, REDIS_URL, tmp_path / "zalo-data", KEY,
                     redis_key_prefix=redis_prefix)  # fmt: skip
    answered: list[str] = []
    try:
        with running_workers(zalo_worker_env(env, fake.url), trained_model, tmp_path) as pool:
            async with httpx.AsyncClient(timeout=30) as client:

                async def person_(user: str) -> None:
                    deadline = asyncio.get_running_loop().time() + ZALO_RUN_SECONDS
                    turn = 0
                    while asyncio.get_running_loop().time() < deadline:
                        body = event("user_send_text", user, text="con tôi bị lừa nạp thẻ game",
                                     msg_id=f"{user}-{turn}")  # fmt: skip
                        fake.saw(body)
                        before = sum(m["recipient"]["user_id"] == user for m in fake.messages)
                        raw, headers = signed(body)
                        worker = pool[turn % 2]
                        response = await client.post(f"{worker.url}/webhooks/zalo/webhook",
                                                     content=raw, headers=headers)  # fmt: skip
                        assert response.status_code == 200, response.text
                        await fake.wait_until(lambda n=before: sum(
                            m["recipient"]["user_id"] == user for m in fake.messages) > n,
                            timeout=20)  # fmt: skip
                        answered.append(f"{user}-{turn}")
                        turn += 1

                await asyncio.gather(*(person_(f"90000000000000000{i}") for i in range(3)))
    finally:
        await fake.stop()
    assert len(answered) >= 9
    assert fake.reused == [], fake.reused  # no worker ever sent a used refresh token
    assert set(fake.refused) <= {-216, -220}  # expired tokens, each refreshed and retried
    assert len(fake.refreshes) >= ZALO_RUN_SECONDS / ZALO_TOKEN_SECONDS / 2
    engine = create_engine(database_url, future=True)
    with engine.connect() as connection:
        broken = connection.execute(text("SELECT broken_at FROM zalo_tokens")).scalar()
    engine.dispose()
    assert broken is None
