"""/start, /help and /link (one person's accounts on Telegram and MAX)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message

from bot.services.links import LinkService
from bot.services.replies import ReplyService
from handlers.adapters import caller_from
from handlers.filters import IsCommand

router = Router(name=__name__)
router.message.filter(F.from_user, IsCommand())


@router.message(CommandStart())
@router.message(Command("help"))
async def cmd_help(message: Message, replies: ReplyService) -> None:
    caller = caller_from(message)
    assert caller is not None
    await replies.help(caller)


@router.message(Command("link"))
async def cmd_link(message: Message, command: CommandObject, links: LinkService) -> None:
    caller = caller_from(message)
    assert caller is not None
    await links.command(caller, command.args or "")
