"""The daily digest, /stats and /export: numbers from storage, text, chart and files."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from bot.domain.calendar import WorkCalendar
from bot.domain.categories import Categories
from bot.domain.errors import PermissionDenied, UsageError
from bot.domain.measures import (
    MAX_LISTED,
    ChatLine,
    DayPoint,
    DepartmentLine,
    Digest,
    LateIssue,
    OpenNow,
    PeriodCounts,
    Report,
    backlog_series,
    day_bounds,
    hours,
    response_stats,
    response_stats_since,
)
from bot.domain.models import Caller, ChatKind, ChatPlace, Issue, IssueStatus, Permission
from bot.domain.outgoing import Attachment, AttachmentKind, Outgoing
from bot.domain.rules import can
from bot.services.base import Service
from bot.services.chat_names import REMOVED_CHAT, chat_names
from bot.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.replies import reply_to
from bot.services.reporting import export
from bot.services.roles import RoleService
from bot.texts import reports as t

log = logging.getLogger(__name__)

CHART_DAYS = 30
EXPORT_MAX_BYTES = 50 * 1000 * 1000
"""The largest file /export sends: Telegram takes documents of up to 50 MB from bots."""
XLSX, CSV = "xlsx", "csv"
"""The export's formats: XLSX by default, CSV on request."""
FIRST_DIGEST_WINDOW = timedelta(days=1)
"""What "since the last digest" means before any digest was sent."""


