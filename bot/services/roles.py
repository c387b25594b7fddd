"""Who is who: admins come from the config file, specialists from the file and from grants."""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.departments import find_department
from bot.domain.errors import UsageError
from bot.domain.models import Caller, ChatKind, Issue, Permission, Person, Role
from bot.domain.rules import require, require_issue
from bot.services.base import Service
from bot.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.replies import reply_to
from bot.services.staff import departments
from bot.texts import chats as t
from bot.texts import departments as departments_t


class RoleService(Service):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        admins: frozenset[int],
        specialists: frozenset[int],
    ) -> None:
        super().__init__(uow_factory, clock, wake)
        self.admins = admins
        self._specialists = specialists

    async def role_in(self, uow: UnitOfWork, user_id: int) -> Role:
        """The person's role; accounts linked with `/link` are one person, with one role."""
        role = await self._own_role(uow, user_id)
        if role is Role.ADMIN:
            return role
        linked = await uow.links.linked(user_id)
        if linked is None:
            return role
        other = await self._own_role(uow, linked)
        return other if other is not Role.RESIDENT else role

    async def _own_role(self, uow: UnitOfWork, user_id: int) -> Role:
        if user_id in self.admins:
            return Role.ADMIN
        if user_id in self._specialists or await uow.roles.is_specialist(user_id):
            return Role.SPECIALIST
        return Role.RESIDENT

    async def require(self, uow: UnitOfWork, caller: Caller, permission: Permission) -> Role:
        role = await self.role_in(uow, caller.person.user_id)
        require(role, permission)
        return role

    async def department_of(self, uow: UnitOfWork, user_id: int) -> str | None:
        """A specialist's department; None for admins and the whole administration's
        specialists (those in the config file, or granted without a department)."""
        if user_id in self.admins or user_id in self._specialists:
            return None
        return await uow.roles.department_of(user_id)

    async def require_issue(self, uow: UnitOfWork, caller: Caller, issue: Issue) -> Role:
        """The caller may work on this issue: a specialist, of its department or of all."""
        role = await self.role_in(uow, caller.person.user_id)
        require(role, Permission.WORK_ISSUES)
        require_issue(role, await self.department_of(uow, caller.person.user_id), issue)
        return role

    async def grant_specialist(
        self, caller: Caller, target: Person, department: str | None = None
    ) -> None:
        """Make `target` a specialist: of the named department, else of the department whose
        staff chat this is, else of the whole administration."""
        async with self._unit() as uow:
            await self.require(uow, caller, Permission.MANAGE_ROLES)
            known = await departments(uow)
            if department:
                found = find_department(department, known)
                if found is None:
                    raise UsageError(departments_t.unknown_department(department, known))
                department = found
            else:
                here = await uow.chats.get(caller.place)
                staff_here = here is not None and here.kind is ChatKind.STAFF
                department = here.department if staff_here and here else None
            if target.user_id in self.admins:
                text = t.cannot_change_admin(target.name)
            elif target.user_id in self._specialists:
                text = t.specialist_already(target.name)
            else:
                now = self._clock()
                granted = await uow.roles.grant_specialist(
                    target, caller.person.user_id, now, department
                )
                if granted and department:
                    text = departments_t.specialist_granted_in(target.name, department)
                else:
                    text = (t.specialist_granted if granted else t.specialist_already)(target.name)
            await uow.users.remember(target, self._clock())
            await self._send(uow, reply_to(caller, text))

    async def revoke_specialist(self, caller: Caller, target: Person) -> None:
        async with self._unit() as uow:
            await self.require(uow, caller, Permission.MANAGE_ROLES)
            if target.user_id in self.admins:
                text = t.cannot_change_admin(target.name)
            elif target.user_id in self._specialists:
                text = t.specialist_from_config(target.name)
            elif await uow.roles.revoke_specialist(target.user_id):
                text = t.specialist_revoked(target.name)
            else:
                text = t.specialist_not_granted(target.name)
            await self._send(uow, reply_to(caller, text))
