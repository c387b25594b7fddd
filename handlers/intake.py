"""Residents' tagged messages become issues; edits update them."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message

from bot.services.issues import IssueService
from bot.services.scope import Scope
from handlers.adapters import incoming_from
from handlers.filters import GroupChat, TakesIssues

router = Router(name=__name__)
router.message.filter(GroupChat())
router.edited_message.filter(GroupChat())


@router.message(F.text | F.caption, TakesIssues())
async def on_group_message(message: Message, issues: IssueService, scope: Scope) -> None:
    if not issues.tagged(message.text or message.caption or ""):
        return  # ordinary chat: nothing to build
    incoming = incoming_from(message)
    if incoming is not None and scope.registration is not None:
        await issues.intake(incoming, scope.registration)


@router.edited_message(F.text | F.caption)
async def on_edited_message(message: Message, issues: IssueService) -> None:
    incoming = incoming_from(message)
    if incoming is not None:
        await issues.edit_text(incoming)
