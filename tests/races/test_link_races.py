"""One account-linking code entered twice at the same moment (two processes): it links once.
Each session holds its use of the code uncommitted until the other has used it too or waits
for it."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from storage.uow import SqlUnitOfWorkFactory
from tests.races.desk import NOW
from tests.races.sessions import Meeting, Session, engines, together

if TYPE_CHECKING:
    from tests.database import TestDatabase


async def test_a_linking_code_taken_twice_at_once_is_given_once(
    test_database: TestDatabase,
) -> None:
    async with engines(test_database, 3) as (probe, first, second):
        plain = SqlUnitOfWorkFactory(probe)
        async with plain() as uow:
            await uow.links.add_code("K7Q2", 77, NOW + timedelta(minutes=10))
            await uow.commit()
        meeting = Meeting(probe if test_database.is_postgres else None)
        sessions = [Session(e, meeting, hold_before_commit=True) for e in (first, second)]

        async def take(session: Session) -> int | None:
            async with session() as uow:
                user_id = await uow.links.take_code("K7Q2", NOW)
                await uow.commit()
            return user_id

        results = await together(lambda: take(sessions[0]), lambda: take(sessions[1]))

        assert sorted(results, key=str) == [77, None]
