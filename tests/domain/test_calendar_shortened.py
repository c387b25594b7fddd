"""Shortened pre-holiday days (Labour Code art. 95) and the order of the package's lists."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import WorkTimeSettings
from bot.domain.calendar import WorkCalendar, WorkSchedule

MSK = ZoneInfo("Europe/Moscow")
H = timedelta(hours=1)


def msk(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=MSK).astimezone(UTC)


def hours(cal: WorkCalendar, day: date) -> timedelta:
    return sum((end - start for start, end in cal.working_periods(day)), timedelta())


def test_the_day_before_a_holiday_ends_an_hour_early() -> None:
    cal = WorkCalendar(WorkSchedule(MSK))
    assert cal.working_periods(date(2026, 6, 11)) == [(msk(2026, 6, 11, 9), msk(2026, 6, 11, 17))]
    assert not cal.is_working_time(msk(2026, 6, 11, 17))
    assert cal.next_working_moment(msk(2026, 6, 11, 17)) == msk(2026, 6, 15, 9)


@pytest.mark.parametrize(
    ("day", "shortened", "why"),
    [
        (date(2025, 5, 7), False, "8 May 2025 is a day off moved from 23 Feb, not a holiday"),
        (date(2025, 12, 30), False, "31 Dec 2025 is a transferred day off"),
        (date(2026, 3, 6), False, "a Friday before a Sunday holiday: the weekend lies between"),
        (date(2026, 2, 20), False, "a Friday before Monday 23 Feb: the weekend lies between"),
        (date(2026, 1, 12), False, "the first day after the holidays"),
        (date(2026, 6, 12), False, "a holiday is not a working day at all"),
    ],
)
def test_only_the_day_before_a_holiday_proper(day: date, shortened: bool, why: str) -> None:
    assert WorkCalendar(WorkSchedule(MSK)).is_shortened_day(day) is shortened, why


def test_the_lunch_break_keeps_its_place() -> None:
    cal = WorkCalendar(WorkSchedule(MSK, break_start=time(13), break_end=time(14)))
    assert hours(cal, date(2026, 6, 11)) == 7 * H
    assert cal.working_periods(date(2026, 6, 11))[-1][1] == msk(2026, 6, 11, 17)


def test_a_cut_longer_than_the_afternoon_reaches_the_morning() -> None:
    schedule = WorkSchedule(MSK, end=time(17, 30), break_start=time(13), break_end=time(17))
    assert schedule.shortened_parts() == ((time(9), time(12, 30)),)
    schedule = WorkSchedule(MSK, end=time(17, 30), break_start=time(13), break_end=time(17, 15))
    assert schedule.shortened_parts() == ((time(9), time(12, 15)),)


def test_a_regions_own_shortened_day() -> None:
    cal = WorkCalendar(WorkSchedule(MSK, shortened_days=frozenset({date(2026, 9, 30)})))
    assert cal.is_shortened_day(date(2026, 9, 30))
    assert hours(cal, date(2026, 9, 30)) == 8 * H
    assert hours(cal, date(2026, 10, 1)) == 9 * H


def test_a_shortened_day_off_stays_a_day_off() -> None:
    cal = WorkCalendar(
        WorkSchedule(
            MSK,
            shortened_days=frozenset({date(2026, 9, 26)}),  # a Saturday
            extra_days_off=frozenset({date(2026, 6, 11)}),
        )
    )
    assert not cal.is_shortened_day(date(2026, 9, 26))
    assert cal.working_periods(date(2026, 9, 26)) == []
    assert cal.working_periods(date(2026, 6, 11)) == []


def test_a_holiday_made_working_shortens_nothing_before_it() -> None:
    cal = WorkCalendar(WorkSchedule(MSK, extra_work_days=frozenset({date(2026, 6, 12)})))
    assert not cal.is_shortened_day(date(2026, 6, 11))
    assert cal.is_working_day(date(2026, 6, 12))


def test_no_country_no_derived_shortening() -> None:
    cal = WorkCalendar(WorkSchedule(MSK, country=None))
    assert not cal.is_shortened_day(date(2026, 6, 11))
    assert not cal.is_shortened_day(date(2024, 11, 2))


def test_holidays_win_over_the_packages_working_weekends() -> None:
    """Older `holidays` versions list a weekend holiday among the working weekends of its
    transfer (Sat 6 Jan 2024 moved to 10 May): it stays a day off."""
    cal = WorkCalendar(WorkSchedule(MSK))
    assert not cal.is_working_day(date(2026, 1, 1))  # loads the package's years
    country = cal._holidays
    assert country is not None
    country.weekend_workdays.add(date(2026, 1, 3))
    assert not cal.is_working_day(date(2026, 1, 3))


def test_config_passes_shortened_days_to_the_schedule() -> None:
    settings = WorkTimeSettings(shortened_days=(date(2026, 9, 30),))
    assert settings.schedule().shortened_days == frozenset({date(2026, 9, 30)})
