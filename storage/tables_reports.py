"""Tables and indexes of the reports area (digest runs; indexes the report queries need)."""

from __future__ import annotations

from sqlalchemy import Column, Date, Index, Table

from storage.tables import issue_transitions, issues, metadata
from storage.types import UtcDateTime

digest_runs = Table(
    "digest_runs",
    metadata,
    # One row per local day: inserting it is the claim, so two processes or a restart never
    # send the same day's digest twice. `at` is the moment the digest's numbers were taken;
    # the next digest counts "since the last digest" from it.
    Column("day", Date, primary_key=True, autoincrement=False),
    Column("at", UtcDateTime(), nullable=False),
)

# Verdicts given in a period ("не решено" per specialist) are found by the verdict's moment.
Index("ix_issues_verdict_at", issues.c.verdict_at)
# Open issues per chat and per specialist: found by status, counted from the index alone.
Index("ix_issues_status_chat", issues.c.status, issues.c.chat_id, issues.c.thread_id)
Index("ix_issues_status_assignee", issues.c.status, issues.c.assignee_id, issues.c.assignee_name)
# Response-time percentiles read three moments of the period's answered issues, and the
# specialists' answers are counted per assignee with the name: covering. merged_into is in
# each period index, so the counts that leave out merged issues read no table row
# (migration 0019_report_speed).
Index(
    "ix_issues_answered_cover",
    issues.c.first_response_at,
    issues.c.created_at,
    issues.c.response_due_at,
    issues.c.assignee_id,
    issues.c.assignee_name,
    issues.c.merged_into,
)
# Closed in a period, confirmed, per specialist, per department: covering.
Index(
    "ix_issues_closed_cover",
    issues.c.closed_at,
    issues.c.verdict,
    issues.c.assignee_id,
    issues.c.assignee_name,
    issues.c.merged_into,
    issues.c.department,
)
# Received in a period per chat, per department: covering (migration 0024_report_pg).
Index(
    "ix_issues_created_chat",
    issues.c.created_at,
    issues.c.chat_id,
    issues.c.thread_id,
    issues.c.merged_into,
    issues.c.department,
)
# The open issues now, by status, chat and specialist in one pass: covering.
Index(
    "ix_issues_open_cover",
    issues.c.status,
    issues.c.chat_id,
    issues.c.thread_id,
    issues.c.assignee_id,
    issues.c.assignee_name,
)
# «Не решено» pressed in a period: the reopenings found by action and moment, not every
# transition of the period.
Index(
    "ix_transitions_action_at",
    issue_transitions.c.action,
    issue_transitions.c.at,
    issue_transitions.c.actor_id,
    issue_transitions.c.issue_number,
)
