"""Tables of announcements and polls, and the persisted FSM state of the step-by-step dialogs."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from storage.tables import metadata
from storage.types import UtcDateTime

announcements = Table(
    "announcements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("author_id", BigInteger, nullable=False),
    Column("author_name", String(300), nullable=False),
    Column("author_chat_id", BigInteger, nullable=False),
    Column("text", Text, nullable=False),
    Column("media_kind", String(16), nullable=True),
    Column("media_file_id", String(300), nullable=True),
    Column("targets", JSON, nullable=False),
    Column("pin", Boolean, nullable=False, server_default="0"),
    # scheduled | sending | done | cancelled | deleted | recurring | stopped
    Column("status", String(16), nullable=False),
    Column("scheduled_at", UtcDateTime(), nullable=True),
    Column("repeat", String(16), nullable=True),
    Column("repeat_weekday", Integer, nullable=True),
    Column("repeat_time", String(5), nullable=True),
    Column("parent_id", Integer, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("queued_at", UtcDateTime(), nullable=True),
    Column("reported_at", UtcDateTime(), nullable=True),
    Column("edited_at", UtcDateTime(), nullable=True),
    Column("deleted_at", UtcDateTime(), nullable=True),
    Index("ix_announcements_status_at", "status", "scheduled_at"),
    Index("ix_announcements_created_at", "created_at"),
    sqlite_autoincrement=True,
)

announcement_deliveries = Table(
    "announcement_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("announcement_id", Integer, ForeignKey("announcements.id"), nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("thread_id", BigInteger, nullable=False, server_default="0"),
    Column("chat_name", String(200), nullable=False),
    Column("outbox_id", Integer, nullable=True),
    Index("ix_announcement_deliveries_announcement", "announcement_id"),
)

polls = Table(
    "polls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("author_id", BigInteger, nullable=False),
    Column("author_name", String(300), nullable=False),
    Column("author_chat_id", BigInteger, nullable=False),
    Column("question", Text, nullable=False),
    Column("options", JSON, nullable=False),
    Column("anonymous", Boolean, nullable=False),
    Column("multiple", Boolean, nullable=False),
    Column("targets", JSON, nullable=False),
    Column("share_results", Boolean, nullable=False, server_default="0"),
    # open | closed | cancelled
    Column("status", String(16), nullable=False),
    Column("closes_at", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("closed_at", UtcDateTime(), nullable=True),
    Index("ix_polls_status_closes", "status", "closes_at"),
    Index("ix_polls_created_at", "created_at"),
    sqlite_autoincrement=True,
)

poll_deliveries = Table(
    "poll_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("poll_id", Integer, ForeignKey("polls.id"), nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("thread_id", BigInteger, nullable=False, server_default="0"),
    Column("chat_name", String(200), nullable=False),
    Column("outbox_id", Integer, nullable=True),
    Index("ix_poll_deliveries_poll", "poll_id"),
)

# The latest state Telegram reported for each sent poll (a `poll` update or stopPoll's answer).
poll_counts = Table(
    "poll_counts",
    metadata,
    Column("tg_poll_id", String(64), primary_key=True),
    Column("counts", JSON, nullable=False),
    Column("total", Integer, nullable=False),
    Column("closed", Boolean, nullable=False, server_default="0"),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# Who voted for what in polls that are not anonymous (`poll_answer` updates).
poll_votes = Table(
    "poll_votes",
    metadata,
    Column("tg_poll_id", String(64), primary_key=True),
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("user_name", String(300), nullable=False),
    Column("option_ids", JSON, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)

fsm_states = Table(
    "fsm_states",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("state", String(100), nullable=True),
    Column("data", JSON, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)
