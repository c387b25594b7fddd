"""Table definitions. Migrations under storage/migrations create exactly these."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from storage.types import UtcDateTime

metadata = MetaData()

chats = Table(
    "chats",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("thread_id", BigInteger, nullable=False, server_default="0"),
    Column("kind", String(16), nullable=False),
    Column("name", String(200), nullable=False),
    Column("org", String(200), nullable=True),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("registered_by", BigInteger, nullable=False),
    Column("registered_at", UtcDateTime(), nullable=False),
    # A staff chat: the department it serves (empty: the general staff chat). A residents'
    # chat: the department and the category its issues get unless a tag says otherwise.
    Column("department", String(100), nullable=True),
    Column("category", String(16), nullable=True),
    UniqueConstraint("chat_id", "thread_id", name="uq_chats_place"),
    Index("ix_chats_kind", "kind"),
)

users = Table(
    "users",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(300), nullable=False),
    Column("username", String(64), nullable=True),
    Column("started_bot", Boolean, nullable=False, server_default="0"),
    # A phone number the user shared through Telegram's contact button, with the moment they
    # consented to its processing (152-FZ); both cleared when they withdraw consent.
    Column("phone", String(32), nullable=True),
    Column("phone_consent_at", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)

specialist_grants = Table(
    "specialist_grants",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("granted_by", BigInteger, nullable=False),
    Column("granted_at", UtcDateTime(), nullable=False),
    # The department the specialist works for; empty: the whole administration.
    Column("department", String(100), nullable=True),
)

issues = Table(
    "issues",
    metadata,
    Column("number", Integer, primary_key=True, autoincrement=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("thread_id", BigInteger, nullable=False, server_default="0"),
    Column("message_id", BigInteger, nullable=False),
    Column("author_id", BigInteger, nullable=False),
    Column("author_name", String(300), nullable=False),
    Column("text", Text, nullable=False),
    Column("tag", String(64), nullable=False),
    Column("attachments", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("assignee_id", BigInteger, nullable=True),
    Column("assignee_name", String(300), nullable=True),
    Column("due_date", Date, nullable=True),
    Column("answer", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("first_response_at", UtcDateTime(), nullable=True),
    Column("closed_at", UtcDateTime(), nullable=True),
    # The SLA clock: when the first answer is due, when to remind next, escalation, and the
    # resident's verdict on the closure ("resolved" / "not_resolved").
    Column("response_due_at", UtcDateTime(), nullable=True),
    Column("next_reminder_at", UtcDateTime(), nullable=True),
    Column("escalated_at", UtcDateTime(), nullable=True),
    Column("control_reminded_on", Date, nullable=True),
    Column("verdict", String(16), nullable=True),
    Column("verdict_at", UtcDateTime(), nullable=True),
    # The resolution deadline, and the wait for the resident's answer to a question (the
    # clock is paused meanwhile; the assignee hears once of a long silence).
    Column("resolve_due_at", UtcDateTime(), nullable=True),
    Column("awaiting_since", UtcDateTime(), nullable=True),
    Column("silence_noticed_at", UtcDateTime(), nullable=True),
    # Personal contacts with the resident recorded with /contacted (each also in the history).
    Column("contacts", Integer, nullable=False, server_default="0"),
    # How many times the author answered «Не решено» (the second brings the way out).
    Column("not_resolved_count", Integer, nullable=False, server_default="0"),
    # The main issue this one duplicates (/merge): closed with it, counted once in reports.
    Column("merged_into", Integer, nullable=True),
    # The category's code (configured in [categories]); it sets the deadlines.
    Column("category", String(16), nullable=True),
    Column("category_name", String(60), nullable=True),
    # A private appeal (filed in private with the bot) and the chat it is about.
    Column("private", Boolean, nullable=False, server_default="0"),
    Column("about_chat_id", BigInteger, nullable=True),
    Column("about_thread_id", BigInteger, nullable=True),
    # The department handling the issue (its staff chat holds the card); empty: the general.
    Column("department", String(100), nullable=True),
    UniqueConstraint("chat_id", "message_id", name="uq_issues_message"),
    Index("ix_issues_status", "status"),
    Index("ix_issues_chat_status", "chat_id", "thread_id", "status"),
    Index("ix_issues_assignee_status", "assignee_id", "status"),
    Index("ix_issues_author", "author_id"),
    Index("ix_issues_created_at", "created_at"),
    Index("ix_issues_next_reminder", "next_reminder_at"),
    Index("ix_issues_status_due", "status", "response_due_at"),
    Index("ix_issues_status_control", "status", "due_date"),
    Index("ix_issues_closed_at", "closed_at"),
    Index("ix_issues_first_response", "first_response_at"),
    Index("ix_issues_status_awaiting", "status", "awaiting_since"),
    Index("ix_issues_merged_into", "merged_into"),
    Index("ix_issues_status_department", "status", "department"),
    sqlite_autoincrement=True,
)

issue_transitions = Table(
    "issue_transitions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("issue_number", Integer, ForeignKey("issues.number"), nullable=False),
    Column("action", String(16), nullable=False),
    Column("from_status", String(16), nullable=False),
    Column("to_status", String(16), nullable=False),
    Column("actor_id", BigInteger, nullable=False),
    Column("actor_name", String(300), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("comment", Text, nullable=True),
    Index("ix_transitions_issue", "issue_number"),
    Index("ix_transitions_at", "at"),
)

issue_text_versions = Table(
    "issue_text_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("issue_number", Integer, ForeignKey("issues.number"), nullable=False),
    Column("text", Text, nullable=False),
    Column("edited_at", UtcDateTime(), nullable=False),
    Index("ix_text_versions_issue", "issue_number"),
)

sent_messages = Table(
    "sent_messages",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("message_id", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(32), nullable=False),
    Column("ref_id", Integer, nullable=False),
    Index("ix_sent_messages_ref", "kind", "ref_id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("not_before", UtcDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
    Column("lease_until", UtcDateTime(), nullable=True),
    Column("message_id", BigInteger, nullable=True),
    Index("ix_outbox_due", "status", "not_before"),
    Index("ix_outbox_chat_order", "chat_id", "status", "id"),
    # Announcements and polls: the batch an entry belongs to, and what Telegram answered
    # beyond the message id (poll id, pin outcome, final poll counts).
    Column("batch", String(40), nullable=True),
    Column("result", JSON, nullable=True),
    Index("ix_outbox_batch", "batch", "status"),
    # What the entry does (bot.domain.outgoing.OpKind), and when it first became due: a
    # transient failure is retried until the entry is older than the sender's give-up age.
    Column("kind", String(16), nullable=False, server_default="send"),
    Column("due_at", UtcDateTime(), nullable=True),
    # Set in its own commit just before a new message's request leaves, cleared when the
    # outcome is known: an entry reclaimed with it set was cut short mid-send ("maybe sent").
    Column("attempted_at", UtcDateTime(), nullable=True),
    # The messenger that carries the entry out (bot.domain.messengers): each adapter's sender
    # picks only its own entries.
    Column("messenger", String(16), nullable=False, server_default="telegram"),
    Index("ix_outbox_messenger_due", "messenger", "status", "not_before"),
    # The bot (its numeric id, the token's prefix) that wrote the entry: only that bot's
    # sender carries it out. NULL for entries written before the column existed.
    Column("bot_id", BigInteger, nullable=True),
)

# Updates are keyed by the bot that received them: each bot of an installation (two Telegram
# tokens, or Telegram beside MAX) numbers its updates on its own. `bot_id` is the Telegram
# bot's id; NO_BOT (0) for MAX, whose keys lie in a range of their own, and for rows written
# before the key had a bot (storage.repositories.updates takes those for every bot's own).
processed_updates = Table(
    "processed_updates",
    metadata,
    Column("bot_id", BigInteger, primary_key=True, autoincrement=False, server_default="0"),
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("processed_at", UtcDateTime(), nullable=False),
    Index("ix_processed_updates_at", "processed_at"),
)

# Updates the bot could not parse: kept raw so `civicbot updates replay` can feed one again
# after an upgrade; listings show the id, kind and error only.
quarantined_updates = Table(
    "quarantined_updates",
    metadata,
    Column("bot_id", BigInteger, primary_key=True, autoincrement=False, server_default="0"),
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(64), nullable=False),
    Column("error", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("quarantined_at", UtcDateTime(), nullable=False),
    Column("noticed", Boolean, nullable=False, server_default="0"),
    Column("replayed_at", UtcDateTime(), nullable=True),
    Index("ix_quarantined_updates_at", "quarantined_at"),
)


# Telegram updates received on the webhook and answered 200, not yet handled: written before
# the answer, removed after the update's own transaction committed. A process handling one
# holds it until `claimed_until`, so another process on the database leaves it alone.
webhook_inbox = Table(
    "webhook_inbox",
    metadata,
    Column("bot_id", BigInteger, primary_key=True, autoincrement=False, server_default="0"),
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("payload", Text, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("claimed_until", UtcDateTime(), nullable=True),
)

# A messenger whose messages are named by a string (MAX's `mid`) keeps the core's integer id
# (MAX's per-chat `seq`) beside the string, so replies, edits and deletions find the message.
native_messages = Table(
    "native_messages",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("message_id", BigInteger, primary_key=True, autoincrement=False),
    Column("native_id", String(200), nullable=False),
)

# Where a messenger's long polling resumes (MAX's `marker`): kept after each handled batch, so
# a restart neither loses updates nor asks for "only the latest" one.
update_markers = Table(
    "update_markers",
    metadata,
    Column("messenger", String(16), primary_key=True),
    Column("marker", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# Counters handed out without gaps: issue numbers ("issues"). A number is taken by
# `UPDATE … SET value = value + 1 RETURNING value` in the transaction that uses it, so a
# transaction rolled back gives its number back, and on PostgreSQL the row lock makes
# concurrent intakes take the numbers one after another (a sequence would skip).
counters = Table(
    "counters",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# Work that one process of the installation does at a time (the scheduled jobs and the
# sender, long polling): the process named `holder` has it until `expires_at` unless it
# renews; a process that dies leaves its lease to run out, and another takes it then.
leases = Table(
    "leases",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)
