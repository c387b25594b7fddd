"""What every moderation service shares: who is exempt, who may moderate, per-chat settings,
the audit log, and the admins' notices when the messenger refuses an action.

Actions on the messenger (restrict, ban, delete) are outbox operations like messages: a
service writes them in the same transaction as its decision, and the adapter carries them
out. When the adapter meets a permanent refusal that the admins can fix (a right the bot
lacks, the bot removed from a chat), `refused` tells them, once per chat.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.domain.errors import PermissionDenied, UsageError
from bot.domain.models import Caller, ChatKind, Person, RegisteredChat, Role
from bot.domain.moderation import ChatModeration, ModEntry, may_moderate
from bot.domain.outgoing import Outgoing, Refusal, RefusalKind
from bot.services.base import Service
from bot.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.roles import RoleService
from bot.services.staff import to_admins
from bot.texts import moderation as t

log = logging.getLogger(__name__)


class ChatAdmins(Protocol):
    """A read-only question to the messenger: who administers a chat (cached briefly).

    Implemented by the messenger adapter (bot.telegram.moderation)."""

    async def chat_admins(self, chat_id: int) -> frozenset[int]: ...


class NoChatAdmins:
    """For tools that run without a messenger: no chat has administrators of its own."""

    async def chat_admins(self, chat_id: int) -> frozenset[int]:
        return frozenset()


class ModerationBase(Service):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        roles: RoleService,
        chat_admins: ChatAdmins,
        defaults: ChatModeration,
        specialists_moderate: bool,
        tags: tuple[str, ...],
        zone: ZoneInfo,
    ) -> None:
        super().__init__(uow_factory, clock, wake)
        self._roles = roles
        self._admins_query = chat_admins
        self._defaults = defaults
        self._specialists_moderate = specialists_moderate
        self._tags = tags
        self._zone = zone

    @asynccontextmanager
    async def _quiet(self) -> AsyncIterator[UnitOfWork]:
        """A unit of work for work beside the update's main effect (a clean message's
        probation count, a missing right's notice); inside an update it joins the update's."""
        async with self._uow_factory() as uow:
            yield uow
            uow.on_commit(self._wake)
            await uow.commit()

    async def _settings(self, uow: UnitOfWork, chat_id: int) -> ChatModeration:
        overrides = await uow.moderation.overrides(chat_id)
        # Most chats keep the defaults: every message's guard reads them without a copy.
        return self._defaults.with_overrides(overrides) if overrides else self._defaults

    async def _moderated_chat(self, uow: UnitOfWork, chat_id: int) -> RegisteredChat | None:
        chat = await uow.moderation.registered(chat_id)
        if chat is None or not chat.active or chat.kind is ChatKind.STAFF:
            return None
        return chat

    async def _is_exempt(self, uow: UnitOfWork, user_id: int, chat_admins: frozenset[int]) -> bool:
        """Admins, specialists and the chat's own administrators are never moderated.

        `chat_admins` is fetched before the unit of work opens, so no Telegram call runs
        while the database is locked for writing.
        """
        if user_id in chat_admins:
            return True
        return await self._roles.role_in(uow, user_id) is not Role.RESIDENT

    async def _require_moderator(self, uow: UnitOfWork, caller: Caller) -> None:
        role = await self._roles.role_in(uow, caller.person.user_id)
        if not may_moderate(role, self._specialists_moderate):
            raise PermissionDenied(
                t.MODERATORS_AND_SPECIALISTS if self._specialists_moderate else t.MODERATORS_ONLY
            )

    async def _require_target(
        self, uow: UnitOfWork, target: Person, chat_admins: frozenset[int]
    ) -> None:
        if await self._is_exempt(uow, target.user_id, chat_admins):
            raise UsageError(t.exempt(target.name))

    async def _record(self, uow: UnitOfWork, entry: ModEntry) -> ModEntry:
        return replace(entry, id=await uow.moderation.add_action(entry))

    async def _chat_names(self, uow: UnitOfWork) -> dict[int, str]:
        return {chat.place.chat_id: chat.name for chat in reversed(await uow.chats.all())}

    async def _to_admins(self, uow: UnitOfWork, text: str) -> list[Outgoing]:
        """A message for the staff chat and for every configured admin who started the bot."""
        return await to_admins(uow, self._roles.admins, text)

    async def _chat_admins(self, chat_id: int) -> frozenset[int]:
        return await self._admins_query.chat_admins(chat_id)

    async def refused(self, refusal: Refusal) -> None:
        """The messenger refused an operation for good in a way the admins can fix: tell them,
        once per chat (and right). A chat that refuses the bot altogether is marked
        inactive, as when the bot is seen removed; the notice comes with the change."""
        async with self._quiet() as uow:
            chat = await uow.moderation.registered(refusal.chat_id)
            name = chat.name if chat else str(refusal.chat_id)
            if refusal.kind is RefusalKind.MISSING_RIGHT:
                assert refusal.right is not None
                log.warning("chat %d: missing %s", refusal.chat_id, refusal.right)
                first = await uow.moderation.note_missing_right(
                    refusal.chat_id, refusal.right.value, self._clock()
                )
                if first:
                    text = t.missing_right(name, refusal.right)
                    await self._send(uow, *await self._to_admins(uow, text))
                return
            if chat is None or not chat.active:
                return  # a private chat (a resident blocked the bot) or already known
            log.warning("chat %d refuses the bot: %s", refusal.chat_id, refusal.detail)
            if await uow.moderation.set_active(refusal.chat_id, False):
                await self._send(uow, *await self._to_admins(uow, t.bot_removed(chat.name)))
