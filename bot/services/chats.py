"""Registering group chats (or forum topics) as buildings, topics or the staff chat."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.domain.categories import Categories
from bot.domain.departments import department_name, find_department, same_department
from bot.domain.errors import UsageError, require_fits
from bot.domain.limits import Bounded
from bot.domain.models import Caller, ChatKind, Permission, RegisteredChat
from bot.services.base import Service
from bot.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.replies import reply_to
from bot.services.roles import RoleService
from bot.services.staff import departments
from bot.texts import announcements as announcements_t
from bot.texts import chats as t
from bot.texts import departments as departments_t
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
        categories: Categories | None = None,
    ) -> None:
        super().__init__(uow_factory, clock, wake)
        self._roles = roles
        self._tags = tags
        self._categories = categories or Categories()

    async def register(
        self, caller: Caller, kind: ChatKind, name: str, *, org: str | None = None
    ) -> None:
        """Register the caller's chat; `org` (when given) labels the organisation serving it.

        A staff chat with a name is the staff chat of the department of that name; without
        one it is the general staff chat. Each has one chat: registering another moves it.
        """
        if org is not None:
            org = " ".join(org.split())
            if not org:
                raise UsageError(errors_t.USAGE_REGISTER)
            require_fits(org, Bounded.ORG)
        if caller.is_private:
            raise UsageError(errors_t.GROUP_ONLY)
        name = " ".join(name.split())
        if kind.takes_issues and not name:
            raise UsageError(errors_t.USAGE_REGISTER)
        require_fits(name, Bounded.DEPARTMENT if kind is ChatKind.STAFF else Bounded.CHAT_NAME)
        async with self._unit() as uow:
            await self._roles.require(uow, caller, Permission.MANAGE_CHATS)
            moved = False
            department = None
            if kind is ChatKind.STAFF:
                department = department_name(name) or None
                name = department or "Специалисты"
                for old in await uow.chats.by_kind(ChatKind.STAFF):
                    if old.place != caller.place and same_department(old.department, department):
                        await uow.chats.delete(old.place)
                        moved = True
            previous = await uow.chats.get(caller.place, for_update=True)
            if kind is not ChatKind.STAFF and previous is not None and previous.kind.takes_issues:
                department = previous.department
            await uow.chats.save(
                RegisteredChat(
                    place=caller.place,
                    kind=kind,
                    name=name,
                    registered_by=caller.person.user_id,
                    registered_at=previous.registered_at if previous else self._clock(),
                    org=org if org is not None else previous.org if previous else None,
                    department=department,
                    category=previous.category if previous and kind.takes_issues else None,
                )
            )
            text = t.staff_moved() if moved else t.registered(kind, name, self._tags)
            if department is not None and kind is ChatKind.STAFF:
                text = departments_t.department_staff_registered(department)
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
        if not org:
            raise UsageError(announcements_t.USAGE_SETORG)
        require_fits(org, Bounded.ORG)
        async with self._unit() as uow:
            await self._roles.require(uow, caller, Permission.MANAGE_CHATS)
            chat = await uow.chats.get(caller.place, for_update=True)
            if chat is None:
                raise UsageError(errors_t.NOT_REGISTERED_HERE)
            label = None if org == "-" else org
            await uow.chats.save(replace(chat, org=label))
            await self._send(uow, reply_to(caller, announcements_t.org_set(chat.name, label)))

    async def set_department(self, caller: Caller, name: str) -> None:
        """`/setdept Отдел` in a building or topic chat: its issues go to that department
        unless their tag or category names another; `/setdept -` clears."""
        name = department_name(name)
        if not name:
            raise UsageError(errors_t.USAGE_SETDEPT)
        async with self._unit() as uow:
            chat = await self._residents_chat(uow, caller)
            department = None
            if name != "-":
                known = await departments(uow)
                department = find_department(name, known)
                if department is None:
                    raise UsageError(departments_t.unknown_department(name, known))
            await uow.chats.save(replace(chat, department=department))
            text = departments_t.default_department_set(chat.name, department)
            await self._send(uow, reply_to(caller, text))

    async def set_category(self, caller: Caller, code: str) -> None:
        """`/setcategory код` in a building or topic chat: its issues get that category unless
        their tag names one; `/setcategory -` clears."""
        code = code.strip()
        if not code:
            raise UsageError(errors_t.USAGE_SETCATEGORY)
        async with self._unit() as uow:
            chat = await self._residents_chat(uow, caller)
            category = None if code == "-" else self._categories.get(code)
            if code != "-" and category is None:
                known = [item.code for item in self._categories.items]
                raise UsageError(departments_t.unknown_category(code, known))
            await uow.chats.save(replace(chat, category=category.code if category else None))
            text = departments_t.default_category_set(
                chat.name, category.name if category else None
            )
            await self._send(uow, reply_to(caller, text))

    async def _residents_chat(self, uow: UnitOfWork, caller: Caller) -> RegisteredChat:
        if caller.is_private:
            raise UsageError(errors_t.GROUP_ONLY)
        await self._roles.require(uow, caller, Permission.MANAGE_CHATS)
        chat = await uow.chats.get(caller.place, for_update=True)
        if chat is None or not chat.kind.takes_issues:
            raise UsageError(errors_t.NOT_REGISTERED_HERE)
        return chat

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
