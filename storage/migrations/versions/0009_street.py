"""The street question for newcomers: a chat's street and a check's choices

Revision ID: 0009_street
Revises: 0008_outbox_order
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_street"
down_revision = "0008_outbox_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mod_chat_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("street", sa.String(length=100), nullable=True))
    with op.batch_alter_table("mod_checks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("choices", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("answer", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mod_checks", schema=None) as batch_op:
        batch_op.drop_column("answer")
        batch_op.drop_column("choices")
    with op.batch_alter_table("mod_chat_settings", schema=None) as batch_op:
        batch_op.drop_column("street")
