"""Expected failures become a one-line answer; anything else is logged with the update id."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import CallbackQuery, ErrorEvent, Message

from bot.domain.errors import BotError
from bot.services.replies import ReplyService
from bot.texts import errors as t
from handlers.adapters import caller_from

log = logging.getLogger(__name__)
router = Router(name=__name__)


@router.error(ExceptionTypeFilter(BotError), F.update.message.as_("message"))
async def on_bot_error_in_message(
    event: ErrorEvent, message: Message, replies: ReplyService
) -> None:
    assert isinstance(event.exception, BotError)
    caller = caller_from(message)
    if caller is not None:
        await replies.tell(caller, t.explain(event.exception))


@router.error(ExceptionTypeFilter(BotError), F.update.callback_query.as_("query"))
async def on_bot_error_in_button(event: ErrorEvent, query: CallbackQuery) -> None:
    assert isinstance(event.exception, BotError)
    await query.answer(t.explain(event.exception)[:200], show_alert=True)


@router.error()
async def on_unexpected_error(event: ErrorEvent, replies: ReplyService) -> None:
    log.error("update %d failed", event.update.update_id, exc_info=event.exception)
    message = event.update.message
    caller = caller_from(message) if message is not None else None
    if (
        caller is not None
        and message is not None
        and message.text
        and message.text.startswith("/")
    ):
        await replies.tell(caller, t.UNEXPECTED)
    if event.update.callback_query is not None:
        await event.update.callback_query.answer(t.UNEXPECTED[:200], show_alert=True)
