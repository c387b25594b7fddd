"""Working time as a running total, for measuring many intervals at once.

`WorkCalendar.between` walks the days of each interval; a report measures tens of thousands
of intervals over the same few months. A timeline lays the calendar's working periods of a
span of days end to end once, as seconds since the epoch with the working seconds before
each, so the working time up to any instant is one binary search, and the working time
between two instants is the difference of two such totals. Periods never overlap, so this is
exactly `WorkCalendar.between` (to float precision, well under a millisecond).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from bot.domain.calendar import WorkCalendar

_DAY = timedelta(days=1)
_ZERO = timedelta(0)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class WorkTimeline:
    """Working seconds up to an instant, for instants within [first, last] local days."""

    def __init__(self, calendar: WorkCalendar, first: date, last: date) -> None:
        starts: list[float] = []
        ends: list[float] = []
        before: list[float] = []
        total = 0.0
        day = first - _DAY  # neighbours: a day's periods may start on the UTC day before
        while day <= last + _DAY:
            for start, end in calendar.working_periods(day):
                starts.append(start.timestamp())
                ends.append(end.timestamp())
                before.append(total)
                total += (end - start).total_seconds()
            day += _DAY
        self._starts, self._ends, self._before = starts, ends, before

    @classmethod
    def covering(cls, calendar: WorkCalendar, low: float, high: float) -> WorkTimeline:
        """A timeline for instants between `low` and `high` (seconds since the epoch)."""
        zone = calendar.schedule.timezone
        first = datetime.fromtimestamp(low, UTC).astimezone(zone).date()
        last = datetime.fromtimestamp(high, UTC).astimezone(zone).date()
        return cls(calendar, first, last)

    def worked(self, moment: float) -> float:
        """Working seconds from the timeline's start to `moment` (seconds since the epoch)."""
        index = bisect_right(self._starts, moment) - 1
        if index < 0:
            return 0.0
        start, end = self._starts[index], self._ends[index]
        return self._before[index] + (min(moment, end) - start)

    def spans(self, starts: Sequence[float], ends: Sequence[float]) -> list[float]:
        """`between(a, b)` for each pair, as one loop: a report measures tens of thousands.
        The same arithmetic as `worked`, inlined."""
        bounds, period_ends, before = self._starts, self._ends, self._before
        result = []
        for a, b in zip(starts, ends, strict=True):
            if b <= a:
                result.append(0.0)
                continue
            index = bisect_right(bounds, b) - 1
            if index < 0:
                upto_b = 0.0
            else:
                end = period_ends[index]
                upto_b = before[index] + ((b if b < end else end) - bounds[index])
            index = bisect_right(bounds, a) - 1
            if index < 0:
                upto_a = 0.0
            else:
                end = period_ends[index]
                upto_a = before[index] + ((a if a < end else end) - bounds[index])
            result.append(upto_b - upto_a)
        return result

    def between(self, a: float, b: float) -> float:
        """Working seconds in [a, b); zero if b <= a."""
        if b <= a:
            return 0.0
        return self.worked(b) - self.worked(a)


class ExactTimeline:
    """`WorkCalendar.between` for many intervals, to the microsecond: the same running total
    in whole microseconds, so each figure is exactly the calendar's (a file rounds it to
    0.01 h, where a float's noise could tip a tie). Instants outside the local days
    [first, last] (or naive ones) are measured by the calendar itself."""

    def __init__(self, calendar: WorkCalendar, first: date, last: date) -> None:
        self._calendar = calendar
        starts: list[int] = []
        ends: list[int] = []
        before: list[int] = []
        total = 0
        day = first - _DAY  # neighbours, as WorkTimeline
        while day <= last + _DAY:
            for start, end in calendar.working_periods(day):
                low, high = (start - _EPOCH) // _MICROSECOND, (end - _EPOCH) // _MICROSECOND
                starts.append(low)
                ends.append(high)
                before.append(total)
                total += high - low
            day += _DAY
        self._starts, self._ends, self._before = starts, ends, before
        zone = calendar.schedule.timezone
        self._low = datetime.combine(first, time(0), zone)
        self._high = datetime.combine(last + _DAY, time(0), zone)

    def _worked(self, moment: int) -> int:
        index = bisect_right(self._starts, moment) - 1
        if index < 0:
            return 0
        end = self._ends[index]
        return self._before[index] + ((moment if moment < end else end) - self._starts[index])

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Working time in [a, b); zero if b <= a: `WorkCalendar.between(a, b)`."""
        if a.tzinfo is None or b.tzinfo is None or a < self._low or b > self._high:
            return self._calendar.between(a, b)
        if b <= a:
            return _ZERO
        low, high = (a - _EPOCH) // _MICROSECOND, (b - _EPOCH) // _MICROSECOND
        return timedelta(microseconds=self._worked(high) - self._worked(low))
