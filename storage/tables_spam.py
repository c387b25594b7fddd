"""The anti-spam memory of the installation: labelled examples from moderators' decisions
and imports, shared by every chat. The classifier is rebuilt from them (and the shipped
corpus) at start."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from storage.tables import metadata
from storage.types import UtcDateTime

spam_examples = Table(
    "spam_examples",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("text", Text, nullable=False),
    Column("is_spam", Boolean, nullable=False),
    # "ban" (the card's «Забанить»), "spam" (a moderator's /spam), "restore" («Вернуть»),
    # "import" (`civicbot spam add`)
    Column("source", String(16), nullable=False),
    Column("actor_id", BigInteger, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_spam_examples_created", "created_at"),
)
