"""Two sessions write the same new row at once (two processes handling updates about the same
chat, dialog, poll or person). Each holds its write uncommitted until the other has written
too or waits on the unique key: an UPDATE that changed nothing followed by an INSERT failed
the second with a unique-key error; INSERT … ON CONFLICT lets both succeed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from bot.domain.models import ChatKind, ChatPlace, IssueStatus, Person, RegisteredChat
from bot.domain.moderation import Report
from bot.domain.outgoing import RefKind
from storage.tables import issues
from storage.tables_moderation import mod_reports
from storage.uow import SqlUnitOfWork, SqlUnitOfWorkFactory
from tests.races.desk import ANNA, NOW, desk, message, sent_to_residents, town
from tests.races.sessions import Meeting, Session, engines, together

if TYPE_CHECKING:
    from tests.database import TestDatabase

PLACE = ChatPlace(-100777, 0)
VOTER = Person(5, "Вера")


@dataclass(frozen=True)
class Case:
    name: str
    write: Callable[[SqlUnitOfWork, int], Awaitable[None]]
    read: Callable[[SqlUnitOfWork], Awaitable[Any]]
    expected: Callable[[int], Any]  # what `read` finds after session `n` wrote last
    before: Callable[[SqlUnitOfWork, int], Awaitable[None]] | None = None  # run as session 0


async def _register(uow: SqlUnitOfWork, n: int) -> None:
    await uow.chats.save(RegisteredChat(PLACE, ChatKind.BUILDING, f"Дом {n}", n, NOW))


async def _chat_name(uow: SqlUnitOfWork) -> Any:
    chat = await uow.chats.get(PLACE)
    return chat.name if chat else None


async def _dialog(uow: SqlUnitOfWork, n: int) -> None:
    await uow.dialogs.put("fsm:1:1", f"Announce:step{n}", {"n": n}, NOW)


async def _vote(uow: SqlUnitOfWork, n: int) -> None:
    await uow.polls.record_vote("poll-1", VOTER, [n], NOW)


async def _counts(uow: SqlUnitOfWork, n: int) -> None:
    await uow.polls.record_counts("poll-1", [n, 0], n, False, NOW)


async def _marker(uow: SqlUnitOfWork, n: int) -> None:
    await uow.native.set_marker("max", 1000 + n, NOW)


async def _native(uow: SqlUnitOfWork, n: int) -> None:
    await uow.native.record_message(PLACE.chat_id, 42, f"mid.{n}")


async def _grant(uow: SqlUnitOfWork, n: int) -> None:
    assert await uow.roles.grant_specialist(VOTER, n, NOW, department=f"Отдел {n}")


async def _department(uow: SqlUnitOfWork) -> Any:
    return await uow.roles.department_of(VOTER.user_id)


async def _ballot(uow: SqlUnitOfWork) -> Any:
    return (await uow.polls.ballots("poll-1")).get(VOTER.user_id)


async def _total(uow: SqlUnitOfWork) -> Any:
    found = await uow.polls.counts(["poll-1"])
    return found["poll-1"].total if "poll-1" in found else None


async def _dialog_state(uow: SqlUnitOfWork) -> Any:
    return await uow.dialogs.get("fsm:1:1")


async def _marker_read(uow: SqlUnitOfWork) -> Any:
    return await uow.native.marker("max")


async def _native_read(uow: SqlUnitOfWork) -> Any:
    return await uow.native.native_message(PLACE.chat_id, 42)


async def _report(uow: SqlUnitOfWork, n: int) -> None:
    draft = Report(0, PLACE.chat_id, 0, 77, Person(9, "Спамер"), "купите", (), "open")
    await uow.moderation.report(draft, 100 + n, NOW)


async def _reporters(uow: SqlUnitOfWork) -> Any:
    query = select(mod_reports.c.reporters).where(mod_reports.c.message_id == 77)
    return sorted((await uow.connection.execute(query)).scalar_one())


CASES = [
    Case("chat registration", _register, _chat_name, lambda n: f"Дом {n}"),
    Case(
        "dialog state (FSM storage)",
        _dialog,
        _dialog_state,
        lambda n: (f"Announce:step{n}", {"n": n}),
    ),
    Case("poll vote", _vote, _ballot, lambda n: (n,)),
    Case("poll counts", _counts, _total, lambda n: n),
    Case("update marker", _marker, _marker_read, lambda n: 1000 + n),
    Case("native message id", _native, _native_read, lambda n: f"mid.{n}"),
    Case("specialist grant", _grant, _department, lambda n: f"Отдел {n}"),
    # Not last-writer-wins: both reporters of one message are kept.
    Case("report of a message", _report, _reporters, lambda n: [100, 101, 102], _report),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_two_sessions_writing_one_new_row_both_succeed(
    test_database: TestDatabase, case: Case
) -> None:
    async with engines(test_database, 3) as (probe, first, second):
        meeting = Meeting(probe if test_database.is_postgres else None)
        sessions = [
            Session(engine, meeting, hold_before_commit=True) for engine in (first, second)
        ]
        order: list[int] = []
        if case.before is not None:
            async with SqlUnitOfWorkFactory(probe)() as uow:
                await case.before(uow, 0)
                await uow.commit()

        async def write(n: int) -> None:
            async with sessions[n - 1]() as uow:
                await case.write(uow, n)
                await uow.commit()
            order.append(n)

        results = await together(lambda: write(1), lambda: write(2))

        assert results == [None, None]
        async with SqlUnitOfWorkFactory(probe).reader() as uow:
            assert await case.read(uow) == case.expected(order[-1])


async def test_a_new_residents_two_messages_at_once_are_two_issues(
    test_database: TestDatabase,
) -> None:
    async with engines(test_database, 3) as (probe, first, second):
        plain = SqlUnitOfWorkFactory(probe)
        await town(plain)
        meeting = Meeting(probe if test_database.is_postgres else None)
        one = desk(Session(first, meeting, hold_before_commit=True))
        two = desk(Session(second, meeting, hold_before_commit=True))

        results = await together(
            lambda: one.intake(message(10, ANNA)), lambda: two.intake(message(11, ANNA))
        )

        assert sorted(r.number for r in results) == [1, 2], results
        async with plain.reader() as uow:
            count = select(func.count()).select_from(issues)
            assert (await uow.connection.execute(count)).scalar_one() == 2
            assert [i.status for i in await uow.issues.list_by_author(ANNA.user_id)] == [
                IssueStatus.NEW,
                IssueStatus.NEW,
            ]
        assert await sent_to_residents(plain, RefKind.ACK) == 2
