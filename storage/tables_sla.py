"""Tables of the SLA clock: daily runs claimed once, and chats with the weekly summary on."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, Index, String, Table

from storage.tables import issues, metadata
from storage.types import UtcDateTime

# Once-a-day jobs (the specialists' morning lists): the day a job last ran, so a restart or a
# second process never runs it twice for the same day.
scheduled_runs = Table(
    "scheduled_runs",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("last_on", Date, nullable=False),
)

# Building and topic chats whose admins switched the weekly public summary on.
public_summaries = Table(
    "public_summaries",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("thread_id", BigInteger, primary_key=True, autoincrement=False),
    Column("enabled_by", BigInteger, nullable=False),
    Column("enabled_at", UtcDateTime(), nullable=False),
    Column("last_sent_at", UtcDateTime(), nullable=True),
)

# Escalation candidates: new, not yet escalated, due before a bound; read by index only.
Index("ix_issues_escalation", issues.c.status, issues.c.escalated_at, issues.c.response_due_at)
# The same candidates in due order on PostgreSQL, which takes no order from `IS NULL` (0023).
Index(
    "ix_issues_escalation_pending",
    issues.c.status,
    issues.c.response_due_at,
    postgresql_where=issues.c.escalated_at.is_(None),
    sqlite_where=issues.c.escalated_at.is_(None),
)
