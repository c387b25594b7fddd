"""Laws of working-time arithmetic, checked with hypothesis.

Schedules include a zone without DST (Asia/Kamchatka) and zones with DST whose hours straddle
the switch (Europe/Berlin and America/New_York change at 02:00/03:00 local), plus randomly
drawn schedules; moments are biased towards the switch dates.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.calendar import WorkCalendar, WorkSchedule

KAM = ZoneInfo("Asia/Kamchatka")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")  # switches at local midnight
ALL_WEEK = frozenset(range(1, 8))
ZERO = timedelta(0)

FIXED = [
    WorkCalendar(WorkSchedule(KAM)),
    WorkCalendar(WorkSchedule(KAM, break_start=time(13), break_end=time(14))),
    WorkCalendar(WorkSchedule(BERLIN, ALL_WEEK, time(1, 30), time(3, 30), country="DE")),
    WorkCalendar(
        WorkSchedule(
            NEW_YORK,
            ALL_WEEK,
            time(0, 45),
            time(3, 30),
            break_start=time(2, 10),
            break_end=time(2, 20),  # inside the spring gap
            country="US",
        )
    ),
    WorkCalendar(WorkSchedule(NEW_YORK, frozenset({6, 7}), time(1), time(2, 30), country=None)),
    WorkCalendar(WorkSchedule(SANTIAGO, ALL_WEEK, time(0), time(0, 45), country=None)),
    WorkCalendar(WorkSchedule(SANTIAGO, ALL_WEEK, time(0, 15), time(23, 45), country=None)),
    WorkCalendar(
        WorkSchedule(
            BERLIN,
            frozenset({3}),
            time(2, 10),
            time(2, 50),  # inside the spring gap (vanishes) and the autumn fold (first pass)
            country=None,
            extra_work_days=frozenset({date(2025, 3, 30), date(2026, 10, 25)}),
        )
    ),
]

# Sundays of the DST switches in 2025-2027 (EU, US, Chile).
SWITCH_DAYS = [
    date(2025, 3, 30), date(2025, 10, 26), date(2026, 3, 29), date(2026, 10, 25),
    date(2027, 3, 28), date(2027, 10, 31), date(2025, 3, 9), date(2025, 11, 2),
    date(2026, 3, 8), date(2026, 11, 1), date(2027, 3, 14), date(2027, 11, 7),
    date(2025, 4, 6), date(2025, 9, 7), date(2026, 4, 5), date(2026, 9, 6),
]  # fmt: skip

HOUR = timedelta(hours=1)


def span(a: time, b: time) -> timedelta:
    return datetime.combine(date.min, b) - datetime.combine(date.min, a)


quarter_hours = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@st.composite
def random_calendars(draw: st.DrawFn) -> WorkCalendar:
    """At least 3 days a week and an hour of work a day, so 200 h span at most a few years."""
    start, end = sorted(draw(st.lists(quarter_hours, min_size=2, max_size=2, unique=True)))
    if span(start, end) < 2 * HOUR:
        start, end = time(0, 30), time(3, 30)
    break_start = break_end = None
    if draw(st.booleans()):
        inner = sorted(draw(st.lists(quarter_hours, min_size=2, max_size=2, unique=True)))
        if start <= inner[0] and inner[1] <= end and span(start, end) - span(*inner) >= HOUR:
            break_start, break_end = inner
    schedule = WorkSchedule(
        draw(st.sampled_from([KAM, BERLIN, NEW_YORK])),
        draw(st.frozensets(st.integers(1, 7), min_size=3)),
        start,
        end,
        break_start=break_start,
        break_end=break_end,
        country=draw(st.sampled_from([None, "RU", "DE"])),
    )
    return WorkCalendar(schedule)


calendars = st.one_of(st.sampled_from(FIXED), random_calendars())


def _near_switch(day: date) -> st.SearchStrategy[datetime]:
    middle = datetime.combine(day, time(1), tzinfo=UTC)
    return st.timedeltas(-timedelta(days=2), timedelta(days=2)).map(lambda d: middle + d)


moments = st.one_of(
    st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC)),  # noqa: DTZ001
    st.sampled_from(SWITCH_DAYS).flatmap(_near_switch),
)
durations = st.timedeltas(ZERO, timedelta(hours=200))
positive = st.timedeltas(timedelta(microseconds=1), timedelta(hours=200))


def is_period_end(cal: WorkCalendar, moment: datetime) -> bool:
    day = cal.local(moment).date()
    days = (day - timedelta(days=1), day, day + timedelta(days=1))
    return any(end == moment for d in days for _, end in cal.working_periods(d))


@given(calendars, moments, positive, durations)
def test_add_is_additive(cal: WorkCalendar, m: datetime, d1: timedelta, d2: timedelta) -> None:
    assert cal.add(cal.add(m, d1), d2) == cal.add(m, d1 + d2)


@given(calendars, moments, durations)
def test_add_zero_is_identity_and_additive(cal: WorkCalendar, m: datetime, d: timedelta) -> None:
    # The d == 0 edge: add(m, 0) is m itself, even outside working hours.
    assert cal.add(m, ZERO) == m
    assert cal.add(cal.add(m, ZERO), d) == cal.add(m, d)


@given(calendars, moments, durations, durations)
def test_add_is_monotonic_in_duration(
    cal: WorkCalendar, m: datetime, d1: timedelta, d2: timedelta
) -> None:
    d1, d2 = sorted((d1, d2))
    assert cal.add(m, d1) <= cal.add(m, d2)


@given(calendars, moments, moments, durations)
def test_add_is_monotonic_in_start(
    cal: WorkCalendar, a: datetime, b: datetime, d: timedelta
) -> None:
    a, b = sorted((a, b))
    assert cal.add(a, d) <= cal.add(b, d)


@given(calendars, moments, durations)
def test_between_inverts_add(cal: WorkCalendar, m: datetime, d: timedelta) -> None:
    end = cal.add(m, d)
    assert end >= m
    assert cal.between(m, end) == d


@given(calendars, moments, moments, moments)
def test_between_is_additive(cal: WorkCalendar, a: datetime, b: datetime, c: datetime) -> None:
    a, b, c = sorted((a, b, c))
    assert cal.between(a, c) == cal.between(a, b) + cal.between(b, c)
    assert cal.between(c, a) == ZERO or a == c


@given(calendars, moments, positive)
def test_add_lands_on_working_time_or_a_period_end(
    cal: WorkCalendar, m: datetime, d: timedelta
) -> None:
    end = cal.add(m, d)
    assert cal.is_working_time(end) or is_period_end(cal, end)


@given(calendars, moments)
def test_next_working_moment(cal: WorkCalendar, m: datetime) -> None:
    nxt = cal.next_working_moment(m)
    assert nxt >= m
    assert cal.is_working_time(nxt)
    assert cal.between(m, nxt) == ZERO
    assert (nxt == m) is cal.is_working_time(m)
    assert cal.add(m, timedelta(microseconds=1)) == nxt + timedelta(microseconds=1)


@given(calendars, st.sampled_from(SWITCH_DAYS) | st.dates(date(2025, 1, 1), date(2027, 12, 31)))
def test_periods_are_ordered_and_disjoint(cal: WorkCalendar, day: date) -> None:
    periods = [p for d in range(-1, 2) for p in cal.working_periods(day + timedelta(days=d))]
    for start, end in periods:
        assert start.tzinfo is UTC and start < end
        assert cal.is_working_time(start)
        assert not cal.is_working_time(end) or any(s == end for s, _ in periods)
    bounds = [t for p in periods for t in p]
    assert bounds == sorted(bounds)
