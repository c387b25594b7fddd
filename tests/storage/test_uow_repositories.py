"""A unit of work builds its repositories on first use, on the connection it holds now."""

from __future__ import annotations

from storage.uow import SqlUnitOfWorkFactory


async def test_a_unit_entered_again_reads_through_its_new_connection(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    unit = uow_factory.reader()
    async with unit:
        first = unit.issues
        assert await unit.issues.list_open() == []
    async with unit:
        assert unit.issues is not first  # the first belongs to a connection given back
        assert await unit.issues.list_open() == []


async def test_a_repository_is_built_once_per_entry(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory.reader() as unit:
        assert unit.chats is unit.chats
