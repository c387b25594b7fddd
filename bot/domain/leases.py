"""Leases: which process of an installation does the work only one may do at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class LeaseHolder:
    holder: str
    expires_at: datetime


def leader_lease(messenger: str, bot_id: int | None) -> str:
    """The scheduled jobs and the sender of one bot: one process of the installation runs
    them (several bots on one database each have their own)."""
    return f"leader:{messenger}:{bot_id}" if bot_id is not None else f"leader:{messenger}"


def polling_lease(messenger: str, bot_id: int | None) -> str:
    """Long polling for one bot: Telegram answers one getUpdates caller per token."""
    return f"polling:{messenger}:{bot_id}" if bot_id is not None else f"polling:{messenger}"


def bot_id_of(token: str) -> int | None:
    """A Telegram bot's id, the numeric prefix of its token ("123456:ABC…"); None if the
    token has no such prefix."""
    prefix = token.partition(":")[0]
    return int(prefix) if prefix.isdecimal() else None
