"""Quarantined updates: the ones the bot could not parse, kept for a replay after an upgrade

Revision ID: 0011_faults_quarantine
Revises: 0010_outbox_operations
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_faults_quarantine"
down_revision = "0010_outbox_operations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarantined_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("quarantined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("noticed", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("update_id"),
    )
    op.create_index("ix_quarantined_updates_at", "quarantined_updates", ["quarantined_at"])


def downgrade() -> None:
    op.drop_index("ix_quarantined_updates_at", table_name="quarantined_updates")
    op.drop_table("quarantined_updates")
