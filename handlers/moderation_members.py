"""Joins, join requests, the newcomer button, and the bot's own membership."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import JOIN_TRANSITION, ChatMemberUpdatedFilter
from aiogram.types import (
    CallbackQuery,
    ChatJoinRequest,
    ChatMemberAdministrator,
    ChatMemberOwner,
    ChatMemberUpdated,
    Message,
)

from bot.domain.street_check import ANSWER_ACTIONS
from bot.services.moderation_desk import ModerationDesk
from bot.services.moderation_newcomers import NewcomerService
from handlers.adapters import person_from
from handlers.callbacks import ModCallback

router = Router(name=__name__)

_ADMIN = (ChatMemberAdministrator, ChatMemberOwner)


@router.chat_member(ChatMemberUpdatedFilter(JOIN_TRANSITION))
async def on_member_joined(event: ChatMemberUpdated, bot: Bot, newcomers: NewcomerService) -> None:
    user = event.new_chat_member.user
    if user.is_bot or isinstance(event.new_chat_member, _ADMIN):
        return
    if event.from_user.id == bot.id:
        return  # the bot approved a join request after the check in private
    await newcomers.joined(event.chat.id, person_from(user))


@router.message(F.new_chat_members)
async def on_new_members_message(message: Message, bot: Bot, newcomers: NewcomerService) -> None:
    """Fallback for bots that get no chat_member updates; the service skips repeats."""
    if message.from_user is not None and message.from_user.id == bot.id:
        return
    people = [person_from(user) for user in message.new_chat_members or () if not user.is_bot]
    if people:
        await newcomers.joined(message.chat.id, *people)


@router.chat_join_request()
async def on_join_request(request: ChatJoinRequest, newcomers: NewcomerService) -> None:
    await newcomers.join_requested(
        request.chat.id, person_from(request.from_user), request.user_chat_id
    )


@router.callback_query(ModCallback.filter(F.action == "ok"))
async def on_resident_button(
    query: CallbackQuery, callback_data: ModCallback, newcomers: NewcomerService
) -> None:
    await newcomers.pressed(callback_data.ref, person_from(query.from_user))
    await query.answer()


@router.callback_query(ModCallback.filter(F.action.in_(ANSWER_ACTIONS)))
async def on_street_answer(
    query: CallbackQuery, callback_data: ModCallback, newcomers: NewcomerService
) -> None:
    index = int(callback_data.action[1:])
    reply = await newcomers.answered(callback_data.ref, person_from(query.from_user), index)
    await query.answer(reply, show_alert=reply is not None)


@router.my_chat_member()
async def on_bot_membership(event: ChatMemberUpdated, desk: ModerationDesk) -> None:
    if event.chat.type not in ("group", "supergroup"):
        return
    old, new = event.old_chat_member, event.new_chat_member
    await desk.bot_status(
        event.chat.id,
        was_in=_in_chat(old.status, old),
        was_admin=isinstance(old, _ADMIN),
        is_in=_in_chat(new.status, new),
        is_admin=isinstance(new, _ADMIN),
    )


def _in_chat(status: str, member: object) -> bool:
    if status == "restricted":
        return bool(getattr(member, "is_member", False))
    return status in ("creator", "administrator", "member")
