"""Several windows' response times measured at once equal each window measured alone."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain.measures import AnswerTimes, response_stats, response_stats_since
from bot.domain.work_timeline import WorkTimeline
from storage.uow import SqlUnitOfWorkFactory
from tests.reports_data import ANNA, CALENDAR, CHAT_A, at

NOW = at(3, 20, 12)


def answers(count: int, seed: int) -> AnswerTimes:
    rng = random.Random(seed)
    created, answered, in_time = [], [], []
    for _ in range(count):
        made = NOW - timedelta(days=30 * rng.random())
        first = made + timedelta(minutes=rng.expovariate(1 / 300))
        created.append(made.timestamp())
        answered.append(min(first, NOW).timestamp())
        due = None if rng.random() < 0.1 else made + timedelta(hours=2)
        in_time.append(due is None or min(first, NOW) <= due)
    return AnswerTimes(created, answered, in_time)


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


async def test_the_database_judges_in_time_at_the_due_moment_inclusive(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    created, due = at(3, 17, 10), at(3, 17, 12)
    answers = {
        1: due,  # exactly at the due moment: in time
        2: due + timedelta(microseconds=1),  # a microsecond late
        3: due - timedelta(minutes=5),
        4: due + timedelta(hours=1),  # no due moment: in time
    }
    async with uow_factory() as uow:
        for message_id, answered in answers.items():
            issue = await uow.issues.add(
                place=CHAT_A,
                message_id=message_id,
                author=ANNA,
                text="#проблема",
                tag="#проблема",
                attachments=(),
                created_at=created,
                response_due_at=None if message_id == 4 else due,
            )
            assert issue is not None
            await uow.issues.save(replace(issue, first_response_at=answered))
        await uow.commit()
    async with uow_factory.reader() as uow:
        times = await uow.reports.answered_between(created, created + timedelta(days=1))
    # Ordered by the answer's moment: 3 (early), 1 (at due), 2 (1 µs late), 4 (no due).
    ordered = sorted(zip(times.answered, times.in_time, strict=True), key=lambda p: p[0])
    assert [in_time for _, in_time in ordered] == [True, True, False, True]
    assert [moment for moment, _ in ordered] == pytest.approx(
        sorted(answered.timestamp() for answered in answers.values()), abs=1e-3
    )
