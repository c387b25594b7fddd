"""The street question instead of the newcomer button, against the Bot API double."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.fake_telegram import FakeChat, FakeMessage, FakeTelegram, FakeUser
from bot.fake_telegram.models import DriverError
from storage import db
from storage.tables_moderation import mod_actions, mod_checks
from tests.database import TestDatabase
from tests.e2e.test_moderation import Community, bot_for, build_community

QUESTION = "На какой улице ваш дом?"


@pytest.fixture
async def town(fake: FakeTelegram, test_database: TestDatabase) -> AsyncIterator[Community]:
    community = build_community(fake, test_database)
    bot = bot_for(community)
    await bot.start(fake)
    await community.register()
    yield community
    await bot.stop()


async def press_setting(town: Community, chat: FakeChat, label: str, expect: str) -> FakeMessage:
    town.says(town.admin, chat, "/settings")
    panel = await town.bot_says(chat, "Модерация в", after=town.last_id(chat) - 1)
    town.fake.user_presses(chat.id, panel.message_id, town.admin, button=label)
    await town.fake.wait_for(
        lambda: expect in town.fake.message(chat.id, panel.message_id).content,
        message=f"settings to show {expect!r}",
    )
    return town.fake.message(chat.id, panel.message_id)


async def street_mode(town: Community) -> None:
    """Ленина for the building, Мира for the other chat, the question on in the building."""
    town.says(town.admin, town.other, "/setstreet ул. Мира")
    await town.bot_says(town.other, "Улица дома сохранена: Мира")
    town.says(town.admin, town.building, "/setstreet Ленина")
    await town.bot_says(town.building, "Улица дома сохранена: Ленина")
    await press_setting(town, town.building, "Вопрос об улице", "вместо кнопки: вкл")


async def question_for(town: Community, newbie: FakeUser) -> FakeMessage:
    after = town.last_id(town.building)
    town.fake.user_joins(town.building.id, newbie)
    welcome = await town.bot_says(town.building, QUESTION, after=after)
    await town.wait_status(town.building, newbie, "restricted")
    return welcome


async def log_rows(town: Community, user: FakeUser) -> list[tuple[str, str, str]]:
    engine = db.create_engine(town.database.url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(mod_actions.c.kind, mod_actions.c.reason, mod_actions.c.text)
                .where(mod_actions.c.target_id == user.id)
                .order_by(mod_actions.c.id)
            )
            return [(r.kind, r.reason, r.text) for r in rows]
    finally:
        await engine.dispose()


async def test_right_street_releases_the_newcomer_and_only_their_press_counts(
    town: Community,
) -> None:
    await street_mode(town)
    newbie = town.fake.create_user("Пётр", "Сосед")
    welcome = await question_for(town, newbie)
    streets = [text for row in welcome.buttons for text in row]
    assert len(streets) == 4 and "Ленина" in streets and "Мира" in streets
    assert len(set(streets)) == 4
    assert welcome.reply_markup is not None
    data = [b["callback_data"] for row in welcome.reply_markup["inline_keyboard"] for b in row]
    assert all(len(d.encode()) < 64 for d in data)
    assert "Я житель" not in welcome.content and "#проблема" in welcome.content
    with pytest.raises(DriverError):
        town.says(newbie, town.building, "Можно писать?")  # restricted until answered

    stranger = town.fake.user_presses(
        town.building.id, welcome.message_id, town.resident, button="Ленина"
    )
    await town.fake.wait_for(lambda: town.fake.callback_answer(stranger) is not None)
    assert "не для вас" in (town.fake.callback_answer(stranger) or {}).get("text", "")
    assert town.status(town.building, newbie) == "restricted"

    town.fake.user_presses(town.building.id, welcome.message_id, newbie, button="Ленина")
    await town.wait_status(town.building, newbie, "member")
    await town.fake.wait_for(
        lambda: "спасибо" in town.fake.message(town.building.id, welcome.message_id).content
    )
    assert town.fake.message(town.building.id, welcome.message_id).buttons == []
    town.says(newbie, town.building, "Здравствуйте, соседи с Ленина!")  # may write now
    assert await log_rows(town, newbie) == [
        ("newcomer", "проверка новичка: вопрос об улице", ""),
        ("passed", "верный ответ на вопрос об улице", ""),
    ]


async def test_wrong_street_removes_the_newcomer_at_once(town: Community) -> None:
    await street_mode(town)
    guesser = town.fake.create_user("Платный", "Кликер")
    welcome = await question_for(town, guesser)
    wrong = next(text for row in welcome.buttons for text in row if text != "Ленина")

    query = town.fake.user_presses(town.building.id, welcome.message_id, guesser, button=wrong)
    await town.wait_status(town.building, guesser, "left")  # ban then unban: may come back
    await town.fake.wait_for(lambda: town.fake.callback_answer(query) is not None)
    answer = town.fake.callback_answer(query) or {}
    assert "Неверно" in answer.get("text", "") and answer.get("show_alert") is True
    bans = town.fake.calls_of("banChatMember", ok=True, chat_id=town.building.id)
    unbans = town.fake.calls_of("unbanChatMember", ok=True, chat_id=town.building.id)
    assert [c.params["user_id"] for c in bans] == [guesser.id]
    assert [c.params["user_id"] for c in unbans] == [guesser.id]
    await town.fake.wait_for(
        lambda: town.fake.world.messages[town.building.id][welcome.message_id].deleted
    )
    assert await log_rows(town, guesser) == [
        ("newcomer", "проверка новичка: вопрос об улице", ""),
        ("kicked", "неверный ответ на вопрос об улице", f"ответ: {wrong}"),
    ]
    town.says(town.admin, town.staff, "/modlog")
    log = await town.bot_says(town.staff, "Журнал модерации")
    assert "неверный ответ на вопрос об улице" in log.content

    # Coming back, they get the same question again (same streets, so nothing is learned).
    again = await question_for(town, guesser)
    assert sorted(t for row in again.buttons for t in row) == sorted(
        t for row in welcome.buttons for t in row
    )


async def test_chat_without_a_street_keeps_the_button_and_settings_say_why(
    town: Community,
) -> None:
    panel = await press_setting(town, town.building, "Вопрос об улице", "вместо кнопки: вкл")
    assert "Пока улица не задана, новички получают кнопку" in panel.content
    assert "/setstreet" in panel.content

    newbie = town.fake.create_user("Вера", "Кнопочная")
    after = town.last_id(town.building)
    town.fake.user_joins(town.building.id, newbie)
    welcome = await town.bot_says(town.building, "Я житель, не бот", after=after)
    assert QUESTION not in welcome.content
    await town.wait_status(town.building, newbie, "restricted")
    town.fake.user_presses(town.building.id, welcome.message_id, newbie, button="Я житель")
    await town.wait_status(town.building, newbie, "member")

    engine = db.create_engine(town.database.url)
    try:
        async with engine.connect() as conn:
            row = (
                await conn.execute(select(mod_checks).where(mod_checks.c.user_id == newbie.id))
            ).one()
    finally:
        await engine.dispose()
    assert row.choices is None and row.answer is None and row.status == "passed"


async def test_setstreet_usage_and_permission(town: Community) -> None:
    town.says(town.admin, town.building, "/setstreet")
    await town.bot_says(town.building, "Использование: /setstreet Ленина")
    after = town.last_id(town.building)
    town.says(town.admin, town.building, "/setstreet <b>12</b>")
    await town.bot_says(town.building, "Использование: /setstreet Ленина", after=after)
    town.says(town.resident, town.building, "/setstreet Мира")
    await town.bot_says(town.building, "для модераторов")
    town.says(town.admin, town.building, "/settings")
    panel = await town.bot_says(town.building, "Модерация в")
    assert "улица дома не задана" in panel.content  # nothing was saved


async def test_join_request_asks_the_street_in_private_and_a_wrong_one_declines(
    town: Community,
) -> None:
    await street_mode(town)
    applicant = town.fake.create_user("Гость", "Заявитель")
    town.fake.user_sends(applicant.id, applicant, "/start")
    town.fake.user_requests_join(town.building.id, applicant)
    check = await town.fake.wait_for_bot_message(applicant.id, contains=QUESTION)
    wrong = next(text for row in check.buttons for text in row if text != "Ленина")
    query = town.fake.user_presses(applicant.id, check.message_id, applicant, button=wrong)
    await town.fake.wait_for(lambda: town.fake.calls_of("declineChatJoinRequest", ok=True))
    await town.fake.wait_for(
        lambda: (
            "заявка в «Ленина 5» отклонена"
            in town.fake.message(applicant.id, check.message_id).content
        )
    )
    assert "отклонена" in (town.fake.callback_answer(query) or {}).get("text", "")
    assert town.fake.calls_of("approveChatJoinRequest") == []
    assert town.status(town.building, applicant) == "left"
