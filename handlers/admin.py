"""Admins register chats and grant the specialist role."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.domain.errors import UsageError
from bot.domain.models import ChatKind
from bot.services.chats import ChatService
from bot.services.roles import RoleService
from bot.texts import errors as t
from handlers.adapters import caller_from, person_from
from handlers.filters import IsCommand

router = Router(name=__name__)
router.message.filter(F.from_user, IsCommand())


@router.message(Command("register"))
async def cmd_register(message: Message, command: CommandObject, chats: ChatService) -> None:
    caller = caller_from(message)
    assert caller is not None
    kind_word, _, name = (command.args or "").strip().partition(" ")
    try:
        kind = ChatKind(kind_word.lower())
    except ValueError:
        raise UsageError(t.USAGE_REGISTER) from None
    name, marker, org = name.partition("org=")
    if marker:
        await chats.register(caller, kind, name, org=org)
        return
    await chats.register(caller, kind, name)


@router.message(Command("chatid"))
async def cmd_chatid(message: Message, chats: ChatService) -> None:
    caller = caller_from(message)
    assert caller is not None
    await chats.show_ids(caller)


@router.message(Command("setorg"))
async def cmd_setorg(message: Message, command: CommandObject, chats: ChatService) -> None:
    caller = caller_from(message)
    assert caller is not None
    await chats.set_org(caller, (command.args or "").strip())


@router.message(Command("setdept"))
async def cmd_setdept(message: Message, command: CommandObject, chats: ChatService) -> None:
    caller = caller_from(message)
    assert caller is not None
    await chats.set_department(caller, (command.args or "").strip())


@router.message(Command("setcategory"))
async def cmd_setcategory(message: Message, command: CommandObject, chats: ChatService) -> None:
    caller = caller_from(message)
    assert caller is not None
    await chats.set_category(caller, (command.args or "").strip())


@router.message(Command("unregister"))
async def cmd_unregister(message: Message, chats: ChatService) -> None:
    caller = caller_from(message)
    assert caller is not None
    await chats.unregister(caller)


@router.message(Command("specialist"))
async def cmd_specialist(message: Message, command: CommandObject, roles: RoleService) -> None:
    caller = caller_from(message)
    assert caller is not None
    target = message.reply_to_message.from_user if message.reply_to_message else None
    argument = (command.args or "").strip()
    if target is None or target.is_bot:
        raise UsageError(t.USAGE_SPECIALIST)
    if argument.lower() == "remove":
        await roles.revoke_specialist(caller, person_from(target))
    else:
        await roles.grant_specialist(caller, person_from(target), argument or None)
