"""Reminders: daily job runs, weekly public summaries per chat, escalation index

Revision ID: 0003_reminders
Revises: 0002_sla
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_reminders"
down_revision = "0002_sla"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_runs",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "public_summaries",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("thread_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("enabled_by", sa.BigInteger(), nullable=False),
        sa.Column("enabled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("chat_id", "thread_id"),
    )
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.create_index(
            "ix_issues_escalation", ["status", "escalated_at", "response_due_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.drop_index("ix_issues_escalation")
    op.drop_table("public_summaries")
    op.drop_table("scheduled_runs")
