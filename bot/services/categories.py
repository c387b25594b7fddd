"""An issue's category: chosen by a specialist from the card; its deadlines follow it."""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.buttons import category_button_data
from bot.domain.calendar import WorkCalendar
from bot.domain.categories import Categories
from bot.domain.errors import NotFound, UsageError
from bot.domain.models import Caller, Issue, IssueAction, Permission, Transition
from bot.domain.outgoing import Button
from bot.domain.sla import recategorized
from bot.services.base import Service
from bot.services.cards import card_update
from bot.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.replies import reply_to
from bot.services.roles import RoleService
from bot.texts import errors as errors_t
from bot.texts import issues as t


class CategoryService(Service):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        roles: RoleService,
        calendar: WorkCalendar,
        categories: Categories,
    ) -> None:
        super().__init__(uow_factory, clock, wake)
        self._roles = roles
        self._calendar = calendar
        self._categories = categories

    async def offer(self, caller: Caller, number: int) -> None:
        """«Категория» on a card: the configured categories as buttons."""
        async with self._unit() as uow:
            await self._roles.require(uow, caller, Permission.WORK_ISSUES)
            issue = await _open_issue(uow, number)
            await self._roles.require_issue(uow, caller, issue)
            if not self._categories.items:
                raise UsageError(t.NO_CATEGORIES)
            buttons = tuple(
                (Button(item.name, category_button_data(item.code, number)),)
                for item in self._categories.items
            )
            text = t.category_choice(issue)
            await self._send(uow, reply_to(caller, text, buttons=buttons))

    async def choose(self, caller: Caller, number: int, code: str) -> None:
        async with self._unit() as uow:
            await self._roles.require(uow, caller, Permission.WORK_ISSUES)
            issue = await _open_issue(uow, number, for_update=True)
            await self._roles.require_issue(uow, caller, issue)
            category = self._categories.get(code)
            if category is None:
                raise NotFound(t.NO_CATEGORIES)
            now = self._clock()
            updated = recategorized(self._calendar, issue, category, now)
            await uow.issues.save(updated)
            status = issue.status
            await uow.issues.add_transition(
                Transition(
                    number, IssueAction.CATEGORY, status, status, caller.person, now, category.name
                )
            )
            await self._send(
                uow,
                reply_to(caller, t.category_set(number, category.name)),
                *await card_update(uow, updated, self._calendar.schedule.timezone),
            )


async def _open_issue(uow: UnitOfWork, number: int, *, for_update: bool = False) -> Issue:
    issue = await uow.issues.get(number, for_update=for_update)
    if issue is None:
        raise NotFound(errors_t.issue_not_found(number))
    if not issue.status.is_open:
        raise UsageError(errors_t.transition_not_allowed(number, issue.status, IssueAction.TAKE))
    return issue
