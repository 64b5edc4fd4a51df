"""Engines and migrations of the application database (SQLite file or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import QueuePool

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 0x444F4E47  # "DONG": the PostgreSQL advisory lock held while migrating


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # Write-ahead log (kept in the file): a commit writes and syncs one log file instead of a
    # journal and the database, ~0.3 ms instead of 1.4 ms here, and readers no longer wait for
    # a writer. synchronous stays FULL unless make_engine is told otherwise.
    cursor.execute("PRAGMA journal_mode=WAL")
    # Deleted rows are overwritten with zeros, so `/xoa` and the retention job leave no text in
    # free pages of the file (costs only when deleting).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _sqlite_synchronous_normal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(database_url: str, *, sync_every_commit: bool = True) -> Engine:
    """An engine for `database_url`; creates the folder of a SQLite file.

    On SQLite, `sync_every_commit=False` lets commits skip the disk sync (WAL, synchronous
    NORMAL): a commit still survives the process being killed, but the last ones before a power
    cut or an operating-system crash may be lost. Rasa's conversation events and the counts of
    each message (`Store.record_turn`) use it; cases, accounts, notes, the audit log and the
    blocklist always sync. The log is written in order, so a synced commit also makes every
    earlier one durable. PostgreSQL is not affected.

    Statement parameters are never put in errors or logs (`hide_parameters`): they hold what
    people wrote (a case's context packet, Rasa's events).
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, future=True, pool_pre_ping=True, hide_parameters=True)
    options: dict[str, Any] = {}
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # SQLAlchemy 1.4 opens and closes a new connection for every transaction on a SQLite file
        # (NullPool); closing the last one also checkpoints the write-ahead log. A pool keeps
        # them open: a turn's bookkeeping went from ~8 ms to ~1 ms here.
        options = {"poolclass": QueuePool, "pool_size": 5, "max_overflow": 10}
    connect = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(url, future=True, hide_parameters=True, connect_args=connect, **options)
    event.listen(engine, "connect", _sqlite_pragmas)
    if not sync_every_commit:
        event.listen(engine, "connect", _sqlite_synchronous_normal)
    return engine


def migrate(engine: Engine, revision: str = "head", *, down: bool = False) -> None:
    """Run Alembic on `engine` (upgrade to `revision`, or downgrade to it)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":  # workers starting together migrate one by one
            lock = sql_text("SELECT pg_advisory_xact_lock(:key)")
            connection.execute(lock, {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)
