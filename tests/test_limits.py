"""The per-person rate limit: the sliding window in memory and in Redis (127.0.0.1 only)."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import replace
from typing import Any, AsyncIterator

import pytest

from bot.limits import (
    SWEEP_SECONDS,
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
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
    assert isinstance(rate_limiter_for(settings), MemoryRateLimiter)
    assert rate_limiter_for(replace(settings, rate_limit_per_minute=0)) is None
    shared = rate_limiter_for(replace(settings, redis_url=REDIS_URL))
    assert isinstance(shared, RedisRateLimiter) and shared.limit == settings.rate_limit_per_minute
    assert shared.prefix == "donghanh:rate:"  # REDIS_KEY_PREFIX's default: the keys of before
    await shared.client.close()


async def test_the_redis_limiter_counts_under_redis_key_prefix(settings: Settings) -> None:
    async with redis_space() as (client, prefix):
        configured = replace(settings, redis_url=REDIS_URL, redis_key_prefix=prefix)
        shared = rate_limiter_for(configured)
        assert isinstance(shared, RedisRateLimiter)
        await shared.hit("p")
        await shared.client.close()
        [key] = [k.decode() async for k in client.scan_iter(match=f"{prefix}*")]
        assert key.startswith(f"{prefix}rate:p:")
