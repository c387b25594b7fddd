"""The report's timeline of working time gives what the calendar gives, interval by interval."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.work_timeline import ExactTimeline, WorkTimeline
from tests.domain.test_calendar_properties import FIXED, SWITCH_DAYS

LOW = datetime(2024, 12, 20, tzinfo=UTC)
HIGH = datetime(2027, 12, 10, tzinfo=UTC)
moments = st.one_of(
    st.datetimes(min_value=LOW.replace(tzinfo=None), max_value=HIGH.replace(tzinfo=None)).map(
        lambda m: m.replace(tzinfo=UTC)
    ),
    st.tuples(st.sampled_from(SWITCH_DAYS), st.integers(-36 * 3600, 36 * 3600)).map(
        lambda pair: datetime(*pair[0].timetuple()[:3], tzinfo=UTC) + timedelta(seconds=pair[1])
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(range(len(FIXED))), moments, st.timedeltas(timedelta(0), timedelta(40)))
def test_between_equals_the_calendars(index: int, start: datetime, length: timedelta) -> None:
    calendar = FIXED[index]
    end = start + length
    timeline = WorkTimeline.covering(calendar, start.timestamp(), end.timestamp())
    worked = timeline.between(start.timestamp(), end.timestamp())
    assert abs(worked - calendar.between(start, end).total_seconds()) < 1e-3
    assert timeline.between(end.timestamp(), start.timestamp()) == 0.0


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(range(len(FIXED))),
    moments,
    st.timedeltas(timedelta(0), timedelta(40)),
    st.timedeltas(timedelta(-3), timedelta(3)),
)
def test_the_exact_timeline_is_the_calendar_to_the_microsecond(
    index: int, start: datetime, length: timedelta, shift: timedelta
) -> None:
    """The export's timeline over a month of local days: inside it exactly the calendar's
    timedelta, outside it (an end past its last day, a start before its first) the calendar
    itself."""
    calendar = FIXED[index]
    end = start + length
    zone = calendar.schedule.timezone
    first = (start + shift).astimezone(zone).date()
    timeline = ExactTimeline(calendar, first, first + timedelta(days=30))
    assert timeline.between(start, end) == calendar.between(start, end)
    assert timeline.between(end, start) == calendar.between(end, start)
