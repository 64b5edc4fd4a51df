"""What `make test` must leave as it found it: the machine's own PostgreSQL and Redis.

Tests use those servers only as clients, in their own database, schema or key prefix; a test that
stops or flushes a server starts a private one first (`tests/helpers/servers.py`). `look()` takes
what would show a breach (a server restarted, a database dropped, keys flushed) at the start and
the end of a run; the session fixture in `tests/conftest.py` fails the run when they differ.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from typing import Any

PG_ADMIN_URL = os.environ.get(
    "TEST_MACHINE_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TEST_MACHINE_REDIS_URL", "redis://127.0.0.1:6379/0")
# What test runs (this one or another engineer's, at the same time) create and delete again.
TRANSIENT_DATABASES = re.compile(r"^(dh_workers_|bench_)")
TRANSIENT_KEYS = re.compile(rb"^test[-:]")
MAX_KEYS = 100_000  # beyond this the Redis key count is not compared (too long to scan)


@dataclass(frozen=True)
class Look:
    """One look at the machine's servers (None: that server does not answer)."""

    postgres_started: str | None = None
    databases: frozenset[str] = field(default_factory=frozenset)
    redis_run_id: str | None = None
    redis_uptime: int = 0
    redis_keys: dict[int, int] | None = None  # lasting keys outside tests' prefixes, per db

    def breaches(self, later: "Look") -> list[str]:
        """What changed between this look and a `later` one that tests must never change."""
        found = []
        if self.postgres_started != later.postgres_started:
            found.append(
                f"PostgreSQL restarted: {self.postgres_started} -> {later.postgres_started}"
            )
        if self.databases - later.databases:
            found.append(f"PostgreSQL databases gone: {sorted(self.databases - later.databases)}")
        if self.redis_run_id != later.redis_run_id or later.redis_uptime < self.redis_uptime:
            found.append(f"Redis restarted: run_id {self.redis_run_id} -> {later.redis_run_id}")
        if self.redis_keys is not None and later.redis_keys is not None:
            lost = {db: n for db, n in self.redis_keys.items() if later.redis_keys.get(db, 0) < n}
            if lost:
                found.append(f"Redis keys gone (database: keys before): {lost}")
        return found


def _postgres() -> tuple[str | None, frozenset[str]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN_URL, future=True, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as c:
            started = str(c.execute(text("SELECT pg_postmaster_start_time()")).scalar_one())
            names = c.execute(text("SELECT datname FROM pg_database")).scalars()
            return started, frozenset(n for n in names if not TRANSIENT_DATABASES.match(n))
    except Exception:  # noqa: BLE001 - nothing answers: nothing to guard
        return None, frozenset()
    finally:
        engine.dispose()


def _redis() -> tuple[str | None, int, dict[int, int] | None]:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        info: dict[str, Any] = client.info()
        keyspace = {int(k[2:]): v["keys"] for k, v in info.items() if re.fullmatch(r"db\d+", k)}
        keys = None
        if sum(keyspace.values()) <= MAX_KEYS:
            keys = {db: _lasting_keys(db) for db in keyspace}
        return str(info["run_id"]), int(info["uptime_in_seconds"]), keys
    except redis.exceptions.RedisError:
        return None, 0, None
    finally:
        client.close()


def _lasting_keys(db: int) -> int:
    """Keys of database `db` that never expire and are not a test's (those come and go)."""
    import redis

    base = REDIS_URL.rsplit("/", 1)[0] if REDIS_URL.count("/") > 2 else REDIS_URL
    client = redis.Redis.from_url(f"{base}/{db}", socket_connect_timeout=3)
    with contextlib.closing(client):
        keys = [key for key in client.scan_iter(count=1000) if not TRANSIENT_KEYS.match(key)]
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.ttl(key)
        return sum(1 for ttl in pipe.execute() if ttl == -1)


def look() -> Look:
    """The machine's PostgreSQL and Redis as they are now (reads only)."""
    started, databases = _postgres()
    run_id, uptime, keys = _redis()
    return Look(started, databases, run_id, uptime, keys)
