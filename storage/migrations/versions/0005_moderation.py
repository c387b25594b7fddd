"""Group moderation: probation, newcomer checks, audit log, reports, chat settings

Revision ID: 0005_moderation
Revises: 0002_sla
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_moderation"
down_revision = "0002_sla"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mod_members",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("messages", sa.Integer(), server_default="0", nullable=False),
        sa.Column("trusted", sa.Boolean(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "mod_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("user_name", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("via_request", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mod_checks_due", "mod_checks", ["status", "deadline"])
    op.create_index("ix_mod_checks_member", "mod_checks", ["chat_id", "user_id", "status"])
    op.create_table(
        "mod_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("target_name", sa.String(length=300), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_name", sa.String(length=300), nullable=True),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("chats", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by_id", sa.BigInteger(), nullable=True),
        sa.Column("undone_by_name", sa.String(length=300), nullable=True),
        sa.Column("settled", sa.Boolean(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mod_actions_at", "mod_actions", ["at"])
    op.create_index("ix_mod_actions_target", "mod_actions", ["target_id", "kind"])
    op.create_table(
        "mod_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("author_name", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reporters", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "message_id", name="uq_mod_reports_message"),
    )
    op.create_table(
        "mod_chat_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("rules", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id"),
    )
    op.create_table(
        "mod_right_notices",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("right", sa.String(length=40), nullable=False),
        sa.Column("noticed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "right"),
    )


def downgrade() -> None:
    op.drop_table("mod_right_notices")
    op.drop_table("mod_chat_settings")
    op.drop_table("mod_reports")
    op.drop_index("ix_mod_actions_target", table_name="mod_actions")
    op.drop_index("ix_mod_actions_at", table_name="mod_actions")
    op.drop_table("mod_actions")
    op.drop_index("ix_mod_checks_member", table_name="mod_checks")
    op.drop_index("ix_mod_checks_due", table_name="mod_checks")
    op.drop_table("mod_checks")
    op.drop_table("mod_members")
