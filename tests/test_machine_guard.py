"""The check that `make test` leaves the machine's PostgreSQL and Redis as it found them."""

from __future__ import annotations

from dataclasses import replace

from tests.helpers.machine import Look, look

BEFORE = Look("2026-12-06 10:59:15+00", frozenset({"postgres", "test"}), "run-1", 100, {0: 3})


def test_an_untouched_machine_passes() -> None:
    later = replace(BEFORE, redis_uptime=900, redis_keys={0: 5})  # time passed, keys were added
    assert BEFORE.breaches(later) == []


def test_a_restarted_postgres_fails() -> None:
    [found] = BEFORE.breaches(replace(BEFORE, postgres_started="2026-12-06 11:40:00+00"))
    assert found.startswith("PostgreSQL restarted")


def test_a_dropped_database_fails() -> None:
    [found] = BEFORE.breaches(replace(BEFORE, databases=frozenset({"postgres"})))
    assert "test" in found


def test_a_restarted_redis_fails() -> None:
    assert BEFORE.breaches(replace(BEFORE, redis_run_id="run-2"))
    assert BEFORE.breaches(replace(BEFORE, redis_uptime=5))  # same id, uptime went back


def test_flushed_keys_fail() -> None:
    [found] = BEFORE.breaches(replace(BEFORE, redis_keys={0: 0}))
    assert found.startswith("Redis keys gone")


def test_a_server_that_went_away_fails() -> None:
    assert len(BEFORE.breaches(Look())) == 3  # PostgreSQL, its databases, Redis


def test_a_look_only_reads() -> None:
    """Two looks in a row at the real machine agree (whatever answers there)."""
    first = look()
    assert first.breaches(look()) == []


def test_only_the_private_servers_helper_stops_or_flushes_a_server() -> None:
    """Stopping, restarting or flushing is done to a server the test started itself."""
    import re

    from bot.settings import ROOT

    harmful = re.compile(
        r"flushdb|flushall|\.shutdown\(|pg_ctl(?:cluster)?\b|systemctl|service postgres", re.I
    )
    assert harmful.search("client.FLUSHDB()") and not harmful.search("client.delete(*keys)")
    allowed = {ROOT / "tests" / "helpers" / "servers.py", ROOT / "tests" / "test_machine_guard.py"}
    found = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").rglob("*.py")
        if path not in allowed and harmful.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []
