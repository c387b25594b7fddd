"""Group moderation against the Bot API double: newcomers, spam, flood, commands, audit log,
community-wide bans, missing rights and the bot's own membership."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select

from bot.fake_telegram import ADMIN_RIGHTS, FakeChat, FakeMessage, FakeTelegram, FakeUser
from storage import db
from storage.tables import chats
from tests.database import TestDatabase
from tests.e2e.harness import InProcessBot, make_settings

WITHOUT_RESTRICT = tuple(r for r in ADMIN_RIGHTS if r != "can_restrict_members")


@dataclass
class Community:
    """Two building supergroups, the staff chat, and the people in them."""

    fake: FakeTelegram
    admin: FakeUser
    specialist: FakeUser
    resident: FakeUser
    house_admin: FakeUser  # a resident who administers the building chat in Telegram
    building: FakeChat
    other: FakeChat
    staff: FakeChat
    database: TestDatabase

    def says(self, user: FakeUser, chat: FakeChat, text: str, **kwargs: Any) -> int:
        return int(self.fake.user_sends(chat.id, user, text, **kwargs)["message_id"])

    async def bot_says(self, chat: FakeChat, contains: str, after: int = 0) -> FakeMessage:
        return await self.fake.wait_for_bot_message(chat.id, contains=contains, after=after)

    def last_id(self, chat: FakeChat) -> int:
        return self.fake.chat(chat.id).last_message_id

    def status(self, chat: FakeChat, user: FakeUser) -> str:
        return self.fake.member_status(chat.id, user)

    async def wait_status(self, chat: FakeChat, user: FakeUser, status: str) -> None:
        await self.fake.wait_for(
            lambda: self.status(chat, user) == status,
            message=f"for {user.first_name} to be {status} in {chat.title}",
        )

    def bot_texts(self, chat: FakeChat) -> list[str]:
        return [m.content for m in self.fake.bot_messages(chat.id)]

    async def register(self) -> None:
        for chat, name in ((self.building, "Ленина 5"), (self.other, "Ленина 7")):
            self.says(self.admin, chat, f"/register building {name}")
            await self.bot_says(chat, "подключён")
        self.says(self.admin, self.staff, "/register staff")
        await self.bot_says(self.staff, "рабочий чат специалистов")

    async def newcomer_passes(self, user: FakeUser, chat: FakeChat) -> None:
        after = self.last_id(chat)
        self.fake.user_joins(chat.id, user)
        welcome = await self.bot_says(chat, "Я житель, не бот", after=after)
        await self.wait_status(chat, user, "restricted")
        self.fake.user_presses(chat.id, welcome.message_id, user, button="Я житель")
        await self.wait_status(chat, user, "member")


def build_community(
    fake: FakeTelegram, test_database: TestDatabase, bot_rights: Any = ADMIN_RIGHTS
) -> Community:
    admin = fake.create_user("Глава", "Администрации", username="head")
    specialist = fake.create_user("Ольга", "Специалист", username="olga")
    resident = fake.create_user("Анна", "Старожил")
    house_admin = fake.create_user("Сергей", "Староста")
    building = fake.create_group(
        "Дом Ленина 5",
        supergroup=True,
        admins=[admin, house_admin],
        members=[resident],
        bot_rights=bot_rights,
    )
    other = fake.create_group(
        "Дом Ленина 7",
        supergroup=True,
        admins=[admin],
        members=[resident],
        bot_rights=ADMIN_RIGHTS,
    )
    staff = fake.create_group(
        "Специалисты", admins=[admin], members=[specialist], bot_rights=ADMIN_RIGHTS
    )
    return Community(
        fake,
        admin,
        specialist,
        resident,
        house_admin,
        building,
        other,
        staff,
        test_database,
    )


def bot_for(town: Community, **moderation: Any) -> InProcessBot:
    values = {"newcomer_timeout": "1m", "sweep_interval": 0.2, **moderation}
    settings = make_settings(
        town.fake,
        town.database,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        moderation=values,
    )
    return InProcessBot(settings)


@pytest.fixture
async def town(fake: FakeTelegram, test_database: TestDatabase) -> AsyncIterator[Community]:
    community = build_community(fake, test_database)
    bot = bot_for(community)
    await bot.start(fake)
    await community.register()
    yield community
    await bot.stop()


# --- newcomers --------------------------------------------------------------------------------


async def test_newcomer_is_restricted_and_only_their_own_press_releases_them(
    town: Community,
) -> None:
    newbie = town.fake.create_user("Иван", "Новичок")
    town.fake.user_joins(town.building.id, newbie)

    welcome = await town.bot_says(town.building, "Я житель, не бот")
    assert "Иван Новичок" in welcome.content
    assert "#проблема" in welcome.content  # how to file an issue
    await town.wait_status(town.building, newbie, "restricted")

    stranger = town.fake.user_presses(
        town.building.id, welcome.message_id, town.resident, button="Я житель"
    )
    await town.fake.wait_for(lambda: town.fake.callback_answer(stranger) is not None)
    assert "не для вас" in (town.fake.callback_answer(stranger) or {}).get("text", "")
    assert town.status(town.building, newbie) == "restricted"

    town.fake.user_presses(town.building.id, welcome.message_id, newbie, button="Я житель")
    await town.wait_status(town.building, newbie, "member")
    await town.fake.wait_for(
        lambda: "спасибо" in town.fake.message(town.building.id, welcome.message_id).content
    )
    assert town.fake.message(town.building.id, welcome.message_id).buttons == []
    town.says(newbie, town.building, "Здравствуйте, соседи!")  # may write now
    # The join arrived twice (chat_member and the service message): one welcome only.
    assert sum("Иван Новичок" in text for text in town.bot_texts(town.building)) == 1


async def test_newcomer_who_does_not_press_is_removed_and_welcome_deleted(
    fake: FakeTelegram, test_database: TestDatabase
) -> None:
    town = build_community(fake, test_database)
    bot = bot_for(town, newcomer_timeout="2s")
    await bot.start(fake)
    try:
        await town.register()
        silent = fake.create_user("Бот", "Притворщик")
        fake.user_joins(town.building.id, silent)
        welcome = await town.bot_says(town.building, "Я житель, не бот")
        await town.wait_status(town.building, silent, "restricted")

        await town.wait_status(town.building, silent, "left")  # ban then unban: may come back
        bans = fake.calls_of("banChatMember", ok=True, chat_id=town.building.id)
        unbans = fake.calls_of("unbanChatMember", ok=True, chat_id=town.building.id)
        assert [c.params["user_id"] for c in bans] == [silent.id]
        assert [c.params["user_id"] for c in unbans] == [silent.id]
        await fake.wait_for(lambda: fake.message(town.building.id, welcome.message_id).deleted)
    finally:
        await bot.stop()


async def test_newcomer_deadline_survives_a_restart(
    fake: FakeTelegram, test_database: TestDatabase
) -> None:
    town = build_community(fake, test_database)
    first = bot_for(town, newcomer_timeout="3s", sweep_interval=60)
    await first.start(fake)
    await town.register()
    late = fake.create_user("Опоздавший", "Гость")
    fake.user_joins(town.building.id, late)
    await town.bot_says(town.building, "Я житель, не бот")
    await town.wait_status(town.building, late, "restricted")
    await first.stop()  # down before the deadline

    second = bot_for(town, newcomer_timeout="3s", sweep_interval=0.2)
    await second.start(fake)
    try:
        await fake.wait_for(lambda: town.status(town.building, late) == "left", timeout=15)
    finally:
        await second.stop()


# --- anti-spam --------------------------------------------------------------------------------


async def test_probation_link_is_deleted_carded_and_restored(town: Community) -> None:
    newbie = town.fake.create_user("Максим", "Новенький")
    await town.newcomer_passes(newbie, town.building)
    spam_id = town.says(newbie, town.building, "Лёгкий заработок тут: t.me/easy_money_now")

    card = await town.bot_says(town.staff, "Спам удалён")
    assert "t.me/easy_money_now" in card.content
    assert card.buttons == [["Вернуть", "Забанить"]]
    await town.fake.wait_for(lambda: town.fake.message(town.building.id, spam_id).deleted)
    await town.wait_status(town.building, newbie, "restricted")
    await town.wait_status(town.other, newbie, "restricted")  # restricted everywhere

    after = town.last_id(town.building)
    town.fake.user_presses(town.staff.id, card.message_id, town.admin, button="Вернуть")
    restored = await town.bot_says(town.building, "Восстановлено сообщение", after=after)
    assert "Максим Новенький" in restored.content
    assert "t.me/easy_money_now" in restored.content
    await town.wait_status(town.building, newbie, "member")
    await town.wait_status(town.other, newbie, "left")  # not a member there: restriction lifted
    await town.fake.wait_for(
        lambda: "Восстановлено" in town.fake.message(town.staff.id, card.message_id).content
    )


async def test_long_time_member_link_is_not_touched(town: Community) -> None:
    posted = town.says(town.resident, town.building, "График отключений: https://example.org/x")
    town.says(town.resident, town.building, "#проблема Нет света во втором подъезде")
    await town.bot_says(town.building, "№1")  # the message went on to the desk
    assert not town.fake.message(town.building.id, posted).deleted
    assert town.fake.calls_of("deleteMessage") == []


async def test_admin_specialist_and_chat_admin_links_are_never_touched(town: Community) -> None:
    # The specialist joins like anyone else: no check, no restriction.
    town.fake.user_joins(town.building.id, town.specialist)
    await town.bot_says(town.building, "Добро пожаловать в «Ленина 5», Ольга")
    # The house chat's administrator is new to the community (joined the other building)...
    await town.newcomer_passes(town.house_admin, town.other)
    ids = [
        town.says(town.admin, town.building, "Подписывайтесь на канал t.me/kamgov_news"),
        town.says(town.specialist, town.building, "Заработок на госзакупках: t.me/tenders"),
        # ...but administers this chat in Telegram, so their link stays here.
        town.says(town.house_admin, town.building, "Чат соседей: t.me/lenina5_sosedi"),
    ]
    # A moderator command against the administration is refused.
    town.says(
        town.admin, town.other, "/warn тест", reply_to=town.says(town.admin, town.other, "x")
    )
    await town.bot_says(town.other, "модерация его не касается")
    town.says(town.resident, town.building, "#проблема Спасибо, но где график?")
    await town.bot_says(town.building, "№1")  # every message above has been handled
    assert all(not town.fake.message(town.building.id, i).deleted for i in ids)
    assert town.status(town.building, town.specialist) == "member"
    restricted = [c.params["user_id"] for c in town.fake.calls_of("restrictChatMember")]
    assert town.specialist.id not in restricted and town.admin.id not in restricted
    assert restricted.count(town.house_admin.id) == 2  # the check in the other chat, released
    assert town.fake.calls_of("banChatMember") == []


# --- anti-flood -------------------------------------------------------------------------------


async def test_flood_mutes_with_one_notice(town: Community) -> None:
    for n in range(7):
        town.says(town.resident, town.building, f"ну сколько можно {n}")
    notice = await town.bot_says(town.building, "слишком много сообщений")
    assert "Анна Старожил" in notice.content
    await town.wait_status(town.building, town.resident, "restricted")
    assert town.status(town.other, town.resident) == "member"  # flood is local
    restricts = town.fake.calls_of("restrictChatMember", ok=True)
    assert len(restricts) == 1 and restricts[0].params.get("until_date")
    assert sum("слишком много" in text for text in town.bot_texts(town.building)) == 1


# --- moderator commands -----------------------------------------------------------------------


async def test_three_warnings_across_chats_mute(town: Community) -> None:
    for number, chat in enumerate((town.building, town.other, town.building), start=1):
        offending = town.says(town.resident, chat, f"Все вы тут бездельники {number}")
        after = town.last_id(chat)
        command = town.says(town.admin, chat, "/warn грубость", reply_to=offending)
        if number < 3:
            notice = await town.bot_says(chat, f"предупреждение {number} из 3", after=after)
            assert "грубость" in notice.content
        await town.fake.wait_for(partial(lambda m: m.deleted, town.fake.message(chat.id, command)))
    await town.bot_says(town.building, "не может писать 1 день")
    await town.wait_status(town.building, town.resident, "restricted")


async def test_mute_unmute_and_del(town: Community) -> None:
    offending = town.says(town.resident, town.building, "Оскорбительное сообщение")
    town.says(town.admin, town.building, "/mute 30m спор", reply_to=offending)
    await town.bot_says(town.building, "не может писать 30 минут")
    await town.wait_status(town.building, town.resident, "restricted")
    town.says(town.admin, town.building, "/unmute", reply_to=offending)
    await town.bot_says(town.building, "снова может писать")
    await town.wait_status(town.building, town.resident, "member")
    town.says(town.admin, town.building, "/del", reply_to=offending)
    await town.bot_says(town.building, "Сообщение удалено модератором")
    await town.fake.wait_for(lambda: town.fake.message(town.building.id, offending).deleted)


async def test_resident_cannot_moderate_and_bad_duration_shows_usage(town: Community) -> None:
    target = town.says(town.admin, town.building, "Объявление")
    town.says(town.resident, town.building, "/ban", reply_to=target)
    await town.bot_says(town.building, "для модераторов")
    town.says(town.admin, town.building, "/mute")
    await town.bot_says(town.building, "Использование: ответьте на сообщение: /mute")
    assert town.fake.calls_of("banChatMember") == []


async def test_ban_in_one_chat_bans_everywhere_and_undoes_in_one_step(town: Community) -> None:
    offending = town.says(town.resident, town.building, "Реклама ремонта квартир")
    town.says(town.admin, town.building, "/ban реклама", reply_to=offending)
    await town.bot_says(town.building, "заблокирован во всех чатах")
    await town.wait_status(town.building, town.resident, "kicked")
    await town.wait_status(town.other, town.resident, "kicked")

    town.says(town.admin, town.staff, "/modlog")
    log = await town.bot_says(town.staff, "Журнал модерации")
    assert "бан во всех чатах" in log.content
    town.fake.user_presses(town.staff.id, log.message_id, town.admin, button="Отменить")
    await town.wait_status(town.building, town.resident, "left")
    await town.wait_status(town.other, town.resident, "left")


# --- reports, rules, settings -----------------------------------------------------------------


async def test_repeated_reports_make_one_card_and_delete_works(town: Community) -> None:
    bad = town.says(town.resident, town.building, "Продаю справки недорого")
    neighbour = town.fake.create_user("Пётр", "Сосед")
    town.fake.chat(town.building.id).members[neighbour.id] = town.fake.world.member(
        town.fake.chat(town.other.id), neighbour
    ).__class__(neighbour, "member")
    town.says(town.house_admin, town.building, "/report", reply_to=bad)
    card = await town.bot_says(town.staff, "Жалоба")
    assert "Жалоб: 1" in card.content and "Продаю справки" in card.content
    town.says(neighbour, town.building, "/complain", reply_to=bad)
    await town.fake.wait_for(
        lambda: "Жалоб: 2" in town.fake.message(town.staff.id, card.message_id).content
    )
    assert sum("Жалоба" in text for text in town.bot_texts(town.staff)) == 1
    town.fake.user_presses(town.staff.id, card.message_id, town.admin, button="Удалить")
    await town.fake.wait_for(lambda: town.fake.message(town.building.id, bad).deleted)


async def test_rules_appear_in_the_welcome(town: Community) -> None:
    town.says(town.admin, town.building, "/setrules Без рекламы и оскорблений.")
    await town.bot_says(town.building, "Правила сохранены")
    town.says(town.resident, town.building, "/rules")
    await town.bot_says(town.building, "Без рекламы и оскорблений")
    newbie = town.fake.create_user("Нина", "Новая")
    town.fake.user_joins(town.building.id, newbie)
    welcome = await town.bot_says(town.building, "Я житель, не бот")
    assert "Без рекламы и оскорблений" in welcome.content


async def test_settings_switch_off_the_newcomer_check_for_one_chat(town: Community) -> None:
    town.says(town.admin, town.building, "/settings")
    panel = await town.bot_says(town.building, "Модерация в «Ленина 5»")
    assert panel.reply_markup is not None
    data = [b["callback_data"] for row in panel.reply_markup["inline_keyboard"] for b in row]
    assert all(len(d.encode()) < 64 for d in data)
    town.fake.user_presses(
        town.building.id, panel.message_id, town.admin, button="Проверка новичков"
    )
    await town.fake.wait_for(
        lambda: (
            "Проверка новичков: выкл"
            in town.fake.message(town.building.id, panel.message_id).content
        )
    )
    guest = town.fake.create_user("Гость", "Без проверки")
    town.fake.user_joins(town.building.id, guest)
    await town.bot_says(town.building, "Добро пожаловать в «Ленина 5», Гость")
    assert town.status(town.building, guest) == "member"


# --- rights and membership --------------------------------------------------------------------


async def test_missing_right_is_told_once_in_plain_words(
    fake: FakeTelegram, test_database: TestDatabase
) -> None:
    town = build_community(fake, test_database, bot_rights=WITHOUT_RESTRICT)
    bot = bot_for(town)
    await bot.start(fake)
    try:
        await town.register()
        for name in ("Первый", "Второй"):
            fake.user_joins(town.building.id, fake.create_user(name, "Новичок"))
            await fake.wait_for(
                lambda n=name: any(n in t for t in town.bot_texts(town.building))  # type: ignore[misc]
            )
        notice = await town.bot_says(town.staff, "не хватает права")
        assert "«Блокировка участников»" in notice.content
        assert "Ленина 5" in notice.content
        await fake.wait_for(lambda: len(fake.calls_of("restrictChatMember")) >= 2)
        await fake.wait_for(lambda: len(fake.calls_of("getUpdates")) > 8)
        assert sum("не хватает права" in t for t in town.bot_texts(town.staff)) == 1
    finally:
        await bot.stop()


async def test_bot_removed_marks_chat_inactive_and_tells_admins(town: Community) -> None:
    town.fake.kick_bot(town.other.id, by=town.admin)
    notice = await town.bot_says(town.staff, "Бота удалили")
    assert "Ленина 7" in notice.content
    assert await _active(town, town.other.id) is False
    town.fake.add_bot(town.other.id, rights=ADMIN_RIGHTS, by=town.admin)
    await town.bot_says(town.staff, "снова в чате")
    assert await _active(town, town.other.id) is True


async def _active(town: Community, chat_id: int) -> bool:
    engine = db.create_engine(town.database.url)
    try:
        async with engine.connect() as connection:
            row = (
                await connection.execute(select(chats.c.active).where(chats.c.chat_id == chat_id))
            ).one()
        return bool(row.active)
    finally:
        await engine.dispose()


# --- the audit log ----------------------------------------------------------------------------


async def test_every_action_appears_in_modlog(town: Community) -> None:
    newbie = town.fake.create_user("Максим", "Новенький")
    await town.newcomer_passes(newbie, town.building)
    town.says(newbie, town.building, "Крипта без вложений, пиши в лс")
    await town.bot_says(town.staff, "Спам удалён")
    offending = town.says(town.resident, town.other, "Грубость")
    town.says(town.admin, town.other, "/warn", reply_to=offending)
    await town.bot_says(town.other, "предупреждение 1 из 3")
    town.says(town.admin, town.other, "/mute 2h", reply_to=offending)
    await town.bot_says(town.other, "не может писать 2 часа")
    town.says(town.admin, town.other, "/del", reply_to=offending)
    await town.bot_says(town.other, "удалено модератором")

    town.says(town.admin, town.staff, "/modlog 20")
    log = await town.bot_says(town.staff, "Журнал модерации")
    for kind in (
        "новичок ограничен до проверки",
        "новичок прошёл проверку",
        "спам удалён",
        "предупреждение",
        "мут",
        "сообщение удалено",
    ):
        assert kind in log.content, kind
    assert "Глава Администрации → Анна Старожил" in log.content
    town.says(town.admin, town.building, "/modlog")
    await town.bot_says(town.building, "рабочем чате специалистов")


async def test_join_request_is_checked_in_private_before_approval(town: Community) -> None:
    applicant = town.fake.create_user("Лидия", "Заявка")
    town.fake.user_sends(applicant.id, applicant, "/start")
    town.fake.user_requests_join(town.building.id, applicant)
    check = await town.fake.wait_for_bot_message(applicant.id, contains="Я житель, не бот")
    assert "Ленина 5" in check.content
    assert town.status(town.building, applicant) == "left"  # not approved yet
    town.fake.user_presses(applicant.id, check.message_id, applicant, button="Я житель")
    await town.wait_status(town.building, applicant, "member")
    assert town.fake.calls_of("approveChatJoinRequest", ok=True)
    assert town.fake.calls_of("restrictChatMember") == []  # checked already: no second check
