"""Counters: issue numbers without gaps

Issue numbers came from the table's autoincrement (SQLite) or its sequence (PostgreSQL). A
sequence value is spent even when the transaction that took it rolls back, so on PostgreSQL
numbers skipped. The counter row is taken in the intake's own transaction instead. It starts
at the highest number handed out so far: the larger of the highest issue and the
autoincrement's or sequence's last value (a deleted last issue's number is not reused).

Revision ID: 0020_counters
Revises: 0019_report_speed
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_counters"
down_revision = "0019_report_speed"
branch_labels = None
depends_on = None


def _handed_out(connection: sa.Connection) -> int:
    highest = connection.execute(sa.text("SELECT COALESCE(MAX(number), 0) FROM issues"))
    value = int(highest.scalar_one())
    if connection.dialect.name == "sqlite":
        known = connection.execute(
            sa.text("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")
        ).first()
        if known is not None:
            row = connection.execute(
                sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'issues'")
            ).first()
            value = max(value, int(row[0]) if row else 0)
    elif connection.dialect.name == "postgresql":
        sequence = connection.execute(
            sa.text("SELECT pg_get_serial_sequence('issues', 'number')")
        ).scalar_one()
        if sequence is not None:
            row = connection.execute(
                sa.text(f"SELECT last_value, is_called FROM {sequence}")
            ).one()
            value = max(value, int(row.last_value) if row.is_called else 0)
    return value


def upgrade() -> None:
    counters = op.create_table(
        "counters",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(counters, [{"name": "issues", "value": _handed_out(op.get_bind())}])


def downgrade() -> None:
    op.drop_table("counters")
