"""Every inline button payload, as the aiogram `CallbackData` class that reads it.

The core writes the same forms (bot.domain.buttons; the dialogs' bot.services.wizard.
wizard_button); tests/test_buttons.py checks that each written payload comes back here with
its fields and stays under Telegram's 64 bytes. Handlers never split a payload by hand.
"""

from __future__ import annotations

from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from bot.domain.limits import ISSUE_NUMBER_MAX

Ref = Annotated[int, Field(ge=-(2**63), lt=2**63)]
"""A number the database can hold: a forged payload beyond it does not unpack, so the press
matches no handler and stays unanswered, as for any unknown button."""

Number = Annotated[int, Field(ge=-ISSUE_NUMBER_MAX - 1, le=ISSUE_NUMBER_MAX)]
"""An issue's number or an announcement's or poll's id: an INTEGER column, 32 bits on
PostgreSQL (64 on SQLite), so a forged payload beyond it does not unpack either."""


class IssueCallback(CallbackData, prefix="iss"):
    """`iss:<action>:<number>`: a staff card's buttons (take, close, control, ask, contact,
    merge, category, transfer, reopen)."""

    action: str
    number: Number


class AppealCallback(CallbackData, prefix="apl"):
    """`apl:<chat id>:<thread id>`: the chat a private appeal is about."""

    chat_id: Ref
    thread_id: Ref


class CategoryCallback(CallbackData, prefix="cat"):
    """`cat:<category code>:<number>`: a category chosen for an issue."""

    code: str
    number: Number


class TransferCallback(CallbackData, prefix="trf"):
    """`trf:<number>:<staff chat id>:<thread id>`: the department an issue is handed to."""

    number: Number
    chat_id: Ref
    thread_id: Ref


class ModCallback(CallbackData, prefix="mod"):
    """`mod:<action>:<ref>`: moderation cards, reports, newcomers' checks and answers."""

    action: str
    ref: Ref


class ModSettingsCallback(CallbackData, prefix="mst"):
    """`mst:<setting code>:<t|+|->`: the /settings keyboard."""

    code: str
    op: str


class VerdictCallback(CallbackData, prefix="vrd"):
    """`vrd:<yes|no>:<number>`: the author's verdict under a closing notice."""

    answer: str
    number: Number


class WizardCallback(CallbackData, prefix="wz"):
    """`wz:<action>:<value>`: a step of the announcement and poll dialogs."""

    action: str
    value: str


class AnnouncementCallback(CallbackData, prefix="an"):
    """`an:<cancel|edit|del|delok>:<id>`: /announcements."""

    action: str
    id: Number


class PollCallback(CallbackData, prefix="pl"):
    """`pl:close:<id>`: «Завершить №N» under /polls."""

    action: str
    id: Number
