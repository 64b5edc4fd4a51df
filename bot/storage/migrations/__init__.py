"""Alembic migrations of our own tables (run by `bot.storage.store.Store.open`).

Rasa's `events` table shares the database: `include_object` keeps every Alembic operation that
compares or generates (autogenerate, `compare_metadata`) to the tables of our metadata.
"""

from __future__ import annotations

from typing import Any

from bot.storage.models import Base

VERSION_TABLE = "donghanh_alembic_version"


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Only tables of our metadata (and their indexes and constraints): never Rasa's `events`."""
    if type_ == "table":
        return name in Base.metadata.tables
    table = getattr(obj, "table", None)
    return table is None or table.name in Base.metadata.tables
