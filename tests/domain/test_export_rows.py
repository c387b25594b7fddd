"""The export's row and summary arithmetic: on time, overdue, median, reopened, satisfaction."""

from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.calendar import WorkCalendar, WorkSchedule
from bot.domain.export_rows import (
    ExportRow,
    IssueFacts,
    Summary,
    control_overdue,
    export_row,
    first_answer_overdue,
    median,
)
from bot.domain.models import IssueStatus

ZONE = ZoneInfo("Asia/Kamchatka")
CALENDAR = WorkCalendar(WorkSchedule(timezone=ZONE))


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


NOW = local(18, 12)  # Wednesday 18 March 2026, 12:00


def facts(**changes: object) -> IssueFacts:
    base = IssueFacts(
        number=1,
        created_at=local(17, 9),
        chat_id=-100,
        thread_id=0,
        author="Анна",
        tag="#проблема",
        text="Нет света",
        status=IssueStatus.IN_PROGRESS,
        assignee="Ольга",
        first_response_at=local(17, 10),
        response_due_at=local(17, 11),
        closed_at=None,
        due_date=None,
        verdict=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def row(pos_topic: str | None = None, **changes: object) -> ExportRow:
    return export_row(facts(**changes), "Дом 5", CALENDAR, NOW, pos_topic)


@pytest.mark.parametrize(
    ("answered", "due", "expected"),
    [
        (local(17, 10), local(17, 11), False),  # before the due moment
        (local(17, 11), local(17, 11), False),  # at it: still on time
        (local(17, 12), local(17, 11), True),  # after it
        (local(17, 12), None, False),  # no due moment: on time
        (None, local(17, 11), True),  # unanswered, past due
        (None, local(18, 13), None),  # unanswered, not due yet
        (None, None, None),
    ],
)
def test_first_answer_overdue(
    answered: datetime | None, due: datetime | None, expected: bool | None
) -> None:
    item = facts(first_response_at=answered, response_due_at=due)
    assert first_answer_overdue(item, NOW) is expected
    assert row(first_response_at=answered, response_due_at=due).answered_on_time is (
        answered is not None and expected is False
    )


@pytest.mark.parametrize(
    ("status", "due_day", "closed_on", "expected"),
    [
        (IssueStatus.ON_CONTROL, date(2026, 3, 17), None, True),  # its day has passed
        (IssueStatus.ON_CONTROL, date(2026, 3, 18), None, False),  # due today
        (IssueStatus.CLOSED, date(2026, 3, 16), date(2026, 3, 17), True),  # closed late
        (IssueStatus.CLOSED, date(2026, 3, 16), date(2026, 3, 16), False),
        (IssueStatus.IN_PROGRESS, None, None, False),
    ],
)
def test_control_overdue(
    status: IssueStatus, due_day: date | None, closed_on: date | None, expected: bool
) -> None:
    item = facts(status=status, due_date=due_day)
    assert control_overdue(item, date(2026, 3, 18), closed_on) is expected


def test_time_to_first_answer_counts_working_hours_only() -> None:
    assert row().first_answer_hours == 1.0
    # Tuesday 17:00 to Wednesday 10:00: one hour that evening, one the next morning.
    assert row(created_at=local(17, 17), first_response_at=local(18, 10)).first_answer_hours == 2.0
    assert row(first_response_at=None).first_answer_hours is None


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, None),
        ({1.5: 1}, 1.5),
        ({0.5: 1, 1.0: 2, 3.0: 1, 4.0: 1}, 1.0),  # odd count: the middle one
        ({0.5: 1, 1.0: 1, 3.0: 1, 4.0: 1}, 2.0),  # even: the mean of the middle two
        ({2.0: 3, 9.0: 1}, 2.0),
        ({0.25: 1, 0.5: 1}, 0.38),  # rounded to 0.01 h like the rows
    ],
)
def test_median_of_counted_values(values: dict[float, int], expected: float | None) -> None:
    assert median(Counter(values)) == expected


def test_the_summary_folds_rows_by_department_and_category() -> None:
    rows = [
        # ЖКХ / Свет: on time (1 h), resolved.
        row(department="ЖКХ", category="Свет", verdict="resolved"),
        # ЖКХ / Свет: late (3 h: 9-12), reopened once, then judged not resolved.
        row(
            number=2,
            department="ЖКХ",
            category="Свет",
            first_response_at=local(17, 12),
            reopened=1,
            verdict="not_resolved",
        ),
        # ЖКХ / Свет: unanswered and past due; on control past its day is impossible
        # unanswered, so this one only counts as overdue.
        row(number=3, department="ЖКХ", category="Свет", first_response_at=None),
        # ЖКХ / no category: on time, on control past its day.
        row(
            number=4,
            department="ЖКХ",
            status=IssueStatus.ON_CONTROL,
            due_date=date(2026, 3, 16),
        ),
        # No department: unanswered, not due yet.
        row(
            number=5,
            created_at=local(18, 11),
            first_response_at=None,
            response_due_at=local(18, 13),
            verdict="resolved",
        ),
    ]
    summary = Summary().add_all(rows)
    lines = summary.lines()
    assert [(line.department, line.category) for line in lines] == [
        ("ЖКХ", "Свет"),
        ("ЖКХ", None),
        (None, None),
    ]
    light, other, unset = lines
    assert (light.received, light.answered_on_time, light.first_answer_overdue) == (3, 1, 2)
    assert light.median_first_answer == 2.0  # 1 h and 3 h
    assert (light.reopened, light.verdicts, light.resolved) == (1, 2, 1)
    assert light.satisfaction == 0.5
    assert (other.control_overdue, other.answered_on_time, other.satisfaction) == (1, 1, None)
    assert (unset.received, unset.answered_on_time, unset.first_answer_overdue) == (1, 0, 0)
    assert unset.median_first_answer is None and unset.satisfaction == 1.0
    total = summary.total
    assert (total.received, total.answered_on_time, total.first_answer_overdue) == (5, 2, 2)
    assert (total.control_overdue, total.reopened, total.verdicts, total.resolved) == (1, 1, 3, 2)
    assert total.median_first_answer == 1.0  # 1, 1 and 3 h
    assert total.satisfaction == pytest.approx(2 / 3)


def test_a_row_carries_the_workflows_fields() -> None:
    item = row(
        department="КУМИ",
        category="Аренда",
        pos_topic="Имущество",
        merged=(7, 9),
        personal_contact=True,
        private=False,
    )
    assert (item.department, item.category, item.pos_topic) == ("КУМИ", "Аренда", "Имущество")
    assert (item.merged, item.personal_contact, item.private) == ((7, 9), True, False)
    assert row().department is None and row().merged == ()


def test_an_answer_before_receipt_counts_no_time() -> None:
    item = row(first_response_at=local(17, 9) - timedelta(minutes=5))
    assert item.first_answer_hours == 0.0
