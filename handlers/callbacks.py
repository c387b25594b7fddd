"""Inline button payloads (under Telegram's 64-byte limit)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class IssueCallback(CallbackData, prefix="iss"):
    """`iss:<action>:<number>`; bot.domain.outgoing.issue_button_data writes the same form."""

    action: str
    number: int
