"""Tables of group moderation: members on probation, newcomer checks, the audit log,
residents' reports, per-chat settings and the "missing right" notices already sent."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from storage.tables import metadata
from storage.types import UtcDateTime

mod_members = Table(
    "mod_members",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("joined_at", UtcDateTime(), nullable=False),
    Column("messages", Integer, nullable=False, server_default="0"),
    Column("trusted", Boolean, nullable=False, server_default="0"),
)

mod_checks = Table(
    "mod_checks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("user_name", String(300), nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("via_request", Boolean, nullable=False, server_default="0"),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("deadline", UtcDateTime(), nullable=False),
    # The street question (null: the button): its choices in order and the right street.
    Column("choices", JSON, nullable=True),
    Column("answer", String(100), nullable=True),
    Index("ix_mod_checks_due", "status", "deadline"),
    Index("ix_mod_checks_member", "chat_id", "user_id", "status"),
    # One pending check per member and chat, kept by the database: two processes handling
    # the member's join at once insert one (INSERT … ON CONFLICT DO NOTHING).
    Index(
        "ux_mod_checks_pending",
        "chat_id",
        "user_id",
        unique=True,
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
)

mod_actions = Table(
    "mod_actions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("thread_id", BigInteger, nullable=False, server_default="0"),
    Column("target_id", BigInteger, nullable=False),
    Column("target_name", String(300), nullable=False),
    Column("actor_id", BigInteger, nullable=True),
    Column("actor_name", String(300), nullable=True),
    Column("reason", Text, nullable=False, server_default=""),
    Column("text", Text, nullable=False, server_default=""),
    Column("message_id", BigInteger, nullable=True),
    Column("until", UtcDateTime(), nullable=True),
    Column("chats", JSON, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("undone_at", UtcDateTime(), nullable=True),
    Column("undone_by_id", BigInteger, nullable=True),
    Column("undone_by_name", String(300), nullable=True),
    Column("settled", Boolean, nullable=False, server_default="0"),
    # The anti-spam signals behind an automatic removal: [[name, score, fired], …]
    Column("signals", JSON, nullable=True),
    Index("ix_mod_actions_at", "at"),
    Index("ix_mod_actions_target", "target_id", "kind"),
)

mod_reports = Table(
    "mod_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("thread_id", BigInteger, nullable=False, server_default="0"),
    Column("message_id", BigInteger, nullable=False),
    Column("author_id", BigInteger, nullable=False),
    Column("author_name", String(300), nullable=False),
    Column("text", Text, nullable=False),
    Column("reporters", JSON, nullable=False),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("chat_id", "message_id", name="uq_mod_reports_message"),
)

mod_chat_settings = Table(
    "mod_chat_settings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("chat_id", BigInteger, nullable=False, unique=True),
    Column("overrides", JSON, nullable=False),
    Column("rules", Text, nullable=True),
    Column("street", String(100), nullable=True),  # the building's street, for the question
)

mod_right_notices = Table(
    "mod_right_notices",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("right", String(40), primary_key=True),
    Column("noticed_at", UtcDateTime(), nullable=False),
)
