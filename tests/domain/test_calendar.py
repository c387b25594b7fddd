"""Table tests of the working-time calendar on the real 2025-2026 Russian production calendar.

Local times are Palana's (Asia/Kamchatka, UTC+12, no DST); the calendar speaks UTC.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.calendar import WorkCalendar, WorkSchedule

KAM = ZoneInfo("Asia/Kamchatka")
BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
ALL_WEEK = frozenset(range(1, 8))


def kam(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A Palana wall time as an aware UTC datetime."""
    return datetime(y, mo, d, h, mi, tzinfo=KAM).astimezone(UTC)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar(WorkSchedule(KAM))


@pytest.fixture(scope="module")
def lunch() -> WorkCalendar:
    return WorkCalendar(WorkSchedule(KAM, break_start=time(13), break_end=time(14)))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 1, 8), False),  # New Year holidays
        (date(2025, 1, 9), True),
        (date(2025, 2, 24), True),  # Feb 23 (Sun) was moved to May 8, not to Monday
        (date(2025, 3, 10), True),  # Mar 8 (Sat) was moved to Jun 13
        (date(2025, 5, 2), False),  # transferred from Sat Jan 4
        (date(2025, 5, 8), False),  # transferred from Sun Feb 23
        (date(2025, 5, 12), True),
        (date(2025, 6, 13), False),  # transferred from Sat Mar 8
        (date(2025, 11, 1), True),  # working Saturday
        (date(2025, 11, 3), False),  # transferred from Sat Nov 1
        (date(2025, 11, 4), False),  # Unity Day
        (date(2025, 11, 8), False),  # an ordinary Saturday
        (date(2025, 12, 30), True),
        (date(2025, 12, 31), False),  # transferred from Sun Jan 5
        (date(2026, 1, 5), False),  # public holiday (Monday)
        (date(2026, 1, 9), False),  # transferred from Sat Jan 3
        (date(2026, 1, 12), True),
        (date(2026, 2, 23), False),
        (date(2026, 3, 9), False),  # Mar 8 is a Sunday
        (date(2026, 5, 11), False),  # May 9 is a Saturday
        (date(2026, 6, 12), False),
        (date(2026, 11, 4), False),
        (date(2026, 12, 31), False),  # transferred from Sun Jan 4
    ],
)
def test_russian_production_calendar(cal: WorkCalendar, day: date, working: bool) -> None:
    assert cal.is_working_day(day) is working
    assert bool(cal.working_periods(day)) is working


def test_no_country_means_weekdays_only() -> None:
    plain = WorkCalendar(WorkSchedule(KAM, country=None))
    assert plain.is_working_day(date(2026, 1, 5))
    assert not plain.is_working_day(date(2025, 11, 1))


def test_extra_days_override_the_country() -> None:
    schedule = WorkSchedule(
        KAM,
        extra_work_days=frozenset({date(2026, 1, 5), date(2025, 11, 9), date(2025, 11, 1)}),
        extra_days_off=frozenset({date(2025, 11, 1), date(2025, 11, 12)}),
    )
    fixed = WorkCalendar(schedule)
    assert fixed.is_working_day(date(2026, 1, 5))  # a holiday made working
    assert fixed.is_working_day(date(2025, 11, 9))  # a Sunday made working
    assert not fixed.is_working_day(date(2025, 11, 1))  # days off win over everything
    assert not fixed.is_working_day(date(2025, 11, 12))


def test_working_periods_are_utc_intervals(lunch: WorkCalendar) -> None:
    assert lunch.working_periods(date(2025, 11, 12)) == [
        (utc(2025, 11, 11, 21), utc(2025, 11, 12, 1)),
        (utc(2025, 11, 12, 2), utc(2025, 11, 12, 6)),
    ]
    assert lunch.working_periods(date(2025, 11, 15)) == []


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (kam(2025, 11, 14, 17, 50), 2, kam(2025, 11, 17, 10, 50)),  # Fri 10 min + Mon 1:50
        (kam(2025, 11, 14, 17), 1, kam(2025, 11, 14, 18)),  # ends at the period's end
        (kam(2025, 12, 30, 17), 2, kam(2026, 1, 12, 10)),  # holiday eve
        (kam(2025, 10, 31, 17), 2, kam(2025, 11, 1, 10)),  # into the working Saturday
        (kam(2025, 11, 15, 23), 1, kam(2025, 11, 17, 10)),  # from a Saturday night
        (kam(2025, 11, 12, 3), 9, kam(2025, 11, 12, 18)),  # before hours: a full day
        (kam(2025, 11, 12, 10), 45, kam(2025, 11, 19, 10)),  # across a weekend
        (kam(2025, 11, 15, 12), 0, kam(2025, 11, 15, 12)),  # zero: the moment itself
    ],
)
def test_add(cal: WorkCalendar, start: datetime, hours: int, expected: datetime) -> None:
    assert cal.add(start, hours * H) == expected
    assert cal.between(start, expected) == hours * H


