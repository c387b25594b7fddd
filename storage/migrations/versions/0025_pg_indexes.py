"""An index for the escalation check that PostgreSQL can use in order

The sweep's escalation candidates are new issues not yet escalated whose first answer is past
due, oldest due first (`SlaRepository.escalation_candidates`). SQLite reads them through
`ix_issues_escalation` (status, escalated_at, response_due_at); PostgreSQL takes no order from
the `escalated_at IS NULL` before `response_due_at`, so it used `ix_issues_status_due` and
filtered out every long-overdue issue already escalated, at each sweep (25,000 rows at
1,000,000 issues in bench/sweep_at_scale.py). This partial index holds only the issues not yet
escalated, in due order, on both backends.

Revision ID: 0025_pg_indexes
Revises: 0024_report_pg
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_pg_indexes"
down_revision = "0024_report_pg"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_issues_escalation_pending",
        "issues",
        ["status", "response_due_at"],
        unique=False,
        postgresql_where=sa.text("escalated_at IS NULL"),
        sqlite_where=sa.text("escalated_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_issues_escalation_pending", table_name="issues")
