"""Webhook inbox: Telegram updates answered 200 and not yet handled

In webhook mode an update is stored before Telegram gets its 200 and handled from here, so a
crash between the two loses nothing.

Revision ID: 0021_inbox
Revises: 0020_counters
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_inbox"
down_revision = "0020_counters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_inbox",
        sa.Column("update_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("webhook_inbox")