def test_add_skips_the_lunch_break(lunch: WorkCalendar) -> None:
    assert lunch.add(kam(2025, 11, 12, 12, 30), H) == kam(2025, 11, 12, 14, 30)
    assert lunch.add(kam(2025, 11, 12, 12), H) == kam(2025, 11, 12, 13)
    assert lunch.add(kam(2025, 11, 12, 13, 20), H) == kam(2025, 11, 12, 15)
    assert lunch.between(kam(2025, 11, 12, 9), kam(2025, 11, 12, 18)) == 8 * H


def test_add_accepts_any_time_zone(cal: WorkCalendar) -> None:
    local_start = datetime(2025, 11, 14, 17, 50, tzinfo=KAM)
    assert cal.add(local_start, 2 * H) == kam(2025, 11, 17, 10, 50)
    assert cal.add(local_start, 2 * H).tzinfo is UTC


def test_add_is_efficient_for_long_durations(cal: WorkCalendar) -> None:
    # About two years of working days; a minute-by-minute loop would take far too long.
    start, duration = kam(2025, 1, 1), 4000 * H
    end = cal.add(start, duration)
    assert kam(2026, 10, 1) < end < kam(2026, 11, 1)
    assert cal.between(start, end) == duration


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (kam(2025, 11, 15, 23), kam(2025, 11, 17, 9)),  # Saturday night -> Monday
        (kam(2025, 10, 31, 20), kam(2025, 11, 1, 9)),  # Friday night -> working Saturday
        (kam(2025, 12, 30, 18), kam(2026, 1, 12, 9)),  # end of the last day of the year
        (kam(2025, 11, 12, 8, 59), kam(2025, 11, 12, 9)),
        (kam(2025, 11, 12, 9), kam(2025, 11, 12, 9)),  # working: itself
        (kam(2025, 11, 12, 17, 59), kam(2025, 11, 12, 17, 59)),
    ],
)
def test_next_working_moment(cal: WorkCalendar, moment: datetime, expected: datetime) -> None:
    assert cal.next_working_moment(moment) == expected
    assert cal.is_working_time(expected)


def test_next_working_moment_after_lunch(lunch: WorkCalendar) -> None:
    assert lunch.next_working_moment(kam(2025, 11, 12, 13, 30)) == kam(2025, 11, 12, 14)
    assert not lunch.is_working_time(kam(2025, 11, 12, 13))
    assert lunch.is_working_time(kam(2025, 11, 12, 14))


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        (kam(2025, 11, 12, 9), True),
        (kam(2025, 11, 12, 18), False),  # periods are half-open
        (kam(2025, 11, 12, 8, 59), False),
        (kam(2025, 11, 1, 12), True),  # working Saturday
        (kam(2025, 11, 8, 12), False),
        (kam(2026, 1, 5, 12), False),
    ],
)
def test_is_working_time(cal: WorkCalendar, moment: datetime, working: bool) -> None:
    assert cal.is_working_time(moment) is working


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (kam(2025, 11, 14, 17), kam(2025, 11, 17, 10), 2 * H),  # across a weekend
        (kam(2025, 11, 14, 0), kam(2025, 11, 21, 0), 45 * H),  # Fri, then Mon-Thu
        (kam(2025, 12, 30, 12), kam(2026, 1, 12, 12), 9 * H),  # across New Year holidays
        (kam(2025, 11, 17, 10), kam(2025, 11, 14, 17), timedelta(0)),  # b before a
        (kam(2025, 11, 15, 10), kam(2025, 11, 16, 10), timedelta(0)),  # a weekend only
    ],
)
def test_between(cal: WorkCalendar, a: datetime, b: datetime, expected: timedelta) -> None:
    assert cal.between(a, b) == expected


def test_start_of_working_day(cal: WorkCalendar) -> None:
    assert cal.start_of_working_day(date(2026, 1, 1)) == kam(2026, 1, 12, 9)
    assert cal.start_of_working_day(date(2025, 11, 1)) == kam(2025, 11, 1, 9)
    assert cal.start_of_working_day(date(2025, 11, 2)) == kam(2025, 11, 5, 9)


def test_local_renders_in_the_schedule_zone(cal: WorkCalendar) -> None:
    shown = cal.local(utc(2025, 11, 11, 21))
    assert shown.tzinfo == KAM
    assert (shown.date(), shown.hour, shown.utcoffset()) == (date(2025, 11, 12), 9, 12 * H)