class ReportService(Service):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        roles: RoleService,
        calendar: WorkCalendar,
        digest_time: time,
        digest_chat_ids: Sequence[int],
        export_max_bytes: int | None = None,
        categories: Categories | None = None,
    ) -> None:
        super().__init__(uow_factory, clock, wake)
        self._pos_topics = {
            c.code: c.pos_topic for c in (categories or Categories()).items if c.pos_topic
        }
        self._roles = roles
        self._calendar = calendar
        self._zone = calendar.schedule.timezone
        self._digest_time = digest_time
        self._digest_chats = tuple(digest_chat_ids)
        self._export_max_bytes = export_max_bytes

    def today(self) -> date:
        return self._calendar.local(self._clock()).date()

    def day_start(self, day: date) -> datetime:
        return datetime.combine(day, time(0), self._zone).astimezone(UTC)

    # --- numbers -------------------------------------------------------------------------

    async def report(
        self, uow: UnitOfWork, start: datetime, end: datetime, open_now: OpenNow | None = None
    ) -> Report:
        reports = uow.reports
        closed, confirmed = await reports.count_closed(start, end)
        counts = PeriodCounts(
            received=await reports.count_received(start, end),
            answered=await reports.count_answered(start, end),
            closed=closed,
            confirmed=confirmed,
            not_resolved=await reports.count_not_resolved(start, end),
        )
        names = await chat_names(uow)
        received = await reports.received_per_chat(start, end)
        if open_now is None:
            open_now = await reports.open_now()
        still_open = open_now.per_chat
        chats = tuple(
            ChatLine(
                place,
                names.get(place, REMOVED_CHAT),
                received.get(place, 0),
                still_open.get(place, 0),
            )
            for place in sorted(set(received) | set(still_open), key=_place_key)
        )
        return Report(
            start=start,
            end=end,
            counts=counts,
            response=response_stats(await reports.answered_between(start, end), self._calendar),
            open_by_status=open_now.by_status,
            chats=chats,
            specialists=tuple(await reports.specialists(start, end, open_now)),
            departments=department_lines(await reports.per_department(start, end)),
        )

    async def digest(self, *, chart: bool = False) -> Digest:
        """The digest's numbers; with `chart`, its chart too, drawn in a worker thread while
        the rest of the numbers are read (the chart needs only the days' counts)."""
        now = self._clock()
        today = self._calendar.local(now).date()
        first_day = today - timedelta(days=CHART_DAYS - 1)
        drawing: asyncio.Future[bytes] | None = None
        try:
            async with self._uow_factory.reader() as uow:
                open_now = await uow.reports.open_now()
                bounds = day_bounds(self._calendar, first_day, today)[:-1] + [now]
                days = backlog_series(
                    [first_day + timedelta(days=i) for i in range(CHART_DAYS)],
                    await uow.reports.per_day("created", bounds),
                    await uow.reports.per_day("closed", bounds),
                    sum(open_now.by_status.values()),
                )
                if chart:
                    drawing = asyncio.ensure_future(asyncio.to_thread(draw_chart, days))
                since = await uow.reports.last_digest_at(today + timedelta(days=1))
                since = since if since is not None and since < now else now - FIRST_DIGEST_WINDOW
                period = await self.report(uow, since, now, open_now)
                names = await chat_names(uow)
                overdue, overdue_total = await self._overdue(uow, now, today, names)
                due_today, due_total = await uow.reports.on_control_due(
                    today, MAX_LISTED, before=False
                )
                answered_30 = await uow.reports.answered_between(now - timedelta(days=30), now)
            response_7d, response_30d = response_stats_since(
                answered_30, self._calendar, (now - timedelta(days=7), None)
            )
            png = await drawing if drawing is not None else None
        finally:
            if drawing is not None and not drawing.done():
                drawing.cancel()  # a failed query: the picture is not wanted
        return Digest(
            now=now,
            since=since,
            period=period,
            overdue=overdue,
            overdue_total=overdue_total,
            due_today=tuple(self._late(issue, names, now) for issue in due_today),
            due_today_total=due_total,
            response_7d=response_7d,
            response_30d=response_30d,
            days=days,
            chart=png,
        )

    async def _overdue(
        self, uow: UnitOfWork, now: datetime, today: date, names: Mapping[ChatPlace, str]
    ) -> tuple[tuple[LateIssue, ...], int]:
        """Unanswered past due and on-control past their day, the longest overdue first."""
        unanswered, unanswered_total = await uow.reports.overdue_unanswered(now, MAX_LISTED)
        control, control_total = await uow.reports.on_control_due(today, MAX_LISTED, before=True)
        late = [self._late(issue, names, now) for issue in (*unanswered, *control)]
        late.sort(key=lambda item: (-item.age_hours, item.number))
        return tuple(late[:MAX_LISTED]), unanswered_total + control_total

    def _late(self, issue: Issue, names: Mapping[ChatPlace, str], now: datetime) -> LateIssue:
        if issue.status is IssueStatus.ON_CONTROL and issue.due_date is not None:
            due = self._calendar.start_of_working_day(issue.due_date)
        else:
            due = issue.response_due_at or issue.created_at
        return LateIssue(
            number=issue.number,
            chat_name=names.get(issue.place, REMOVED_CHAT),
            status=issue.status,
            assignee=issue.assignee.name if issue.assignee else None,
            age_hours=hours(self._calendar.between(due, now)),
            due_date=issue.due_date,
        )

    def digest_messages(self, digest: Digest, chat_id: int, thread_id: int = 0) -> list[Outgoing]:
        messages = [
            Outgoing(chat_id=chat_id, thread_id=thread_id, text=part)
            for part in t.split_message(t.digest(digest, self._zone))
        ]
        png = digest.chart or draw_chart(digest.days)
        photo = Attachment(AttachmentKind.PHOTO, filename="digest.png", content=png)
        messages.append(
            Outgoing(chat_id=chat_id, thread_id=thread_id, text=t.CHART_CAPTION, attachment=photo)
        )
        return messages

    # --- the digest ----------------------------------------------------------------------

    async def send_digest_now(self, caller: Caller) -> None:
        """/digest: the digest into the caller's chat now (admins only)."""
        async with self._uow_factory.reader() as uow:
            await self._allow(uow, caller, Permission.SEND_DIGEST, t.DIGEST_DENIED)
        digest = await self.digest(chart=True)
        messages = self.digest_messages(digest, caller.chat_id, caller.thread_id)
        async with self._unit() as uow:
            await self._send(uow, *messages)

    async def run_scheduled_digest(self) -> bool:
        """The daily digest on a working day once its time has come; True if this call sent it.

        The day's row in digest_runs is the claim: it is inserted in the same transaction as
        the messages, so a restart or a second process on the same database sends nothing more.
        """
        if not self._digest_chats:
            return False
        local = self._calendar.local(self._clock())
        today = local.date()
        if not self._calendar.is_working_day(today) or local.time() < self._digest_time:
            return False
        async with self._uow_factory.reader() as uow:
            if await uow.reports.digest_at(today) is not None:
                return False
        digest = await self.digest(chart=True)
        async with self._unit() as uow:
            if not await uow.reports.claim_digest(today, digest.now):
                return False
            for chat_id in self._digest_chats:
                await self._send(uow, *self.digest_messages(digest, chat_id))
        log.info("daily digest for %s sent to %d chats", today, len(self._digest_chats))
        return True

    # --- /stats and /export --------------------------------------------------------------

    def period(self, first: date | None, last: date | None, usage: str) -> tuple[date, date]:
        """Dates from the command (either may be missing): default the current month."""
        today = self.today()
        first = first or today.replace(day=1)
        last = last or max(today, first)
        if first > last:
            command = "stats" if usage == t.USAGE_STATS else "export"
            raise UsageError(t.period_order(first, last, command))
        return first, last

    async def stats_text(self, first: date, last: date) -> str:
        async with self._uow_factory.reader() as uow:
            report = await self.report(uow, self.day_start(first), self._end_of(last))
        return t.stats(report, first, last)

    async def stats(self, caller: Caller, first: date | None, last: date | None) -> None:
        async with self._uow_factory.reader() as uow:
            await self._allow(uow, caller, Permission.VIEW_REPORTS, t.REPORTS_DENIED)
        first, last = self.period(first, last, t.USAGE_STATS)
        parts = t.split_message(await self.stats_text(first, last))
        async with self._unit() as uow:
            await self._send(uow, *(reply_to(caller, part) for part in parts))

    async def export_context(self, first: date, last: date) -> export.ExportContext:
        async with self._uow_factory.reader() as uow:
            names = await chat_names(uow)
        return export.ExportContext(
            uow_factory=self._uow_factory,
            start=self.day_start(first),
            end=self._end_of(last),
            now=self._clock(),
            calendar=self._calendar,
            chat_names=names,
            pos_topics=self._pos_topics,
        )

    async def export(
        self, caller: Caller, first: date | None, last: date | None, fmt: str = XLSX
    ) -> None:
        """/export: one file for the period, XLSX (with the summary) or CSV."""
        async with self._uow_factory.reader() as uow:
            await self._allow(uow, caller, Permission.VIEW_REPORTS, t.REPORTS_DENIED)
        first, last = self.period(first, last, t.USAGE_EXPORT)
        ctx = await self.export_context(first, last)
        basename = export_basename(first, last)
        limit = self._export_max_bytes or EXPORT_MAX_BYTES
        try:
            if fmt == CSV:
                file = await export.write_csv(ctx, basename, max_bytes=limit)
            else:
                file = await export.write_xlsx(ctx, basename, max_bytes=limit)
        except export.EmptyExport:
            raise UsageError(t.export_empty(first, last)) from None
        except export.ExportTooLarge:
            log.info("export %s refused: a file would exceed %d bytes", basename, limit)
            raise UsageError(t.export_too_large(first, last, limit)) from None
        caption = t.export_caption(first, last, file.rows, "CSV" if fmt == CSV else "Excel")
        document = Attachment(AttachmentKind.DOCUMENT, file.filename, content=file.content)
        async with self._unit() as uow:
            await self._send(uow, replace(reply_to(caller, caption), attachment=document))

    # --- helpers -------------------------------------------------------------------------

    def _end_of(self, day: date) -> datetime:
        return self.day_start(day + timedelta(days=1))

    async def _allow(
        self, uow: UnitOfWork, caller: Caller, permission: Permission, denied: str
    ) -> None:
        """Permission by role, then the place: reports hold residents' data, so never in a
        building or topic chat, only in private, in the staff chat or a digest chat."""
        role = await self._roles.role_in(uow, caller.person.user_id)
        if not can(role, permission):
            raise PermissionDenied(denied)
        if caller.is_private or caller.chat_id in self._digest_chats:
            return
        chat = await uow.chats.get(caller.place) or await uow.chats.get(ChatPlace(caller.chat_id))
        if chat is None or chat.kind is not ChatKind.STAFF:
            raise PermissionDenied(t.PUBLIC_CHAT_REFUSED)


def department_lines(
    figures: Mapping[str | None, tuple[int, int, int]],
) -> tuple[DepartmentLine, ...]:
    """One line per department, the general desk's last; none when no department exists."""
    if not any(name for name in figures):
        return ()
    ordered = sorted(figures, key=lambda name: (name is None, (name or "").casefold()))
    return tuple(DepartmentLine(name, *figures[name]) for name in ordered)


def draw_chart(days: Sequence[DayPoint]) -> bytes:
    """The digest's chart as PNG; matplotlib loads only where a chart is drawn."""
    from bot.services.reporting import chart

    return chart.digest_chart(days)


def export_basename(first: date, last: date) -> str:
    return f"obrashcheniya_{first.isoformat()}_{last.isoformat()}"


def _place_key(place: ChatPlace) -> tuple[int, int]:
    return place.chat_id, place.thread_id
