"""Zalo: the token pair every worker shares, and what may still be sent to each person.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create `zalo_tokens` and `zalo_reach` (new tables: nothing existing is rebuilt)."""
    op.create_table(
        "zalo_tokens",
        sa.Column("app_id", sa.String(32), nullable=False),
        sa.Column("seed", sa.String(16), nullable=False),
        sa.Column("retired_seeds", sa.Text(), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("refreshed_at", sa.Float(), nullable=False),
        sa.Column("lock_owner", sa.String(64), nullable=True),
        sa.Column("lock_until", sa.Float(), nullable=True),
        sa.Column("broken_at", sa.Float(), nullable=True),
        sa.Column("broken_reason", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("app_id", name="pk_zalo_tokens"),
    )
    op.create_table(
        "zalo_reach",
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=True),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("remain", sa.Integer(), nullable=True),
        sa.Column("unreachable_at", sa.DateTime(), nullable=True),
        sa.Column("unreachable_code", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            ondelete="CASCADE",
            name="fk_zalo_reach_person_id_people",
        ),
        sa.PrimaryKeyConstraint("person_id", name="pk_zalo_reach"),
    )


def downgrade() -> None:
    """Drop them (the token pair goes too: the next start begins from ZALO_REFRESH_TOKEN)."""
    op.drop_table("zalo_reach")
    op.drop_table("zalo_tokens")
