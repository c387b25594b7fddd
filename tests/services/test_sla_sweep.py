"""The sweep and the verdict against a real SQLite file with an injected clock: what is
claimed, what the outbox holds, and that two sweepers never send the same reminder."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from bot.app import Services, build_services
from bot.config import Settings
from bot.domain.models import (
    Caller,
    ChatKind,
    ChatPlace,
    IncomingMessage,
    IssueAction,
    IssueStatus,
    Person,
    RegisteredChat,
)
from bot.services.verdicts import VerdictOutcome
from storage.tables import issue_transitions, outbox
from storage.uow import SqlUnitOfWorkFactory

ZONE = ZoneInfo("Asia/Kamchatka")
TOKEN = "123456789:AAAbbbCCCdddEEEfffGGGhhhIIIjjjKKKlll"
BUILDING = ChatPlace(-100)
STAFF = ChatPlace(-200)
HEADS = -300
ADMIN = Person(10, "Глава")
OLGA = Person(20, "Ольга")
ANNA = Person(30, "Анна")
PETR = Person(40, "Пётр")


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Desk:
    clock: Clock
    services: Services
    factory: SqlUnitOfWorkFactory
    seen: int = 0

    async def file(self, text: str, message_id: int) -> int:
        message = IncomingMessage(BUILDING, message_id, ANNA, f"#проблема {text}")
        issue = await self.services.issues.intake(message)
        assert issue is not None
        return issue.number

    async def new_messages(self) -> list[tuple[int, dict[str, Any]]]:
        """Outbox entries stored since the last call: (chat id, payload)."""
        async with self.factory() as uow:
            rows = await uow.connection.execute(
                sa.select(outbox.c.id, outbox.c.chat_id, outbox.c.payload)
                .where(outbox.c.id > self.seen)
                .order_by(outbox.c.id)
            )
            found = [(row.id, row.chat_id, row.payload) for row in rows]
        if found:
            self.seen = found[-1][0]
        return [(chat_id, payload) for _, chat_id, payload in found]

    async def sweep_texts(self) -> dict[int, list[str]]:
        await self.services.reminders.sweep()
        await self.services.summaries.run_due()
        texts: dict[int, list[str]] = {}
        for chat_id, payload in await self.new_messages():
            texts.setdefault(chat_id, []).append(payload["text"])
        return texts


@pytest.fixture
async def desk(uow_factory: SqlUnitOfWorkFactory) -> Desk:
    settings = Settings(
        telegram={"token": TOKEN},
        roles={"admins": [ADMIN.user_id], "specialists": [OLGA.user_id]},
        sla={"first_response": "PT2H", "remind_every": "PT2H", "escalate_after": "PT4H"},
        digest={"chat_ids": [HEADS]},
    )
    clock = Clock(at(2026, 3, 11, 10))  # Wednesday, a working day
    services = build_services(settings, uow_factory, clock, lambda: None)
    async with uow_factory() as uow:
        for place, kind, name in (
            (BUILDING, ChatKind.BUILDING, "Дом 5"),
            (STAFF, ChatKind.STAFF, "Штаб"),
        ):
            await uow.chats.save(RegisteredChat(place, kind, name, ADMIN.user_id, clock()))
        await uow.users.remember(ADMIN, clock(), started=True)
        await uow.users.remember(OLGA, clock(), started=True)
        await uow.commit()
    desk = Desk(clock, services, uow_factory)
    await desk.new_messages()
    return desk


def staff_caller() -> Caller:
    return Caller(OLGA, STAFF.chat_id, message_id=1)


async def test_reminder_repeats_every_remind_every_and_escalates_once(desk: Desk) -> None:
    first = await desk.file("нет света", 1)
    second = await desk.file("течёт крыша", 2)
    await desk.new_messages()

    desk.clock.now = at(2026, 3, 11, 11, 59)
    assert await desk.sweep_texts() == {}

    desk.clock.now = at(2026, 3, 11, 12, 0)
    sent = await desk.sweep_texts()
    assert list(sent) == [STAFF.chat_id]  # one chat, one message listing both issues
    (text,) = sent[STAFF.chat_id]
    assert f"№{first}" in text and f"№{second}" in text and "2 ч" in text
    assert await desk.sweep_texts() == {}  # the same tick again: nothing

    await desk.services.issues.act(staff_caller(), IssueAction.TAKE, second)
    await desk.new_messages()

    desk.clock.now = at(2026, 3, 11, 13, 59)
    assert await desk.sweep_texts() == {}
    desk.clock.now = at(2026, 3, 11, 14, 0)
    (text,) = (await desk.sweep_texts())[STAFF.chat_id]
    assert f"№{first}" in text and f"№{second}" not in text  # the taken one is answered

    desk.clock.now = at(2026, 3, 11, 16, 0)  # 4 working hours past due: escalation
    sent = await desk.sweep_texts()
    assert set(sent) == {STAFF.chat_id, HEADS, ADMIN.user_id}
    for chat in (HEADS, ADMIN.user_id):
        (text,) = sent[chat]
        assert "Эскалация" in text and f"№{first}" in text and "Дом 5" in text
        assert "6 ч рабочего времени" in text  # filed at 10:00, now 16:00
    desk.clock.now = at(2026, 3, 11, 18, 30)
    assert await desk.sweep_texts() == {}  # after hours
    desk.clock.now = at(2026, 3, 12, 9, 0)
    sent = await desk.sweep_texts()
    assert set(sent) == {STAFF.chat_id, OLGA.user_id}  # reminder and Olga's morning list
    assert all("Эскалация" not in text for texts in sent.values() for text in texts)


async def test_nothing_is_sent_outside_working_time_and_night_dues_go_out_in_the_morning(
    desk: Desk,
) -> None:
    desk.clock.now = at(2026, 3, 13, 17)  # Friday 17:00: due Monday 10:00
    await desk.file("нет воды", 1)
    await desk.new_messages()
    for moment in (at(2026, 3, 13, 19), at(2026, 3, 14, 12), at(2026, 3, 16, 8, 59)):
        desk.clock.now = moment
        report = await desk.services.reminders.sweep()
        assert not report.working_time and not report.reminded
        assert await desk.new_messages() == []
    desk.clock.now = at(2026, 3, 16, 10, 0)
    assert (await desk.services.reminders.sweep()).reminded == [1]


async def test_two_sweepers_on_one_database_send_each_reminder_once(desk: Desk) -> None:
    for n in range(1, 21):
        await desk.file(f"заявка {n}", n)
    await desk.new_messages()
    other = build_services(
        Settings(telegram={"token": TOKEN}, roles={"admins": [ADMIN.user_id]}),
        desk.factory,
        desk.clock,
        lambda: None,
    )
    desk.clock.now = at(2026, 3, 11, 12, 30)
    one, two = await asyncio.gather(desk.services.reminders.sweep(), other.reminders.sweep())
    assert sorted(one.reminded + two.reminded) == list(range(1, 21))
    assert not set(one.reminded) & set(two.reminded)
    staff = [p for chat, p in await desk.new_messages() if chat == STAFF.chat_id]
    assert sum(p["text"].count("№") for p in staff) == 20


async def test_on_control_pauses_reminders_and_reminds_on_the_due_day_once(desk: Desk) -> None:
    number = await desk.file("яма во дворе", 1)
    await desk.services.issues.act(
        staff_caller(), IssueAction.CONTROL, number, due_date=date(2026, 3, 13)
    )
    await desk.new_messages()
    desk.clock.now = at(2026, 3, 12, 15)  # past the first-response due, but on control
    sent = await desk.sweep_texts()
    assert STAFF.chat_id not in sent
    desk.clock.now = at(2026, 3, 13, 9, 0)
    sent = await desk.sweep_texts()
    (text,) = sent[STAFF.chat_id]
    assert "срок контроля" in text.lower() and f"№{number}" in text
    assert any(f"№{number}" in t for t in sent[OLGA.user_id])  # assignee, privately
    desk.clock.now = at(2026, 3, 13, 15, 0)
    assert STAFF.chat_id not in await desk.sweep_texts()  # once a day
    desk.clock.now = at(2026, 3, 16, 9, 30)  # still open after the weekend: again
    assert STAFF.chat_id in await desk.sweep_texts()


async def test_one_chat_gets_its_reminders_split_within_the_length_limit(desk: Desk) -> None:
    for n in range(1, 81):
        await desk.file(f"{n} " + "очень длинное описание проблемы " * 5, n)
    await desk.new_messages()
    desk.clock.now = at(2026, 3, 11, 12, 0)
    texts = (await desk.sweep_texts())[STAFF.chat_id]
    assert len(texts) > 1
    assert all(len(text) <= 4096 for text in texts)
    assert sum(text.count("№") for text in texts) == 80


async def test_personal_list_once_per_working_morning(desk: Desk) -> None:
    number = await desk.file("сломана скамейка", 1)
    await desk.services.issues.act(
        staff_caller(), IssueAction.CONTROL, number, due_date=date(2026, 3, 12)
    )
    desk.clock.now = at(2026, 3, 12, 9, 5)
    sent = await desk.sweep_texts()
    (mine,) = sent[OLGA.user_id][-1:]
    assert "Ваши обращения" in mine and "Срок — сегодня" in mine and f"№{number}" in mine
    desk.clock.now = at(2026, 3, 12, 11)
    assert OLGA.user_id not in await desk.sweep_texts()
    desk.clock.now = at(2026, 3, 13, 9, 1)
    sent = await desk.sweep_texts()
    assert any("Просрочены" in text for text in sent[OLGA.user_id])


async def test_weekly_summary_only_where_switched_on(desk: Desk) -> None:
    admin = Caller(ADMIN, BUILDING.chat_id, message_id=5)
    await desk.services.summaries.set_weekly(admin, True)
    (reply,) = [p["text"] for _, p in await desk.new_messages()]
    assert "включены: по пятницам в 16:00" in reply
    number = await desk.file("нет света", 1)
    await desk.services.issues.act(staff_caller(), IssueAction.CLOSE, number, answer="Починили")
    await desk.file("течёт кран", 2)
    await desk.new_messages()
    desk.clock.now = at(2026, 3, 13, 15, 59)
    assert BUILDING.chat_id not in await desk.sweep_texts()
    desk.clock.now = at(2026, 3, 13, 16, 0)
    (summary,) = (await desk.sweep_texts())[BUILDING.chat_id]
    assert "Спрашивали — сделано" in summary
    assert "Поступило обращений: 2" in summary and "Закрыто: 1" in summary
    assert "Остаются открытыми: 1" in summary and "Починили" in summary
    desk.clock.now = at(2026, 3, 13, 17, 0)
    assert BUILDING.chat_id not in await desk.sweep_texts()
    await desk.services.summaries.set_weekly(admin, False)
    assert "выключены" in (await desk.new_messages())[0][1]["text"]
    desk.clock.now = at(2026, 3, 20, 16, 30)
    assert BUILDING.chat_id not in await desk.sweep_texts()


async def test_only_the_author_judges_and_not_resolved_reopens(desk: Desk) -> None:
    number = await desk.file("нет света", 1)
    await desk.services.issues.act(staff_caller(), IssueAction.CLOSE, number, answer="Готово")
    closing = [p for chat, p in await desk.new_messages() if chat == BUILDING.chat_id]
    assert closing[-1]["buttons"] == [
        [["Решено", f"vrd:yes:{number}"], ["Не решено", f"vrd:no:{number}"]]
    ]
    verdicts = desk.services.verdicts
    assert await verdicts.judge(PETR, number, False) is VerdictOutcome.NOT_AUTHOR
    async with desk.factory() as uow:
        unchanged = await uow.issues.get(number)
    assert unchanged is not None and unchanged.status is IssueStatus.CLOSED
    assert unchanged.verdict is None

    assert await verdicts.judge(ANNA, number, False) is VerdictOutcome.REOPENED
    async with desk.factory() as uow:
        reopened = await uow.issues.get(number)
        steps = (await uow.connection.execute(sa.select(issue_transitions))).all()
    assert reopened is not None and reopened.status is IssueStatus.IN_PROGRESS
    assert reopened.verdict == "not_resolved" and reopened.closed_at is None
    assert (steps[-1].action, steps[-1].actor_id) == ("reopen", ANNA.user_id)
    sent = await desk.new_messages()
    assert any(chat == STAFF.chat_id and "Не решено" in p["text"] for chat, p in sent)
    edit = next(p for chat, p in sent if p["edit_of"] == ["close_notice", number])
    assert edit["buttons"] == [] and "не решено" in edit["text"]
    assert await verdicts.judge(ANNA, number, True) is VerdictOutcome.NOT_CLOSED

    desk.clock.now += timedelta(minutes=5)
    await desk.services.issues.act(staff_caller(), IssueAction.CLOSE, number, answer="Теперь да")
    assert await verdicts.judge(ANNA, number, True) is VerdictOutcome.RESOLVED
    assert await verdicts.judge(ANNA, number, False) is VerdictOutcome.ALREADY
    async with desk.factory() as uow:
        final = await uow.issues.get(number)
    assert final is not None and final.status is IssueStatus.CLOSED
    assert final.verdict == "resolved"


async def test_reminders_go_to_the_issue_department_staff_chat(desk: Desk) -> None:
    housing = ChatPlace(-400)
    async with desk.factory() as uow:
        moment = desk.clock()
        await uow.chats.save(
            RegisteredChat(housing, ChatKind.STAFF, "ЖКХ", ADMIN.user_id, moment, department="ЖКХ")
        )
        building = await uow.chats.get(BUILDING)
        assert building is not None
        await uow.chats.save(replace(building, department="ЖКХ"))
        await uow.commit()
    first = await desk.file("течёт крыша", 1)  # the building's department: ЖКХ
    async with desk.factory() as uow:
        building = await uow.chats.get(BUILDING)
        assert building is not None
        await uow.chats.save(replace(building, department=None))
        await uow.commit()
    second = await desk.file("шумят соседи", 2)  # no department: the general staff chat
    cards = {chat_id for chat_id, payload in await desk.new_messages() if payload.get("buttons")}
    assert cards == {housing.chat_id, STAFF.chat_id}

    desk.clock.now = at(2026, 3, 11, 12, 0)
    sent = await desk.sweep_texts()
    (housing_text,) = sent[housing.chat_id]
    (general_text,) = sent[STAFF.chat_id]
    assert f"№{first}" in housing_text and f"№{second}" not in housing_text
    assert f"№{second}" in general_text and f"№{first}" not in general_text
