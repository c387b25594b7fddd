"""SLA clock and reminder state on issues

Revision ID: 0002_sla
Revises: 0001_core
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_sla"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("response_due_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("next_reminder_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("control_reminded_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("verdict", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("verdict_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_issues_next_reminder", ["next_reminder_at"], unique=False)
        batch_op.create_index("ix_issues_status_due", ["status", "response_due_at"], unique=False)
        batch_op.create_index("ix_issues_status_control", ["status", "due_date"], unique=False)
        batch_op.create_index("ix_issues_closed_at", ["closed_at"], unique=False)
        batch_op.create_index("ix_issues_first_response", ["first_response_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("issues", schema=None) as batch_op:
        for index in (
            "ix_issues_first_response",
            "ix_issues_closed_at",
            "ix_issues_status_control",
            "ix_issues_status_due",
            "ix_issues_next_reminder",
        ):
            batch_op.drop_index(index)
        for column in (
            "verdict_at",
            "verdict",
            "control_reminded_on",
            "escalated_at",
            "next_reminder_at",
            "response_due_at",
        ):
            batch_op.drop_column(column)
