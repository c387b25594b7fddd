"""Report speed: the period counts' covering indexes also hold merged_into

The digest's and /stats' counts leave out issues merged into another (merged_into IS NULL).
Without the column in the index each counted issue cost a read of its table row; with it,
the received, answered and closed counts of a month are read from their indexes alone.

Revision ID: 0019_report_speed
Revises: 0018_departments
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0019_report_speed"
down_revision = "0018_departments"
branch_labels = None
depends_on = None

ANSWERED = ["first_response_at", "created_at", "response_due_at", "assignee_id", "assignee_name"]
CLOSED = ["closed_at", "verdict", "assignee_id", "assignee_name"]
CREATED = ["created_at", "chat_id", "thread_id"]
INDEXES = {
    "ix_issues_answered_cover": ANSWERED,
    "ix_issues_closed_cover": CLOSED,
    "ix_issues_created_chat": CREATED,
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name="issues")
        op.create_index(name, "issues", [*columns, "merged_into"])


def downgrade() -> None:
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name="issues")
        op.create_index(name, "issues", columns)
