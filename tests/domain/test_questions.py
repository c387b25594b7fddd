"""Questions to the resident: the transition table, and the clock that stands still."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain.errors import TransitionRefused
from bot.domain.models import IssueAction, IssueStatus, Person
from bot.domain.rules import TRANSITIONS, may_answer, plan_transition
from bot.domain.sla import nth_working_day_start, resumed_due, silence_due, with_clock
from tests.domain.test_sla import CALENDAR, at, issue

SPECIALIST = Person(2, "Ольга")


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        (IssueStatus.NEW, True),
        (IssueStatus.IN_PROGRESS, True),
        (IssueStatus.ON_CONTROL, True),
        (IssueStatus.AWAITING, True),
        (IssueStatus.CLOSED, False),
    ],
)
def test_a_question_may_be_asked_of_any_open_issue(status: IssueStatus, allowed: bool) -> None:
    assert (status in TRANSITIONS[IssueAction.ASK][0]) is allowed
    assert TRANSITIONS[IssueAction.ASK][1] is IssueStatus.AWAITING


def test_a_question_needs_its_text_and_makes_the_asker_the_assignee() -> None:
    today = at(2026, 3, 11, 10).date()
    with pytest.raises(TransitionRefused):
        plan_transition(issue(), IssueAction.ASK, SPECIALIST, today=today, answer="  ")
    plan = plan_transition(issue(), IssueAction.ASK, SPECIALIST, today=today, answer="Где?")
    assert (plan.to_status, plan.assignee) == (IssueStatus.AWAITING, SPECIALIST)


def test_only_the_author_answers_and_only_while_it_waits() -> None:
    waiting = issue(status=IssueStatus.AWAITING)
    assert may_answer(waiting, Person(1, "Анна"))
    assert not may_answer(waiting, Person(3, "Пётр"))
    assert not may_answer(issue(status=IssueStatus.IN_PROGRESS), Person(1, "Анна"))


def test_the_clock_stops_on_a_question_and_moves_the_deadline_by_the_paused_working_time() -> None:
    working = issue(
        status=IssueStatus.IN_PROGRESS,
        first_response_at=at(2026, 3, 11, 10),
        resolve_due_at=at(2026, 3, 12, 17),
    )
    asked = with_clock(
        CALENDAR, working, replace(working, status=IssueStatus.AWAITING), at(2026, 3, 11, 11)
    )
    assert asked.awaiting_since == at(2026, 3, 11, 11)
    assert asked.resolve_due_at == at(2026, 3, 12, 17)
    again = with_clock(CALENDAR, asked, asked, at(2026, 3, 11, 15))  # a second question
    assert again.awaiting_since == at(2026, 3, 11, 11)
    answered = with_clock(
        CALENDAR, asked, replace(asked, status=IssueStatus.IN_PROGRESS), at(2026, 3, 12, 11)
    )
    # Paused Wednesday 11:00 - Thursday 11:00: 7 h + 2 h of work; Thursday 17:00 + 9 h.
    assert answered.resolve_due_at == at(2026, 3, 13, 17)
    assert answered.awaiting_since is None
    assert answered.response_due_at == working.response_due_at  # answered already


def test_an_unanswered_first_response_deadline_moves_too() -> None:
    new = issue(status=IssueStatus.AWAITING, awaiting_since=at(2026, 3, 11, 10))
    back = with_clock(CALENDAR, new, replace(new, status=IssueStatus.NEW), at(2026, 3, 11, 11))
    assert back.response_due_at == at(2026, 3, 11, 13)
    assert resumed_due(CALENDAR, None, at(2026, 3, 11, 10), at(2026, 3, 11, 11)) is None


def test_silence_is_due_from_the_nth_working_day_once() -> None:
    # Friday 13 March 2026 -> the first working day after is Monday 16 March.
    assert nth_working_day_start(CALENDAR, at(2026, 3, 13, 17), 1) == at(2026, 3, 16, 9)
    waiting = issue(status=IssueStatus.AWAITING, awaiting_since=at(2026, 3, 13, 17))
    assert not silence_due(CALENDAR, waiting, at(2026, 3, 16, 8, 59), 1)
    assert silence_due(CALENDAR, waiting, at(2026, 3, 16, 9), 1)
    assert not silence_due(CALENDAR, waiting, at(2026, 3, 16, 17), 2)
    assert silence_due(CALENDAR, waiting, at(2026, 3, 17, 9), 2)
    told = replace(waiting, silence_noticed_at=at(2026, 3, 16, 9))
    assert not silence_due(CALENDAR, told, at(2026, 3, 20, 9), 1)
    assert not silence_due(CALENDAR, issue(), at(2026, 3, 20, 9), 1)
