"""Telegram's failures: 429, 5xx, dropped connections, a bot removed from a chat."""

from __future__ import annotations

from bot.fake_telegram import FakeTelegram
from tests.e2e.harness import InProcessBot, Town, query, wait_until


async def outbox(bot: InProcessBot) -> list[tuple[object, ...]]:
    return await query(bot.settings, "SELECT chat_id, status, last_error FROM outbox ORDER BY id")


async def test_429_delays_that_chat_only_and_the_message_still_arrives_once(
    fake: FakeTelegram, town: Town, running: InProcessBot
) -> None:
    await town.register()
    fake.fail_next("sendMessage", 429, retry_after=2, chat_id=town.building.id)
    town.says(town.resident, town.building, "#проблема Не вывезли мусор")
    card = await town.reply_in(town.staff, "№1", timeout=5)  # the staff chat is not held up
    ack = await town.reply_in(town.building, "№1 принята", timeout=10)
    refused = fake.calls_of("sendMessage", ok=False, chat_id=town.building.id)
    assert len(refused) == 1 and refused[0].error_code == 429
    accepted = [
        c
        for c in fake.calls_of("sendMessage", ok=True, chat_id=town.building.id)
        if "№1 принята" in c.params["text"]
    ]
    assert len(accepted) == 1
    assert (accepted[0].at - refused[0].at).total_seconds() >= 2.0  # retry_after was respected
    assert card.message_id and ack.message_id


async def test_server_errors_and_dropped_connections_are_retried(
    fake: FakeTelegram, town: Town, running: InProcessBot
) -> None:
    await town.register()
    fake.fail_next("sendMessage", 502, chat_id=town.building.id)
    fake.drop_connections("sendMessage")
    town.says(town.resident, town.building, "#проблема Нет отопления")
    await town.reply_in(town.building, "№1 принята", timeout=15)
    await town.reply_in(town.staff, "№1", timeout=15)
    acks = [m for m in fake.bot_messages(town.building.id) if "№1 принята" in m.content]
    assert len(acks) == 1

    async def all_sent() -> bool:
        return all(status == "sent" for _, status, _ in await outbox(running))

    await wait_until(all_sent)


async def test_a_bot_removed_from_a_chat_is_recorded_not_fatal(
    fake: FakeTelegram, town: Town, running: InProcessBot
) -> None:
    await town.register()
    town.says(town.resident, town.building, "#проблема Сломана дверь подъезда")
    await town.reply_in(town.building, "№1 принята")
    fake.kick_bot(town.building.id)
    town.says(town.specialist, town.staff, "/close 1 Дверь починили")
    await town.reply_in(town.staff, "Обращение №1 закрыто")

    async def one_failed() -> bool:
        return any(status == "failed" for _, status, _ in await outbox(running))

    await wait_until(one_failed, timeout=10)
    [(chat_id, _, error)] = [row for row in await outbox(running) if row[1] == "failed"]
    assert chat_id == town.building.id
    assert "kicked" in str(error)
    # The bot goes on working elsewhere.
    town.says(town.specialist, town.staff, "/issue 1")
    await town.reply_in(town.staff, "История")


async def test_a_retried_message_is_not_overtaken_by_later_ones_in_its_chat(
    fake: FakeTelegram, town: Town, running: InProcessBot
) -> None:
    await town.register()
    fake.fail_next("sendMessage", 502, chat_id=town.building.id)
    for text in ("#проблема Первое", "#проблема Второе", "#проблема Третье"):
        town.says(town.resident, town.building, text)
    await town.reply_in(town.building, "№3 принята", timeout=20)
    acks = [m.content for m in fake.bot_messages(town.building.id) if "принята" in m.content]
    assert [ack.split()[1] for ack in acks] == ["№1", "№2", "№3"]
