"""One durable way out: moderation actions survive a kill, a long Telegram outage loses and
repeats nothing, and only permanent refusals fail an operation, with one notice per chat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.fake_telegram import FakeChat, FakeTelegram, FakeUser
from tests.database import TestDatabase
from tests.e2e.harness import (
    BotProcess,
    InProcessBot,
    Town,
    make_settings,
    query,
    toml_for,
    wait_until,
)
from tests.e2e.test_moderation import WITHOUT_RESTRICT, Community, build_community

UNFINISHED = "SELECT id FROM outbox WHERE status IN ('pending', 'sending')"
FAST_RETRIES: dict[str, Any] = {"outbox_poll": 0.2, "outbox_retry_cap": 0.3}


def community_bot(town: Community, **extra: Any) -> InProcessBot:
    settings = make_settings(
        town.fake,
        town.database,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        scheduler=FAST_RETRIES,
        moderation={"newcomer_timeout": "1m", "sweep_interval": 0.2},
        **extra,
    )
    return InProcessBot(settings)


@pytest.fixture
async def community(fake: FakeTelegram, test_database: TestDatabase) -> AsyncIterator[Community]:
    town = build_community(fake, test_database)
    bot = community_bot(town)
    await bot.start(fake)
    await town.register()
    yield town
    await bot.stop()


def texts(fake: FakeTelegram, chat_id: int, contains: str) -> list[str]:
    return [m.content for m in fake.bot_messages(chat_id) if contains in m.content]


# --- a kill between the decision and the call ---------------------------------------------------


async def test_a_ban_decided_before_a_kill_is_made_once_after_the_restart(
    fake: FakeTelegram, tmp_path: Path, test_database: TestDatabase
) -> None:
    town = build_community(fake, test_database)
    settings = make_settings(
        fake,
        town.database,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        scheduler={**FAST_RETRIES, "outbox_lease": 3},
    )
    config = tmp_path / "config.toml"
    config.write_text(toml_for(settings), encoding="utf-8")
    bot = BotProcess(config, tmp_path / "bot.log")
    await bot.start(fake)
    await town.register()

    # Telegram takes the ban calls but cannot carry them out: the decision is stored, the
    # action is not made when the process dies.
    fake.fail_next("banChatMember", 502, times=10**6)
    offending = town.says(town.resident, town.building, "Реклама ремонта квартир")
    town.says(town.admin, town.building, "/ban реклама", reply_to=offending)
    for chat in (town.building, town.other):
        await fake.wait_for(
            lambda c=chat: len(fake.calls_of("banChatMember", ok=False, chat_id=c.id)) >= 2,  # type: ignore[misc]
            message=f"for the ban in {chat.title} to be tried",
        )
    await bot.kill()
    assert town.status(town.building, town.resident) == "member"
    # Stored with the decision, not yet made: waiting for its retry, or taken for one.
    unfinished = await query(
        town.database, "SELECT chat_id, status FROM outbox WHERE kind = 'ban'"
    )
    assert sorted(chat_id for chat_id, _ in unfinished) == sorted(
        [town.building.id, town.other.id]
    )
    assert {status for _, status in unfinished} <= {"pending", "sending"}

    fake.clear_failures()
    await bot.start(fake)
    await town.wait_status(town.building, town.resident, "kicked")
    await town.wait_status(town.other, town.resident, "kicked")
    await town.bot_says(town.building, "заблокирован во всех чатах")
    assert await bot.terminate() == 0

    for chat in (town.building, town.other):
        made = fake.calls_of("banChatMember", ok=True, chat_id=chat.id)
        assert [call.params["user_id"] for call in made] == [town.resident.id]
    assert sorted(
        await query(town.database, "SELECT chat_id, status FROM outbox WHERE kind = 'ban'")
    ) == sorted([(town.building.id, "sent"), (town.other.id, "sent")])
    assert await query(town.database, "SELECT kind FROM mod_actions WHERE kind = 'ban'") == [
        ("ban",)
    ]
    assert len(texts(fake, town.building.id, "заблокирован во всех чатах")) == 1


# --- a long outage --------------------------------------------------------------------------


async def test_after_a_long_outage_every_ack_and_card_arrives_once(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    """Telegram's sending side down for "10 minutes": scaled down as the back-off is, so that
    each queued message fails more often than the 8 attempts after which the queue used to
    give up; the retries run at the back-off cap (here 0.3 s for 5 minutes)."""
    settings = make_settings(
        fake,
        test_database,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        scheduler=FAST_RETRIES,
        telegram={"per_chat_interval": 0.2},
    )
    bot = InProcessBot(settings)
    await bot.start(fake)
    try:
        await town.register()
        fake.outage(2.0, drop=True)  # connections lost first, then 502 Bad Gateway
        fake.outage(5.0, 502)
        for text in ("#проблема Нет света", "#проблема Нет воды", "#жалоба Шум ночью"):
            town.says(town.resident, town.building, text)
        for number in (1, 2, 3):
            await town.reply_in(town.building, f"№{number} принята", timeout=30)
            await town.reply_in(town.staff, f"№{number} · ", timeout=30)
    finally:
        await bot.stop()

    for number in (1, 2, 3):
        assert len(texts(fake, town.building.id, f"№{number} принята")) == 1
        assert len(texts(fake, town.staff.id, f"№{number} · ")) == 1
    database = settings  # where the bot keeps its data: read through its settings
    assert {status for (status,) in await query(database, "SELECT status FROM outbox")} == {"sent"}
    [(most,)] = await query(database, "SELECT max(attempts) FROM outbox")
    assert most > 8
    refused = [c for c in fake.calls if not c.ok and c.method == "sendMessage"]
    assert len(refused) > 8
    assert {c.error_code for c in refused} == {0, 502}  # dropped, then Bad Gateway


async def test_an_operation_older_than_the_give_up_age_fails_and_frees_its_chat(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    """The age is configurable (24 hours by default, here 2 s): past it a message is stale."""
    settings = make_settings(
        fake,
        test_database,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        scheduler={**FAST_RETRIES, "outbox_give_up_after": 2},
    )
    bot = InProcessBot(settings)
    await bot.start(fake)
    try:
        await town.register()
        # The outage lasts until the give-up is recorded, however late a loaded machine
        # makes the retries; then Telegram is healthy again.
        fake.outage(600.0, 502, chat_id=town.building.id)
        town.says(town.resident, town.building, "#проблема Нет света")
        await town.reply_in(town.staff, "№1 · ")  # other chats are not held up
        database = settings  # where the bot keeps its data: read through its settings

        async def failed() -> bool:
            return bool(await query(database, "SELECT id FROM outbox WHERE status = 'failed'"))

        await wait_until(failed, timeout=15)
        fake.clear_failures()
        town.says(town.resident, town.building, "#проблема Нет воды")
        await town.reply_in(town.building, "№2 принята", timeout=15)
    finally:
        await bot.stop()
    [(chat_id, error)] = await query(
        database, "SELECT chat_id, last_error FROM outbox WHERE status = 'failed'"
    )
    assert chat_id == town.building.id
    assert error.startswith("gave up after") and "Bad Gateway" in error
    assert texts(fake, town.building.id, "№1 принята") == []


# --- permanent refusals ---------------------------------------------------------------------


def started(fake: FakeTelegram, user: FakeUser) -> None:
    fake.user_sends(user.id, user, "/start")


async def test_a_403_from_one_chat_fails_only_its_operations_and_tells_the_admins_once(
    community: Community,
) -> None:
    town, fake = community, community.fake
    started(fake, town.admin)
    await fake.wait_for_bot_message(town.admin.id, contains="")
    kicked = "Forbidden: bot was kicked from the supergroup chat"
    fake.fail_next("*", 403, kicked, chat_id=town.building.id, times=10**6)

    town.says(town.resident, town.building, "#проблема Нет света")
    await town.bot_says(town.staff, "№1 · ")
    town.says(town.resident, town.other, "#проблема Нет воды")
    await town.bot_says(town.other, "№2 принята")
    await town.bot_says(town.staff, "№2 · ")
    notice = await town.bot_says(town.staff, "Бота удалили")
    assert "Ленина 5" in notice.content
    await fake.wait_for_bot_message(town.admin.id, contains="Бота удалили")

    # More work for the refusing chat: it fails too, and tells nobody again.
    town.says(town.specialist, town.staff, "/take 1")
    town.says(town.specialist, town.staff, "/take 2")
    await town.bot_says(town.other, "взята в работу")

    async def two_failed() -> bool:
        failed = await query(town.database, "SELECT id FROM outbox WHERE status = 'failed'")
        return len(failed) >= 2

    await wait_until(two_failed)
    town.says(town.specialist, town.staff, "/issue 2")
    await town.bot_says(town.staff, "История")  # everything before it has been handled

    async def finished() -> bool:
        return not await query(town.database, UNFINISHED)

    await wait_until(finished)

    assert len(texts(fake, town.staff.id, "Бота удалили")) == 1
    assert len(texts(fake, town.admin.id, "Бота удалили")) == 1
    failed = await query(
        town.database, "SELECT chat_id, last_error FROM outbox WHERE status = 'failed'"
    )
    assert {chat_id for chat_id, _ in failed} == {town.building.id}
    assert all("kicked" in error for _, error in failed)
    others = await query(
        town.database, f"SELECT status FROM outbox WHERE chat_id != {town.building.id}"
    )
    assert {status for (status,) in others} == {"sent"}
    assert fake.bot_messages(town.building.id)[-1].content.startswith("Готово")  # nothing new
    active = dict(await query(town.database, "SELECT chat_id, active FROM chats"))
    assert active[town.building.id] == 0 and active[town.other.id] == 1


async def test_restricts_refused_for_lack_of_rights_tell_the_admins_once_per_chat(
    fake: FakeTelegram, test_database: TestDatabase
) -> None:
    town = build_community(fake, test_database, bot_rights=WITHOUT_RESTRICT)
    fake.world.bot_member(fake.chat(town.other.id)).rights["can_restrict_members"] = False
    bot = community_bot(town)
    await bot.start(fake)
    try:
        await town.register()
        newcomers = [fake.create_user(name, "Новичок") for name in ("Первый", "Второй")]
        for chat, newbie in zip((town.building, town.other), newcomers, strict=True):
            fake.user_joins(chat.id, newbie)
            await town.bot_says(chat, newbie.first_name)
        notices = await _wait_texts(fake, town.staff, "не хватает права", 2)
        # Again in both chats: a third newcomer, a moderator's mute.
        fake.user_joins(town.building.id, fake.create_user("Третий", "Новичок"))
        await town.bot_says(town.building, "Третий")
        offending = town.says(town.resident, town.other, "Грубость")
        town.says(town.admin, town.other, "/mute 1h", reply_to=offending)
        await town.bot_says(town.other, "не может писать 1 час")
        await fake.wait_for(lambda: len(fake.calls_of("restrictChatMember")) >= 4)
        town.says(town.admin, town.staff, "/modlog")
        await town.bot_says(town.staff, "Журнал модерации")
    finally:
        await bot.stop()

    assert texts(fake, town.staff.id, "не хватает права") == notices
    named = sorted(
        ("Ленина 5" in text, "Ленина 7" in text, "«Блокировка участников»" in text)
        for text in notices
    )
    assert named == [(False, True, True), (True, False, True)]
    assert all(c.error_code == 400 for c in fake.calls_of("restrictChatMember"))
    failed = await query(
        town.database,
        "SELECT chat_id, last_error FROM outbox WHERE kind = 'restrict' AND status = 'failed'",
    )
    assert sorted(chat_id for chat_id, _ in failed) == sorted(
        [town.building.id, town.building.id, town.other.id, town.other.id]
    )
    assert all("not enough rights" in error for _, error in failed)
    assert sorted(
        await query(town.database, 'SELECT chat_id, "right" FROM mod_right_notices')
    ) == sorted(
        [(town.building.id, "can_restrict_members"), (town.other.id, "can_restrict_members")]
    )


async def _wait_texts(fake: FakeTelegram, chat: FakeChat, contains: str, count: int) -> list[str]:
    await fake.wait_for(
        lambda: len(texts(fake, chat.id, contains)) >= count,
        message=f"for {count} messages with {contains!r} in {chat.title}",
    )
    return texts(fake, chat.id, contains)
