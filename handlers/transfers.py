"""Handing issues to another department: /transfer N Отдел and the department buttons under
«Передать» (the «Передать» press itself is one of the card's buttons, in handlers.work)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.domain.errors import UsageError
from bot.domain.models import ChatPlace
from bot.services.issues import IssueService
from bot.services.transfers import TransferService
from bot.texts import errors as t
from handlers import args
from handlers.adapters import caller_from
from handlers.callbacks import TransferCallback
from handlers.filters import CommandOrReply, PrivateOrRegistered

router = Router(name=__name__)
router.message.filter(F.from_user, CommandOrReply(), PrivateOrRegistered())


@router.message(Command("transfer"))
async def cmd_transfer(
    message: Message, command: CommandObject, transfers: TransferService, issues: IssueService
) -> None:
    caller = caller_from(message)
    assert caller is not None  # the router only admits messages with a sender
    text = (command.args or "").strip()
    head, _, rest = text.partition(" ")
    if head.lstrip("№#").isdecimal():
        number, department = args.issue_number(head, t.USAGE_TRANSFER), rest
    elif message.reply_to_message is not None:
        replied = message.reply_to_message.message_id
        number, department = await issues.number_from_reply(message.chat.id, replied), text
    else:
        raise UsageError(t.USAGE_TRANSFER)
    if not department.strip():
        raise UsageError(t.USAGE_TRANSFER)
    await transfers.transfer(caller, number, department)


@router.callback_query(TransferCallback.filter())
async def on_transfer_button(
    query: CallbackQuery, callback_data: TransferCallback, transfers: TransferService
) -> None:
    if query.message is None or not isinstance(query.message, Message):
        await query.answer()
        return
    caller = caller_from(query.message, user=query.from_user)
    assert caller is not None
    staff = ChatPlace(callback_data.chat_id, callback_data.thread_id)
    await transfers.choose(caller, callback_data.number, staff)
    await query.answer()
