"""The SLA clock end to end against the Bot API double, with short durations and a clock the
test moves: reminders, escalation, working time, restarts, the resident's verdict."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.fake_telegram import ADMIN_RIGHTS, FakeChat, FakeTelegram
from tests.database import TestDatabase
from tests.e2e.harness import (
    TOKEN,
    BotProcess,
    InProcessBot,
    Town,
    make_settings,
    query,
    toml_for,
    wait_until,
)

ZONE = ZoneInfo("Asia/Kamchatka")
REMINDER = "Обращения без ответа"
ESCALATION = "Эскалация"
# The sweep's interval in the tests that move a clock: each sweep reads the database, and the
# suite runs many such bots at once on two cores, so it is not shorter than a waiting test
# needs. TICKS: a wait that covers several sweeps, for what must not happen.
TICK = 0.25
TICKS = 6 * TICK


def at(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=ZONE).astimezone(UTC)


class Clock:
    """Runs at real speed (the send planner's per-chat pauses need time to pass) from a
    moment the test sets, and jumps forward when the test sets another."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    @property
    def now(self) -> datetime:
        return self._base + timedelta(seconds=time.monotonic() - self._set_at)

    @now.setter
    def now(self, moment: datetime) -> None:
        self._base, self._set_at = moment, time.monotonic()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(at(2026, 3, 11, 10))  # Wednesday 10:00 in Kamchatka, a working day


@pytest.fixture
async def fake(clock: Clock) -> AsyncIterator[FakeTelegram]:
    # The double stamps messages with the same clock, as Telegram's dates follow real time.
    async with FakeTelegram(token=TOKEN, now=clock) as server:
        yield server


def count(fake: FakeTelegram, chat: FakeChat | int, text: str) -> int:
    chat_id = chat if isinstance(chat, int) else chat.id
    return sum(text in message.content for message in fake.bot_messages(chat_id))


async def start_private(town: Town, user_name: str) -> None:
    user = getattr(town, user_name)
    town.says(user, town.fake.private_chat(user), "/start")
    await town.fake.wait_for_bot_message(user.id, contains="Как подать обращение")


@pytest.fixture
async def heads(fake: FakeTelegram, town: Town) -> FakeChat:
    return fake.create_group("Руководство", admins=[town.admin], bot_rights=ADMIN_RIGHTS)


@pytest.fixture
async def sla_bot(
    fake: FakeTelegram,
    town: Town,
    heads: FakeChat,
    clock: Clock,
    tmp_path: Path,
    test_database: TestDatabase,
) -> AsyncIterator[InProcessBot]:
    settings = make_settings(
        fake,
        test_database,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        sla={"first_response": "PT10M", "remind_every": "PT15M", "escalate_after": "PT30M"},
        scheduler={"tick": TICK},
        digest={"chat_ids": [heads.id]},
    )
    bot = InProcessBot(settings, clock=clock)
    await bot.start(fake)
    yield bot
    await bot.stop()


async def test_unanswered_issue_is_reminded_repeated_and_escalated_once(
    town: Town, heads: FakeChat, clock: Clock, sla_bot: InProcessBot
) -> None:
    fake = town.fake
    await town.register()
    await start_private(town, "admin")
    town.says(town.resident, town.building, "#проблема Не горит свет в подъезде")
    ack = await town.reply_in(town.building, "№1")
    assert "принята" in ack.content and "сегодня до 10:10" in ack.content
    assert "не работает" not in ack.content

    clock.now = at(2026, 3, 11, 10, 9)
    await asyncio.sleep(TICKS)
    assert count(fake, town.staff, REMINDER) == 0

    clock.now = at(2026, 3, 11, 10, 11)
    first = await town.reply_in(town.staff, REMINDER)
    assert "№1" in first.content and "Дом Ленина 5" in first.content
    await asyncio.sleep(TICKS)
    assert count(fake, town.staff, REMINDER) == 1  # one reminder, not one per tick

    clock.now = at(2026, 3, 11, 10, 25)  # 14 minutes after the first: not yet
    await asyncio.sleep(TICKS)
    assert count(fake, town.staff, REMINDER) == 1
    clock.now = at(2026, 3, 11, 10, 26)
    await town.reply_in(town.staff, REMINDER, after=first.message_id)
    assert count(fake, heads, ESCALATION) == 0

    clock.now = at(2026, 3, 11, 10, 40)  # 30 minutes of working time past due
    escalation = await town.reply_in(heads, ESCALATION)
    assert "№1" in escalation.content and "Дом Ленина 5" in escalation.content
    assert "40 мин рабочего времени" in escalation.content  # its age since filing
    await fake.wait_for_bot_message(town.admin.id, contains=ESCALATION)
    clock.now = at(2026, 3, 11, 11, 30)
    await asyncio.sleep(TICKS)
    assert count(fake, heads, ESCALATION) == 1
    assert count(fake, town.admin.id, ESCALATION) == 1

    town.says(town.specialist, town.staff, "/take 1")
    await town.reply_in(town.building, "взята в работу")
    reminders = count(fake, town.staff, REMINDER)
    clock.now = at(2026, 3, 11, 15, 0)
    await asyncio.sleep(TICKS)
    assert count(fake, town.staff, REMINDER) == reminders  # answered: no more reminders


async def test_out_of_hours_ack_and_no_reminder_until_work_resumes(
    town: Town, clock: Clock, sla_bot: InProcessBot
) -> None:
    fake = town.fake
    clock.now = at(2026, 3, 13, 17, 0)  # Friday 17:00
    await town.register()
    town.says(town.resident, town.building, "#проблема Нет воды")
    await town.reply_in(town.building, "сегодня до 17:10")

    clock.now = at(2026, 3, 13, 18, 30)  # past due, but the office has closed
    await asyncio.sleep(TICKS)
    clock.now = at(2026, 3, 14, 12, 0)  # Saturday
    town.says(town.resident, town.building, "#вопрос Когда уберут снег?")
    ack = await town.reply_in(town.building, "№2")
    assert "до понедельника, 09:10" in ack.content
    assert "приём откроется в понедельник в 09:00" in ack.content
    await asyncio.sleep(TICKS)
    assert count(fake, town.staff, REMINDER) == 0

    clock.now = at(2026, 3, 16, 9, 0, 5)  # Monday morning: what fell due at night goes out
    reminder = await town.reply_in(town.staff, REMINDER)
    assert "№1" in reminder.content and "№2" not in reminder.content
    clock.now = at(2026, 3, 16, 9, 11)
    second = await town.reply_in(town.staff, REMINDER, after=reminder.message_id)
    assert "№2" in second.content and "№1" not in second.content


async def test_restart_on_the_same_database_repeats_no_reminder(
    fake: FakeTelegram, town: Town, clock: Clock, sla_bot: InProcessBot
) -> None:
    await town.register()
    town.says(town.resident, town.building, "#проблема Сломан лифт")
    await town.reply_in(town.staff, "№1")
    clock.now = at(2026, 3, 11, 10, 12)
    await town.reply_in(town.staff, REMINDER)
    await sla_bot.stop()
    await sla_bot.start(fake)
    await asyncio.sleep(TICKS)
    assert count(fake, town.staff, REMINDER) == 1


async def waiting_in_outbox(database: TestDatabase, chat_id: int) -> bool:
    """A message to the chat failed twice and waits for its next try (not mid-send)."""
    [(waiting,)] = await query(
        database,
        "SELECT count(*) FROM outbox WHERE chat_id = :chat AND status = 'pending' "
        "AND attempts >= 2",
        chat=chat_id,
    )
    return bool(waiting)


async def test_killed_process_neither_repeats_nor_skips_a_reminder(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    # A real subprocess keeps real time, so the calendar makes all of it working time.
    database = test_database
    settings = make_settings(
        fake,
        database,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        work_time={"weekdays": [1, 2, 3, 4, 5, 6, 7], "start": "00:00", "end": "23:59:59"}
        | {"holidays": ""},
        sla={"first_response": "PT2S", "remind_every": "PT1H", "escalate_after": "PT2H"},
        scheduler={"tick": 0.2},
    )
    fake.world.now = lambda: datetime.now(UTC)
    config = tmp_path / "config.toml"
    config.write_text(toml_for(settings), encoding="utf-8")
    bot = BotProcess(config, tmp_path / "bot.log")
    await bot.start(fake)
    try:
        await town.register()
        town.says(town.resident, town.building, "#проблема Сломан лифт")
        await town.reply_in(town.staff, "№1", timeout=15)
        # The staff chat is unreachable: the reminder is claimed and stored, not delivered.
        fake.fail_next("sendMessage", 502, "Bad Gateway", chat_id=town.staff.id, times=10_000)
        await wait_until(lambda: waiting_in_outbox(database, town.staff.id), timeout=20)
        assert any(
            REMINDER in str(call.params.get("text"))
            for call in fake.calls_of("sendMessage", ok=False, chat_id=town.staff.id)
        )
        await bot.kill()
        fake.server.rules.clear()
        await bot.start(fake)
        await town.reply_in(town.staff, REMINDER, timeout=20)
        await asyncio.sleep(1.5)
        assert count(fake, town.staff, REMINDER) == 1, bot.log()
    finally:
        if bot.process is not None and bot.process.returncode is None:
            await bot.terminate()


async def test_closing_asks_the_author_and_not_resolved_reopens(
    town: Town, sla_bot: InProcessBot
) -> None:
    fake = town.fake
    await town.register()
    asked = town.says(town.resident, town.building, "#проблема Нет света")
    card = await town.reply_in(town.staff, "№1")
    town.says(town.specialist, town.staff, "/close 1 Лампу заменили")
    closed = await town.reply_in(town.building, "закрыта")
    assert closed.reply_to == asked
    assert closed.reply_markup is not None
    labels = [b["text"] for row in closed.reply_markup["inline_keyboard"] for b in row]
    assert labels == ["Решено", "Не решено"]

    query = fake.user_presses(
        town.building.id, closed.message_id, town.neighbour, button="Не решено"
    )
    await fake.wait_for(lambda: fake.callback_answer(query) is not None)
    assert "только автор" in str(fake.callback_answer(query))
    assert fake.message(town.building.id, closed.message_id).reply_markup is not None

    query = fake.user_presses(
        town.building.id, closed.message_id, town.resident, button="Не решено"
    )
    await fake.wait_for(lambda: fake.callback_answer(query) is not None)
    assert "снова в работе" in str(fake.callback_answer(query))
    alert = await town.reply_in(town.staff, "Не решено")
    assert "№1" in alert.content and "Лампу заменили" in alert.content
    await fake.wait_for(lambda: not fake.message(town.building.id, closed.message_id).reply_markup)
    assert "не решено" in fake.message(town.building.id, closed.message_id).content
    await fake.wait_for(lambda: "в работе" in fake.message(town.staff.id, card.message_id).content)
    town.says(town.resident, town.building, "/issue 1")
    history = await town.reply_in(town.building, "История")
    assert "возвращено в работу (Анна Жительница): автор обращения" in history.content

    town.says(town.specialist, town.staff, "/close 1 Заменили проводку")
    again = await town.reply_in(town.building, "Заменили проводку")
    query = fake.user_presses(town.building.id, again.message_id, town.resident, button="Решено")
    await fake.wait_for(lambda: fake.callback_answer(query) is not None)
    assert "решён" in str(fake.callback_answer(query))
    await fake.wait_for(lambda: not fake.message(town.building.id, again.message_id).reply_markup)
    assert "✅ решено" in fake.message(town.building.id, again.message_id).content


async def test_weekly_summary_switch_is_for_admins_in_public_chats(
    town: Town, sla_bot: InProcessBot
) -> None:
    await town.register()
    town.says(town.resident, town.building, "/weekly on")
    await town.reply_in(town.building, "итоги недели могут только администраторы")
    town.says(town.admin, town.building, "/weekly sometimes")
    await town.reply_in(town.building, "Использование: /weekly on")
    town.says(town.admin, town.building, "/weekly on")
    await town.reply_in(town.building, "включены: по пятницам в 16:00")
    town.says(town.admin, town.staff, "/weekly on")
    await town.reply_in(town.staff, "только в чатах домов")
