"""The SLA clock's decisions and wording, on the real Russian calendar in Kamchatka time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.calendar import WorkCalendar, WorkSchedule
from bot.domain.models import ChatPlace, Issue, IssueStatus, Person
from bot.domain.sla import (
    SlaPolicy,
    ack_timing,
    control_due,
    escalation_bound,
    escalation_due,
    morning_due,
    next_reminder,
    verdict_applies,
    weekly_moment,
)
from bot.texts import sla as t

ZONE = ZoneInfo("Asia/Kamchatka")
CALENDAR = WorkCalendar(WorkSchedule(ZONE))
POLICY = SlaPolicy(timedelta(hours=2), timedelta(hours=2), timedelta(hours=4))


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A local Kamchatka wall time as an aware UTC moment."""
    return datetime(year, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


def issue(**changes: object) -> Issue:
    base = Issue(
        number=7,
        place=ChatPlace(-100),
        message_id=1,
        author=Person(1, "Анна"),
        text="нет света",
        tag="#проблема",
        status=IssueStatus.NEW,
        created_at=at(2026, 3, 11, 10),
        updated_at=at(2026, 3, 11, 10),
        response_due_at=at(2026, 3, 11, 12),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def ack(filed: datetime) -> str:
    timing = ack_timing(CALENDAR, filed, CALENDAR.add(filed, POLICY.first_response))
    return t.acknowledgement(5, timing.answer_due, timing.opens_at, filed, ZONE)


@pytest.mark.parametrize(
    ("filed", "expected"),
    [
        # An ordinary working morning: the answer comes the same day.
        (at(2026, 3, 11, 10), "Ответ специалиста — сегодня до 12:00."),
        # Friday 17:50: ten minutes on Friday, the rest on Monday morning.
        (at(2026, 3, 13, 17, 50), "Ответ специалиста — до понедельника, 10:50."),
        # Friday before Monday 9 March 2026 (the day off moved from Sunday 8 March).
        (at(2026, 3, 6, 17, 50), "Ответ специалиста — до вторника, 10:50."),
        # Wednesday evening: tomorrow.
        (at(2026, 3, 11, 20), "Ответ специалиста — завтра до 11:00."),
        # New Year holidays: the office opens on 12 January, more than a week later.
        (at(2025, 12, 30, 19), "Ответ специалиста — до 12 января, 11:00."),
    ],
)
def test_acknowledgement_names_the_answer_time(filed: datetime, expected: str) -> None:
    text = ack(filed)
    assert text.startswith("Заявка №5 принята.")
    assert expected in text


def test_acknowledgement_out_of_hours_says_when_the_office_opens() -> None:
    assert "приём откроется в понедельник в 09:00" in ack(at(2026, 3, 14, 12))  # Saturday
    assert "приём откроется завтра в 09:00" in ack(at(2026, 3, 11, 20))
    assert "приём откроется сегодня в 09:00" in ack(at(2026, 3, 11, 7))
    assert "не работает" not in ack(at(2026, 3, 11, 10))
    # 1 November 2025 was a working Saturday: open.
    assert "не работает" not in ack(at(2025, 11, 1, 10))


def test_next_reminder_counts_working_time_only() -> None:
    assert next_reminder(CALENDAR, at(2026, 3, 13, 17), POLICY) == at(2026, 3, 16, 10)


def test_escalation_needs_escalate_after_of_working_time_past_due() -> None:
    due = at(2026, 3, 13, 16)  # Friday 16:00
    item = issue(response_due_at=due)
    # Friday 20:00 is four wall-clock hours past due but only two working hours.
    assert not escalation_due(CALENDAR, item, at(2026, 3, 13, 20), POLICY)
    assert not escalation_due(CALENDAR, item, at(2026, 3, 16, 10, 59), POLICY)
    assert escalation_due(CALENDAR, item, at(2026, 3, 16, 11), POLICY)
    # Once only, and never for an answered issue.
    now = at(2026, 3, 16, 12)
    assert not escalation_due(CALENDAR, replace(item, escalated_at=now), now, POLICY)
    assert not escalation_due(CALENDAR, replace(item, status=IssueStatus.IN_PROGRESS), now, POLICY)


def test_escalation_bound_never_hides_a_ripe_issue() -> None:
    # The storage query reads issues due before now - escalate_after; every issue that is
    # escalate_after of working time overdue is among them.
    now = at(2026, 3, 16, 11)
    for hours in range(0, 80):
        due = now - timedelta(hours=hours)
        if escalation_due(CALENDAR, issue(response_due_at=due), now, POLICY):
            assert due <= escalation_bound(now, POLICY)


def test_on_control_is_due_from_the_start_of_its_working_day_once_a_day() -> None:
    item = issue(status=IssueStatus.ON_CONTROL, due_date=date(2026, 3, 9))  # a day off
    assert not control_due(CALENDAR, item, at(2026, 3, 9, 12))
    assert not control_due(CALENDAR, item, at(2026, 3, 10, 8, 59))
    assert control_due(CALENDAR, item, at(2026, 3, 10, 9))
    reminded = replace(item, control_reminded_on=date(2026, 3, 10))
    assert not control_due(CALENDAR, reminded, at(2026, 3, 10, 15))
    assert control_due(CALENDAR, reminded, at(2026, 3, 11, 9))  # still on control next day
    assert not control_due(CALENDAR, replace(item, status=IssueStatus.CLOSED), at(2026, 3, 11, 9))


def test_morning_lists_only_on_working_mornings() -> None:
    nine = time(9, 0)
    assert morning_due(CALENDAR, at(2026, 3, 11, 9, 1), nine)
    assert not morning_due(CALENDAR, at(2026, 3, 11, 8, 59), nine)
    assert not morning_due(CALENDAR, at(2026, 3, 9, 10), nine)  # transferred day off
    assert morning_due(CALENDAR, at(2025, 11, 1, 10), nine)  # working Saturday


def test_weekly_moment_is_the_latest_scheduled_one() -> None:
    friday_four = at(2026, 3, 13, 16)
    assert weekly_moment(CALENDAR, at(2026, 3, 13, 16, 30), 5, time(16)) == friday_four
    assert weekly_moment(CALENDAR, at(2026, 3, 13, 15), 5, time(16)) == at(2026, 3, 6, 16)
    assert weekly_moment(CALENDAR, at(2026, 3, 17, 10), 5, time(16)) == friday_four


def test_the_verdict_applies_once_per_closure() -> None:
    closed = issue(status=IssueStatus.CLOSED, closed_at=at(2026, 3, 11, 12))
    assert verdict_applies(closed)
    judged = replace(closed, verdict="resolved", verdict_at=at(2026, 3, 11, 13))
    assert not verdict_applies(judged)
    # Reopened as not resolved, then closed again: the new closure can be judged.
    again = replace(judged, verdict="not_resolved", closed_at=at(2026, 3, 12, 10))
    assert verdict_applies(again)
    assert not verdict_applies(replace(closed, status=IssueStatus.IN_PROGRESS))


def test_long_lists_split_within_telegram_limit() -> None:
    lines = [f"№{n} · " + "ж" * 300 for n in range(60)]
    messages = t.split_message(lines)
    assert len(messages) > 1
    assert all(len(text) <= 4096 for text in messages)
    assert "\n".join(messages).count("№") == 60


def test_working_duration_words() -> None:
    assert t.working_duration(timedelta(seconds=20)) == "меньше минуты"
    assert t.working_duration(timedelta(minutes=45)) == "45 мин"
    assert t.working_duration(timedelta(hours=3)) == "3 ч"
    assert t.working_duration(timedelta(hours=6, minutes=15)) == "6 ч 15 мин"


# Shortened pre-holiday days (Labour Code art. 95) end at 17:00 instead of 18:00.
# 11 June 2026 (Thursday) is before Russia Day; 30 April 2026 (Thursday) before 1 May.


def test_due_on_a_shortened_day_counts_the_shortened_hours() -> None:
    filed = at(2026, 6, 11, 16, 30)
    # Half an hour until 17:00, then Friday 12 June (holiday) and the weekend, then
    # an hour and a half on Monday 15 June; an ordinary Thursday would leave 09:30.
    assert CALENDAR.add(filed, POLICY.first_response) == at(2026, 6, 15, 10, 30)
    assert CALENDAR.add(at(2026, 6, 10, 16, 30), POLICY.first_response) == at(2026, 6, 11, 9, 30)


def test_acknowledgement_on_a_shortened_day() -> None:
    text = ack(at(2026, 6, 11, 16, 30))
    assert "Ответ специалиста — до понедельника, 10:30." in text
    assert "не работает" not in text


def test_office_closed_after_the_shortened_hours() -> None:
    filed = at(2026, 4, 30, 17, 30)
    timing = ack_timing(CALENDAR, filed, CALENDAR.add(filed, POLICY.first_response))
    assert timing.opens_at == at(2026, 5, 4, 9)
    assert timing.answer_due == at(2026, 5, 4, 11)
    assert "приём откроется" in ack(filed)


def test_reminders_follow_the_shortened_day() -> None:
    # A reminder sent at 16:00 on a shortened day: one hour left today, one on Monday.
    assert next_reminder(CALENDAR, at(2026, 6, 11, 16), POLICY) == at(2026, 6, 15, 10)
