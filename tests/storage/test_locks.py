"""The lock store: in memory for one process, in Redis (shared by the workers) with REDIS_URL."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Iterator

import pytest

from bot.engine.locks import lock_store_for
from tests.helpers.servers import redis_key_space

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own on the machine's Redis (its keys are deleted afterwards)."""
    with redis_key_space(REDIS_URL) as own:
        yield own


def test_no_url_means_in_memory() -> None:
    from rasa.core.lock_store import InMemoryLockStore

    assert isinstance(lock_store_for(""), InMemoryLockStore)


def test_a_bad_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="redis://"):
        lock_store_for("http://127.0.0.1:6379/0")


def test_the_keys_start_with_the_prefix() -> None:
    """No server needed: the client connects on first use."""
    assert lock_store_for("redis://127.0.0.1:6379/0").key_prefix == "donghanh:lock:"  # as before
    assert lock_store_for("redis://127.0.0.1:6379/0", "test-1:").key_prefix == "test-1:lock:"


async def test_a_held_lock_is_a_key_under_the_prefix(prefix: str) -> None:
    import redis

    store, person = lock_store_for(REDIS_URL, prefix), f"p-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(REDIS_URL)
    async with store.lock(person):
        assert [k.decode() for k in client.scan_iter(match=f"{prefix}*")] == [
            f"{prefix}lock:{person}"
        ]
    assert client.exists(f"{prefix}lock:{person}") == 0  # released: deleted
    client.close()


async def test_two_lock_stores_on_one_redis_exclude_each_other(prefix: str) -> None:
    """Two workers = two lock stores; one person's turns run one after the other."""
    first, second = lock_store_for(REDIS_URL, prefix), lock_store_for(REDIS_URL, prefix)
    person, inside, overlaps = f"p-{uuid.uuid4().hex}", [], []

    async def turn(store, name: str) -> None:  # noqa: ANN001
        async with store.lock(person, wait_time_in_seconds=0.01):
            inside.append(name)
            overlaps.append(len(inside))
            await asyncio.sleep(0.05)
            inside.remove(name)

    await asyncio.gather(*(turn(s, f"{i}") for i, s in enumerate([first, second] * 3)))
    assert overlaps == [1] * 6
