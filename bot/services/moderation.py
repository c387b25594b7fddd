"""What every moderation service shares: who is exempt, who may moderate, per-chat settings,
the audit log, and running Telegram actions after the decision is committed.

Telegram actions (restrict, ban, delete) are not messages, so they do not go through the
outbox: the service commits its decision (audit entry, messages) first, then runs the
actions through the `ModerationGateway`. A refused action for lack of a right tells the
admins once per chat and right.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from zoneinfo import ZoneInfo

from bot.domain.errors import PermissionDenied, UsageError
from bot.domain.models import Caller, ChatKind, Person, RegisteredChat, Role
from bot.domain.moderation import (
    ActionFailed,
    ChatModeration,
    MissingRight,
    ModEntry,
    ModerationGateway,
    TelegramOp,
    may_moderate,
)
from bot.domain.outgoing import Outgoing
from bot.services.base import Service
from bot.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.roles import RoleService
from bot.texts import moderation as t

log = logging.getLogger(__name__)


class ModerationBase(Service):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        roles: RoleService,
        gateway: ModerationGateway,
        defaults: ChatModeration,
        specialists_moderate: bool,
        tags: tuple[str, ...],
        zone: ZoneInfo,
    ) -> None:
        super().__init__(uow_factory, clock, wake)
        self._roles = roles
        self._gateway = gateway
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
        return self._defaults.with_overrides(await uow.moderation.overrides(chat_id))

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
        messages = [
            Outgoing(chat_id=staff.place.chat_id, thread_id=staff.place.thread_id, text=text)
            for staff in await uow.chats.by_kind(ChatKind.STAFF)
        ]
        for admin_id in sorted(self._roles.admins):
            if await uow.users.has_started(admin_id):
                messages.append(Outgoing(chat_id=admin_id, text=text))
        return messages

    async def _apply(self, ops: Sequence[TelegramOp]) -> None:
        """Run committed decisions in Telegram; tell the admins about a missing right."""
        for op in ops:
            try:
                await self._gateway.run(op)
            except MissingRight as exc:
                log.warning("%s in chat %d: missing %s", op.kind, exc.chat_id, exc.right)
                await self._tell_missing_right(exc)
            except ActionFailed as exc:
                log.warning("%s in chat %d failed: %s", op.kind, op.chat_id, exc)

    async def _tell_missing_right(self, exc: MissingRight) -> None:
        async with self._quiet() as uow:
            first = await uow.moderation.note_missing_right(
                exc.chat_id, exc.right.value, self._clock()
            )
            if not first:
                return
            chat = await uow.moderation.registered(exc.chat_id)
            name = chat.name if chat else str(exc.chat_id)
            await self._send(uow, *await self._to_admins(uow, t.missing_right(name, exc.right)))
