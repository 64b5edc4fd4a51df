"""The lock store: in memory for one process, in Redis (shared by the workers) with REDIS_URL."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from bot.storage.locks import lock_store_for

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def test_no_url_means_in_memory() -> None:
    from rasa.core.lock_store import InMemoryLockStore

    assert isinstance(lock_store_for(""), InMemoryLockStore)


def test_a_bad_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="redis://"):
        lock_store_for("http://127.0.0.1:6379/0")


async def test_two_lock_stores_on_one_redis_exclude_each_other() -> None:
    """Two workers = two lock stores; one person's turns run one after the other."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis part skipped: nothing answers at {REDIS_URL}")
    first, second = lock_store_for(REDIS_URL), lock_store_for(REDIS_URL)
    person, inside, overlaps = f"p-{uuid.uuid4().hex}", [], []

    async def turn(store, name: str) -> None:  # noqa: ANN001
        async with store.lock(person, wait_time_in_seconds=0.01):
            inside.append(name)
            overlaps.append(len(inside))
            await asyncio.sleep(0.05)
            inside.remove(name)

    await asyncio.gather(*(turn(s, f"{i}") for i, s in enumerate([first, second] * 3)))
    assert overlaps == [1] * 6
