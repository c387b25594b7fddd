"""A small desk for the race tests: one building, two specialists, services on a session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.domain.calendar import WorkCalendar, WorkSchedule
from bot.domain.models import (
    Caller,
    ChatKind,
    ChatPlace,
    IncomingMessage,
    Person,
    RegisteredChat,
)
from bot.domain.outgoing import RefKind
from bot.services.issues import IssueService
from bot.services.merging import MergeService
from bot.services.ports import UnitOfWorkFactory
from bot.services.roles import RoleService
from storage.tables import outbox
from storage.uow import SqlUnitOfWorkFactory

ZONE = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
BUILDING = ChatPlace(-100500, 0)
STAFF = ChatPlace(-100900, 0)
ANNA = Person(7, "Анна")
OLGA = Person(21, "Ольга")
SERGEY = Person(22, "Сергей")
ADMIN = Person(1, "Глава")


def caller(person: Person, message_id: int) -> Caller:
    return Caller(person, STAFF.chat_id, message_id=message_id)


def desk(factory: UnitOfWorkFactory) -> IssueService:
    roles = RoleService(
        factory,
        lambda: NOW,
        admins=frozenset({ADMIN.user_id}),
        specialists=frozenset({OLGA.user_id, SERGEY.user_id}),
    )
    return IssueService(
        factory,
        lambda: NOW,
        roles=roles,
        tags=("#проблема",),
        calendar=WorkCalendar(WorkSchedule(ZONE)),
        first_response=timedelta(hours=2),
    )


def merges(factory: UnitOfWorkFactory) -> MergeService:
    roles = RoleService(
        factory,
        lambda: NOW,
        admins=frozenset({ADMIN.user_id}),
        specialists=frozenset({OLGA.user_id, SERGEY.user_id}),
    )
    return MergeService(factory, lambda: NOW, roles=roles, zone=ZONE)


def message(message_id: int, author: Person = ANNA) -> IncomingMessage:
    return IncomingMessage(
        BUILDING, message_id, author, f"#проблема течёт крыша ({message_id})", (), NOW
    )


async def town(factory: SqlUnitOfWorkFactory) -> None:
    async with factory() as uow:
        await uow.chats.save(RegisteredChat(BUILDING, ChatKind.BUILDING, "Дом 5", 1, NOW))
        await uow.chats.save(RegisteredChat(STAFF, ChatKind.STAFF, "Специалисты", 1, NOW))
        await uow.commit()


async def file_issue(factory: SqlUnitOfWorkFactory, message_id: int = 10) -> int:
    issue = await desk(factory).intake(message(message_id))
    assert issue is not None
    return issue.number


async def sent_to_residents(factory: SqlUnitOfWorkFactory, kind: RefKind) -> int:
    """How many messages of `kind` the outbox holds for the building's chat."""
    async with factory.reader() as uow:
        rows = await uow.connection.execute(
            select(outbox.c.payload).where(outbox.c.chat_id == BUILDING.chat_id)
        )
        return sum(
            1 for (payload,) in rows if (payload.get("remember_as") or [None])[0] == kind.value
        )
