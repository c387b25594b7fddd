"""Anti-spam: learned examples shared by the community; the signals behind each removal

Revision ID: 0012_spam
Revises: 0011_faults_quarantine
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_spam"
down_revision = "0011_faults_quarantine"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "spam_examples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("is_spam", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_spam_examples_created", "spam_examples", ["created_at"])
    with op.batch_alter_table("mod_actions") as batch:
        batch.add_column(sa.Column("signals", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mod_actions") as batch:
        batch.drop_column("signals")
    op.drop_index("ix_spam_examples_created", table_name="spam_examples")
    op.drop_table("spam_examples")
