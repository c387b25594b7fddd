"""Bounded text columns answer the same on both backends: PostgreSQL would refuse a value
longer than its VARCHAR and SQLite would keep it, so the domain decides first. A typed chat
name, organisation or department that does not fit is refused in words; a name the messenger
supplies is shortened to fit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.calendar import WorkCalendar, WorkSchedule
from bot.domain.errors import TooLong
from bot.domain.limits import PERSON_NAME
from bot.domain.models import (
    Caller,
    ChatKind,
    ChatPlace,
    IncomingMessage,
    Person,
    RegisteredChat,
)
from bot.services.chats import ChatService
from bot.services.issues import IssueService
from bot.services.roles import RoleService
from bot.texts.errors import explain
from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
PLACE = ChatPlace(-100123, 0)
ADMIN = Caller(Person(1, "Глава"), PLACE.chat_id, message_id=3)


def chats(factory: SqlUnitOfWorkFactory) -> ChatService:
    roles = RoleService(factory, lambda: NOW, admins=frozenset({1}), specialists=frozenset())
    return ChatService(factory, lambda: NOW, roles=roles, tags=("#проблема",))


async def registered(factory: SqlUnitOfWorkFactory) -> RegisteredChat | None:
    async with factory.reader() as uow:
        return await uow.chats.get(PLACE)


async def test_a_chat_name_too_long_for_storage_is_refused_in_words(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    with pytest.raises(TooLong) as refused:
        await chats(uow_factory).register(ADMIN, ChatKind.BUILDING, "Дом " + "я" * 197)
    assert explain(refused.value) == (
        "Название чата слишком длинное: не больше 200 символов. Сократите его."
    )
    assert await registered(uow_factory) is None

    longest = "Дом " + "я" * 196  # exactly 200 characters: kept whole
    await chats(uow_factory).register(ADMIN, ChatKind.BUILDING, longest)
    chat = await registered(uow_factory)
    assert chat is not None and chat.name == longest


@pytest.mark.parametrize(
    ("kind", "name", "org", "wording"),
    [
        (ChatKind.BUILDING, "Дом 5", "УК " + "ж" * 198, "Название организации"),
        (ChatKind.STAFF, "Отдел " + "ж" * 95, None, "Название отдела"),
    ],
)
async def test_an_organisation_or_department_too_long_is_refused(
    uow_factory: SqlUnitOfWorkFactory,
    kind: ChatKind,
    name: str,
    org: str | None,
    wording: str,
) -> None:
    with pytest.raises(TooLong) as refused:
        await chats(uow_factory).register(ADMIN, kind, name, org=org)
    assert explain(refused.value).startswith(f"{wording} слишком длинное: не больше ")
    assert await registered(uow_factory) is None


async def test_a_residents_name_too_long_for_storage_is_shortened(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        await uow.chats.save(RegisteredChat(PLACE, ChatKind.BUILDING, "Дом 5", 1, NOW))
        await uow.commit()
    roles = RoleService(uow_factory, lambda: NOW, admins=frozenset(), specialists=frozenset())
    desk = IssueService(
        uow_factory,
        lambda: NOW,
        roles=roles,
        tags=("#проблема",),
        calendar=WorkCalendar(WorkSchedule(ZoneInfo("Europe/Moscow"))),
        first_response=timedelta(hours=2),
    )
    author = Person(7, "Анна " + "Ш" * 400, username="a" * 70)
    issue = await desk.intake(IncomingMessage(PLACE, 5, author, "#проблема нет света", (), NOW))

    assert issue is not None
    async with uow_factory.reader() as uow:
        stored = await uow.issues.get(issue.number)
    assert stored is not None
    assert len(stored.author.name) == PERSON_NAME
    assert stored.author.name.startswith("Анна ШШШ") and stored.author.name.endswith("…")
    assert author.username is None  # a username cut short would name someone else
