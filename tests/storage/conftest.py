"""Storage fixtures: a store on the shared `database_url` (SQLite, and PostgreSQL with
TEST_DATABASE_URL: tests/conftest.py) and a clock."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterator

import pytest

from bot.storage.store import Store
from tests.helpers.fakes import Clock

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def store(database_url: str, clock: Clock) -> Iterator[Store]:
    opened = Store.open(database_url)
    opened.clock = clock
    yield opened
    opened.engine.dispose()
