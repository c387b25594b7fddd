"""The desk as an administration works it, end to end against the Bot API double: cards whose
buttons follow the status, and questions to the resident that stop the issue's clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.fake_telegram import ADMIN_RIGHTS, FakeMessage, FakeTelegram
from tests.database import TestDatabase
from tests.e2e.harness import (
    TOKEN,
    BotProcess,
    InProcessBot,
    Town,
    make_settings,
    share_contact,
    toml_for,
)
from tests.e2e.test_sla_flow import REMINDER, TICK, TICKS, Clock, at, count, start_private

NEW_CARD = [
    ["Взять", "Закрыть"],
    ["На контроль", "Уточнить"],
    ["Связаться", "Объединить"],
    ["Категория"],
]
WORK_CARD = [["Закрыть", "На контроль"], ["Уточнить", "Связаться"], ["Объединить", "Категория"]]
CLOSED_CARD = [["Вернуть в работу"]]
POS_FORM = "https://pos.example.ru/form/41"


async def card_shows(town: Town, card: FakeMessage, buttons: list[list[str]], text: str) -> None:
    """The card, edited in place, has these buttons and this text."""
    fake = town.fake
    await fake.wait_for(
        lambda: (
            fake.message(town.staff.id, card.message_id).buttons == buttons
            and text in fake.message(town.staff.id, card.message_id).content
        ),
        message=f"for the card to show {buttons} and {text!r}",
    )


async def answer_prompt(town: Town, contains: str, text: str) -> None:
    """The specialist answers the bot's prompt in the staff chat with a reply."""
    prompt = await town.reply_in(town.staff, contains, after=town.last_bot_id(town.staff) - 1)
    town.says(town.specialist, town.staff, text, reply_to=prompt.message_id)


# --- cards that show the state (the real `civicbot run` process) ------------------------------


@pytest.fixture
async def bot_process(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> AsyncIterator[BotProcess]:
    settings = make_settings(
        fake, test_database, admins=[town.admin.id], specialists=[town.specialist.id]
    )
    fake.world.now = lambda: datetime.now(UTC)  # the process keeps real time
    config = tmp_path / "config.toml"
    config.write_text(toml_for(settings), encoding="utf-8")
    bot = BotProcess(config, tmp_path / "bot.log")
    await bot.start(fake)
    yield bot
    if bot.process is not None and bot.process.returncode is None:
        await bot.terminate()


async def test_card_buttons_follow_the_status_and_the_card_is_edited_in_place(
    town: Town, bot_process: BotProcess
) -> None:
    fake = town.fake
    await town.register()
    asked = town.says(town.resident, town.building, "#проблема Не работает домофон")
    card = await town.reply_in(town.staff, "№1", timeout=15)
    assert card.buttons == NEW_CARD

    fake.user_presses(town.staff.id, card.message_id, town.specialist, button="Взять")
    await card_shows(town, card, WORK_CARD, "в работе")

    fake.user_presses(town.staff.id, card.message_id, town.specialist, button="На контроль")
    await answer_prompt(town, "контроль обращения №1", "2099-01-15 ждём мастера")
    notice = await town.reply_in(town.building, "на контроль")
    assert notice.reply_to == asked and "ждём мастера" in notice.content
    await card_shows(town, card, WORK_CARD, "на контроле")

    fake.user_presses(town.staff.id, card.message_id, town.specialist, button="Закрыть")
    await answer_prompt(town, "закрытие обращения №1", "Домофон починили")
    await town.reply_in(town.building, "Домофон починили")
    await card_shows(town, card, CLOSED_CARD, "закрыто")

    fake.user_presses(town.staff.id, card.message_id, town.specialist, button="Вернуть в работу")
    await town.reply_in(town.building, "снова в работе")
    await card_shows(town, card, WORK_CARD, "в работе")
    # One card, edited each time: no second card was posted.
    cards = [m for m in fake.bot_messages(town.staff.id) if "№1" in m.content and m.buttons]
    assert len(cards) == 1


# --- asking the resident (a clock the test moves) ------------------------------------------


@pytest.fixture
def clock() -> Clock:
    return Clock(at(2026, 3, 11, 10))  # Wednesday 10:00 in Kamchatka, a working day


@pytest.fixture
async def fake(clock: Clock) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN, now=clock) as server:
        yield server


