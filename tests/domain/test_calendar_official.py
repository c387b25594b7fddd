"""The official Russian production calendars for 2024, 2025 and 2026, day by day.

Each year's table lists every weekday off, every working weekend day and every shortened
(pre-holiday, Labour Code art. 95) day of the five-day week; every other day of the year is
an ordinary weekday or weekend. The tables must hold with the oldest `holidays` version
pyproject.toml allows and with the newest.
"""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.calendar import WorkCalendar, WorkSchedule

# Постановление Правительства РФ от 10.08.2023 № 1314 «О переносе выходных дней в 2024 году»:
# Sat 6 Jan -> Fri 10 May; Sun 7 Jan -> Tue 31 Dec; Sat 27 Apr -> Mon 29 Apr;
# Sat 2 Nov -> Tue 30 Apr; Sat 28 Dec -> Mon 30 Dec. Shortened days per the production
# calendar: 22 Feb, 7 Mar, 8 May, 11 Jun, 2 Nov (248 working days, 1979 hours).
OFF_2024 = {
    *(date(2024, 1, d) for d in (1, 2, 3, 4, 5, 8)),
    date(2024, 2, 23),
    date(2024, 3, 8),
    date(2024, 4, 29),
    date(2024, 4, 30),
    date(2024, 5, 1),
    date(2024, 5, 9),
    date(2024, 5, 10),
    date(2024, 6, 12),
    date(2024, 11, 4),
    date(2024, 12, 30),
    date(2024, 12, 31),
}
WORK_WEEKEND_2024 = {date(2024, 4, 27), date(2024, 11, 2), date(2024, 12, 28)}
SHORT_2024 = {
    date(2024, 2, 22),
    date(2024, 3, 7),
    date(2024, 5, 8),
    date(2024, 6, 11),
    date(2024, 11, 2),
}

# Постановление Правительства РФ от 04.10.2024 № 1335 «О переносе выходных дней в 2025 году»:
# Sat 4 Jan -> Fri 2 May; Sun 5 Jan -> Wed 31 Dec; Sun 23 Feb -> Thu 8 May;
# Sat 8 Mar -> Fri 13 Jun; Sat 1 Nov -> Mon 3 Nov. Shortened days: 7 Mar, 30 Apr, 11 Jun,
# 1 Nov (247 working days, 1972 hours).
OFF_2025 = {
    *(date(2025, 1, d) for d in (1, 2, 3, 6, 7, 8)),
    date(2025, 5, 1),
    date(2025, 5, 2),
    date(2025, 5, 8),
    date(2025, 5, 9),
    date(2025, 6, 12),
    date(2025, 6, 13),
    date(2025, 11, 3),
    date(2025, 11, 4),
    date(2025, 12, 31),
}
WORK_WEEKEND_2025 = {date(2025, 11, 1)}
SHORT_2025 = {date(2025, 3, 7), date(2025, 4, 30), date(2025, 6, 11), date(2025, 11, 1)}

# Постановление Правительства РФ от 24.09.2025 № 1466 «О переносе выходных дней в 2026 году»:
# Sat 3 Jan -> Fri 9 Jan; Sun 4 Jan -> Thu 31 Dec; Sun 8 Mar and Sat 9 May move to the next
# weekday by art. 112. Shortened days: 30 Apr, 8 May, 11 Jun, 3 Nov (247 working days).
OFF_2026 = {
    *(date(2026, 1, d) for d in (1, 2, 5, 6, 7, 8, 9)),
    date(2026, 2, 23),
    date(2026, 3, 9),
    date(2026, 5, 1),
    date(2026, 5, 11),
    date(2026, 6, 12),
    date(2026, 11, 4),
    date(2026, 12, 31),
}
WORK_WEEKEND_2026: set[date] = set()
SHORT_2026 = {date(2026, 4, 30), date(2026, 5, 8), date(2026, 6, 11), date(2026, 11, 3)}

YEARS = {
    2024: (OFF_2024, WORK_WEEKEND_2024, SHORT_2024, 248),
    2025: (OFF_2025, WORK_WEEKEND_2025, SHORT_2025, 247),
    2026: (OFF_2026, WORK_WEEKEND_2026, SHORT_2026, 247),
}


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar(WorkSchedule(ZoneInfo("Europe/Moscow")))


def _days(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]


@pytest.mark.parametrize("year", sorted(YEARS))
def test_working_days_follow_the_decree(cal: WorkCalendar, year: int) -> None:
    off, work_weekend, _, count = YEARS[year]
    expected = {
        day
        for day in _days(year)
        if (day.isoweekday() <= 5 and day not in off) or day in work_weekend
    }
    actual = {day for day in _days(year) if cal.is_working_day(day)}
    assert sorted(actual - expected) == []
    assert sorted(expected - actual) == []
    assert len(actual) == count


@pytest.mark.parametrize("year", sorted(YEARS))
def test_shortened_days_follow_the_production_calendar(cal: WorkCalendar, year: int) -> None:
    short = YEARS[year][2]
    assert {day for day in _days(year) if cal.is_shortened_day(day)} == short


@pytest.mark.parametrize("year", sorted(YEARS))
def test_a_shortened_day_ends_an_hour_early(cal: WorkCalendar, year: int) -> None:
    for day in YEARS[year][2]:
        ((start, end),) = cal.working_periods(day)
        assert end - start == timedelta(hours=8)


def test_thirteen_shortened_days_in_three_years() -> None:
    assert sum(len(short) for _, _, short, _ in YEARS.values()) == 13
