"""Two processes write the same newcomer check or account link at once. Each session holds
its write uncommitted until the other has written too or waits on the unique key: a look
followed by an insert made two pending checks for one member, and a delete followed by a
plain insert failed the second link with a unique-key error."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from bot.domain.messengers import max_user
from bot.domain.models import Person
from storage.tables_links import person_links
from storage.tables_moderation import mod_checks
from storage.uow import SqlUnitOfWorkFactory
from tests.races.desk import NOW
from tests.races.sessions import Meeting, Session, engines, together

if TYPE_CHECKING:
    from tests.database import TestDatabase

CHAT = -100555
NEWCOMER = Person(61, "Новичок")


async def test_one_members_check_started_twice_at_once_is_one_check(
    test_database: TestDatabase,
) -> None:
    async with engines(test_database, 3) as (probe, first, second):
        meeting = Meeting(probe if test_database.is_postgres else None)
        sessions = [Session(e, meeting, hold_before_commit=True) for e in (first, second)]

        async def start(session: Session) -> int | None:
            async with session() as uow:
                check_id = await uow.moderation.add_check(
                    CHAT, NEWCOMER, at=NOW, deadline=NOW + timedelta(minutes=5)
                )
                await uow.commit()
            return check_id

        results = await together(lambda: start(sessions[0]), lambda: start(sessions[1]))

        assert [type(r) for r in sorted(results, key=str)] == [int, type(None)], results
        async with SqlUnitOfWorkFactory(probe).reader() as uow:
            pending = select(func.count()).where(
                mod_checks.c.chat_id == CHAT, mod_checks.c.status == "pending"
            )
            assert (await uow.connection.execute(pending)).scalar_one() == 1
            check = await uow.moderation.pending_check(CHAT, NEWCOMER.user_id)
            assert check is not None and check.id in results


@pytest.mark.parametrize(
    ("one", "two"),
    [
        ((7, max_user(1)), (7, max_user(2))),  # one Telegram account, two MAX accounts
        ((7, max_user(1)), (8, max_user(1))),  # one MAX account, two Telegram accounts
    ],
    ids=["same telegram account", "same max account"],
)
async def test_two_links_of_one_account_at_once_both_succeed_and_the_last_holds(
    test_database: TestDatabase, one: tuple[int, int], two: tuple[int, int]
) -> None:
    async with engines(test_database, 3) as (probe, first, second):
        meeting = Meeting(probe if test_database.is_postgres else None)
        sessions = [Session(e, meeting, hold_before_commit=True) for e in (first, second)]
        order: list[tuple[int, int]] = []

        async def link(session: Session, pair: tuple[int, int]) -> None:
            async with session() as uow:
                await uow.links.link(*pair, NOW)
                await uow.commit()
            order.append(pair)

        results = await together(lambda: link(sessions[0], one), lambda: link(sessions[1], two))

        assert results == [None, None]
        async with SqlUnitOfWorkFactory(probe).reader() as uow:
            rows = await uow.connection.execute(
                select(person_links.c.telegram_id, person_links.c.max_id)
            )
            assert [tuple(row) for row in rows] == [order[-1]]


async def test_pending_checks_keep_being_started_after_the_statement_is_prepared(
    test_database: TestDatabase,
) -> None:
    """PostgreSQL plans a prepared statement for its values five times, then generically:
    an arbiter predicate with a bound value ("status = $10") then matches no partial index,
    and the sixth newcomer's check failed with "no unique or exclusion constraint"."""
    async with engines(test_database, 1) as (engine,):
        factory = SqlUnitOfWorkFactory(engine)
        started = []
        for n in range(12):
            newcomer = Person(1000 + n, f"Новичок {n}")
            async with factory() as uow:
                started.append(
                    await uow.moderation.add_check(
                        CHAT, newcomer, at=NOW, deadline=NOW + timedelta(minutes=5)
                    )
                )
                again = await uow.moderation.add_check(
                    CHAT, newcomer, at=NOW, deadline=NOW + timedelta(minutes=5)
                )
                await uow.commit()
            assert again is None
        assert all(isinstance(check_id, int) for check_id in started), started
        assert len(set(started)) == 12
