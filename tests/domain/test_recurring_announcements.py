"""A repeating notice ("garbage collection on Tuesdays"): each occurrence is queued once,
and stopping it stops the repetitions. Services on a real SQLite file, clock controlled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from datetime import time as TimeOfDay
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
from bot.services.roles import RoleService
from storage.tables import outbox
from storage.uow import SqlUnitOfWorkFactory

ZONE = ZoneInfo("Asia/Kamchatka")
ADMIN = Person(1, "Пресс-служба")
CALLER = Caller(ADMIN, chat_id=1, is_private=True)


async def queued(uow_factory: SqlUnitOfWorkFactory) -> int:
    async with uow_factory() as uow:
        query = select(func.count()).where(outbox.c.batch.like("ann:%"))
        return int((await uow.connection.execute(query)).scalar_one())


async def test_weekly_notice_is_queued_once_per_occurrence_until_stopped(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    now = [datetime(2026, 3, 10, 1, 0, tzinfo=UTC)]  # Tuesday 13:00 in Kamchatka

    def clock() -> datetime:
        return now[0]

    roles = RoleService(uow_factory, clock, admins=frozenset({1}), specialists=frozenset())
    service = AnnouncementService(uow_factory, clock, authors=Authors(roles, False), zone=ZONE)
    async with uow_factory() as uow:
        for i in (1, 2):
            chat = RegisteredChat(ChatPlace(-i), ChatKind.BUILDING, f"Дом {i}", 1, now[0])
            await uow.chats.save(chat)
        await uow.commit()
    rule = Recurrence(Repeat.WEEKLY, TimeOfDay(8, 0), weekday=1)
    first = rule.next_after(now[0], ZONE).astimezone(UTC)
    assert first == datetime(2026, 3, 16, 20, 0, tzinfo=UTC)  # next Tuesday 08:00 local
    draft = AnnouncementDraft(
        "Вывоз мусора по вторникам с 8:00", Targets(TargetKind.BUILDINGS), When(first, rule), False
    )
    template_id = await service.create(CALLER, draft)

    await service.sweep()
    assert await queued(uow_factory) == 0  # not yet

    now[0] = first + timedelta(seconds=30)
    await service.sweep()
    await service.sweep()  # a second sweep in the same minute queues nothing more
    assert await queued(uow_factory) == 2
    async with uow_factory() as uow:
        template = await uow.announcements.get(template_id)
        occurrence = await uow.announcements.get(template_id + 1)
    assert template is not None and template.scheduled_at == first + timedelta(days=7)
    assert occurrence is not None and occurrence.parent_id == template_id
    assert occurrence.status is AnnouncementStatus.SENDING

    now[0] = first + timedelta(days=7, seconds=5)
    await service.sweep()
    assert await queued(uow_factory) == 4

    await service.cancel(CALLER, template_id)
    now[0] = first + timedelta(days=14, seconds=5)
    await service.sweep()
    assert await queued(uow_factory) == 4
    async with uow_factory() as uow:
        stopped = await uow.announcements.get(template_id)
    assert stopped is not None and stopped.status is AnnouncementStatus.STOPPED
