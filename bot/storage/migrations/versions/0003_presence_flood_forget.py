"""Console presence; a case's source and flood group; when its person deleted their data.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


NEW_COLUMNS = {
    "operators": [sa.Column("last_active_at", sa.DateTime(), nullable=True)],
    "escalations": [
        sa.Column("forgotten_at", sa.DateTime(), nullable=True),
        sa.Column("source", sa.String(32), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
    ],
}


def upgrade() -> None:
    """Add `operators.last_active_at` and `escalations.forgotten_at`, `source`, `group_id`.

    Plain `ADD COLUMN` / `DROP COLUMN` (SQLite 3.35+ has both), never a batch table rebuild: on
    SQLite a rebuild of `escalations` drops the old table, and with foreign keys on that deletes
    every case note (ON DELETE CASCADE), as 0002 explains.
    """
    for table, columns in NEW_COLUMNS.items():
        for column in columns:
            op.add_column(table, column)
    op.create_index("ix_escalations_source", "escalations", ["source", "created_at"])
    op.create_index("ix_escalations_group_id", "escalations", ["group_id"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_index("ix_escalations_group_id", table_name="escalations")
    op.drop_index("ix_escalations_source", table_name="escalations")
    for table, columns in NEW_COLUMNS.items():
        for column in columns:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column.name}")
