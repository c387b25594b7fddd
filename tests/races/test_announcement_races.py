"""Two processes sweep recurring announcements at the same moment: each occurrence is queued
once. Each sweep is held after it read the due template until the other has read it too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from datetime import time as TimeOfDay
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.domain.announcements import (
    AnnouncementStatus,
    Recurrence,
    Repeat,
    TargetKind,
    Targets,
)
from bot.domain.models import Caller, ChatKind, ChatPlace, Person, RegisteredChat
from bot.domain.when import When
from bot.services.announcements import AnnouncementDraft, AnnouncementService, Authors
from bot.services.ports import UnitOfWorkFactory
from bot.services.roles import RoleService
from storage.tables import outbox
from storage.tables_announcements import announcements
from storage.uow import SqlUnitOfWorkFactory
from tests.races.sessions import Meeting, Session, engines, together

if TYPE_CHECKING:
    from tests.database import TestDatabase

ZONE = ZoneInfo("Asia/Kamchatka")
ADMIN = Person(1, "Пресс-служба")
CALLER = Caller(ADMIN, chat_id=1, is_private=True)
CREATED = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # Tuesday 13:00 in Kamchatka
RULE = Recurrence(Repeat.WEEKLY, TimeOfDay(8, 0), weekday=1)
FIRST = RULE.next_after(CREATED, ZONE).astimezone(UTC)


def service(factory: UnitOfWorkFactory, now: datetime) -> AnnouncementService:
    roles = RoleService(factory, lambda: now, admins=frozenset({1}), specialists=frozenset())
    return AnnouncementService(factory, lambda: now, authors=Authors(roles, False), zone=ZONE)


async def test_two_sweeps_queue_a_recurring_announcement_once(
    test_database: TestDatabase,
) -> None:
    async with engines(test_database, 3) as (probe, first, second):
        plain = SqlUnitOfWorkFactory(probe)
        async with plain() as uow:
            for i in (1, 2, 3):
                chat = RegisteredChat(ChatPlace(-i), ChatKind.BUILDING, f"Дом {i}", 1, CREATED)
                await uow.chats.save(chat)
            await uow.commit()
        draft = AnnouncementDraft(
            "Вывоз мусора по вторникам", Targets(TargetKind.BUILDINGS), When(FIRST, RULE), False
        )
        template_id = await service(plain, CREATED).create(CALLER, draft)
        meeting = Meeting(probe if test_database.is_postgres else None)
        hold = {"announcements": {"get"}}
        due = FIRST + timedelta(seconds=30)
        one = service(Session(first, meeting, hold_after=hold), due)
        two = service(Session(second, meeting, hold_after=hold), due)

        assert await together(one.sweep, two.sweep) == [None, None]

        async with plain.reader() as uow:
            queued = select(func.count()).where(outbox.c.batch.like("ann:%"))
            assert (await uow.connection.execute(queued)).scalar_one() == 3  # each chat once
            occurrences = select(func.count()).where(announcements.c.parent_id == template_id)
            assert (await uow.connection.execute(occurrences)).scalar_one() == 1
            template = await uow.announcements.get(template_id)
        assert template is not None and template.status is AnnouncementStatus.RECURRING
        assert template.scheduled_at == FIRST + timedelta(days=7)
