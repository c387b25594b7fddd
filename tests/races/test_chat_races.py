"""Two admins change one chat's settings at the same moment (/setdept and /setcategory, from
two processes): both changes are kept. Each is held after it read the chat until the other
has read it too (or waits for the row lock the first one took)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.domain.categories import Categories, Category
from bot.domain.models import Caller, ChatKind, RegisteredChat
from bot.services.chats import ChatService
from bot.services.ports import UnitOfWorkFactory
from bot.services.roles import RoleService
from storage.uow import SqlUnitOfWorkFactory
from tests.races.desk import ADMIN, BUILDING, NOW, STAFF
from tests.races.sessions import Meeting, Session, engines, together

if TYPE_CHECKING:
    from tests.database import TestDatabase

ROOFS = Category("roof", "Кровля", timedelta(hours=4), timedelta(days=5))


def chats(factory: UnitOfWorkFactory) -> ChatService:
    roles = RoleService(
        factory, lambda: NOW, admins=frozenset({ADMIN.user_id}), specialists=frozenset()
    )
    return ChatService(
        factory,
        lambda: NOW,
        roles=roles,
        tags=("#проблема",),
        categories=Categories((ROOFS,)),
    )


async def test_two_settings_of_one_chat_changed_at_once_are_both_kept(
    test_database: TestDatabase,
) -> None:
    async with engines(test_database, 3) as (probe, first, second):
        plain = SqlUnitOfWorkFactory(probe)
        async with plain() as uow:
            await uow.chats.save(RegisteredChat(BUILDING, ChatKind.BUILDING, "Дом 5", 1, NOW))
            staff = RegisteredChat(STAFF, ChatKind.STAFF, "ЖКХ", 1, NOW, department="ЖКХ")
            await uow.chats.save(staff)
            await uow.commit()
        meeting = Meeting(probe if test_database.is_postgres else None)
        hold = {"chats": {"get"}}
        one = chats(Session(first, meeting, hold_after=hold))
        two = chats(Session(second, meeting, hold_after=hold))
        admin = Caller(ADMIN, BUILDING.chat_id, message_id=5)

        results = await together(
            lambda: one.set_department(admin, "жкх"),
            lambda: two.set_category(admin, "roof"),
        )

        assert results == [None, None]
        async with plain.reader() as uow:
            chat = await uow.chats.get(BUILDING)
        assert chat is not None
        assert (chat.department, chat.category) == ("ЖКХ", "roof")