@pytest.fixture
async def desk(
    fake: FakeTelegram, town: Town, clock: Clock, tmp_path: Path, test_database: TestDatabase
) -> AsyncIterator[InProcessBot]:
    settings = make_settings(
        fake,
        test_database,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        # Working days 09:00-18:00 (9 h); resolution in 16 h: Wednesday 10:00 -> Thursday 17:00.
        sla={"resolution": "PT16H", "question_silence_days": 1},
        pos={"form_url": POS_FORM},
        scheduler={"tick": TICK},
    )
    bot = InProcessBot(settings, clock=clock)
    await bot.start(fake)
    yield bot
    await bot.stop()


async def test_question_reaches_the_resident_and_the_answer_restarts_the_clock(
    town: Town, clock: Clock, desk: InProcessBot
) -> None:
    fake = town.fake
    await town.register()
    await start_private(town, "specialist")
    original = town.says(town.resident, town.building, "#проблема Течёт кран в подвале")
    card = await town.reply_in(town.staff, "№1")
    assert "Срок решения: 12.03.2026 17:00" in card.content
    fake.user_presses(town.staff.id, card.message_id, town.specialist, button="Взять")
    await card_shows(town, card, WORK_CARD, "в работе")

    clock.now = at(2026, 3, 11, 11)
    fake.user_presses(town.staff.id, card.message_id, town.specialist, button="Уточнить")
    await answer_prompt(town, "вопрос жителю по обращению №1", "В каком подъезде подвал?")
    question = await town.reply_in(town.building, "В каком подъезде подвал?")
    assert question.reply_to == original  # in the resident's own thread
    assert str(town.resident.id) in str(question.entities)  # mentions them
    await card_shows(town, card, WORK_CARD, "ждёт уточнения")
    assert "Срок решения остановлен" in fake.message(town.staff.id, card.message_id).content

    # A neighbour's reply is not the answer: the issue keeps waiting.
    town.says(town.neighbour, town.building, "Во втором", reply_to=question.message_id)
    await asyncio.sleep(TICKS)
    assert "ждёт уточнения" in fake.message(town.staff.id, card.message_id).content

    # Paused from Wednesday 11:00 to Thursday 11:00: 7 h + 2 h of working time. The clock runs
    # at real speed, so it moves on by exactly one day: a pause shorter than the seconds the
    # question took to go out would bring the due date back to 16:59.
    clock.now = clock.now + timedelta(days=1)
    answer = town.says(
        town.resident, town.building, "Третий подъезд", reply_to=question.message_id
    )
    thanks = await town.reply_in(town.building, "Ответ передан специалисту")
    assert thanks.reply_to == answer
    in_staff = await town.reply_in(town.staff, "Третий подъезд")
    assert in_staff.reply_to == card.message_id
    await fake.wait_for_bot_message(town.specialist.id, contains="Третий подъезд")
    # Thursday 17:00 moved on by 9 working hours: Friday 17:00.
    await card_shows(town, card, WORK_CARD, "Срок решения: 13.03.2026 17:00")
    assert "в работе" in fake.message(town.staff.id, card.message_id).content

    mark = town.last_bot_id(town.staff)
    town.says(town.specialist, town.staff, "/issue 1")
    history = await fake.wait_for_bot_message(town.staff.id, contains="История", after=mark)
    assert "вопрос жителю" in history.content and "В каком подъезде подвал?" in history.content
    assert "ответ жителя" in history.content and "Третий подъезд" in history.content


