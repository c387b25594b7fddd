"""The export a region accepts: one row per issue, and the summary by department and category.

Values and arithmetic only. Storage hands over an `IssueFacts` per issue (the issue's columns
and its answers, gathered a page at a time); `export_row` turns it into the `ExportRow` the
files show; `Summary` folds the rows into one line per (department, category).

Definitions, the same in the rows and in the summary:
- time to first answer: working hours from receipt to the first answer, rounded to 0.01 h;
- answered on time: the first answer came by its due moment (no due moment: on time);
- first answer overdue: answered after its due moment, or still unanswered past it;
- control overdue: on control and its day has passed, or closed after the day it was due;
- reopened: returned to work at least once (by the resident's «Не решено» or a specialist);
- satisfaction: the share of «решено» among the residents' verdicts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.domain.calendar import WorkCalendar
from bot.domain.measures import hours
from bot.domain.models import IssueStatus
from bot.domain.sla import NOT_RESOLVED, RESOLVED


@dataclass(frozen=True, slots=True)
class Answer:
    """A specialist's words to the resident: a closing answer or an on-control comment."""

    at: datetime
    by: str
    text: str


@dataclass(frozen=True, slots=True)
class IssueFacts:
    """What storage knows of one issue for the export."""

    number: int
    created_at: datetime
    chat_id: int
    thread_id: int
    author: str
    tag: str
    text: str
    status: IssueStatus
    assignee: str | None
    first_response_at: datetime | None
    response_due_at: datetime | None
    closed_at: datetime | None
    due_date: date | None
    verdict: str | None
    answers: tuple[Answer, ...] = ()
    reopened: int = 0
    # The workflow's facts: the department handling the issue (None: the general staff
    # chat); the ПОС topic comes from the configured category (`category_code`).
    department: str | None = None
    category: str | None = None
    category_code: str | None = None
    merged: tuple[int, ...] = ()
    personal_contact: bool | None = None
    private: bool | None = None


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One issue as the export shows it."""

    number: int
    created_at: datetime
    chat: str
    department: str | None
    category: str | None
    pos_topic: str | None
    author: str
    tag: str
    status: IssueStatus
    text: str
    answers: tuple[Answer, ...]
    assignee: str | None
    first_answer_hours: float | None
    closed_at: datetime | None
    first_answer_overdue: bool | None  # None: unanswered and not due yet
    control_overdue: bool
    verdict: str | None
    reopened: int
    merged: tuple[int, ...]
    personal_contact: bool | None
    private: bool | None

    @property
    def answered_on_time(self) -> bool:
        return self.first_answer_hours is not None and self.first_answer_overdue is False


def first_answer_overdue(facts: IssueFacts, now: datetime) -> bool | None:
    due, answered = facts.response_due_at, facts.first_response_at
    if answered is not None:
        return due is not None and answered > due
    if due is not None and due < now:
        return True
    return None


def control_overdue(facts: IssueFacts, today: date, closed_on: date | None) -> bool:
    if facts.due_date is None:
        return False
    if facts.status is IssueStatus.ON_CONTROL:
        return facts.due_date < today
    closed_late = closed_on is not None and closed_on > facts.due_date
    return facts.status is IssueStatus.CLOSED and closed_late


def export_row(
    facts: IssueFacts,
    chat: str,
    calendar: WorkCalendar,
    now: datetime,
    pos_topic: str | None = None,
    *,
    today: date | None = None,
    between: Callable[[datetime, datetime], timedelta] | None = None,
) -> ExportRow:
    """`today`: the local date of `now`, and `between`: `calendar.between` or the same
    measure precomputed (work_timeline.ExactTimeline), when the caller has them (a file's
    rows share them)."""
    answered = facts.first_response_at
    work_hours = (
        round(hours((between or calendar.between)(facts.created_at, answered)), 2)
        if answered is not None
        else None
    )
    closed_on = calendar.local(facts.closed_at).date() if facts.closed_at else None
    return ExportRow(
        number=facts.number,
        created_at=facts.created_at,
        chat=chat,
        department=facts.department,
        category=facts.category,
        pos_topic=pos_topic,
        author=facts.author,
        tag=facts.tag,
        status=facts.status,
        text=facts.text,
        answers=facts.answers,
        assignee=facts.assignee,
        first_answer_hours=work_hours,
        closed_at=facts.closed_at,
        first_answer_overdue=first_answer_overdue(facts, now),
        control_overdue=control_overdue(
            facts, today if today is not None else calendar.local(now).date(), closed_on
        ),
        verdict=facts.verdict,
        reopened=facts.reopened,
        merged=facts.merged,
        personal_contact=facts.personal_contact,
        private=facts.private,
    )


def median(counts: Counter[float]) -> float | None:
    """The median of values given as value -> how many times (Excel's MEDIAN of them)."""
    total = sum(counts.values())
    if not total:
        return None
    low_rank, high_rank = (total - 1) // 2, total // 2
    low = high = None
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if low is None and seen > low_rank:
            low = value
        if seen > high_rank:
            high = value
            break
    assert low is not None and high is not None
    return round((low + high) / 2, 2)


@dataclass(slots=True)
class SummaryLine:
    """One (department, category) of the period; None is «not set»."""

    department: str | None
    category: str | None
    received: int = 0
    answered_on_time: int = 0
    first_answer_overdue: int = 0
    control_overdue: int = 0
    reopened: int = 0
    resolved: int = 0
    not_resolved: int = 0
    # Times to first answer as value -> count: memory grows with distinct values (0.01 h
    # steps), not with the number of issues.
    answer_hours: Counter[float] = field(default_factory=Counter)

    @property
    def median_first_answer(self) -> float | None:
        return median(self.answer_hours)

    @property
    def verdicts(self) -> int:
        return self.resolved + self.not_resolved

    @property
    def satisfaction(self) -> float | None:
        """The share (0..1) of «решено» among the verdicts; None without verdicts."""
        return self.resolved / self.verdicts if self.verdicts else None

    def add(self, row: ExportRow) -> None:
        self.received += 1
        self.answered_on_time += row.answered_on_time
        self.first_answer_overdue += row.first_answer_overdue is True
        self.control_overdue += row.control_overdue
        self.reopened += row.reopened > 0
        self.resolved += row.verdict == RESOLVED
        self.not_resolved += row.verdict == NOT_RESOLVED
        if row.first_answer_hours is not None:
            self.answer_hours[row.first_answer_hours] += 1


class Summary:
    """The rows folded by (department, category), with a total line."""

    def __init__(self) -> None:
        self._lines: dict[tuple[str | None, str | None], SummaryLine] = {}
        self.total = SummaryLine(None, None)

    def add(self, row: ExportRow) -> None:
        key = (row.department, row.category)
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = SummaryLine(*key)
        line.add(row)
        self.total.add(row)

    def add_all(self, rows: Iterable[ExportRow]) -> Summary:
        for row in rows:
            self.add(row)
        return self

    def lines(self) -> list[SummaryLine]:
        """By department, then category; «not set» after the named ones."""
        return sorted(
            self._lines.values(),
            key=lambda line: (
                line.department is None,
                line.department or "",
                line.category is None,
                line.category or "",
            ),
        )
