"""Input that used to end in a traceback: late and forged button presses, numbers beyond
SQLite's integers, entity offsets that split a surrogate pair, two chats migrating to one id,
a migration while the bot's message there is being sent.

Each is answered or ignored by design; the log holds no error, and the desk goes on working.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.fake_telegram import FakeTelegram
from bot.texts.errors import USAGE_TAKE
from bot.texts.moderation import USAGE_UNBAN
from tests.e2e.harness import InProcessBot, Town, query, wait_until


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def press(fake: FakeTelegram, user: dict[str, Any], data: str, message: dict[str, Any]) -> None:
    """A press Telegram no longer knows (late, or forged): answering it is refused."""
    query = {"id": f"q{len(fake.calls)}", "from": user, "chat_instance": "1", "data": data}
    fake.world.updates.push("callback_query", {**query, "message": message})


async def test_late_and_forged_button_presses_change_nothing_and_log_no_error(
    fake: FakeTelegram, town: Town, running: InProcessBot, caplog: pytest.LogCaptureFixture
) -> None:
    await town.register()
    sent = fake.user_sends(town.building.id, town.resident, "#проблема Мусор")
    card = await town.reply_in(town.staff, "№1")
    card_api = fake.world.message_api(fake.message(town.staff.id, card.message_id))
    resident = sent["from"]
    specialist = {**resident, "id": town.specialist.id, "first_name": "Ольга"}
    for user, data in [
        (resident, "iss:take:1"),  # refused (a resident), and too late to answer
        (specialist, "iss:take:1"),  # allowed, answered too late
        (specialist, "iss:take:9223372036854775808"),  # beyond SQLite's INTEGER
        (specialist, "iss:close:-99999999999999999999"),
        (specialist, "mod:ban:18446744073709551616"),
        (specialist, "vrd:yes:9223372036854775807"),
        (specialist, "an:del:99999999999999999999999"),
        (specialist, "wz:org:²"),  # a digit to str.isdigit, not to int()
        (specialist, "wz:ch:९"),
        (specialist, "wz:"),
        (specialist, "iss:take"),
        (specialist, "iss"),
        (specialist, ""),
    ]:
        press(fake, user, data, card_api)
    town.says(town.neighbour, town.building, "#проблема Нет света")
    await town.reply_in(town.building, "№2 принята", timeout=15)
    assert errors(caplog) == []
    assert await query(running.settings, "SELECT number, status FROM issues ORDER BY number") == [
        (1, "in_progress"),
        (2, "new"),
    ]


async def test_an_entity_splitting_a_surrogate_pair_does_not_stop_intake(
    fake: FakeTelegram, town: Town, running: InProcessBot, caplog: pytest.LogCaptureFixture
) -> None:
    await town.register()
    template = fake.user_sends(town.building.id, town.resident, "#проблема Первая")
    await town.reply_in(town.building, "№1 принята")
    text = "#проблема 😀 лифт 🚧 example.com"
    message = {
        **template,
        "message_id": template["message_id"] + 100,
        "text": text,
        # UTF-16 offset 11 is the second half of 😀; 17..19 cut 🚧 in two.
        "entities": [
            {"type": "url", "offset": 11, "length": 8},
            {"type": "mention", "offset": 18, "length": 3},
            {"type": "url", "offset": 500, "length": 5},
        ],
    }
    fake.world.updates.push("message", message)
    await town.reply_in(town.building, "№2 принята", timeout=15)
    assert await query(running.settings, "SELECT text FROM issues WHERE number = 2") == [(text,)]
    assert errors(caplog) == []


async def test_two_chats_migrating_to_one_id_keep_both_registrations(
    fake: FakeTelegram, town: Town, running: InProcessBot, caplog: pytest.LogCaptureFixture
) -> None:
    await town.register()
    # A word in the staff chat first, so the card there gets the id the acknowledgement
    # gets in the building: the second chat's messages cannot all move to the first's id.
    town.says(town.specialist, town.staff, "Доброе утро")
    template = fake.user_sends(town.building.id, town.resident, "#проблема Первая")
    await town.reply_in(town.building, "№1 принята")
    await town.reply_in(town.staff, "№1")
    staff_chat = {**template["chat"], "id": town.staff.id, "title": "Специалисты"}
    new_id = -1009999999999
    for chat in (template["chat"], staff_chat):
        fake.world.updates.push(
            "message",
            {
                "message_id": template["message_id"] + 200,
                "date": template["date"],
                "chat": chat,
                "from": template["from"],
                "migrate_to_chat_id": new_id,
            },
        )
    sent = len(fake.calls)
    town.says(town.specialist, town.staff, "/help")  # handled after both: the bot kept going
    await fake.wait_for(lambda: len(fake.calls) > sent and fake.world.updates.pending == [])
    kinds = await query(running.settings, "SELECT chat_id, kind FROM chats ORDER BY kind")
    assert kinds == [(new_id, "building"), (town.staff.id, "staff")]
    # The acknowledgement moved with the building; the card stayed with the staff chat.
    refs = await query(running.settings, "SELECT chat_id, kind FROM sent_messages ORDER BY kind")
    assert refs == [(new_id, "ack"), (town.staff.id, "card")]
    assert errors(caplog) == []


async def test_a_migration_during_a_send_takes_the_message_being_sent_along(
    fake: FakeTelegram, town: Town, running: InProcessBot, caplog: pytest.LogCaptureFixture
) -> None:
    """The group becomes a supergroup while the acknowledgement's answer is on its way (sent,
    its id not yet recorded): the migration waits for the record, so the acknowledgement moves
    to the new id with the rest (a reply to it in the supergroup will find it there)."""
    await town.register()
    fake.hang("sendMessage", 2.0, after_processing=True, chat_id=town.building.id)
    template = fake.user_sends(town.building.id, town.resident, "#проблема Первая")
    await town.reply_in(town.building, "№1 принята")  # Telegram has it; the bot not yet
    new_id = -1009999999999
    fake.world.updates.push(
        "message",
        {
            "message_id": template["message_id"] + 200,
            "date": template["date"],
            "chat": template["chat"],
            "from": template["from"],
            "migrate_to_chat_id": new_id,
        },
    )

    async def acknowledgement_recorded() -> bool:
        sql = "SELECT count(*) FROM sent_messages WHERE kind = 'ack'"
        return await query(running.settings, sql) == [(1,)]

    async def migrated() -> bool:
        sql = "SELECT count(*) FROM chats WHERE chat_id = :new_id"
        return await query(running.settings, sql, new_id=new_id) == [(1,)]

    await wait_until(acknowledgement_recorded, message="for the acknowledgement's record")
    await wait_until(migrated, message="for the migration")
    refs = await query(running.settings, "SELECT chat_id FROM sent_messages WHERE kind = 'ack'")
    assert refs == [(new_id,)]
    assert errors(caplog) == []


async def test_commands_with_numbers_beyond_the_columns_get_their_usage_line(
    fake: FakeTelegram, town: Town, running: InProcessBot, caplog: pytest.LogCaptureFixture
) -> None:
    """A specialist's `/take 9223372036854775808` (2^63, found by the fuzz test) reached the
    database and ended in SQLite's OverflowError; `/take ²` in int()'s ValueError."""
    await town.register()
    town.says(town.resident, town.building, "#проблема Мусор")
    await town.reply_in(town.building, "№1 принята")
    for command in ("/take 9223372036854775808", "/take 2147483648", "/take ²"):
        before = town.last_bot_id(town.staff)
        town.says(town.specialist, town.staff, command)
        usage = await town.reply_in(town.staff, "Использование: /take N", after=before)
        assert usage.text == USAGE_TAKE
    before = town.last_bot_id(town.building)
    town.says(town.admin, town.building, "/unban 99999999999999999999")
    usage = await town.reply_in(town.building, "Использование: /unban", after=before)
    assert usage.text == USAGE_UNBAN
    town.says(town.specialist, town.staff, "/take 1")
    await town.reply_in(town.building, "№1 взята в работу", timeout=15)
    assert errors(caplog) == []
    assert await query(running.settings, "SELECT number, status FROM issues") == [
        (1, "in_progress")
    ]
