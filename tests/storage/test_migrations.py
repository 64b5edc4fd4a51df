"""Alembic migrations on SQLite and PostgreSQL: up, down, up again; Rasa's table left alone."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from bot.storage.migrations import VERSION_TABLE, include_object
from bot.storage.models import Base
from bot.storage.store import make_engine, migrate

OURS = set(Base.metadata.tables)


def rasa_events_table(url: str) -> None:
    """Rasa's own table, as its SQL tracker store creates it, with one row."""
    engine = create_engine(url, future=True)
    with engine.begin() as c:
        c.execute(
            text(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), "
                "type_name VARCHAR(255), data TEXT)"
            )
        )
        c.execute(text("INSERT INTO events VALUES (1, 'telegram-abc', 'user', '{}')"))
    engine.dispose()


def head_revision() -> str:
    """The newest revision of the migration scripts."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from bot.storage.store import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return str(ScriptDirectory.from_config(config).get_current_head())


def tables(url: str) -> set[str]:
    engine = create_engine(url, future=True)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    rasa_events_table(database_url)
    engine = make_engine(database_url)
    migrate(engine)
    assert tables(database_url) == OURS | {"events", VERSION_TABLE}
    migrate(engine, "base", down=True)
    assert tables(database_url) == {"events", VERSION_TABLE}
    migrate(engine)
    assert tables(database_url) == OURS | {"events", VERSION_TABLE}
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM events")).scalar() == 1
        version = c.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    assert version == head_revision()
    engine.dispose()


def test_models_match_the_migrations(database_url: str) -> None:
    """Autogenerate finds nothing to add: the models and the migration scripts agree."""
    rasa_events_table(database_url)
    engine = make_engine(database_url)
    migrate(engine)
    with engine.connect() as c:
        context = MigrationContext.configure(
            c, opts={"include_object": include_object, "compare_type": False}
        )
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_include_object_never_selects_rasa_tables() -> None:
    assert include_object(None, "events", "table", True, None) is False
    assert include_object(None, "people", "table", True, None) is True


def test_0003_keeps_every_case_and_note_up_and_down(database_url: str) -> None:
    """Columns are added and dropped in place: no table rebuild cascades into case notes."""
    engine = make_engine(database_url)
    migrate(engine, "0002")
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO escalations (id, channel, priority, rank, reason, status,"
                " created_at) VALUES (7, 'web', 'self_harm', 1, '', 'new', '2026-01-01')"
            )
        )
        c.execute(text("INSERT INTO case_notes (escalation_id, author, text, created_at)"
                       " VALUES (7, 'lan', 'n', '2026-01-01')"))  # fmt: skip
    migrate(engine, "0003")
    migrate(engine, "0002", down=True)
    migrate(engine, "0003")
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM case_notes")).scalar() == 1
        assert c.execute(text("SELECT group_id FROM escalations WHERE id = 7")).scalar() is None
    engine.dispose()
