"""Limits: per person, per address and in total; the operators' blocklist; login back-off.

The rate limit is a sliding window of `DONGHANH_RATE_LIMIT_PER_MINUTE` messages per person per
minute, counted as two fixed one-minute buckets (the previous bucket weighted by how much of it
still lies inside the window: Cloudflare's "sliding window counter"). That needs one counter per
person and minute, so the same arithmetic runs in memory (one process) or in Redis (`INCR` with
an expiry, shared by every worker) when `REDIS_URL` is set, under the keys
`<REDIS_KEY_PREFIX>rate:<person>:<minute>`. Keys are pseudonyms, never raw ids.

A client can choose its sender id (a new web chat id for every message), so per-person limits
alone can be dodged. `Limits` adds what it cannot choose: the address a message came from (from a
trusted proxy's forwarded header, `client_address`), counted as a keyed hash (`source`), and
everyone together. A person not seen for an hour starts a *new conversation*; new conversations
are limited per address and in total per minute. New cases are limited in the store (see
`bot.storage.store.Store.open_escalation`): over the limit of one address they are grouped into one
case for a supervisor. None of these limits ever refuses an urgent message: the core parses a
refused message first and handles it normally when it is urgent (`bot.core.Core`).

Login back-off (`Backoff`) counts failed logins per key (an address, an account, a browser) and
makes a key wait twice as long after each failure past its allowance, up to a ceiling.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol, runtime_checkable

from bot.settings import DEFAULT_REDIS_KEY_PREFIX, LimitSettings

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60
SWEEP_SECONDS = 300  # how often the memory limiter forgets people who went quiet
NEW_AFTER_SECONDS = 3600  # a person silent this long starts a new conversation


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


class FirstSeen(Protocol):
    """Who is in a conversation: wrote, and was let in, within `NEW_AFTER_SECONDS`."""

    async def known(self, person_id: str) -> bool:
        """Whether `person_id` is in a conversation (their hour starts again)."""

    async def remember(self, person_id: str) -> None:
        """Note that `person_id` is in a conversation from now."""


class MemoryFirstSeen:
    """`FirstSeen` in this process's memory."""

    def __init__(self, *, ttl: float = NEW_AFTER_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        """Remember each person for `ttl` seconds after their last message."""
        self.ttl, self.clock = ttl, clock
        self._last: dict[str, float] = {}
        self._swept = clock()

    async def known(self, person_id: str) -> bool:
        """Whether the person wrote within `ttl` (and was let in); their hour starts again."""
        now = self.clock()
        last = self._last.get(person_id)
        if last is None or now - last >= self.ttl:
            return False
        self._last[person_id] = now
        return True

    async def remember(self, person_id: str) -> None:
        """Note the person from now."""
        now = self.clock()
        self._last[person_id] = now
        if now - self._swept >= SWEEP_SECONDS:
            self._swept = now
            self._last = {p: t for p, t in self._last.items() if now - t < self.ttl}


class RedisFirstSeen:
    """`FirstSeen` in Redis: a key per person that expires an hour after their last message."""

    def __init__(self, client: Any, *, prefix: str, ttl: int = NEW_AFTER_SECONDS) -> None:
        """Keys `<prefix><person>`."""
        self.client, self.prefix, self.ttl = client, prefix, ttl

    async def known(self, person_id: str) -> bool:
        """`EXPIRE` answers whether the key exists and moves its end. If Redis fails: known."""
        try:
            return bool(await self.client.expire(f"{self.prefix}{person_id}", self.ttl))
        except Exception as exc:  # noqa: BLE001 - a limit must never stop the bot answering
            log.warning("new-conversation limit not applied: Redis failed (%s)", type(exc).__name__)
            return True

    async def remember(self, person_id: str) -> None:
        """`SET` the key with its expiry."""
        try:
            await self.client.set(f"{self.prefix}{person_id}", b"1", ex=self.ttl)
        except Exception as exc:  # noqa: BLE001
            log.warning("new conversation not noted: Redis failed (%s)", type(exc).__name__)


@dataclass(frozen=True)
class CaseOrigin:
    """Where the message that may open a case came from, and the case limits that apply.

    The core sets it for the time of a turn (`CASE_ORIGIN`); `Store.open_escalation` reads it.
    """

    source: str | None  # `Limits.source`'s hash of the address, None for platform channels
    per_source: int  # new cases a minute from one source before they are grouped (0: no limit)
    total: int  # new non-urgent cases a minute from everywhere before they are grouped


CASE_ORIGIN: ContextVar[CaseOrigin | None] = ContextVar("donghanh_case_origin", default=None)
# The source of the message being handled, set by the channel that knows it (the web chat).
MESSAGE_SOURCE: ContextVar[str | None] = ContextVar("donghanh_message_source", default=None)


class Limits:
    """Every limit on people's messages the core applies, wired once from the settings.

    `hit(person)` is the per-person rate limit (`RateLimiter`); `new_conversation(person,
    source)` counts a message towards the limits on new conversations per source and in total.
    """

    def __init__(
        self,
        person: RateLimiter | None,
        *,
        first_seen: FirstSeen | None = None,
        per_source: RateLimiter | None = None,
        total: RateLimiter | None = None,
        cases_per_source: int = 0,
        cases_total: int = 0,
    ) -> None:
        """Each limiter may be None (no such limit)."""
        self.person = person
        self.first_seen = first_seen
        self.per_source = per_source
        self.total = total
        self.cases_per_source = cases_per_source
        self.cases_total = cases_total

    async def hit(self, person_id: str) -> bool:
        """Count one message of `person_id`; True when it is over the per-person limit."""
        return self.person is not None and await self.person.hit(person_id)

    async def new_conversation(self, person_id: str, source: str | None) -> bool:
        """True when `person_id` starts a new conversation over a per-source or total limit.

        A person refused here is not let in: their next message is counted as new again, so
        sending everything twice does not get round the limit. `admit` lets them in (the core
        does so for an urgent message).
        """
        if self.first_seen is None or await self.first_seen.known(person_id):
            return False
        over = False
        if source is not None and self.per_source is not None:
            over = await self.per_source.hit(source)
        if self.total is not None and await self.total.hit("all"):
            over = True
        if not over:
            await self.first_seen.remember(person_id)
        return over

    async def admit(self, person_id: str) -> None:
        """Let `person_id` into a conversation whatever the limits (after an urgent message)."""
        if self.first_seen is not None:
            await self.first_seen.remember(person_id)

    def case_origin(self, source: str | None) -> CaseOrigin:
        """The case limits for a message from `source`."""
        return CaseOrigin(source, self.cases_per_source, self.cases_total)


async def over_any_limit(limiter: RateLimiter, person_id: str) -> bool:
    """The core's check: the per-person limit, then those on new conversations.

    Also sets `CASE_ORIGIN` for the rest of the turn, so a case it opens is counted where the
    message came from (`MESSAGE_SOURCE`, set by the web chat; None for platform channels).
    """
    if not isinstance(limiter, Limits):
        return await limiter.hit(person_id)
    source = MESSAGE_SOURCE.get()
    CASE_ORIGIN.set(limiter.case_origin(source))
    return await limiter.hit(person_id) or await limiter.new_conversation(person_id, source)


async def admit(limiter: RateLimiter | None, person_id: str) -> None:
    """Let a person whose urgent message passed every limit into a conversation."""
    if isinstance(limiter, Limits):
        await limiter.admit(person_id)


def rate_limiter_for(settings: Any) -> Limits:
    """Every limit the settings ask for: in Redis when `REDIS_URL` is set, else in memory.

    Redis keys: `<prefix>rate:<person>:<minute>` (per person), `<prefix>seen:<person>` (who wrote
    in the last hour), `<prefix>new:<source or all>:<minute>` (new conversations).
    """
    limits: LimitSettings = settings.limits
    per_person, per_address = settings.rate_limit_per_minute, limits.new_conversations_per_address
    total = limits.new_conversations_per_minute
    cases = {"cases_per_source": limits.cases_per_address, "cases_total": limits.cases_per_minute}
    if settings.redis_url:
        from redis.asyncio import Redis

        client = Redis.from_url(settings.redis_url)
        prefix = settings.redis_key_prefix

        def redis(limit: int, space: str) -> RateLimiter | None:
            return RedisRateLimiter(client, limit, prefix=f"{prefix}{space}") if limit > 0 else None

        seen = RedisFirstSeen(client, prefix=f"{prefix}seen:") if per_address or total else None
        return Limits(redis(per_person, "rate:"), first_seen=seen, per_source=redis(per_address,
                      "new:"), total=redis(total, "new:"), **cases)  # fmt: skip

    def memory(limit: int) -> RateLimiter | None:
        return MemoryRateLimiter(limit) if limit > 0 else None

    first_seen = MemoryFirstSeen() if per_address > 0 or total > 0 else None
    return Limits(memory(per_person), first_seen=first_seen, per_source=memory(per_address),
                  total=memory(total), **cases)  # fmt: skip


def client_address(
    client: tuple[str, int] | None, headers: Mapping[str, str], limits: LimitSettings
) -> str:
    """The address a request came from: the peer's, or behind a trusted proxy its forwarded one.

    The forwarded header (`DONGHANH_FORWARDED_HEADER`, `X-Forwarded-For` by default) is read only
    when the peer is one of `DONGHANH_TRUSTED_PROXIES`; then the right-most address that is not
    itself a trusted proxy is the client (the ones to its left were written by the client and may
    be anything).
    """
    peer = client[0] if client else "unknown"
    if not limits.trusted_proxies or not _trusted(peer, limits.trusted_proxies):
        return peer
    hops = [h.strip() for h in headers.get(limits.forwarded_header, "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, limits.trusted_proxies):
            return hop if _is_address(hop) else peer
    return peer


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _trusted(address: str, proxies: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for proxy in proxies:
        try:
            if ip in ipaddress.ip_network(proxy, strict=False):
                return True
        except ValueError:
            continue
    return False


class Backoff:
    """Failed attempts per key, with a wait that doubles after each failure past an allowance.

    A key with `failures >= allowed` must wait `min(ceiling, base * 2 ** (failures - allowed))`
    seconds after its last failure. Failures are forgotten `ceiling` seconds after the last one,
    or at once by `clear` (a success). The counts live in memory, or in Redis when a client is
    given (`<prefix><key>`: a hash of the failures and the last failure's time).
    """

    def __init__(
        self,
        *,
        base: float = 2.0,
        ceiling: float = 900.0,
        client: Any = None,
        prefix: str = f"{DEFAULT_REDIS_KEY_PREFIX}login:",
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Wait `base` seconds after the first failure past the allowance, at most `ceiling`."""
        self.base, self.ceiling, self.client, self.prefix = base, ceiling, client, prefix
        self.clock = clock
        self._memory: dict[str, tuple[int, float]] = {}

    async def wait(self, key: str, allowed: int) -> float:
        """Seconds `key` must still wait (0 when it may try now)."""
        failures, last = await self._read(key)
        if failures < allowed:
            return 0.0
        delay = min(self.ceiling, self.base * 2.0 ** min(failures - allowed, 32))
        return max(0.0, last + delay - self.clock())

    async def fail(self, key: str) -> None:
        """Count one failure of `key` now."""
        now = self.clock()
        if self.client is None:
            failures, last = self._memory.get(key, (0, now))
            if now - last >= self.ceiling:
                failures = 0
            self._memory[key] = (failures + 1, now)
            self._sweep(now)
            return
        name = f"{self.prefix}{key}"
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.hincrby(name, "n", 1)
                pipe.hset(name, "t", repr(now))
                pipe.expire(name, int(self.ceiling) + 1)
                await pipe.execute()
        except Exception as exc:  # noqa: BLE001 - fail closed is worse: nobody could log in
            log.warning("login back-off not counted: Redis failed (%s)", type(exc).__name__)

    async def clear(self, key: str) -> None:
        """Forget the failures of `key` (after a success)."""
        if self.client is None:
            self._memory.pop(key, None)
            return
        try:
            await self.client.delete(f"{self.prefix}{key}")
        except Exception as exc:  # noqa: BLE001
            log.warning("login back-off not cleared: Redis failed (%s)", type(exc).__name__)

    async def _read(self, key: str) -> tuple[int, float]:
        if self.client is None:
            failures, last = self._memory.get(key, (0, 0.0))
            return (failures, last) if self.clock() - last < self.ceiling else (0, 0.0)
        try:
            values = await self.client.hgetall(f"{self.prefix}{key}")
        except Exception as exc:  # noqa: BLE001
            log.warning("login back-off not read: Redis failed (%s)", type(exc).__name__)
            return 0, 0.0
        return int(values.get(b"n", 0)), float(values.get(b"t", 0.0))

    def _sweep(self, now: float) -> None:
        if len(self._memory) < 10_000:
            return
        self._memory = {k: v for k, v in self._memory.items() if now - v[1] < self.ceiling}
