"""Reports: digest runs and the indexes of the report queries

Revision ID: 0004_reports
Revises: 0002_sla
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_reports"
down_revision = "0002_sla"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_runs",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_index("ix_issues_verdict_at", "issues", ["verdict_at"])
    op.create_index("ix_issues_status_chat", "issues", ["status", "chat_id", "thread_id"])
    op.create_index(
        "ix_issues_status_assignee", "issues", ["status", "assignee_id", "assignee_name"]
    )
    op.create_index(
        "ix_issues_first_response_cover",
        "issues",
        ["first_response_at", "created_at", "response_due_at", "assignee_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_issues_first_response_cover", table_name="issues")
    op.drop_index("ix_issues_status_assignee", table_name="issues")
    op.drop_index("ix_issues_status_chat", table_name="issues")
    op.drop_index("ix_issues_verdict_at", table_name="issues")
    op.drop_table("digest_runs")
