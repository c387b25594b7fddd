"""The SLA clock's decisions: when an answer is due, when to remind, escalate and summarise.

Pure functions over the working-time calendar and explicit moments ("now" is always passed
in), so the rules are tested without a database, a scheduler or Telegram.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from bot.domain.calendar import WorkCalendar
from bot.domain.categories import Category
from bot.domain.models import Issue, IssueStatus

RESOLVED = "resolved"
NOT_RESOLVED = "not_resolved"


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    first_response: timedelta
    remind_every: timedelta
    escalate_after: timedelta


@dataclass(frozen=True, slots=True)
class WeekFigures:
    """One chat's week for the public summary."""

    received: int
    answered: int
    closed: int
    still_open: int
    closed_issues: tuple[Issue, ...]


@dataclass(frozen=True, slots=True)
class AckTiming:
    """What the acknowledgement promises: the answer's deadline and, when the office is
    closed at filing time, the moment it opens."""

    filed_at: datetime
    answer_due: datetime
    opens_at: datetime | None


def ack_timing(calendar: WorkCalendar, filed_at: datetime, answer_due: datetime) -> AckTiming:
    opens = None
    if not calendar.is_working_time(filed_at):
        opens = calendar.next_working_moment(filed_at)
    return AckTiming(filed_at=filed_at, answer_due=answer_due, opens_at=opens)


def next_reminder(calendar: WorkCalendar, now: datetime, policy: SlaPolicy) -> datetime:
    """After a reminder is sent at `now`, the next one comes after `remind_every` of work."""
    return calendar.add(now, policy.remind_every)


def escalation_bound(now: datetime, policy: SlaPolicy) -> datetime:
    """Issues due after this moment cannot be `escalate_after` of working time overdue yet:
    working time between two moments never exceeds the wall-clock time between them. So the
    storage query for escalation candidates can use the index on the due moment."""
    return now - policy.escalate_after


def escalation_due(calendar: WorkCalendar, issue: Issue, now: datetime, policy: SlaPolicy) -> bool:
    """An unanswered issue escalates once, `escalate_after` of working time past its due."""
    if issue.status is not IssueStatus.NEW or issue.escalated_at is not None:
        return False
    if issue.response_due_at is None:
        return False
    return calendar.between(issue.response_due_at, now) >= policy.escalate_after


def control_due(calendar: WorkCalendar, issue: Issue, now: datetime) -> bool:
    """An on-control issue is due from the start of the working day of its due date, and is
    reminded of once per local day from then on while it stays on control."""
    if issue.status is not IssueStatus.ON_CONTROL or issue.due_date is None:
        return False
    if now < calendar.start_of_working_day(issue.due_date):
        return False
    today = calendar.local(now).date()
    return issue.control_reminded_on is None or issue.control_reminded_on < today


def working_age(calendar: WorkCalendar, since: datetime, now: datetime) -> timedelta:
    return calendar.between(since, now)


def local_today(calendar: WorkCalendar, now: datetime) -> date:
    return calendar.local(now).date()


def morning_due(calendar: WorkCalendar, now: datetime, at: time) -> bool:
    """Personal lists go out on working days, in working time, from the configured hour."""
    local = calendar.local(now)
    return (
        calendar.is_working_day(local.date())
        and calendar.is_working_time(now)
        and local.time() >= at
    )


def weekly_moment(calendar: WorkCalendar, now: datetime, weekday: int, at: time) -> datetime:
    """The latest scheduled weekly moment (ISO `weekday`, local `at`) not after `now`."""
    local = calendar.local(now)
    days_back = (local.isoweekday() - weekday) % 7
    day = local.date() - timedelta(days=days_back)
    moment = datetime.combine(day, at, tzinfo=local.tzinfo)
    if moment > local:
        moment -= timedelta(days=7)
    return moment.astimezone(now.tzinfo)


def offers_way_out(not_resolved_count: int, offer_after: int) -> bool:
    """From the `offer_after`-th «Не решено» on, the resident is shown the regional feedback
    platform's form as the way forward."""
    return not_resolved_count >= offer_after


def verdict_applies(issue: Issue) -> bool:
    """The resident may judge the current closure once: a closed issue without a verdict
    given after it was closed."""
    if issue.status is not IssueStatus.CLOSED:
        return False
    if issue.verdict is None or issue.verdict_at is None:
        return True
    return issue.closed_at is not None and issue.verdict_at < issue.closed_at


def resumed_due(
    calendar: WorkCalendar, due: datetime | None, paused_at: datetime, now: datetime
) -> datetime | None:
    """A deadline after the clock stood still from `paused_at` to `now`: it moves on by the
    working time that passed meanwhile, so the time the specialist has left is unchanged."""
    if due is None:
        return None
    return calendar.add(due, calendar.between(paused_at, now))


def nth_working_day_start(calendar: WorkCalendar, since: datetime, days: int) -> datetime:
    """The start of the `days`-th working day after the local day of `since`."""
    day = calendar.local(since).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return calendar.start_of_working_day(day)


def silence_due(calendar: WorkCalendar, issue: Issue, now: datetime, days: int) -> bool:
    """An issue waiting for the resident's answer for `days` working days is reported to its
    assignee once: from the start of the `days`-th working day after the question."""
    if issue.status is not IssueStatus.AWAITING or issue.awaiting_since is None:
        return False
    if issue.silence_noticed_at is not None:
        return False
    return now >= nth_working_day_start(calendar, issue.awaiting_since, days)


def recategorized(
    calendar: WorkCalendar, issue: Issue, category: Category, now: datetime
) -> Issue:
    """The issue under another category: its deadlines counted again from filing with the
    category's durations; an unanswered issue's next reminder follows its new deadline."""
    response_due = calendar.add(issue.created_at, category.first_response)
    unanswered = issue.status is IssueStatus.NEW and issue.first_response_at is None
    return replace(
        issue,
        category=category.code,
        category_name=category.name,
        response_due_at=response_due,
        next_reminder_at=max(response_due, now) if unanswered else issue.next_reminder_at,
        resolve_due_at=calendar.add(issue.created_at, category.resolution),
        updated_at=now,
    )


def with_clock(calendar: WorkCalendar, before: Issue, after: Issue, now: datetime) -> Issue:
    """`after` (the issue as a status change leaves it) with its clock paused or restarted.

    Entering «ждёт уточнения» stops the clock; leaving it (the resident's answer, or any
    specialist's step) restarts it and moves the open deadlines on by the paused working time.
    """
    waiting = IssueStatus.AWAITING
    if after.status is waiting:
        if before.status is waiting:
            return after
        return replace(after, awaiting_since=now, silence_noticed_at=None)
    if before.status is not waiting or before.awaiting_since is None:
        return after
    paused = before.awaiting_since
    response_due = after.response_due_at
    if after.first_response_at is None:
        response_due = resumed_due(calendar, response_due, paused, now)
    return replace(
        after,
        resolve_due_at=resumed_due(calendar, after.resolve_due_at, paused, now),
        response_due_at=response_due,
        awaiting_since=None,
        silence_noticed_at=None,
    )
