"""MAX: the outbox entry's messenger, native message ids, long-polling markers

Revision ID: 0014_max
Revises: 0013_workflow
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_max"
down_revision = "0013_workflow"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("messenger", sa.String(length=16), nullable=False, server_default="telegram")
        )
        batch_op.create_index(
            "ix_outbox_messenger_due", ["messenger", "status", "not_before"], unique=False
        )
    op.create_table(
        "native_messages",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("native_id", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "message_id"),
    )
    op.create_table(
        "update_markers",
        sa.Column("messenger", sa.String(length=16), nullable=False),
        sa.Column("marker", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("messenger"),
    )


def downgrade() -> None:
    op.drop_table("update_markers")
    op.drop_table("native_messages")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messenger_due")
        batch_op.drop_column("messenger")
