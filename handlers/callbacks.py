"""Inline button payloads (under Telegram's 64-byte limit)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class IssueCallback(CallbackData, prefix="iss"):
    """`iss:<action>:<number>`; bot.domain.outgoing.issue_button_data writes the same form."""

    action: str
    number: int


class ModCallback(CallbackData, prefix="mod"):
    """`mod:<action>:<ref>`; bot.domain.moderation.mod_button_data writes the same form."""

    action: str
    ref: int


class ModSettingsCallback(CallbackData, prefix="mst"):
    """`mst:<setting code>:<t|+|->`; bot.domain.moderation.settings_button_data writes it."""

    code: str
    op: str
