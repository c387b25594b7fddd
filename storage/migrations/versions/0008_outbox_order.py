"""Index for keeping each chat's outgoing messages in order

Revision ID: 0008_outbox_order
Revises: 0007_merge
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0008_outbox_order"
down_revision = "0007_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_chat_order", ["chat_id", "status", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_chat_order")
