"""The desk's workflow: questions to the resident (a paused clock), the resolution deadline,
personal contacts and residents' phone numbers shared with consent, repeated «Не решено»,
duplicates merged into a main issue, categories, private appeals

Revision ID: 0013_workflow
Revises: 0012_spam
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_workflow"
down_revision = "0012_spam"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issues") as batch:
        batch.add_column(sa.Column("resolve_due_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("awaiting_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("silence_noticed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("contacts", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(
            sa.Column("not_resolved_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("merged_into", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("category", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("category_name", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("private", sa.Boolean(), server_default="0", nullable=False))
        batch.add_column(sa.Column("about_chat_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("about_thread_id", sa.BigInteger(), nullable=True))
        batch.create_index("ix_issues_status_awaiting", ["status", "awaiting_since"])
        batch.create_index("ix_issues_merged_into", ["merged_into"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("phone", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("phone_consent_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("phone_consent_at")
        batch.drop_column("phone")
    with op.batch_alter_table("issues") as batch:
        batch.drop_index("ix_issues_merged_into")
        batch.drop_index("ix_issues_status_awaiting")
        batch.drop_column("about_thread_id")
        batch.drop_column("about_chat_id")
        batch.drop_column("private")
        batch.drop_column("category_name")
        batch.drop_column("category")
        batch.drop_column("merged_into")
        batch.drop_column("not_resolved_count")
        batch.drop_column("contacts")
        batch.drop_column("silence_noticed_at")
        batch.drop_column("awaiting_since")
        batch.drop_column("resolve_due_at")
