"""The load driver's pure parts: sticky routing, conversations, what counts as an error."""

import random
import uuid
from collections import Counter

import pytest

from bench.load import (
    LevelResult,
    MessagePool,
    conversation,
    conversations,
    pauses,
    pool_from,
    reply_error,
    route,
)

POOL = MessagePool(
    openers=("chào bạn", "hi ad"),
    topics=("con bị lừa chuyển tiền", "cách bật xác thực hai lớp", "/ask_scam"),
    closers=("cảm ơn", "tạm biệt"),
)


def test_route_is_stable_and_in_range():
    senders = [f"person-{i}" for i in range(500)]
    first = [route(s, 3) for s in senders]
    assert first == [route(s, 3) for s in senders]
    assert set(first) == {0, 1, 2}


def test_route_spreads_senders_roughly_evenly():
    counts = Counter(route(f"bench-abc-c200-{i}", 2) for i in range(1000))
    assert 400 < counts[0] < 600


def test_route_with_one_worker_is_always_that_worker():
    assert {route(f"s{i}", 1) for i in range(50)} == {0}


def test_route_does_not_use_pythons_salted_hash():
    # sha256-based: a known value that a per-process hash() could not reproduce.
    assert (
        route("a", 1000)
        == int.from_bytes(__import__("hashlib").sha256(b"a").digest()[:8], "big") % 1000
    )


def test_route_refuses_zero_workers():
    with pytest.raises(ValueError):
        route("a", 0)


def test_pool_leaves_escalations_and_bare_answers_out():
    pool = pool_from(
        [
            ("greet", "chào"),
            ("ask_scam", " bị lừa "),
            ("thank", "cảm ơn"),
            ("goodbye", "bye"),
            ("request_human", "cho gặp người thật"),
            ("urgent_danger", "có người đang đứng chờ"),
            ("self_harm", "..."),
            ("affirm", "ừ"),
            ("deny", "không"),
            ("ask_privacy", "   "),
        ]
    )
    assert pool == MessagePool(openers=("chào",), topics=("bị lừa",), closers=("cảm ơn", "bye"))


def test_conversations_have_three_to_five_messages_in_order():
    rng = random.Random(1)
    lengths = set()
    for i in range(300):
        talk = conversation(POOL, rng, f"p{i}")
        lengths.add(len(talk.messages))
        middle = list(talk.messages)
        if middle[0] in POOL.openers:
            middle = middle[1:]
        if middle[-1] in POOL.closers:
            middle = middle[:-1]
        assert middle and all(m in POOL.topics for m in middle)
    assert lengths == {3, 4, 5}


def test_conversations_have_distinct_senders_and_are_reproducible():
    people = conversations(POOL, 50, seed=7, prefix="run-c20")
    assert len({p.sender for p in people}) == 50
    assert people[0].sender == "run-c20-0"
    assert people == conversations(POOL, 50, seed=7, prefix="run-c20")
    assert people != conversations(POOL, 50, seed=8, prefix="run-c20")


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, [{"recipient_id": "a", "text": "Chào bạn"}], None),
        (200, [{"recipient_id": "a", "text": ""}, {"text": "ok", "buttons": []}], None),
        (200, [], "empty reply"),
        (200, [{"recipient_id": "a", "text": "  "}], "empty reply"),
        (200, [{"recipient_id": "a"}], "empty reply"),
        (200, {"text": "not a list"}, "empty reply"),
        (200, None, "empty reply"),
        (429, None, "HTTP 429"),
        (500, [{"text": "x"}], "HTTP 500"),
    ],
)
def test_reply_error(status, body, expected):
    assert reply_error(status, body) == expected


def test_level_result_figures():
    result = LevelResult(concurrency=20, people=2, latencies_ms=[10.0, 20.0, 30.0], seconds=1.5)
    result.errors["timeout"] += 2
    assert result.answered == 3
    assert result.error_count == 2
    assert result.throughput == pytest.approx(2.0)
    assert result.p(50) == 20.0


def test_level_result_with_nothing_answered():
    result = LevelResult(concurrency=1, people=1)
    assert result.p(95) is None
    assert result.throughput == 0.0


def test_no_pauses_by_default():
    assert pauses("p1", 4, 0.0) == [0.0, 0.0, 0.0, 0.0]


def test_pauses_are_reproducible_per_sender():
    first = pauses("p1", 5, 3.0)
    assert first == pauses("p1", 5, 3.0)
    assert first != pauses("p2", 5, 3.0)
    assert all(p > 0 for p in first)


def test_arrivals_spread_over_the_first_think_period():
    arrivals = [pauses(f"p{i}", 3, 4.0)[0] for i in range(400)]
    assert all(0 <= a <= 4.0 for a in arrivals)
    assert 1.6 < sum(arrivals) / len(arrivals) < 2.4


def test_pauses_average_around_think():
    many = [p for i in range(400) for p in pauses(f"p{i}", 5, 2.0)[1:]]
    assert 1.7 < sum(many) / len(many) < 2.3


async def test_a_level_answers_everyone_through_small_client_pools() -> None:
    """45 people at once (three HTTP clients) against a tiny echo server on a free port."""
    import asyncio
    import socket

    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from bench.load import PEOPLE_PER_CLIENT, SESSION, WEBHOOK, run_level

    peers: set[tuple[str, int]] = set()

    async def echo(request: Request) -> JSONResponse:
        peers.add(request.client)  # type: ignore[arg-type]
        body = await request.json()
        await asyncio.sleep(0.001)
        return JSONResponse([{"recipient_id": body["sender"], "text": body["message"]}])

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def session(request: Request) -> JSONResponse:  # each person first asks for an id
        peers.add(request.client)  # type: ignore[arg-type]
        return JSONResponse({"sender": uuid.uuid4().hex})

    routes = [Route(WEBHOOK, echo, methods=["POST"]), Route(SESSION, session, methods=["POST"])]
    config = uvicorn.Config(Starlette(routes=routes),
                            host="127.0.0.1", port=port, log_level="error", ws="none")  # fmt: skip
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started or serving.done():
                break
            await asyncio.sleep(0.01)
        assert server.started
        people = conversations(POOL, 45, seed=3, prefix="p")
        result = await run_level([f"http://127.0.0.1:{port}"], people, 45, timeout=10)
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)
    assert result.error_count == 0
    assert result.answered == sum(len(p.messages) for p in people)
    pools = -(-45 // PEOPLE_PER_CLIENT)
    assert 45 <= len(peers) <= 45 + 2 * pools  # one connection per person (+2 spare per pool)
