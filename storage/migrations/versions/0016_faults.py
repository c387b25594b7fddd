"""The outbox records a send's attempt before the request leaves: "maybe sent" after a crash

Revision ID: 0016_faults
Revises: 0015_reports
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_faults"
down_revision = "0015_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("attempted_at")
