"""Registering group chats (or forum topics) as buildings, topics or the staff chat."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.domain.errors import UsageError
from bot.domain.models import Caller, ChatKind, Permission, RegisteredChat
from bot.services.base import Service
from bot.services.ports import Clock, UnitOfWorkFactory
from bot.services.replies import reply_to
from bot.services.roles import RoleService
from bot.texts import announcements as announcements_t
from bot.texts import chats as t
from bot.texts import errors as errors_t


class ChatService(Service):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        roles: RoleService,
        tags: tuple[str, ...],
    ) -> None:
        super().__init__(uow_factory, clock, wake)
        self._roles = roles
        self._tags = tags

    async def register(
        self, caller: Caller, kind: ChatKind, name: str, *, org: str | None = None
    ) -> None:
        """Register the caller's chat; `org` (when given) labels the organisation serving it."""
        if org is not None:
            org = " ".join(org.split())
            if not org or len(org) > 200:
                raise UsageError(errors_t.USAGE_REGISTER)
        if caller.is_private:
            raise UsageError(errors_t.GROUP_ONLY)
        name = " ".join(name.split())
        if kind.takes_issues and not name:
            raise UsageError(errors_t.USAGE_REGISTER)
        async with self._unit() as uow:
            await self._roles.require(uow, caller, Permission.MANAGE_CHATS)
            moved = False
            if kind is ChatKind.STAFF:
                name = name or "Специалисты"
                for old in await uow.chats.by_kind(ChatKind.STAFF):
                    if old.place != caller.place:
                        await uow.chats.delete(old.place)
                        moved = True
            previous = await uow.chats.get(caller.place)
            await uow.chats.save(
                RegisteredChat(
                    place=caller.place,
                    kind=kind,
                    name=name,
                    registered_by=caller.person.user_id,
                    registered_at=previous.registered_at if previous else self._clock(),
                    org=org if org is not None else previous.org if previous else None,
                )
            )
            text = t.staff_moved() if moved else t.registered(kind, name, self._tags)
            await self._send(uow, reply_to(caller, f"{text}\n{t.chat_ids(caller.place)}"))

    async def show_ids(self, caller: Caller) -> None:
        """`/chatid`: the chat's id and topic id, for the config; admins only."""
        async with self._unit() as uow:
            await self._roles.require(uow, caller, Permission.MANAGE_CHATS)
            await self._send(uow, reply_to(caller, t.chat_ids(caller.place)))

    async def set_org(self, caller: Caller, org: str) -> None:
        """`/setorg Name` labels the chat with the organisation serving it; `/setorg -` clears."""
        if caller.is_private:
            raise UsageError(errors_t.GROUP_ONLY)
        org = " ".join(org.split())
        if not org or len(org) > 200:
            raise UsageError(announcements_t.USAGE_SETORG)
        async with self._unit() as uow:
            await self._roles.require(uow, caller, Permission.MANAGE_CHATS)
            chat = await uow.chats.get(caller.place)
            if chat is None:
                raise UsageError(errors_t.NOT_REGISTERED_HERE)
            label = None if org == "-" else org
            await uow.chats.save(replace(chat, org=label))
            await self._send(uow, reply_to(caller, announcements_t.org_set(chat.name, label)))

    async def unregister(self, caller: Caller) -> None:
        if caller.is_private:
            raise UsageError(errors_t.GROUP_ONLY)
        async with self._unit() as uow:
            await self._roles.require(uow, caller, Permission.MANAGE_CHATS)
            removed = await uow.chats.delete(caller.place)
            text = t.unregistered() if removed else t.not_registered()
            await self._send(uow, reply_to(caller, text))

    async def migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: everything tied to the old id moves to the new one."""
        async with self._unit() as uow:
            await uow.chats.move_chat(old_chat_id, new_chat_id)
            await uow.issues.move_chat(old_chat_id, new_chat_id)
            await uow.refs.move_chat(old_chat_id, new_chat_id)
            await uow.outbox.move_chat(old_chat_id, new_chat_id)
