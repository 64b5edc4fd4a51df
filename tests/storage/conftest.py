"""Storage fixtures: each storage test runs on SQLite and, with TEST_DATABASE_URL, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

from bot.storage.store import Store
from tests.helpers.fakes import Clock

PG_URL = os.environ.get("TEST_DATABASE_URL")
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def pg_schema_url(base: str) -> Iterator[str]:
    """A fresh PostgreSQL schema for one test, dropped afterwards."""
    admin = create_engine(base, future=True)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.begin() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as c:
            c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("PostgreSQL part skipped: TEST_DATABASE_URL is not set")
        yield from pg_schema_url(PG_URL)
        return
    yield f"sqlite:///{tmp_path / 'donghanh.db'}"


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def store(database_url: str, clock: Clock) -> Iterator[Store]:
    opened = Store.open(database_url)
    opened.clock = clock
    yield opened
    opened.engine.dispose()