async def test_ask_command_and_silence_tells_the_assignee_once(
    town: Town, clock: Clock, desk: InProcessBot
) -> None:
    fake = town.fake
    await town.register()
    await start_private(town, "specialist")
    original = town.says(town.resident, town.building, "#проблема Яма во дворе")
    await town.reply_in(town.staff, "№1")

    town.says(town.specialist, town.staff, "/ask 1 Пришлите, пожалуйста, фото ямы")
    question = await town.reply_in(town.building, "Пришлите, пожалуйста, фото ямы")
    assert question.reply_to == original
    await town.reply_in(town.staff, "Вопрос по обращению №1 отправлен жителю")

    clock.now = at(2026, 3, 11, 17, 59)  # the same day: not yet
    await asyncio.sleep(TICKS)
    assert count(fake, town.specialist.id, "не отвечает") == 0
    clock.now = at(2026, 3, 12, 9, 1)  # one working day later
    silence = await fake.wait_for_bot_message(town.specialist.id, contains="не отвечает")
    assert "№1" in silence.content
    clock.now = at(2026, 3, 13, 10)
    await asyncio.sleep(TICKS)
    assert count(fake, town.specialist.id, "не отвечает") == 1  # told once

    town.says(town.specialist, town.staff, "/ask 1")
    await town.reply_in(town.staff, "Использование: /ask N вопрос")
    town.says(town.neighbour, town.building, "/ask 1 вопрос")
    await town.reply_in(town.building, "для специалистов")


# --- contacting the resident personally ------------------------------------------------


async def test_phone_shared_with_consent_reaches_the_specialist_and_contacts_are_recorded(
    town: Town, desk: InProcessBot
) -> None:
    fake = town.fake
    await town.register()
    town.says(town.resident, town.building, "#проблема Не вывозят мусор")
    card = await town.reply_in(town.staff, "№1")

    # Without a phone, and before the specialist started the bot: the link, in the staff chat.
    fake.user_presses(town.staff.id, card.message_id, town.specialist, button="Связаться")
    link = await town.reply_in(town.staff, "Связаться с автором обращения №1")
    assert f"tg://user?id={town.resident.id}" in link.content
    assert "Телефоном житель не поделился" in link.content

    await start_private(town, "resident")
    private = fake.private_chat(town.resident)
    town.says(town.resident, private, "/phone")
    offer = await fake.wait_for_bot_message(town.resident.id, contains="152-ФЗ")
    assert "администрации города" in offer.content and "/phone_delete" in offer.content
    assert offer.reply_markup is not None
    assert offer.reply_markup["keyboard"][0][0]["request_contact"] is True
    share_contact(fake, town.resident, "+79001234567", owner=town.neighbour)
    await fake.wait_for_bot_message(town.resident.id, contains="только своим номером")
    share_contact(fake, town.resident, "+79001112233")
    saved = await fake.wait_for_bot_message(town.resident.id, contains="Номер сохранён")
    assert saved.reply_markup == {"remove_keyboard": True}

    await start_private(town, "specialist")
    mark = town.last_bot_id(town.staff)
    fake.user_presses(town.staff.id, card.message_id, town.specialist, button="Связаться")
    shown = await fake.wait_for_bot_message(town.specialist.id, contains="+79001112233")
    assert f"tg://user?id={town.resident.id}" in shown.content
    assert "+79001234567" not in shown.content
    note = await fake.wait_for_bot_message(town.staff.id, contains="в личном чате", after=mark)
    assert "+7900" not in note.content  # the number stays out of the group

    town.says(town.specialist, town.staff, "/contacted 1 Созвонились, вывоз в пятницу")
    await town.reply_in(town.staff, "Контакт с жителем по обращению №1 записан")
    await card_shows(town, card, NEW_CARD, "Связь с жителем лично: 1")
    mark = town.last_bot_id(town.staff)
    town.says(town.specialist, town.staff, "/issue 1")
    history = await fake.wait_for_bot_message(town.staff.id, contains="История", after=mark)
    assert "связь с жителем (Ольга Специалист): Созвонились, вывоз в пятницу" in history.content

    town.says(town.neighbour, town.building, "/contacted 1 я звонил")
    await town.reply_in(town.building, "для специалистов")
    town.says(town.resident, private, "/phone_delete")
    await fake.wait_for_bot_message(town.resident.id, contains="Номер удалён")
    fake.user_presses(town.staff.id, card.message_id, town.specialist, button="Связаться")
    await fake.wait_for(
        lambda: count(fake, town.specialist.id, "Телефоном житель не поделился") == 1
    )


# --- the way out -------------------------------------------------------------------------