def test_naive_datetimes_are_rejected(cal: WorkCalendar) -> None:
    naive = datetime(2025, 11, 12, 10)  # noqa: DTZ001 - the point of the test
    aware = kam(2025, 11, 12, 10)
    calls: list[Callable[[], object]] = [
        lambda: cal.is_working_time(naive),
        lambda: cal.next_working_moment(naive),
        lambda: cal.add(naive, H),
        lambda: cal.between(naive, aware),
        lambda: cal.between(aware, naive),
        lambda: cal.local(naive),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="naive"):
            call()
    with pytest.raises(TypeError):
        cal.is_working_day(aware)


def test_negative_duration_is_rejected(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="negative"):
        cal.add(kam(2025, 11, 12, 10), -H)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": time(18), "end": time(9)}, "after start"),
        ({"start": time(9), "end": time(9)}, "after start"),
        ({"break_start": time(13)}, "both"),
        ({"break_end": time(14)}, "both"),
        ({"break_start": time(8), "break_end": time(10)}, "inside"),
        ({"break_start": time(14), "break_end": time(13)}, "inside"),
        ({"break_start": time(9), "break_end": time(18)}, "whole working day"),
        ({"weekdays": frozenset({0, 1})}, "1..7"),
        ({"weekdays": frozenset({8})}, "1..7"),
        ({"country": "XX"}, "unknown country"),
        ({"start": time(9, tzinfo=UTC)}, "wall time"),
    ],
)
def test_schedule_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkSchedule(KAM, **kwargs)  # type: ignore[arg-type]


def test_schedule_accepts_lists_from_config() -> None:
    schedule = WorkSchedule(KAM, weekdays=[1, 2], extra_days_off=[date(2025, 1, 9)])  # type: ignore[arg-type]
    assert schedule.weekdays == frozenset({1, 2})
    assert hash(schedule) == hash(
        WorkSchedule(KAM, weekdays=frozenset({1, 2}), extra_days_off=frozenset({date(2025, 1, 9)}))
    )


def test_schedule_without_working_days_fails_clearly() -> None:
    never = WorkCalendar(WorkSchedule(KAM, weekdays=frozenset(), country=None))
    moment = kam(2025, 11, 12, 10)
    assert not never.is_working_time(moment)
    assert never.between(moment, moment + 1000 * H) == timedelta(0)
    assert never.add(moment, timedelta(0)) == moment
    calls: list[Callable[[], object]] = [
        lambda: never.add(moment, H),
        lambda: never.next_working_moment(moment),
        lambda: never.start_of_working_day(date(2025, 11, 12)),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="no working days"):
            call()


def test_only_extra_work_days() -> None:
    rare = WorkCalendar(
        WorkSchedule(
            KAM, weekdays=frozenset(), country=None, extra_work_days=frozenset({date(2027, 6, 1)})
        )
    )
    assert rare.next_working_moment(kam(2025, 1, 1)) == kam(2027, 6, 1, 9)
    assert rare.add(kam(2025, 1, 1), 9 * H) == kam(2027, 6, 1, 18)
    with pytest.raises(ValueError, match="no working days"):
        rare.add(kam(2025, 1, 1), 10 * H)


class TestDaylightSaving:
    """Schedules whose hours straddle Berlin's 02:00/03:00 switches (both on Sundays)."""

    @staticmethod
    def night(start: time, end: time) -> WorkCalendar:
        return WorkCalendar(WorkSchedule(BERLIN, ALL_WEEK, start, end, country=None))

    def test_spring_forward_day_is_shorter(self) -> None:
        cal = self.night(time(1, 30), time(3, 30))
        assert cal.working_periods(date(2025, 3, 30)) == [
            (utc(2025, 3, 30, 0, 30), utc(2025, 3, 30, 1, 30))
        ]

    def test_fall_back_day_is_longer(self) -> None:
        cal = self.night(time(1, 30), time(3, 30))
        assert cal.working_periods(date(2025, 10, 26)) == [
            (utc(2025, 10, 25, 23, 30), utc(2025, 10, 26, 2, 30))
        ]
        assert cal.between(utc(2025, 10, 25, 12), utc(2025, 10, 26, 12)) == 3 * H

    def test_nonexistent_start_is_the_jump(self) -> None:
        cal = self.night(time(2, 30), time(4))
        assert cal.working_periods(date(2025, 3, 30)) == [
            (utc(2025, 3, 30, 1), utc(2025, 3, 30, 2))
        ]

    def test_period_inside_the_gap_vanishes(self) -> None:
        cal = self.night(time(2, 10), time(2, 50))
        assert cal.working_periods(date(2025, 3, 30)) == []
        assert cal.next_working_moment(utc(2025, 3, 30)) == utc(2025, 3, 31, 0, 10)
