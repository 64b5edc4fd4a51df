"""Where the tests' databases live: a SQLite file per test, or a schema of its own on PostgreSQL.

`TEST_DATABASE_URL` (e.g. `postgresql://postgres@127.0.0.1:5432/test`) names a PostgreSQL server
the tests may use as a client: each test gets a fresh schema there, dropped afterwards. Without
it the PostgreSQL half of a test is skipped, and the summary says so.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ("sqlite", "postgresql")
PG_SKIPPED = "PostgreSQL part skipped: TEST_DATABASE_URL is not set"


def sqlite_url(folder: Path, name: str = "donghanh.db") -> str:
    """A SQLite file in `folder`."""
    return f"sqlite:///{folder / name}"


def pg_schema_url(base: str) -> Iterator[str]:
    """A URL on `base` whose tables go to a fresh schema, dropped (with them) afterwards."""
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


def database_url_for(backend: str, folder: Path) -> Iterator[str]:
    """A fresh database for one test on `backend` ("sqlite" or "postgresql"; skips without it)."""
    if backend == "postgresql":
        if not PG_URL:
            pytest.skip(PG_SKIPPED)
        yield from pg_schema_url(PG_URL)
        return
    yield sqlite_url(folder)
