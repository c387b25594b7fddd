"""The Telegram side of moderation: restrict, ban, delete, join requests, chat admins.

When Telegram refuses an action, the bot's own rights in that chat are read to tell a
missing right (the admins must grant it) from any other refusal (a message already gone).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import ChatMemberAdministrator, ChatMemberOwner, ChatPermissions

from bot.domain.moderation import (
    OP_RIGHTS,
    ActionFailed,
    BotRight,
    MissingRight,
    OpKind,
    TelegramOp,
)
from bot.services.ports import Clock

log = logging.getLogger(__name__)

_SILENT = ChatPermissions(
    can_send_messages=False,
    can_send_audios=False,
    can_send_documents=False,
    can_send_photos=False,
    can_send_videos=False,
    can_send_video_notes=False,
    can_send_voice_notes=False,
    can_send_polls=False,
    can_send_other_messages=False,
    can_add_web_page_previews=False,
)
# Every permission granted: Telegram then applies the chat's default permissions.
_FREE = ChatPermissions(**dict.fromkeys(ChatPermissions.model_fields, True))


class TelegramModeration:
    def __init__(self, bot: Bot, clock: Clock, admin_cache: timedelta) -> None:
        self._bot = bot
        self._clock = clock
        self._admin_cache = admin_cache
        self._admins: dict[int, tuple[datetime, frozenset[int]]] = {}

    async def chat_admins(self, chat_id: int) -> frozenset[int]:
        now = self._clock()
        cached = self._admins.get(chat_id)
        if cached is not None and now - cached[0] < self._admin_cache:
            return cached[1]
        try:
            members = await self._bot.get_chat_administrators(chat_id)
        except TelegramAPIError as exc:
            log.warning("getChatAdministrators for chat %d failed: %s", chat_id, exc)
            return cached[1] if cached else frozenset()
        admins = frozenset(member.user.id for member in members)
        self._admins[chat_id] = (now, admins)
        return admins

    def forget_admins(self, chat_id: int) -> None:
        self._admins.pop(chat_id, None)

    async def run(self, op: TelegramOp) -> None:
        try:
            await self._call(op)
        except TelegramForbiddenError as exc:
            raise ActionFailed(exc.message) from None
        except TelegramBadRequest as exc:
            right = OP_RIGHTS[op.kind]
            if not await self._has_right(op.chat_id, right):
                raise MissingRight(op.chat_id, right) from None
            raise ActionFailed(exc.message) from None

    async def _call(self, op: TelegramOp) -> None:
        bot, chat, user = self._bot, op.chat_id, op.user_id
        if op.kind is OpKind.RESTRICT:
            await bot.restrict_chat_member(
                chat, user, _SILENT, use_independent_chat_permissions=True, until_date=op.until
            )
        elif op.kind is OpKind.UNRESTRICT:
            await bot.restrict_chat_member(
                chat, user, _FREE, use_independent_chat_permissions=True
            )
        elif op.kind is OpKind.BAN:
            await bot.ban_chat_member(chat, user, until_date=op.until)
        elif op.kind is OpKind.UNBAN:
            await bot.unban_chat_member(chat, user, only_if_banned=True)
        elif op.kind is OpKind.KICK:
            await bot.ban_chat_member(chat, user)
            await bot.unban_chat_member(chat, user, only_if_banned=True)
        elif op.kind is OpKind.DELETE:
            await bot.delete_message(chat, op.message_id)
        elif op.kind is OpKind.APPROVE_JOIN:
            await bot.approve_chat_join_request(chat, user)
        elif op.kind is OpKind.DECLINE_JOIN:
            await bot.decline_chat_join_request(chat, user)

    async def _has_right(self, chat_id: int, right: BotRight) -> bool:
        try:
            me = await self._bot.get_chat_member(chat_id, self._bot.id)
        except TelegramAPIError:
            return True  # cannot tell; report the refusal, not a right
        if isinstance(me, ChatMemberOwner):
            return True
        if isinstance(me, ChatMemberAdministrator):
            return bool(getattr(me, right.value, False))
        return False
