"""The Telegram side of moderation: member actions as Bot API calls, the bot's own rights, and
the chat administrators' lookup that services use to exempt them.

The actions are outbox operations: the dispatcher (bot.telegram.delivery) carries them out
through `act_on_member`, in each chat's order and within Telegram's limits.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ChatMemberAdministrator, ChatMemberOwner, ChatPermissions

from bot.domain.messengers import Messenger, messenger_of
from bot.domain.outgoing import BotRight, MemberAction, MemberOp
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


async def act_on_member(bot: Bot, chat_id: int, op: MemberOp) -> None:
    """One member action; Telegram's refusals propagate as aiogram's exceptions."""
    user = op.user_id
    if op.action is MemberAction.RESTRICT:
        await bot.restrict_chat_member(
            chat_id, user, _SILENT, use_independent_chat_permissions=True, until_date=op.until
        )
    elif op.action is MemberAction.RELEASE:
        await bot.restrict_chat_member(chat_id, user, _FREE, use_independent_chat_permissions=True)
    elif op.action is MemberAction.BAN:
        await bot.ban_chat_member(chat_id, user, until_date=op.until)
    elif op.action is MemberAction.UNBAN:
        await bot.unban_chat_member(chat_id, user, only_if_banned=True)
    elif op.action is MemberAction.KICK:
        # Ban then unban: removed, and free to join again. Retried whole, both are idempotent.
        await bot.ban_chat_member(chat_id, user)
        await bot.unban_chat_member(chat_id, user, only_if_banned=True)
    elif op.action is MemberAction.APPROVE_JOIN:
        await bot.approve_chat_join_request(chat_id, user)
    elif op.action is MemberAction.DECLINE_JOIN:
        await bot.decline_chat_join_request(chat_id, user)


async def has_right(bot: Bot, chat_id: int, right: BotRight) -> bool:
    """Whether the bot holds `right` in the chat; True when Telegram cannot tell us."""
    try:
        me = await bot.get_chat_member(chat_id, bot.id)
    except TelegramAPIError:
        return True  # cannot tell; report the refusal, not a right
    if isinstance(me, ChatMemberOwner):
        return True
    if isinstance(me, ChatMemberAdministrator):
        return bool(getattr(me, right.value, False))
    return False


class TelegramChatAdmins:
    """Who administers a chat, asked from Telegram and kept for `admin_cache`."""

    def __init__(self, bot: Bot, clock: Clock, admin_cache: timedelta) -> None:
        self._bot = bot
        self._clock = clock
        self._admin_cache = admin_cache
        self._admins: dict[int, tuple[datetime, frozenset[int]]] = {}

    async def chat_admins(self, chat_id: int) -> frozenset[int]:
        if messenger_of(chat_id) is not Messenger.TELEGRAM:
            return frozenset()  # another messenger's chat: Telegram does not know it
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