async def close_and_judge_not_resolved(town: Town, answer: str) -> FakeMessage:
    """The specialist closes №1 with `answer`; its author presses «Не решено» under it."""
    town.says(town.specialist, town.staff, f"/close 1 {answer}")
    notice = await town.reply_in(town.building, answer)
    town.fake.user_presses(town.building.id, notice.message_id, town.resident, button="Не решено")
    await town.fake.wait_for(
        lambda: "не решено" in town.fake.message(town.building.id, notice.message_id).content
    )
    return town.fake.message(town.building.id, notice.message_id)


async def test_second_not_resolved_offers_the_pos_form_and_tells_the_staff(
    town: Town, desk: InProcessBot
) -> None:
    fake = town.fake
    await town.register()
    town.says(town.resident, town.building, "#проблема Во дворе не горят фонари")
    await town.reply_in(town.staff, "№1")

    first = await close_and_judge_not_resolved(town, "Лампы заменили")
    assert POS_FORM not in str(first.entities) and "ПОС" not in first.content
    await town.reply_in(town.staff, "ответил(а) «Не решено»")
    assert count(fake, town.staff, "форма на платформе обратной связи") == 0

    second = await close_and_judge_not_resolved(town, "Заменили ещё раз")
    assert "ПОС" in second.content
    assert POS_FORM in str(second.entities)  # the form's link in the closing notice
    alert = await town.reply_in(town.staff, "форма на платформе обратной связи")
    assert "№1" in alert.content and "2-й раз" in alert.content


# --- merging duplicates --------------------------------------------------------------------


async def test_closing_a_merged_issue_answers_every_resident_in_their_own_chat(
    town: Town, desk: InProcessBot
) -> None:
    fake = town.fake
    other = fake.create_group(
        "Дом Ленина 7", admins=[town.admin], members=[town.neighbour], bot_rights=ADMIN_RIGHTS
    )
    await town.register()
    town.says(town.admin, other, "/register building Дом Ленина 7")
    await town.reply_in(other, "подключён")
    first = town.says(town.resident, town.building, "#проблема Нет отопления по всей улице")
    card = await town.reply_in(town.staff, "№1")
    second = town.says(town.neighbour, other, "#проблема У нас тоже нет отопления")
    card2 = await town.reply_in(town.staff, "№2")
    third = town.says(town.resident, town.building, "#проблема Батареи холодные")
    card3 = await town.reply_in(town.staff, "№3")

    town.says(town.specialist, town.staff, "/merge 1 2")
    told = await town.reply_in(other, "объединено с обращением №1")
    assert told.reply_to == second
    await town.reply_in(town.staff, "Обращение №2 объединено с №1")
    await card_shows(town, card2, CLOSED_CARD, "Дубликат обращения №1")

    fake.user_presses(town.staff.id, card3.message_id, town.specialist, button="Объединить")
    await answer_prompt(town, "объединение", "1")
    told3 = await town.reply_in(town.building, "№3 объединено с обращением №1")
    assert told3.reply_to == third
    await card_shows(town, card, NEW_CARD, "Объединены: №2, №3")

    town.says(town.specialist, town.staff, "/merge 2 1")
    await town.reply_in(town.staff, "№2 уже объединено с другим")

    town.says(town.specialist, town.staff, "/close 1 Котельную запустили в 15:00")
    closed = await town.reply_in(town.building, "закрыта")
    assert closed.reply_to == first
    answer2 = await town.reply_in(other, "Котельную запустили в 15:00")
    assert answer2.reply_to == second and "№1, с которым объединено ваше №2" in answer2.content
    answer3 = await fake.wait_for_bot_message(
        town.building.id, contains="объединено ваше №3", after=closed.message_id - 1
    )
    assert answer3.reply_to == third and "Котельную запустили" in answer3.content


# --- categories with their own deadlines ------------------------------------------------

CATEGORIES = {
    "default": "ordinary",
    "items": [
        {
            "code": "emergency",
            "name": "Аварийная",
            "first_response": "PT10M",
            "resolution": "PT1H",
            "pos_topic": "ЖКХ: аварии",
            "tags": ["#авария"],
        },
        {"code": "ordinary", "name": "Обычная", "first_response": "PT2H", "resolution": "PT80H"},
    ],
}


