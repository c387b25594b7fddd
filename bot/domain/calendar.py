"""The town's working time: which days are working days and which instants are working time.

Pure: no clock, no I/O, no settings. Instants are aware datetimes and all arithmetic happens in
UTC; the schedule's time zone is used only to place a day's local working hours on the UTC line
and to render (`WorkCalendar.local`). Naive datetimes are rejected with ValueError.

Working days come from the schedule's weekdays and the `holidays` package, which for "RU"
knows the public holidays and the government's transfers (days off moved onto weekdays and
the working Saturdays, `weekend_workdays`). When the package lags behind a new government
decree, a deployment fixes it with `extra_days_off` / `extra_work_days`. The package's days
off are checked before its working weekends: older versions list a weekend holiday (e.g. Sat
6 Jan 2024) among the working weekends of its transfer.

Shortened days (Labour Code art. 95): a working day whose next calendar day is a public
holiday proper (not a day off transferred onto a weekday) ends one hour earlier. The
production calendar also shortens a few working Saturdays that the rule alone does not
reach (`FEDERAL_SHORTENED_DAYS`); a region adds its own with `shortened_days`.

Local wall times are mapped to UTC as "the first instant at which the wall clock shows this
time or later": an ambiguous time (clocks turned back) is its first occurrence, a nonexistent
time (clocks jumped forward over it) is the instant of the jump. The mapping never goes
backwards, so a day's periods are ordered and never overlap another day's.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import holidays

Period = tuple[datetime, datetime]

_ONE_DAY = timedelta(days=1)
_ONE_US = timedelta(microseconds=1)
_ZERO = timedelta(0)
# A schedule with no working day this long in a row is broken; stop instead of looping forever.
_MAX_IDLE_DAYS = 3 * 366
# Art. 95: the working day before a non-working holiday is one hour shorter.
_PRE_HOLIDAY_CUT = timedelta(hours=1)
# The package's label of a day off transferred onto a weekday (read in `language="en_US"`).
_SUBSTITUTED = "Day off (substituted"
_OBSERVED = "(observed)"  # a holiday's day off moved to the next weekday: not a holiday itself
# Shortened working Saturdays of the Ministry of Labour's production calendars, which the
# "next day is a holiday" rule alone does not give (Sunday lies between them and the holiday).
FEDERAL_SHORTENED_DAYS: dict[str, frozenset[date]] = {
    "RU": frozenset({date(2024, 11, 2), date(2025, 11, 1)}),
}


def _country_holidays(code: str) -> holidays.HolidayBase:
    try:
        return holidays.country_holidays(code, observed=True, language="en_US")
    except NotImplementedError as exc:
        raise ValueError(
            f"unknown country code {code!r}: use a code known to the holidays package "
            "(e.g. 'RU'), or None for no public holidays"
        ) from exc


@dataclass(frozen=True)
class WorkSchedule:
    """Working hours of one organisation; times are naive local wall times in `timezone`."""

    timezone: ZoneInfo
    weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})  # ISO numbers, Monday = 1
    start: time = time(9, 0)
    end: time = time(18, 0)
    break_start: time | None = None  # lunch break: both or neither, inside [start, end]
    break_end: time | None = None
    country: str | None = "RU"  # `holidays` country code; None or "" = no public holidays
    extra_days_off: frozenset[date] = frozenset()  # always days off, whatever else says
    extra_work_days: frozenset[date] = frozenset()  # working days, unless in extra_days_off
    shortened_days: frozenset[date] = frozenset()  # working days one hour shorter (art. 95)

    def __post_init__(self) -> None:
        # Accept any iterable (lists from a config file) but keep the dataclass hashable.
        for name in ("weekdays", "extra_days_off", "extra_work_days", "shortened_days"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        if not isinstance(self.timezone, tzinfo):
            raise ValueError(f"timezone must be a ZoneInfo, got {self.timezone!r}")
        bad_days = sorted(map(repr, self.weekdays - frozenset(range(1, 8))))
        if bad_days:
            raise ValueError(f"weekdays must be ISO numbers 1..7 (Monday = 1), got {bad_days}")
        moments = (self.start, self.end, self.break_start, self.break_end)
        if any(t is not None and t.tzinfo is not None for t in moments):
            raise ValueError("start, end and the break are local wall times: drop their tzinfo")
        if self.end <= self.start:
            raise ValueError(f"end {self.end} must be after start {self.start}")
        if (self.break_start is None) != (self.break_end is None):
            raise ValueError("set both break_start and break_end, or neither")
        if (
            self.break_start is not None
            and self.break_end is not None
            and not self.start <= self.break_start < self.break_end <= self.end
        ):
            raise ValueError(
                f"break {self.break_start}-{self.break_end} must be a non-empty interval "
                f"inside the working hours {self.start}-{self.end}"
            )
        if (self.break_start, self.break_end) == (self.start, self.end):
            raise ValueError("the break must not take the whole working day")
        if self.country:
            _country_holidays(self.country)

    def local_parts(self) -> tuple[tuple[time, time], ...]:
        """The non-empty local working intervals of a working day, in order."""
        if self.break_start is None or self.break_end is None:
            return ((self.start, self.end),)
        parts = ((self.start, self.break_start), (self.break_end, self.end))
        return tuple((a, b) for a, b in parts if a < b)

    def shortened_parts(self) -> tuple[tuple[time, time], ...]:
        """The local working intervals of a shortened day: the last hour of work is cut."""
        cut = _PRE_HOLIDAY_CUT
        kept: list[tuple[time, time]] = []
        for a, b in reversed(self.local_parts()):
            length = _since_midnight(b) - _since_midnight(a)
            if not cut:
                kept.append((a, b))
                continue
            if cut >= length:
                cut -= length
                continue
            end = datetime.combine(date.min, b) - cut
            kept.append((a, end.time()))
            cut = _ZERO
        return tuple(reversed(kept))


def _since_midnight(moment: time) -> timedelta:
    return timedelta(hours=moment.hour, minutes=moment.minute, seconds=moment.second)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass an aware datetime (UTC)")
    return moment.astimezone(UTC)


class WorkCalendar:
    """Working-time arithmetic over a `WorkSchedule`; results are aware UTC datetimes.

    Periods are half-open: [start, end). Per-day results are cached in the instance (a few
    hundred bytes per day queried), so keep one calendar per schedule for the app's lifetime.
    """

    def __init__(self, schedule: WorkSchedule) -> None:
        self.schedule = schedule
        self._tz = schedule.timezone
        self._holidays = _country_holidays(schedule.country) if schedule.country else None
        self._parts = schedule.local_parts()
        self._short_parts = schedule.shortened_parts()
        self._federal_short = FEDERAL_SHORTENED_DAYS.get(schedule.country or "", frozenset())
        self._loaded_years: set[int] = set()
        self._days: dict[date, bool] = {}
        self._periods_cache: dict[date, tuple[Period, ...]] = {}

    # --- days -------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Extra days off win; then extra work days; then the country's days off (holidays and
        transferred days off); then its working weekends and the schedule's weekdays."""
        if isinstance(day, datetime):
            raise TypeError(f"pass a local date, not a datetime: {day!r}")
        known = self._days.get(day)
        if known is None:
            known = self._days[day] = self._compute_working_day(day)
        return known

    def _compute_working_day(self, day: date) -> bool:
        schedule = self.schedule
        if day in schedule.extra_days_off:
            return False
        if day in schedule.extra_work_days:
            return True
        if self._holidays is None:
            return day.isoweekday() in schedule.weekdays
        country = self._holidays
        # The package fills a year (and its weekend_workdays) on first lookup; a transfer
        # can point into the neighbouring year, so load those too before trusting the set.
        for year in range(day.year - 1, day.year + 2):
            if year not in self._loaded_years:
                country.get(date(year, 1, 1))
                self._loaded_years.add(year)
        if day in country:
            return False
        return day in country.weekend_workdays or day.isoweekday() in schedule.weekdays

    def is_shortened_day(self, day: date) -> bool:
        """A working day one hour shorter: a region's or the federal list, or art. 95's day
        before a public holiday proper that stays a day off."""
        if not self.is_working_day(day):
            return False
        if day in self.schedule.shortened_days or day in self._federal_short:
            return True
        nxt = day + _ONE_DAY
        if self._holidays is None or self.is_working_day(nxt):
            return False
        names = self._holidays.get_list(nxt)
        return any(not n.startswith(_SUBSTITUTED) and not n.endswith(_OBSERVED) for n in names)

    def working_periods(self, day: date) -> list[Period]:
        """UTC intervals [start, end) of working time of the local `day`; empty if a day off."""
        return list(self._periods(day))

    def _periods(self, day: date) -> tuple[Period, ...]:
        cached = self._periods_cache.get(day)
        if cached is None:
            cached = ()
            if self.is_working_day(day):
                parts = self._short_parts if self.is_shortened_day(day) else self._parts
                bounds = ((self._wall_to_utc(day, a), self._wall_to_utc(day, b)) for a, b in parts)
                cached = tuple((a, b) for a, b in bounds if a < b)
            self._periods_cache[day] = cached
        return cached

    def _wall(self, moment: datetime) -> datetime:
        return moment.astimezone(self._tz).replace(tzinfo=None)

    def _wall_to_utc(self, day: date, wall_time: time) -> datetime:
        """The first instant at which the local clock shows `day wall_time` or later."""
        naive = datetime.combine(day, wall_time)
        first = naive.replace(tzinfo=self._tz).astimezone(UTC)
        if self._wall(first) == naive:
            return first  # exists; fold=0 is the first occurrence of an ambiguous time
        # Nonexistent: fold=1 lands before the jump, fold=0 after; find the jump itself.
        low = naive.replace(tzinfo=self._tz, fold=1).astimezone(UTC)
        if self._wall(low) >= naive or first <= low:
            return first
        lo, hi = 0, (first - low) // _ONE_US  # wall(low + lo) < naive <= wall(low + hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._wall(low + mid * _ONE_US) >= naive:
                hi = mid
            else:
                lo = mid
        return low + hi * _ONE_US

    def _local_date(self, moment: datetime) -> date:
        return moment.astimezone(self._tz).date()

    def _periods_from(self, day: date) -> Iterator[Period]:
        """Periods of `day` and every later day, in order; ValueError after years of none."""
        idle = 0
        while True:
            periods = self._periods(day)
            if periods:
                idle = 0
                yield from periods
            else:
                idle += 1
                if idle > _MAX_IDLE_DAYS:
                    raise ValueError(
                        f"no working time in {_MAX_IDLE_DAYS} days up to {day}: the schedule "
                        "has no working days (check weekdays and extra_days_off)"
                    )
            day += _ONE_DAY

    # --- instants -----------------------------------------------------------------------

    def is_working_time(self, moment: datetime) -> bool:
        moment = _utc(moment)
        today = self._local_date(moment)
        days = (today - _ONE_DAY, today, today + _ONE_DAY)  # neighbours: clock shifts
        return any(s <= moment < e for day in days for s, e in self._periods(day))

    def next_working_moment(self, moment: datetime) -> datetime:
        """`moment` itself if it is working time, else the start of the next period."""
        moment = _utc(moment)
        for start, end in self._periods_from(self._local_date(moment) - _ONE_DAY):
            if end > moment:
                return max(start, moment)
        raise AssertionError("unreachable: _periods_from never ends")

    def start_of_working_day(self, day: date) -> datetime:
        """The first working moment on or after the local `day`."""
        return next(self._periods_from(day))[0]

    def add(self, moment: datetime, duration: timedelta) -> datetime:
        """The earliest instant t >= moment with `between(moment, t) == duration`.

        So add(m, 0) == m even outside working hours (use next_working_moment for "when
        does work resume"), and a duration that exactly uses up a period ends at that
        period's end, not at the start of the next one. With this choice
        add(add(m, d1), d2) == add(m, d1 + d2) holds for every d1, d2 >= 0.
        """
        moment = _utc(moment)
        if duration < _ZERO:
            raise ValueError(f"duration must not be negative, got {duration}")
        if not duration:
            return moment
        remaining = duration
        for start, end in self._periods_from(self._local_date(moment) - _ONE_DAY):
            if end <= moment:
                continue
            begin = max(start, moment)
            if remaining <= end - begin:
                return begin + remaining
            remaining -= end - begin
        raise AssertionError("unreachable: _periods_from never ends")

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Working time in [a, b); zero if b <= a."""
        a, b = _utc(a), _utc(b)
        total = _ZERO
        if b <= a:
            return total
        day, last = self._local_date(a) - _ONE_DAY, self._local_date(b) + _ONE_DAY
        while day <= last:
            for start, end in self._periods(day):
                lo, hi = max(start, a), min(end, b)
                if lo < hi:
                    total += hi - lo
            day += _ONE_DAY
        return total

    def local(self, moment: datetime) -> datetime:
        """`moment` in the schedule's time zone, for rendering."""
        return _utc(moment).astimezone(self._tz)
