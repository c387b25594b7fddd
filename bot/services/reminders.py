"""The reminder sweep: unanswered issues past due, escalation to admins, on-control due days.

Runs only in working time. Everything due is claimed with conditional updates in the same
transaction that stores the messages, so a reminder is sent once, by one process, and a
restart neither repeats nor skips it. One message per chat per sweep lists all its issues.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.calendar import WorkCalendar
from bot.domain.models import ChatKind, ChatPlace, Issue
from bot.domain.outgoing import Outgoing
from bot.domain.sla import (
    SlaPolicy,
    control_due,
    escalation_bound,
    escalation_due,
    local_today,
    next_reminder,
    silence_due,
    working_age,
)
from bot.services.base import Service
from bot.services.chat_names import REMOVED_CHAT, chat_names
from bot.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.staff import pick_staff_chat, to_staff
from bot.services.telemetry import NoTelemetry, Telemetry
from bot.texts import issues as issues_t
from bot.texts import sla as t

log = logging.getLogger(__name__)

BATCH = 500
"""Issues claimed per kind per sweep; more wait for the next tick (a minute by default)."""


@dataclass
class SweepReport:
    working_time: bool
    reminded: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    controlled: list[int] = field(default_factory=list)
    messages: int = 0


class _Mailbag:
    """Lines collected per destination, turned into as few messages as Telegram allows."""

    def __init__(self) -> None:
        self._sections: dict[ChatPlace, dict[str, list[str]]] = defaultdict(
            lambda: defaultdict(list)
        )

    def add(self, place: ChatPlace, header: str, line: str) -> None:
        self._sections[place][header].append(line)

    def messages(self) -> list[Outgoing]:
        out: list[Outgoing] = []
        for place, by_header in self._sections.items():
            lines = t.sections(*by_header.items())
            for text in t.split_message(lines):
                out.append(Outgoing(chat_id=place.chat_id, thread_id=place.thread_id, text=text))
        return out


class ReminderService(Service):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        calendar: WorkCalendar,
        policy: SlaPolicy,
        admins: frozenset[int],
        escalation_chats: tuple[int, ...],
        question_silence_days: int = 2,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._telemetry: Telemetry = telemetry or NoTelemetry()
        super().__init__(uow_factory, clock, wake)
        self._calendar = calendar
        self._zone = calendar.schedule.timezone
        self._policy = policy
        self._admins = admins
        self._escalation_chats = escalation_chats
        self._silence_days = question_silence_days

    async def sweep(self) -> SweepReport:
        now = self._clock()
        if not self._calendar.is_working_time(now):
            return SweepReport(working_time=False)
        report = SweepReport(working_time=True)
        async with self._unit() as uow:
            reminded = await uow.sla.claim_reminders(
                now, next_reminder(self._calendar, now, self._policy), BATCH
            )
            candidates = await uow.sla.escalation_candidates(
                escalation_bound(now, self._policy), BATCH
            )
            ripe = [
                i.number
                for i in candidates
                if escalation_due(self._calendar, i, now, self._policy)
            ]
            escalated = await uow.sla.claim_escalations(ripe, now)
            today = local_today(self._calendar, now)
            controls = await uow.sla.control_candidates(today, BATCH)
            due_controls = [i.number for i in controls if control_due(self._calendar, i, now)]
            controlled = await uow.sla.claim_controls(due_controls, today)
            messages = await self._messages(uow, now, reminded, escalated, controlled)
            silent = await self._silences(uow, now)
            messages += silent
            await self._send(uow, *messages)
        report.reminded = [issue.number for issue in reminded]
        report.escalated = [issue.number for issue in escalated]
        report.controlled = [issue.number for issue in controlled]
        report.messages = len(messages)
        self._telemetry.sla_sweep(len(reminded), len(escalated))
        if messages:
            log.info(
                "sweep: %d reminded, %d escalated, %d on-control due, %d messages",
                len(reminded),
                len(escalated),
                len(controlled),
                len(messages),
            )
        return report

    async def _silences(self, uow: UnitOfWork, now: datetime) -> list[Outgoing]:
        """Questions the resident left unanswered for the configured working days: the
        assignee is told once (in private if they started the bot, else in the staff chats)."""
        days = self._silence_days
        bound = now - timedelta(days=days - 1)
        candidates = await uow.sla.silence_candidates(bound, BATCH)
        ripe = [i.number for i in candidates if silence_due(self._calendar, i, now, days)]
        messages: list[Outgoing] = []
        for issue in await uow.sla.claim_silences(ripe, now):
            text = issues_t.silence_notice(issue, days)
            assignee = issue.assignee
            if assignee is not None and await uow.users.has_started(assignee.user_id):
                messages.append(Outgoing(chat_id=assignee.user_id, text=text))
            else:
                messages += await to_staff(uow, Outgoing(chat_id=0, text=text))
        return messages

    async def _messages(
        self,
        uow: UnitOfWork,
        now: datetime,
        reminded: Sequence[Issue],
        escalated: Sequence[Issue],
        controlled: Sequence[Issue],
    ) -> list[Outgoing]:
        if not (reminded or escalated or controlled):
            return []
        names = await chat_names(uow)
        staff = [chat for chat in await uow.chats.by_kind(ChatKind.STAFF) if chat.active]
        assignees = {i.assignee.user_id for i in (*reminded, *controlled) if i.assignee}
        started = await uow.sla.started((*assignees, *self._admins))
        bag = _Mailbag()

        def line(issue: Issue, since: datetime | None) -> t.ReminderLine:
            waiting = working_age(self._calendar, since, now) if since else now - now
            return t.ReminderLine(issue, names.get(issue.filed_for, REMOVED_CHAT), waiting)

        def staff_of(issue: Issue) -> list[ChatPlace]:
            """The issue's department's staff chat (the general one without a department)."""
            chat = pick_staff_chat(staff, issue.department)
            return [chat.place] if chat is not None else []

        for issue in reminded:
            text = t.reminder_line(line(issue, issue.created_at), self._zone)
            for place in staff_of(issue):
                bag.add(place, t.REMINDER_HEADER, text)
            if issue.assignee and issue.assignee.user_id in started:
                bag.add(ChatPlace(issue.assignee.user_id), t.REMINDER_HEADER, text)
        for issue in controlled:
            text = t.control_line(line(issue, None))
            for place in staff_of(issue):
                bag.add(place, t.CONTROL_HEADER, text)
            if issue.assignee and issue.assignee.user_id in started:
                bag.add(ChatPlace(issue.assignee.user_id), t.CONTROL_HEADER, text)
        admin_chats = [*self._escalation_chats]
        admin_chats += [user for user in sorted(self._admins) if user in started]
        for issue in escalated:
            text = t.escalation_line(line(issue, issue.created_at), self._zone)
            for chat_id in dict.fromkeys(admin_chats):
                bag.add(ChatPlace(chat_id), t.ESCALATION_HEADER, text)
        return bag.messages()
