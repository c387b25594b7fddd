"""The numbers of the digest and of /stats, as plain values, and the arithmetic behind them.

Storage aggregates (counts per status, chat, specialist, day) arrive here already summed; only
the response times of one period's answered issues are read row by row, because percentiles
need them. Working hours come from the working-time calendar.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from bot.domain.calendar import WorkCalendar
from bot.domain.models import ChatPlace, IssueStatus
from bot.domain.work_timeline import WorkTimeline

HOUR = timedelta(hours=1)
MAX_LISTED = 20
"""Overdue and due-today issues listed by number; the rest are counted."""


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) by linear interpolation between closest ranks; None if empty.

    The same definition as numpy's default and Excel's PERCENTILE.INC, so a report checked
    in a spreadsheet gives the same figure.
    """
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def hours(duration: timedelta) -> float:
    return duration / HOUR


@dataclass(frozen=True, slots=True)
class Answered:
    """One answered issue as the response-time measures see it."""

    created_at: datetime
    first_response_at: datetime
    response_due_at: datetime | None


@dataclass(frozen=True, slots=True)
class ResponseStats:
    """First answers given in a window: how many, how many in time, how fast (working hours)."""

    answered: int
    within_sla: int
    median_hours: float | None
    p90_hours: float | None

    @property
    def sla_share(self) -> float | None:
        return self.within_sla / self.answered if self.answered else None


@dataclass(frozen=True, slots=True)
class AnswerTimes:
    """First answers of a window as seconds since the epoch, one position per issue, and
    whether each came in time (first answer at or before the due moment, or no due moment):
    the compact form storage reads tens of thousands of them in, the comparison made by the
    database."""

    created: Sequence[float]
    answered: Sequence[float]
    in_time: Sequence[bool]

    @classmethod
    def of(cls, rows: Iterable[Answered]) -> AnswerTimes:
        listed = list(rows)
        return cls(
            [row.created_at.timestamp() for row in listed],
            [row.first_response_at.timestamp() for row in listed],
            [in_time(row.first_response_at, row.response_due_at) for row in listed],
        )

    def since(self, moment: datetime) -> AnswerTimes:
        """Only the answers given at `moment` or later."""
        bound = moment.timestamp()
        kept = [i for i, answered in enumerate(self.answered) if answered >= bound]
        return AnswerTimes(
            [self.created[i] for i in kept],
            [self.answered[i] for i in kept],
            [self.in_time[i] for i in kept],
        )


def in_time(answered: datetime, due: datetime | None) -> bool:
    """Answered within SLA: at or before the due moment; no due moment counts as in time."""
    return due is None or answered <= due


def response_stats(
    rows: Iterable[Answered] | AnswerTimes, calendar: WorkCalendar
) -> ResponseStats:
    """Answered within SLA = first_response_at <= response_due_at (no due moment: in time).

    Working hours come from one timeline over the window (bot/domain/work_timeline.py), the
    same figures as `calendar.between` per answer."""
    times = rows if isinstance(rows, AnswerTimes) else AnswerTimes.of(rows)
    (stats,) = response_stats_since(times, calendar, (None,))
    return stats


def response_stats_since(
    times: AnswerTimes, calendar: WorkCalendar, since: Sequence[datetime | None]
) -> tuple[ResponseStats, ...]:
    """`response_stats` of the answers given at or after each moment of `since` (None: all),
    with every answer's working time measured once for all of them (the digest's 7 and 30
    days)."""
    if not times.answered:
        return tuple(_stats([], []) for _ in since)
    timeline = WorkTimeline.covering(calendar, min(times.created), max(times.answered))
    worked = timeline.spans(times.created, times.answered)  # working seconds
    result = []
    for moment in since:
        if moment is None:
            result.append(_stats(worked, times.in_time))
            continue
        bound = moment.timestamp()
        kept = [i for i, answered in enumerate(times.answered) if answered >= bound]
        result.append(_stats([worked[i] for i in kept], [times.in_time[i] for i in kept]))
    return tuple(result)


