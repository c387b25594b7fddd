"""Several windows' response times measured at once equal each window measured alone."""

from __future__ import annotations

import random
from datetime import timedelta

from bot.domain.measures import AnswerTimes, response_stats, response_stats_since
from bot.domain.work_timeline import WorkTimeline
from tests.reports_data import CALENDAR, at

NOW = at(3, 20, 12)


def answers(count: int, seed: int) -> AnswerTimes:
    rng = random.Random(seed)
    created, answered, due = [], [], []
    for _ in range(count):
        made = NOW - timedelta(days=30 * rng.random())
        first = made + timedelta(minutes=rng.expovariate(1 / 300))
        created.append(made.timestamp())
        answered.append(min(first, NOW).timestamp())
        due.append(None if rng.random() < 0.1 else (made + timedelta(hours=2)).timestamp())
    return AnswerTimes(created, answered, due)


def test_windows_at_once_equal_each_window_alone() -> None:
    for seed in range(5):
        times = answers(400, seed)
        week_ago, day_ago = NOW - timedelta(days=7), NOW - timedelta(days=1)
        week, day, month = response_stats_since(times, CALENDAR, (week_ago, day_ago, None))
        assert week == response_stats(times.since(week_ago), CALENDAR)
        assert day == response_stats(times.since(day_ago), CALENDAR)
        assert month == response_stats(times, CALENDAR)
        assert 0 < day.answered < week.answered < month.answered == 400


def test_a_window_without_answers_is_empty() -> None:
    (empty,) = response_stats_since(answers(50, 1), CALENDAR, (NOW + timedelta(days=1),))
    assert empty == response_stats([], CALENDAR)
    assert response_stats_since(AnswerTimes([], [], []), CALENDAR, (None, NOW)) == (
        response_stats([], CALENDAR),
        response_stats([], CALENDAR),
    )


def test_spans_equal_between_pair_by_pair() -> None:
    times = answers(300, 9)
    starts = [*times.created, NOW.timestamp()]
    ends = [*times.answered, (NOW - timedelta(hours=1)).timestamp()]  # the last one backwards
    timeline = WorkTimeline.covering(CALENDAR, min(starts), max(ends))
    assert timeline.spans(starts, ends) == [
        timeline.between(a, b) for a, b in zip(starts, ends, strict=True)
    ]