@pytest.fixture
async def categorised(
    fake: FakeTelegram, town: Town, clock: Clock, tmp_path: Path, test_database: TestDatabase
) -> AsyncIterator[InProcessBot]:
    settings = make_settings(
        fake,
        test_database,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        categories=CATEGORIES,
        scheduler={"tick": TICK},
    )
    bot = InProcessBot(settings, clock=clock)
    await bot.start(fake)
    yield bot
    await bot.stop()


async def test_an_emergency_is_reminded_at_its_own_deadline(
    town: Town, clock: Clock, categorised: InProcessBot
) -> None:
    fake = town.fake
    await town.register()
    town.says(town.resident, town.building, "#авария Прорвало трубу в подвале")
    ack = await town.reply_in(town.building, "№1")
    assert "сегодня до 10:10" in ack.content
    card = await town.reply_in(town.staff, "№1")
    assert "Аварийная" in card.content and "Срок решения: 11.03.2026 11:00" in card.content
    town.says(town.resident, town.building, "#проблема Скрипит дверь подъезда")
    ack2 = await town.reply_in(town.building, "№2")
    assert "сегодня до 12:00" in ack2.content
    card2 = await town.reply_in(town.staff, "№2")
    assert "Обычная" in card2.content

    clock.now = at(2026, 3, 11, 10, 9)
    await asyncio.sleep(TICKS)
    assert count(fake, town.staff, REMINDER) == 0
    clock.now = at(2026, 3, 11, 10, 11)
    reminder = await town.reply_in(town.staff, REMINDER)
    assert "№1" in reminder.content and "№2" not in reminder.content

    # The specialist makes №2 an emergency from its card: its deadline and reminder follow.
    fake.user_presses(town.staff.id, card2.message_id, town.specialist, button="Категория")
    choice = await town.reply_in(town.staff, "Категория обращения №2")
    fake.user_presses(town.staff.id, choice.message_id, town.specialist, button="Аварийная")
    await town.reply_in(town.staff, "Категория обращения №2: Аварийная")
    await card_shows(town, card2, NEW_CARD, "Аварийная")
    second = await town.reply_in(town.staff, REMINDER, after=reminder.message_id)
    assert "№2" in second.content and "№1" not in second.content


# --- private appeals -----------------------------------------------------------------------


async def test_private_appeal_is_filed_answered_in_private_and_never_shown_in_the_group(
    town: Town, desk: InProcessBot
) -> None:
    fake = town.fake
    await town.register()
    in_group = len(fake.bot_messages(town.building.id))
    await start_private(town, "resident")
    private = fake.private_chat(town.resident)
    appeal = town.says(town.resident, private, "/appeal Сосед сверху шумит каждую ночь")
    where = await fake.wait_for_bot_message(town.resident.id, contains="О каком доме")
    assert where.reply_to == appeal and where.buttons == [["Дом Ленина 5"]]
    fake.user_presses(town.resident.id, where.message_id, town.resident, button="Дом Ленина 5")
    ack = await fake.wait_for_bot_message(town.resident.id, contains="№1 принята")
    assert ack.reply_to == appeal
    card = await town.reply_in(town.staff, "№1")
    assert "Личное обращение" in card.content and "Дом Ленина 5" in card.content
    assert "Сосед сверху шумит каждую ночь" in card.content and "/appeal" not in card.content

    town.says(town.specialist, town.staff, "/take 1")
    await fake.wait_for_bot_message(town.resident.id, contains="взята в работу")
    town.says(town.specialist, town.staff, "/close 1 Участковый провёл беседу с соседом")
    closed = await fake.wait_for_bot_message(town.resident.id, contains="Участковый провёл")
    assert closed.reply_to == appeal and "Решено" in str(closed.buttons)

    town.says(town.neighbour, town.building, "/issues")
    listing = await town.reply_in(town.building, "Открытых обращений в этом чате нет")
    assert listing is not None
    group = [m.content for m in fake.bot_messages(town.building.id)[in_group:]]
    assert not any("шумит" in text or "№1" in text for text in group), group
