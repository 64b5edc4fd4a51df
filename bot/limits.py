"""Per-person limits the conversation core applies: a rate limit and the operators' blocklist.

The rate limit is a sliding window of `DONGHANH_RATE_LIMIT_PER_MINUTE` messages per person per
minute, counted as two fixed one-minute buckets (the previous bucket weighted by how much of it
still lies inside the window: Cloudflare's "sliding window counter"). That needs one counter per
person and minute, so the same arithmetic runs in memory (one process) or in Redis (`INCR` with
an expiry, shared by every worker) when `REDIS_URL` is set, under the keys
`<REDIS_KEY_PREFIX>rate:<person>:<minute>`. Keys are pseudonyms, never raw ids.

Neither limit ever refuses an urgent message: the core parses a refused message first and
handles it normally when it is urgent (`bot.core.Core`).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Protocol, runtime_checkable

from bot.settings import DEFAULT_REDIS_KEY_PREFIX

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60
SWEEP_SECONDS = 300  # how often the memory limiter forgets people who went quiet


class RateLimiter(Protocol):
    """Counts messages per person."""

    async def hit(self, person_id: str) -> bool:
        """Count one message of `person_id`; True when it is over the limit."""


@runtime_checkable
class Blocklist(Protocol):
    """Something that knows whether an operator blocked a person (`bot.storage.store.Store`)."""

    def is_blocked(self, person_id: str) -> bool:
        """Whether `person_id` is blocked now."""


def over_limit(limit: int, previous: int, current: int, elapsed: float) -> bool:
    """Whether the sliding-window estimate of messages in the last minute exceeds `limit`.

    Args:
        limit: messages allowed per window.
        previous: messages counted in the previous fixed bucket.
        current: messages counted in the current bucket, this one included.
        elapsed: the fraction (0–1) of the current bucket that has passed.
    """
    return previous * (1.0 - elapsed) + current > limit


class MemoryRateLimiter:
    """The sliding window in this process's memory (one worker)."""

    def __init__(
        self, limit: int, *, window: int = WINDOW_SECONDS, clock: Callable[[], float] = time.time
    ) -> None:
        """Allow `limit` messages per `window` seconds per person."""
        self.limit = limit
        self.window = window
        self.clock = clock
        self._buckets: dict[str, tuple[int, int, int]] = {}  # person: (bucket, previous, current)
        self._swept = clock()

    async def hit(self, person_id: str) -> bool:
        """Count one message of `person_id`; True when it is over the limit."""
        now = self.clock()
        bucket = int(now // self.window)
        last, previous, current = self._buckets.get(person_id, (bucket, 0, 0))
        if last != bucket:
            previous, current = (current if last == bucket - 1 else 0), 0
        current += 1
        self._buckets[person_id] = (bucket, previous, current)
        self._sweep(now, bucket)
        return over_limit(self.limit, previous, current, (now % self.window) / self.window)

    def _sweep(self, now: float, bucket: int) -> None:
        if now - self._swept < SWEEP_SECONDS:
            return
        self._swept = now
        stale = [p for p, (last, _, _) in self._buckets.items() if last < bucket - 1]
        for person in stale:
            del self._buckets[person]


class RedisRateLimiter:
    """The sliding window in Redis, shared by every worker: `INCR` per person and minute."""

    def __init__(
        self,
        client: Any,
        limit: int,
        *,
        window: int = WINDOW_SECONDS,
        prefix: str = f"{DEFAULT_REDIS_KEY_PREFIX}rate:",
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Count in `client` (a `redis.asyncio.Redis`) under keys `<prefix><person>:<bucket>`."""
        self.client = client
        self.limit = limit
        self.window = window
        self.prefix = prefix
        self.clock = clock

    async def hit(self, person_id: str) -> bool:
        """Count one message; True when over the limit. If Redis fails, nobody is limited."""
        now = self.clock()
        bucket = int(now // self.window)
        key = f"{self.prefix}{person_id}:{bucket}"
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, 2 * self.window)
                pipe.get(f"{self.prefix}{person_id}:{bucket - 1}")
                current, _, previous = await pipe.execute()
        except Exception as exc:  # noqa: BLE001 - a limit must never stop the bot answering
            log.warning("rate limit not applied: Redis failed (%s)", type(exc).__name__)
            return False
        elapsed = (now % self.window) / self.window
        return over_limit(self.limit, int(previous or 0), int(current), elapsed)


def rate_limiter_for(settings: Any) -> RateLimiter | None:
    """The limiter the settings ask for: Redis when `REDIS_URL` is set, else memory; None if 0."""
    limit = settings.rate_limit_per_minute
    if limit <= 0:
        return None
    if settings.redis_url:
        from redis.asyncio import Redis

        client = Redis.from_url(settings.redis_url)
        return RedisRateLimiter(client, limit, prefix=f"{settings.redis_key_prefix}rate:")
    return MemoryRateLimiter(limit)
