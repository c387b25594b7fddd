"""Reports at a region's scale: covering indexes for the digest, /stats and the export

Revision ID: 0015_reports
Revises: 0014_max
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0015_reports"
down_revision = "0014_max"
branch_labels = None
depends_on = None

COVER = ["first_response_at", "created_at", "response_due_at", "assignee_id"]


def upgrade() -> None:
    op.drop_index("ix_issues_first_response_cover", table_name="issues")
    op.create_index("ix_issues_answered_cover", "issues", [*COVER, "assignee_name"])
    op.create_index(
        "ix_issues_closed_cover",
        "issues",
        ["closed_at", "verdict", "assignee_id", "assignee_name"],
    )
    op.create_index("ix_issues_created_chat", "issues", ["created_at", "chat_id", "thread_id"])
    op.create_index(
        "ix_issues_open_cover",
        "issues",
        ["status", "chat_id", "thread_id", "assignee_id", "assignee_name"],
    )
    op.create_index(
        "ix_transitions_action_at",
        "issue_transitions",
        ["action", "at", "actor_id", "issue_number"],
    )


def downgrade() -> None:
    op.drop_index("ix_transitions_action_at", table_name="issue_transitions")
    op.drop_index("ix_issues_open_cover", table_name="issues")
    op.drop_index("ix_issues_created_chat", table_name="issues")
    op.drop_index("ix_issues_closed_cover", table_name="issues")
    op.drop_index("ix_issues_answered_cover", table_name="issues")
    op.create_index("ix_issues_first_response_cover", "issues", COVER)
