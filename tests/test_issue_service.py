"""IssueService on a real SQLite file with a fixed clock: the SLA due moment and idempotency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.calendar import WorkCalendar, WorkSchedule
from bot.domain.models import ChatKind, ChatPlace, IncomingMessage, Person, RegisteredChat
from bot.services.idempotency import AlreadyHandled, current_update
from bot.services.issues import IssueService
from bot.services.roles import RoleService
from storage.uow import SqlUnitOfWorkFactory

KAMCHATKA = ZoneInfo("Asia/Kamchatka")
PLACE = ChatPlace(-100, 0)


def service(factory: SqlUnitOfWorkFactory, now: datetime) -> IssueService:
    roles = RoleService(factory, lambda: now, admins=frozenset(), specialists=frozenset())
    return IssueService(
        factory,
        lambda: now,
        roles=roles,
        tags=("#проблема",),
        calendar=WorkCalendar(WorkSchedule(KAMCHATKA)),
        first_response=timedelta(hours=2),
    )


async def register(factory: SqlUnitOfWorkFactory, now: datetime) -> None:
    async with factory() as uow:
        await uow.chats.save(RegisteredChat(PLACE, ChatKind.BUILDING, "Дом 1", 1, now))
        await uow.commit()


async def test_first_answer_is_due_two_working_hours_later(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    friday_evening = datetime(2026, 11, 27, 17, 50, tzinfo=KAMCHATKA).astimezone(UTC)
    await register(uow_factory, friday_evening)
    issue = await service(uow_factory, friday_evening).intake(
        IncomingMessage(PLACE, 5, Person(7, "Анна"), "#проблема нет тепла", (), friday_evening)
    )
    assert issue is not None
    monday = datetime(2026, 11, 30, 10, 50, tzinfo=KAMCHATKA)
    assert issue.response_due_at == monday
    assert issue.next_reminder_at == monday


async def test_a_redelivered_update_changes_nothing(uow_factory: SqlUnitOfWorkFactory) -> None:
    now = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    await register(uow_factory, now)
    desk = service(uow_factory, now)
    token = current_update.set(42)
    try:
        first = await desk.intake(
            IncomingMessage(PLACE, 5, Person(7, "Анна"), "#проблема нет света", (), now)
        )
        # Same update id, even with a different message inside: its effects were committed.
        with pytest.raises(AlreadyHandled):
            await desk.intake(
                IncomingMessage(PLACE, 6, Person(7, "Анна"), "#проблема и воды", (), now)
            )
    finally:
        current_update.reset(token)
    assert first is not None
    async with uow_factory() as uow:
        assert [i.number for i in await uow.issues.list_open()] == [1]
        assert len(await uow.outbox.due(now, 100)) == 1  # one acknowledgement, no staff chat
