"""Two specialists act on one issue at the same moment, from two processes.

Each session is held after it read the issue until the other has read it too (or waits for
the row lock the first one took): without the lock both acted on the same old state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain.errors import InvalidTransition
from bot.domain.models import Issue, IssueAction, IssueStatus
from bot.domain.outgoing import RefKind
from storage.uow import SqlUnitOfWorkFactory
from tests.races.desk import (
    OLGA,
    SERGEY,
    caller,
    desk,
    file_issue,
    merges,
    sent_to_residents,
    town,
)
from tests.races.sessions import Meeting, Session, engines, together

if TYPE_CHECKING:
    from tests.database import TestDatabase

HOLD_AFTER_READ = {"issues": {"get"}}


async def test_two_closes_of_one_issue_send_one_closing_notice(
    test_database: TestDatabase,
) -> None:
    async with engines(test_database, 3) as (probe, first, second):
        plain = SqlUnitOfWorkFactory(probe)
        await town(plain)
        number = await file_issue(plain)
        meeting = Meeting(probe if test_database.is_postgres else None)
        olga = desk(Session(first, meeting, hold_after=HOLD_AFTER_READ))
        sergey = desk(Session(second, meeting, hold_after=HOLD_AFTER_READ))

        results = await together(
            lambda: olga.act(caller(OLGA, 50), IssueAction.CLOSE, number, answer="Починили"),
            lambda: sergey.act(caller(SERGEY, 51), IssueAction.CLOSE, number, answer="Готово"),
        )

        closed = [r for r in results if isinstance(r, Issue)]
        refused = [r for r in results if isinstance(r, InvalidTransition)]
        assert (len(closed), len(refused)) == (1, 1), results
        assert await sent_to_residents(plain, RefKind.CLOSE_NOTICE) == 1
        async with plain.reader() as uow:
            history = await uow.issues.history(number)
        assert history is not None
        assert [s.action for s in history.transitions] == [IssueAction.CLOSE]
        assert history.issue.answer == closed[0].answer


async def test_close_racing_take_keeps_one_consistent_history(
    test_database: TestDatabase,
) -> None:
    async with engines(test_database, 3) as (probe, first, second):
        plain = SqlUnitOfWorkFactory(probe)
        await town(plain)
        number = await file_issue(plain)
        await desk(plain).act(caller(OLGA, 40), IssueAction.TAKE, number)
        meeting = Meeting(probe if test_database.is_postgres else None)
        olga = desk(Session(first, meeting, hold_after=HOLD_AFTER_READ))
        sergey = desk(Session(second, meeting, hold_after=HOLD_AFTER_READ))

        results = await together(
            lambda: olga.act(caller(OLGA, 50), IssueAction.CLOSE, number, answer="Починили"),
            lambda: sergey.act(caller(SERGEY, 51), IssueAction.TAKE, number),
        )

        assert not [r for r in results if not isinstance(r, Issue | InvalidTransition)], results
        async with plain.reader() as uow:
            history = await uow.issues.history(number)
        assert history is not None
        steps = history.transitions
        # Every step starts where the one before it ended, and the issue is where the last
        # one ended: no step was taken from a state another step had already left.
        for before, after in zip(steps, steps[1:], strict=False):
            assert after.from_status is before.to_status, steps
        assert history.issue.status is steps[-1].to_status
        if history.issue.status is IssueStatus.CLOSED:
            assert history.issue.closed_at is not None
            assert await sent_to_residents(plain, RefKind.CLOSE_NOTICE) == 1
        else:
            assert history.issue.closed_at is None
            assert await sent_to_residents(plain, RefKind.CLOSE_NOTICE) == 0


async def test_merge_racing_close_of_the_duplicate_acts_once(
    test_database: TestDatabase,
) -> None:
    async with engines(test_database, 3) as (probe, first, second):
        plain = SqlUnitOfWorkFactory(probe)
        await town(plain)
        main = await file_issue(plain, message_id=10)
        duplicate = await file_issue(plain, message_id=11)
        meeting = Meeting(probe if test_database.is_postgres else None)
        merging = merges(Session(first, meeting, hold_after=HOLD_AFTER_READ))
        sergey = desk(Session(second, meeting, hold_after=HOLD_AFTER_READ))

        results = await together(
            lambda: merging.merge(caller(OLGA, 50), main, duplicate),
            lambda: sergey.act(caller(SERGEY, 51), IssueAction.CLOSE, duplicate, answer="Да"),
        )

        done = [r for r in results if not isinstance(r, InvalidTransition)]
        assert len(done) == 1, results
        async with plain.reader() as uow:
            history = await uow.issues.history(duplicate)
        assert history is not None
        # One of the two closed the duplicate; the other found it closed and was refused.
        assert len(history.transitions) == 1, history.transitions
        step = history.transitions[0]
        assert (step.from_status, step.to_status) == (IssueStatus.NEW, IssueStatus.CLOSED)
        assert history.issue.status is IssueStatus.CLOSED
        assert (history.issue.merged_into == main) is (step.action is IssueAction.MERGE)
