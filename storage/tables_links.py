"""One person on two messengers: a MAX account linked to a Telegram identity (`/link`), and
the one-time codes that make such a link."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, String, Table

from storage.tables import metadata
from storage.types import UtcDateTime

# A person's identity on each messenger; each id appears in at most one link.
person_links = Table(
    "person_links",
    metadata,
    Column("telegram_id", BigInteger, primary_key=True, autoincrement=False),
    Column("max_id", BigInteger, nullable=False, unique=True),
    Column("linked_at", UtcDateTime(), nullable=False),
)

# A code handed to the person who asked for it, redeemed once from their other messenger.
link_codes = Table(
    "link_codes",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("user_id", BigInteger, nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Index("ix_link_codes_user", "user_id"),
)
