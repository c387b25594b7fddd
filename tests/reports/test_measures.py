"""Pure arithmetic of the reports: percentiles, response times in working hours, backlog."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.measures import (
    Answered,
    backlog_series,
    day_bounds,
    percentile,
    response_stats,
)
from tests.reports_data import CALENDAR, at


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 0.5, None),
        ([7.0], 0.9, 7.0),
        ([1.0, 2.0], 0.5, 1.5),
        ([0.5, 1.0, 1.0, 3.0, 4.0], 0.5, 1.0),
        ([0.5, 1.0, 1.0, 3.0, 4.0], 0.9, 3.6),
        ([4.0, 3.0, 1.0, 1.0, 0.5, 2.0], 0.9, 3.5),  # unsorted input
        ([1.0, 2.0, 3.0, 4.0], 1.0, 4.0),
        ([1.0, 2.0, 3.0, 4.0], 0.0, 1.0),
    ],
)
def test_percentile_interpolates_between_ranks(
    values: list[float], q: float, expected: float | None
) -> None:
    result = percentile(values, q)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_response_time_counts_only_working_hours_and_sla_is_inclusive() -> None:
    rows = [
        # Tuesday 16:00 -> Wednesday 10:00: 2 h on Tuesday + 1 h on Wednesday; due at 18:00.
        Answered(at(3, 17, 16), at(3, 18, 10), at(3, 17, 18)),
        # Friday 17:00 -> Monday 10:00 over the weekend: 1 h + 1 h; due Monday 10:00 exactly.
        Answered(at(3, 13, 17), at(3, 16, 10), at(3, 16, 10)),
        # Answered before work started on Monday the 16th (a Sunday message): 0 h.
        Answered(at(3, 15, 20), at(3, 16, 8), at(3, 16, 11)),
    ]
    stats = response_stats(rows, CALENDAR)
    assert stats.answered == 3
    assert stats.within_sla == 2
    assert stats.sla_share == pytest.approx(2 / 3)
    assert stats.median_hours == pytest.approx(2.0)
    assert stats.p90_hours == pytest.approx(2.8)  # 2 + 0.8 * (3 - 2)


def test_response_stats_of_nothing_has_no_share() -> None:
    stats = response_stats([], CALENDAR)
    assert (stats.answered, stats.sla_share, stats.median_hours) == (0, None, None)


def test_backlog_is_counted_back_from_the_open_issues_now() -> None:
    days = [date(2026, 3, 16), date(2026, 3, 17), date(2026, 3, 18)]
    points = backlog_series(days, received=[1, 3, 1], closed=[0, 1, 0], open_now=6)
    assert [p.open_at_end for p in points] == [3, 5, 6]
    assert [(p.received, p.closed) for p in points] == [(1, 0), (3, 1), (1, 0)]


def test_day_bounds_are_local_midnights() -> None:
    bounds = day_bounds(CALENDAR, date(2026, 3, 17), date(2026, 3, 18))
    assert bounds == [at(3, 17, 0), at(3, 18, 0), at(3, 19, 0)]
