"""Links between a person's two accounts are read on every update (the role of a linked
account counts): served from memory once read, and a new link is seen at once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from bot.domain.messengers import max_user
from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def test_links_are_read_once_and_a_new_link_is_seen_at_once(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        await uow.links.link(100, max_user(7), NOW)
        await uow.commit()
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(uow_factory.engine.sync_engine, "before_cursor_execute", record)
    for _ in range(3):
        async with uow_factory.reader() as uow:
            assert await uow.links.linked(100) == max_user(7)
            assert await uow.links.linked(max_user(7)) == 100
            assert await uow.links.linked(200) is None
    assert len([s for s in statements if "person_links" in s]) == 1

    async with uow_factory() as uow:
        await uow.links.link(200, max_user(8), NOW)
        # The unit that wrote sees its own link before it commits.
        assert await uow.links.linked(200) == max_user(8)
        await uow.commit()
    async with uow_factory.reader() as uow:
        assert await uow.links.linked(200) == max_user(8)
        assert await uow.links.linked(max_user(8)) == 200
        assert await uow.links.linked(100) == max_user(7)

    async with uow_factory() as uow:
        await uow.links.link(100, max_user(9), NOW)  # relinked: the old link goes
        await uow.commit()
    async with uow_factory.reader() as uow:
        assert await uow.links.linked(100) == max_user(9)
        assert await uow.links.linked(max_user(7)) is None
    event.remove(uow_factory.engine.sync_engine, "before_cursor_execute", record)