def _stats(worked: list[float], in_time: Sequence[bool]) -> ResponseStats:
    """Percentiles of working seconds as hours rounded to a few milliseconds (moments
    computed by the database carry float noise). Converting and rounding keep the order, so
    only the ranks a percentile reads are converted: the same figures as converting every
    value first."""
    ordered = sorted(worked)
    return ResponseStats(
        answered=len(ordered),
        within_sla=sum(in_time),
        median_hours=_hours_percentile(ordered, 0.5),
        p90_hours=_hours_percentile(ordered, 0.9),
    )


def _hours_percentile(ordered: Sequence[float], q: float) -> float | None:
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    low_value, high_value = round(ordered[low] / 3600, 6), round(ordered[high] / 3600, 6)
    return low_value + (high_value - low_value) * (position - low)


@dataclass(frozen=True, slots=True)
class PeriodCounts:
    received: int = 0
    answered: int = 0
    closed: int = 0
    confirmed: int = 0  # closed in the period and confirmed by the resident ("Решено")
    not_resolved: int = 0  # "Не решено" pressed in the period

    @property
    def confirmed_share(self) -> float | None:
        return self.confirmed / self.closed if self.closed else None


@dataclass(frozen=True, slots=True)
class LateIssue:
    """An overdue issue (or one due today) as the digest lists it."""

    number: int
    chat_name: str
    status: IssueStatus
    assignee: str | None
    age_hours: float  # working hours past its due moment
    due_date: date | None = None


@dataclass(frozen=True, slots=True)
class ChatLine:
    place: ChatPlace
    name: str
    received: int = 0
    open: int = 0


@dataclass(frozen=True, slots=True)
class DepartmentLine:
    """A department's figures (name None: the general staff chat's issues)."""

    name: str | None
    received: int = 0
    closed: int = 0
    open: int = 0


@dataclass(frozen=True, slots=True)
class SpecialistLine:
    user_id: int
    name: str
    answered: int = 0
    closed: int = 0
    confirmed: int = 0
    not_resolved: int = 0
    open: int = 0


@dataclass(frozen=True, slots=True)
class OpenNow:
    """The open issues now: per status, per chat, per assignee (name, count)."""

    by_status: dict[IssueStatus, int]
    per_chat: dict[ChatPlace, int]
    per_assignee: dict[int, tuple[str, int]]


@dataclass(frozen=True, slots=True)
class DayPoint:
    day: date
    received: int
    closed: int
    open_at_end: int


@dataclass(frozen=True, slots=True)
class Report:
    """A period's measures; the digest adds the state "now" (overdue, due today, chart)."""

    start: datetime
    end: datetime
    counts: PeriodCounts
    response: ResponseStats
    open_by_status: dict[IssueStatus, int]
    chats: tuple[ChatLine, ...]
    specialists: tuple[SpecialistLine, ...]
    # Empty when no issue belongs to a department (a single-desk installation).
    departments: tuple[DepartmentLine, ...] = ()


@dataclass(frozen=True, slots=True)
class Digest:
    now: datetime
    since: datetime
    period: Report  # since the last digest
    overdue: tuple[LateIssue, ...]
    overdue_total: int
    due_today: tuple[LateIssue, ...]
    due_today_total: int
    response_7d: ResponseStats
    response_30d: ResponseStats
    days: tuple[DayPoint, ...] = field(default_factory=tuple)
    chart: bytes | None = None  # the days as a PNG, when drawn beside the queries


def day_bounds(calendar: WorkCalendar, first: date, last: date) -> list[datetime]:
    """UTC moments of local midnights from `first` to the day after `last` (inclusive)."""
    zone = calendar.schedule.timezone
    bounds = []
    day = first
    while day <= last + timedelta(days=1):
        bounds.append(datetime.combine(day, time(0), zone).astimezone(UTC))
        day += timedelta(days=1)
    return bounds


def backlog_series(
    days: Sequence[date], received: Sequence[int], closed: Sequence[int], open_now: int
) -> tuple[DayPoint, ...]:
    """Open issues at the end of each day, counted back from the open issues now.

    The last day ends now; each earlier day's backlog is the next day's minus what that day
    received plus what it closed.
    """
    points: list[DayPoint] = []
    open_at_end = open_now
    for index in range(len(days) - 1, -1, -1):
        points.append(DayPoint(days[index], received[index], closed[index], max(open_at_end, 0)))
        open_at_end = open_at_end - received[index] + closed[index]
    return tuple(reversed(points))
