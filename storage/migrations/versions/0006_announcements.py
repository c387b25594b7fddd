"""Announcements, polls, persisted dialog state; outbox batches and results

Revision ID: 0006_announcements
Revises: 0002_sla
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_announcements"
down_revision = "0002_sla"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("result", sa.JSON(), nullable=True))
        batch_op.create_index("ix_outbox_batch", ["batch", "status"], unique=False)

    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("author_name", sa.String(length=300), nullable=False),
        sa.Column("author_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("media_kind", sa.String(length=16), nullable=True),
        sa.Column("media_file_id", sa.String(length=300), nullable=True),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("pin", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _at("scheduled_at"),
        sa.Column("repeat", sa.String(length=16), nullable=True),
        sa.Column("repeat_weekday", sa.Integer(), nullable=True),
        sa.Column("repeat_time", sa.String(length=5), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        _at("created_at", nullable=False),
        _at("queued_at"),
        _at("reported_at"),
        _at("edited_at"),
        _at("deleted_at"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_announcements_status_at", "announcements", ["status", "scheduled_at"], unique=False
    )
    op.create_index("ix_announcements_created_at", "announcements", ["created_at"], unique=False)

    op.create_table(
        "announcement_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("chat_name", sa.String(length=200), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["announcement_id"], ["announcements.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_announcement_deliveries_announcement",
        "announcement_deliveries",
        ["announcement_id"],
        unique=False,
    )

    op.create_table(
        "polls",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("author_name", sa.String(length=300), nullable=False),
        sa.Column("author_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("multiple", sa.Boolean(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("share_results", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _at("closes_at", nullable=False),
        _at("created_at", nullable=False),
        _at("closed_at"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_polls_status_closes", "polls", ["status", "closes_at"], unique=False)
    op.create_index("ix_polls_created_at", "polls", ["created_at"], unique=False)

    op.create_table(
        "poll_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("chat_name", sa.String(length=200), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["poll_id"], ["polls.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_poll_deliveries_poll", "poll_deliveries", ["poll_id"], unique=False)

    op.create_table(
        "poll_counts",
        sa.Column("tg_poll_id", sa.String(length=64), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Boolean(), server_default="0", nullable=False),
        _at("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("tg_poll_id"),
    )
    op.create_table(
        "poll_votes",
        sa.Column("tg_poll_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_name", sa.String(length=300), nullable=False),
        sa.Column("option_ids", sa.JSON(), nullable=False),
        _at("at", nullable=False),
        sa.PrimaryKeyConstraint("tg_poll_id", "user_id"),
    )
    op.create_table(
        "fsm_states",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=100), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        _at("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("fsm_states")
    op.drop_table("poll_votes")
    op.drop_table("poll_counts")
    op.drop_index("ix_poll_deliveries_poll", table_name="poll_deliveries")
    op.drop_table("poll_deliveries")
    op.drop_index("ix_polls_created_at", table_name="polls")
    op.drop_index("ix_polls_status_closes", table_name="polls")
    op.drop_table("polls")
    op.drop_index("ix_announcement_deliveries_announcement", table_name="announcement_deliveries")
    op.drop_table("announcement_deliveries")
    op.drop_index("ix_announcements_created_at", table_name="announcements")
    op.drop_index("ix_announcements_status_at", table_name="announcements")
    op.drop_table("announcements")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_batch")
        batch_op.drop_column("result")
        batch_op.drop_column("batch")
