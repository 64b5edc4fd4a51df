"""The limits: per person, new conversations per address and in total, login back-off (memory and
Redis on 127.0.0.1 only)."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import replace
from typing import Any, AsyncIterator

import pytest

from bot.limits import (
    SWEEP_SECONDS,
    Backoff,
    Limits,
    MemoryFirstSeen,
    MemoryRateLimiter,
    RateLimiter,
    RedisFirstSeen,
    RedisRateLimiter,
    client_address,
    over_limit,
    rate_limiter_for,
)
from bot.settings import Settings
from tests.helpers.fakes import Clock

REDIS_URL = "redis://127.0.0.1:6379/15"


START = 1_800_000_000.0  # a bucket boundary (÷ 60)


@contextlib.asynccontextmanager
async def redis_space() -> AsyncIterator[tuple[Any, str]]:
    """A client on 127.0.0.1 and a random key prefix, deleted afterwards (skips without Redis)."""
    from redis.asyncio import Redis
    from redis.exceptions import ConnectionError as RedisDown

    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except RedisDown:
        await client.close()
        pytest.skip("Redis part skipped: nothing listens on 127.0.0.1:6379")
    prefix = f"test:{uuid.uuid4().hex}:"
    try:
        yield client, prefix
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.close()


@contextlib.asynccontextmanager
async def limiter(backend: str, limit: int, clock: Clock) -> AsyncIterator[RateLimiter]:
    if backend == "memory":
        yield MemoryRateLimiter(limit, clock=clock)
        return
    async with redis_space() as (client, prefix):
        yield RedisRateLimiter(client, limit, prefix=prefix, clock=clock)


BACKENDS = pytest.mark.parametrize("backend", ["memory", "redis"])


async def hits(limiter: RateLimiter, person: str, n: int) -> list[bool]:
    return [await limiter.hit(person) for _ in range(n)]


def test_over_limit_weights_the_previous_minute() -> None:
    assert not over_limit(20, previous=0, current=20, elapsed=0.0)
    assert over_limit(20, previous=0, current=21, elapsed=0.9)
    assert over_limit(20, previous=20, current=1, elapsed=0.0)
    assert not over_limit(20, previous=20, current=10, elapsed=0.5)
    assert over_limit(20, previous=20, current=11, elapsed=0.5)


@BACKENDS
async def test_the_message_over_the_limit_is_refused(backend: str) -> None:
    async with limiter(backend, 3, Clock(START)) as limited:
        assert await hits(limited, "p1", 4) == [False, False, False, True]
        assert await hits(limited, "p2", 3) == [False, False, False]  # others are not counted


@BACKENDS
async def test_the_window_slides(backend: str) -> None:
    clock = Clock(START)
    async with limiter(backend, 4, clock) as limited:
        clock.now += 50  # 4 messages late in one minute ...
        assert await hits(limited, "p", 4) == [False] * 4
        clock.now += 15  # ... are still inside the window 15 s later, in the next bucket
        assert await limited.hit("p")
        clock.now += 45  # 75% of the new bucket passed: 4 × 25% + 1 + 1 = 3 ≤ 4
        assert not await limited.hit("p")
        clock.now += 120  # two quiet minutes forget everything
        assert await hits(limited, "p", 4) == [False] * 4


async def test_memory_forgets_quiet_people() -> None:
    clock = Clock(START)
    limiter = MemoryRateLimiter(2, clock=clock)
    await limiter.hit("quiet")
    clock.now += SWEEP_SECONDS + 1
    await limiter.hit("busy")
    assert list(limiter._buckets) == ["busy"]


async def test_redis_keys_expire_and_are_shared_by_workers() -> None:
    clock = Clock(START)
    async with redis_space() as (client, prefix):
        workers = [RedisRateLimiter(client, 3, prefix=prefix, clock=clock) for _ in "ab"]
        assert [await w.hit("p") for w in workers * 2] == [False, False, False, True]
        [key] = [k async for k in client.scan_iter(match=f"{prefix}*")]
        assert key.decode() == f"{prefix}p:{int(clock.now // 60)}"
        assert 0 < await client.ttl(key) <= 120


async def test_redis_down_limits_nobody(caplog: pytest.LogCaptureFixture) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    limiter = RedisRateLimiter(client, 1)
    assert await hits(limiter, "p", 3) == [False, False, False]
    await client.close()
    assert "rate limit not applied" in caplog.text and "p" not in caplog.messages[0].split()


async def test_rate_limiter_for_settings(settings: Settings) -> None:
    limits = rate_limiter_for(settings)
    assert isinstance(limits, Limits) and isinstance(limits.person, MemoryRateLimiter)
    assert limits.person.limit == settings.rate_limit_per_minute
    assert isinstance(limits.per_source, MemoryRateLimiter)
    assert isinstance(limits.total, MemoryRateLimiter)
    assert rate_limiter_for(replace(settings, rate_limit_per_minute=0)).person is None
    shared = rate_limiter_for(replace(settings, redis_url=REDIS_URL))
    assert isinstance(shared.person, RedisRateLimiter)
    assert shared.person.limit == settings.rate_limit_per_minute
    assert shared.person.prefix == "donghanh:rate:"  # REDIS_KEY_PREFIX's default: as before
    assert isinstance(shared.first_seen, RedisFirstSeen)
    assert shared.first_seen.prefix == "donghanh:seen:"
    await shared.person.client.close()


async def test_the_redis_limiter_counts_under_redis_key_prefix(settings: Settings) -> None:
    async with redis_space() as (client, prefix):
        configured = replace(settings, redis_url=REDIS_URL, redis_key_prefix=prefix)
        shared = rate_limiter_for(configured)
        assert isinstance(shared.person, RedisRateLimiter)
        await shared.hit("p")
        await shared.new_conversation("p", "a-1")
        keys = sorted([k.decode() async for k in client.scan_iter(match=f"{prefix}*")])
        kinds = sorted(k[len(prefix) :].split(":")[0] for k in keys)
        assert kinds == ["new", "new", "rate", "seen"]  # the address's and everyone's: "new"
        await shared.person.client.close()


# New conversations per address and in total -----------------------------------------------------
def limits_for(client: Any, prefix: str, clock: Clock, per_source: int, total: int) -> Limits:
    """Memory limits without `client`, else Redis limits under `prefix`."""
    if client is None:
        return Limits(
            None,
            first_seen=MemoryFirstSeen(clock=clock),
            per_source=MemoryRateLimiter(per_source, clock=clock),
            total=MemoryRateLimiter(total, clock=clock),
        )
    new = f"{prefix}new:"
    return Limits(
        None,
        first_seen=RedisFirstSeen(client, prefix=f"{prefix}seen:"),
        per_source=RedisRateLimiter(client, per_source, prefix=new, clock=clock),
        total=RedisRateLimiter(client, total, prefix=new, clock=clock),
    )


@contextlib.asynccontextmanager
async def new_limits(
    backend: str, clock: Clock, per_source: int, total: int
) -> AsyncIterator[Limits]:
    if backend == "memory":
        yield limits_for(None, "", clock, per_source, total)
        return
    async with redis_space() as (client, prefix):
        yield limits_for(client, prefix, clock, per_source, total)


@BACKENDS
async def test_new_conversations_are_limited_per_source_and_in_total(backend: str) -> None:
    clock = Clock(START)
    async with new_limits(backend, clock, per_source=3, total=5) as limits:
        over = [await limits.new_conversation(f"p{i}", "a-school") for i in range(4)]
        assert over == [False, False, False, True]
        assert not await limits.new_conversation("p0", "a-school")  # already in a conversation
        assert not await limits.new_conversation("q0", "a-home")  # 5 new in total (p3 counts)
        assert await limits.new_conversation("q1", "a-home")  # the 6th is over the total of 5
        clock.now += 120
        assert not await limits.new_conversation("p9", "a-school")


@BACKENDS
async def test_a_refused_person_stays_new_until_admitted(backend: str) -> None:
    clock = Clock(START)
    async with new_limits(backend, clock, per_source=1, total=100) as limits:
        assert not await limits.new_conversation("p1", "a-1")
        assert await limits.new_conversation("p2", "a-1")
        assert await limits.new_conversation("p2", "a-1")  # writing again does not get in
        await limits.admit("p2")  # an urgent message got through: now in a conversation
        assert not await limits.new_conversation("p2", "a-1")


async def test_memory_first_seen_forgets_after_an_hour() -> None:
    clock = Clock(START)
    seen = MemoryFirstSeen(clock=clock)
    await seen.remember("p")
    clock.now += 3599
    assert await seen.known("p")
    clock.now += 3600
    assert not await seen.known("p")


@pytest.mark.parametrize(("peer", "header", "proxies", "expected"), [
    ("203.0.113.5", "1.1.1.1", (), "203.0.113.5"),  # no trusted proxy: the header is ignored
    ("10.0.0.1", "1.1.1.1", ("10.0.0.0/8",), "1.1.1.1"),
    ("10.0.0.1", "6.6.6.6, 1.1.1.1", ("10.0.0.0/8",), "1.1.1.1"),  # the client wrote the left
    ("10.0.0.1", "1.1.1.1, 10.0.0.2", ("10.0.0.0/8",), "1.1.1.1"),  # two proxies
    ("10.0.0.1", "", ("10.0.0.0/8",), "10.0.0.1"),
    ("10.0.0.1", "not-an-address", ("10.0.0.0/8",), "10.0.0.1"),
    ("203.0.113.5", "1.1.1.1", ("10.0.0.0/8",), "203.0.113.5"),  # not from the proxy
])  # fmt: skip
def test_client_address_behind_a_trusted_proxy(
    settings: Settings, peer: str, header: str, proxies: tuple[str, ...], expected: str
) -> None:
    limits = replace(settings.limits, trusted_proxies=proxies)
    assert client_address((peer, 1), {"x-forwarded-for": header}, limits) == expected


# Login back-off -----------------------------------------------------------------------------------
@BACKENDS
async def test_backoff_doubles_past_the_allowance_up_to_the_ceiling(backend: str) -> None:
    clock = Clock(START)

    @contextlib.asynccontextmanager
    async def made() -> AsyncIterator[Backoff]:
        if backend == "memory":
            yield Backoff(base=2, ceiling=60, clock=clock)
            return
        async with redis_space() as (client, prefix):
            yield Backoff(base=2, ceiling=60, client=client, prefix=prefix, clock=clock)

    async with made() as backoff:
        waits = []
        for _ in range(8):
            waits.append(await backoff.wait("k", 3))
            await backoff.fail("k")
        assert waits == [0, 0, 0, 2, 4, 8, 16, 32]
        assert await backoff.wait("k", 3) == 60  # the ceiling
        await backoff.clear("k")
        assert await backoff.wait("k", 3) == 0
