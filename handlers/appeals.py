"""Private appeals: filed in private with the bot about a chosen building or topic."""

from __future__ import annotations

from dataclasses import replace

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.domain.models import ChatPlace
from bot.services.issues import IssueService
from handlers.adapters import caller_from, incoming_from
from handlers.callbacks import AppealCallback

router = Router(name=__name__)
router.message.filter(F.from_user, F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")


@router.message(Command("appeal"))
async def cmd_appeal(message: Message, command: CommandObject, issues: IssueService) -> None:
    caller = caller_from(message)
    assert caller is not None  # the router only admits messages with a sender
    await issues.offer_appeal(caller, command.args or "")


@router.callback_query(AppealCallback.filter())
async def on_appeal_place(
    query: CallbackQuery, callback_data: AppealCallback, issues: IssueService
) -> None:
    prompt = query.message
    original = prompt.reply_to_message if isinstance(prompt, Message) else None
    incoming = incoming_from(original) if original is not None else None
    if prompt is None or incoming is None or incoming.author.user_id != query.from_user.id:
        await query.answer()
        return
    parts = incoming.text.split(maxsplit=1)  # the text after /appeal
    text = parts[1] if len(parts) > 1 else ""
    about = ChatPlace(callback_data.chat_id, callback_data.thread_id)
    await issues.file_private(replace(incoming, text=text), about, prompt.message_id)
    await query.answer()
