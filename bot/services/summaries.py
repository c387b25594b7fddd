"""Specialists' morning lists and the weekly public summary of building and topic chats."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import time, timedelta

from bot.domain.calendar import WorkCalendar
from bot.domain.errors import PermissionDenied, UsageError
from bot.domain.models import Caller, ChatKind, Issue, Permission
from bot.domain.outgoing import Outgoing
from bot.domain.rules import can
from bot.domain.sla import local_today, morning_due, weekly_moment, working_age
from bot.services.base import Service
from bot.services.chat_names import REMOVED_CHAT, chat_names
from bot.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.replies import reply_to
from bot.services.roles import RoleService
from bot.texts import errors as errors_t
from bot.texts import sla as t

log = logging.getLogger(__name__)

PERSONAL_RUN = "personal_digest"
LISTED = 200
"""Issues read for the personal lists; more are cut by the message length anyway."""


class SummaryService(Service):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        roles: RoleService,
        calendar: WorkCalendar,
        specialists: frozenset[int],
        personal_time: time,
        weekly_weekday: int,
        weekly_time: time,
    ) -> None:
        super().__init__(uow_factory, clock, wake)
        self._roles = roles
        self._calendar = calendar
        self._zone = calendar.schedule.timezone
        self._specialists = specialists
        self._personal_time = personal_time
        self._weekly_weekday = weekly_weekday
        self._weekly_time = weekly_time

    async def run_due(self) -> int:
        """Send what is due now; returns the number of messages stored."""
        now = self._clock()
        if not self._calendar.is_working_time(now):
            return 0
        sent = 0
        if morning_due(self._calendar, now, self._personal_time):
            async with self._unit() as uow:
                if await uow.sla.claim_daily(PERSONAL_RUN, local_today(self._calendar, now)):
                    messages = await self._personal(uow)
                    await self._send(uow, *messages)
                    sent += len(messages)
        since = weekly_moment(self._calendar, now, self._weekly_weekday, self._weekly_time)
        async with self._unit() as uow:
            messages = []
            for place in await uow.sla.claim_weekly(since, now):
                chat = await uow.chats.get(place)
                if chat is None or not chat.active or not chat.kind.takes_issues:
                    continue
                figures = await uow.sla.week_figures(place, now - timedelta(days=7), now)
                start = self._calendar.local(now - timedelta(days=7)).date()
                lines = t.weekly_summary(
                    chat.name, start, local_today(self._calendar, now), figures
                )
                for text in t.split_message(lines):
                    messages.append(Outgoing(place.chat_id, text, thread_id=place.thread_id))
            await self._send(uow, *messages)
            sent += len(messages)
        return sent

    async def _personal(self, uow: UnitOfWork) -> list[Outgoing]:
        now = self._clock()
        today = local_today(self._calendar, now)
        control = await uow.sla.control_due_by(today, LISTED)
        unanswered = await uow.sla.overdue_new(now, LISTED)
        names = await chat_names(uow)
        granted = {person.user_id for person in await uow.roles.granted_specialists()}
        owners = {issue.assignee.user_id for issue in control if issue.assignee}
        recipients = await uow.sla.started({*self._specialists, *granted, *owners})
        common = [
            t.ReminderLine(
                issue,
                names.get(issue.place, REMOVED_CHAT),
                working_age(self._calendar, issue.created_at, now),
            )
            for issue in unanswered
        ]
        messages: list[Outgoing] = []
        for user_id in sorted(recipients):

            def mine(issue: Issue, user: int = user_id) -> bool:
                return issue.assignee is not None and issue.assignee.user_id == user

            own = [issue for issue in control if mine(issue)]
            overdue = [i for i in own if i.due_date is not None and i.due_date < today]
            due_today = [i for i in own if i.due_date == today]
            returned = await uow.sla.returned_to(user_id)
            if not (overdue or due_today or returned or common):
                continue
            lines = t.personal_digest(overdue, due_today, returned, common, self._zone)
            for text in t.split_message(lines)[:3]:
                messages.append(Outgoing(chat_id=user_id, text=text))
        return messages

    # --- /weekly ----------------------------------------------------------------------------

    async def set_weekly(self, caller: Caller, enabled: bool | None) -> None:
        """`/weekly on|off` in a building or topic chat (admins); None just shows the state."""
        if caller.is_private:
            raise UsageError(errors_t.GROUP_ONLY)
        async with self._unit() as uow:
            role = await self._roles.role_in(uow, caller.person.user_id)
            if not can(role, Permission.MANAGE_CHATS):
                raise PermissionDenied(t.WEEKLY_ADMINS_ONLY)
            chat = await uow.chats.get(caller.place)
            if chat is None:
                raise UsageError(errors_t.NOT_REGISTERED_HERE)
            if chat.kind is ChatKind.STAFF:
                raise UsageError(t.WEEKLY_ONLY_PUBLIC)
            if enabled is True:
                await uow.sla.enable_weekly(caller.place, caller.person.user_id, self._clock())
            elif enabled is False:
                await uow.sla.disable_weekly(caller.place)
            state = await uow.sla.weekly_enabled(caller.place)
            text = t.weekly_state(state, self._weekly_weekday, self._weekly_time)
            if enabled is None:
                text = f"{text}\n{t.USAGE_WEEKLY}"
            await self._send(uow, reply_to(caller, text))
