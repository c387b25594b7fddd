"""IssueService on a real SQLite file with a fixed clock: the SLA due moment and idempotency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from aiogram.types import Update

from bot.domain.calendar import WorkCalendar, WorkSchedule
from bot.domain.models import ChatKind, ChatPlace, IncomingMessage, Person, RegisteredChat
from bot.services.issues import IssueService
from bot.services.roles import RoleService
from bot.telegram.polling import Poller
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


async def test_filed_late_on_a_shortened_day(uow_factory: SqlUnitOfWorkFactory) -> None:
    """Thursday 11 June 2026 ends at 17:00 (Russia Day follows): 30 minutes that day, the
    rest on Monday 15 June; the acknowledgement says so."""
    filed = datetime(2026, 6, 11, 16, 30, tzinfo=KAMCHATKA).astimezone(UTC)
    await register(uow_factory, filed)
    issue = await service(uow_factory, filed).intake(
        IncomingMessage(PLACE, 5, Person(7, "Анна"), "#проблема нет воды", (), filed)
    )
    assert issue is not None
    assert issue.response_due_at == datetime(2026, 6, 15, 10, 30, tzinfo=KAMCHATKA)
    async with uow_factory() as uow:
        (entry,) = await uow.outbox.due(filed, 100)
    assert "Ответ специалиста — до понедельника, 10:30." in entry.message.text


class _Intake:
    """Stands in for the dispatcher: every update is message 5, then 6, ... of the chat."""

    def __init__(self, desk: IssueService, now: datetime) -> None:
        self.desk, self.now, self.message_id = desk, now, 5
        self.fed = 0

    async def feed_update(self, bot: object, update: object) -> None:
        self.fed += 1
        text = f"#проблема №{self.message_id}"
        author = Person(7, "Анна")
        message = IncomingMessage(PLACE, self.message_id, author, text, (), self.now)
        await self.desk.intake(message)
        self.message_id += 1


async def test_a_redelivered_update_changes_nothing(uow_factory: SqlUnitOfWorkFactory) -> None:
    now = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    await register(uow_factory, now)
    intake = _Intake(service(uow_factory, now), now)
    poller = Poller(
        SimpleNamespace(id=123456789),  # type: ignore[arg-type]  # a bot only for its id
        intake,  # type: ignore[arg-type]
        uow_factory,
        lambda: now,
        timeout=1,
        allowed_updates=(),
    )
    update = Update(update_id=42)
    await poller.handle(update)
    # Same update id again, even if a different message would come of it: its effects were
    # committed with its mark, so it is not handled at all.
    await poller.handle(update)
    assert intake.fed == 1
    async with uow_factory() as uow:
        assert [i.number for i in await uow.issues.list_open()] == [1]
        assert len(await uow.outbox.due(now, 100)) == 1  # one acknowledgement, no staff chat
