"""Several processes on one database: leases, and the bot that wrote each outbox entry

`leases` elects one process for the work one process must do at a time (the scheduled jobs
and the sender, long polling). `outbox.bot_id` keeps an entry for the bot whose token wrote
it: a process started with another token never sends it.

Revision ID: 0022_leases
Revises: 0021_inbox
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_leases"
down_revision = "0021_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bot_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("bot_id")
    op.drop_table("leases")
