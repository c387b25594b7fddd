"""Outbox operations: each entry's kind (send, edit, restrict, ban, …) and the moment it first
became due, from which the sender measures how long a transient failure may be retried

Revision ID: 0010_outbox_operations
Revises: 0009_street
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_outbox_operations"
down_revision = "0009_street"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="send")
        )
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
    # Entries already queued: due when they are next tried, the latest it can be (their first
    # due time is not kept), so none is given up earlier than it would have been.
    op.execute("UPDATE outbox SET due_at = not_before WHERE due_at IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("due_at")
        batch_op.drop_column("kind")
