"""Issue numbers have no gaps: the same message filed twice at once (a resident's message
and a specialist's /issue in reply to it, in two processes) is one issue, and the next issue
gets the next number. Each session holds its intake uncommitted until the other has filed
too or waits for it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.domain.models import Issue
from storage.tables import issues
from storage.uow import SqlUnitOfWorkFactory
from tests.races.desk import NOW, desk, file_issue, message, town
from tests.races.sessions import Meeting, Session, engines, together

if TYPE_CHECKING:
    from tests.database import TestDatabase


async def test_a_message_filed_twice_at_once_leaves_no_gap_in_the_numbers(
    test_database: TestDatabase,
) -> None:
    async with engines(test_database, 3) as (probe, first, second):
        plain = SqlUnitOfWorkFactory(probe)
        await town(plain)
        assert await file_issue(plain, message_id=9) == 1
        meeting = Meeting(probe if test_database.is_postgres else None)
        one = desk(Session(first, meeting, hold_before_commit=True))
        two = desk(Session(second, meeting, hold_before_commit=True))

        results = await together(lambda: one.intake(message(10)), lambda: two.intake(message(10)))

        filed = [r for r in results if isinstance(r, Issue)]
        assert len(filed) == 1 and results.count(None) == 1, results
        assert filed[0].number == 2
        assert await file_issue(plain, message_id=11) == 3
        async with plain.reader() as uow:
            numbers = await uow.connection.execute(select(issues.c.number).order_by("number"))
            assert list(numbers.scalars()) == [1, 2, 3]


class Refused(Exception):
    """The failure that undoes an update after it filed its issue."""


async def test_an_intake_undone_while_another_files_leaves_no_gap(
    test_database: TestDatabase,
) -> None:
    async with engines(test_database, 3) as (probe, first, second):
        plain = SqlUnitOfWorkFactory(probe)
        await town(plain)
        assert await file_issue(plain, message_id=9) == 1
        meeting = Meeting(probe if test_database.is_postgres else None)
        undone = Session(first, meeting)
        filing = desk(Session(second, meeting, hold_before_commit=True))

        async def file_then_fail() -> None:
            async with undone() as uow:
                incoming = message(10)
                await uow.issues.add(
                    place=incoming.place,
                    message_id=incoming.message_id,
                    author=incoming.author,
                    text=incoming.text,
                    tag="#проблема",
                    attachments=(),
                    created_at=incoming.sent_at or NOW,
                )
                await meeting.arrive()
                raise Refused  # rolled back: its number was never given out

        results = await together(file_then_fail, lambda: filing.intake(message(11)))

        assert isinstance(results[0], Refused)
        assert isinstance(results[1], Issue) and results[1].number == 2
        async with plain.reader() as uow:
            numbers = await uow.connection.execute(select(issues.c.number).order_by("number"))
            assert list(numbers.scalars()) == [1, 2]
