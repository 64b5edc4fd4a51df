"""Alembic environment: our metadata only; Rasa's `events` table is never touched.

`Store.open` passes a live connection in `config.attributes["connection"]`; the `alembic` command
line (with `-x url=...` or `sqlalchemy.url`) also works for maintenance.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine

from bot.storage.migrations import VERSION_TABLE, include_object
from bot.storage.models import Base


def _configure(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    """Run the migrations on the given connection, or on a URL from the config."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    engine = create_engine(url, future=True)
    with engine.connect() as conn:
        _configure(conn)


run()
