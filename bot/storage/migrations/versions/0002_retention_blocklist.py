"""Blocked people; conversations may outlive their person's link (retention).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create `blocked_people`; make `conversations.person_id` nullable."""
    op.create_table(
        "blocked_people",
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("blocked_by", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("blocked_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name="pk_blocked_people"),
    )
    op.create_index("ix_blocked_people_expires_at", "blocked_people", ["expires_at"])
    _person_id_nullable(True)


def downgrade() -> None:
    """Drop `blocked_people`; conversations already unlinked by the retention job are deleted."""
    op.execute("DELETE FROM conversation_topics WHERE conversation_id IN "
               "(SELECT id FROM conversations WHERE person_id IS NULL)")  # fmt: skip
    op.execute("DELETE FROM conversations WHERE person_id IS NULL")
    _person_id_nullable(False)
    op.drop_index("ix_blocked_people_expires_at", table_name="blocked_people")
    op.drop_table("blocked_people")


def _person_id_nullable(nullable: bool) -> None:
    """Alter `conversations.person_id`; on SQLite, keep the topics the table rebuild would cascade.

    SQLite cannot alter a column: Alembic copies the table and drops the old one, and with
    `PRAGMA foreign_keys=ON` that drop deletes every `conversation_topics` row (ON DELETE CASCADE).
    The pragma cannot be switched off inside the migration's transaction, so the rows are saved
    in a temporary table and put back.
    """
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMP TABLE keep_topics AS SELECT * FROM conversation_topics")
    with op.batch_alter_table("conversations") as batch:
        batch.alter_column("person_id", existing_type=sa.String(64), nullable=nullable)
    if sqlite:
        op.execute("INSERT OR IGNORE INTO conversation_topics SELECT * FROM keep_topics")
        op.execute("DROP TABLE keep_topics")
