"""Telegram webhook mode end to end: `civicbot run` as a real process, the double POSTing
each update to it with the secret header, as Telegram does.

An update answered 200 is in the bot's inbox before the answer: a redelivery changes nothing,
a SIGKILL before it was handled loses nothing, and a later start in polling mode deletes the
webhook and polls."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import ALLOWED_UPDATES
from bot.fake_telegram import ADMIN_RIGHTS, FakeTelegram
from bot.fake_telegram.webhook import Delivery
from tests.database import TestDatabase
from tests.e2e.harness import (
    BotProcess,
    Database,
    Town,
    free_port,
    process_bot,
    query,
    wait_until,
)

SECRET = "civic-webhook_Secret-42"
PATH = "/telegram/webhook"


def webhook_keys(port: int, **more: Any) -> dict[str, Any]:
    return {
        "mode": "webhook",
        "webhook_url": f"http://127.0.0.1:{port}{PATH}",
        "webhook_secret": SECRET,
        "webhook_port": port,
        **more,
    }


async def start_on_webhook(
    fake: FakeTelegram, town: Town, tmp_path: Path, database: Database, port: int, **more: Any
) -> BotProcess:
    """`civicbot run` in webhook mode; ready once its setWebhook reached the double."""
    bot = process_bot(fake, town, tmp_path, database, telegram=webhook_keys(port, **more))
    before = len(fake.calls_of("setWebhook", ok=True))
    await bot.start(fake, ready=lambda: len(fake.calls_of("setWebhook", ok=True)) > before)
    return bot


def deliveries_of(fake: FakeTelegram, message_id: int) -> list[Delivery]:
    return [
        d
        for d in fake.webhook_deliveries
        if d.update.get("message", {}).get("message_id") == message_id
    ]


async def inbox(database: Database) -> list[tuple[Any, ...]]:
    return await query(database, "SELECT update_id FROM webhook_inbox")


async def _inbox_empty(database: Database) -> bool:
    return await inbox(database) == []


async def issue_count(database: Database) -> int:
    return int((await query(database, "SELECT count(*) FROM issues"))[0][0])


async def test_a_tagged_message_becomes_one_issue_and_a_redelivery_nothing(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    port = free_port()
    bot = await start_on_webhook(fake, town, tmp_path, test_database, port)
    registered = fake.calls_of("setWebhook", ok=True)[-1].params
    assert registered["url"] == f"http://127.0.0.1:{port}{PATH}"
    assert registered["secret_token"] == SECRET
    assert registered["allowed_updates"] == list(ALLOWED_UPDATES)
    await town.register()

    asked = town.says(town.resident, town.building, "#проблема Течёт крыша")
    ack = await town.reply_in(town.building, "№1", timeout=30)
    assert ack.reply_to == asked and "принята" in ack.content
    (delivery,) = deliveries_of(fake, asked)
    assert delivery.status == 200 and delivery.secret_sent == SECRET

    # Telegram delivers it again (its 200 lost on the way): answered 200, handled never again.
    fake.redeliver(delivery.update_id)
    await fake.wait_for(lambda: len(deliveries_of(fake, asked)) == 2, timeout=30)
    assert deliveries_of(fake, asked)[1].status == 200
    # The next message is №2: a second issue from the repeat would have taken that number.
    later = town.says(town.neighbour, town.building, "#проблема Не горит свет")
    second = await town.reply_in(town.building, "№2", timeout=30)
    assert second.reply_to == later
    acks = [m for m in fake.bot_messages(town.building.id) if "принята" in m.content]
    assert [m.reply_to for m in acks] == [asked, later]
    assert await issue_count(test_database) == 2
    assert await inbox(test_database) == []
    assert fake.webhook_info()["pending_update_count"] == 0
    assert fake.calls_of("getUpdates") == []  # webhook mode never polls
    assert await bot.terminate() == 0
    # The webhook stays set across a stop: Telegram keeps the updates of a restart.
    assert fake.webhook_info()["url"] == registered["url"]
    assert fake.calls_of("deleteWebhook") == []


async def test_a_request_without_the_secret_is_refused_and_a_bad_update_quarantined(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    port = free_port()
    bot = await start_on_webhook(fake, town, tmp_path, test_database, port)
    await town.register()
    url = f"http://127.0.0.1:{port}{PATH}"
    update: dict[str, Any] = {
        "update_id": 555,
        "message": {
            "message_id": 77,
            "date": int(time.time()),
            "chat": {"id": town.building.id, "type": "supergroup", "title": "Дом Ленина 5"},
            "from": {"id": town.resident.id, "is_bot": False, "first_name": "Анна"},
            "text": "#проблема Подделка",
        },
    }
    async with aiohttp.ClientSession() as session:

        async def post(body: Any, secret: str | None) -> int:
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
            data = body if isinstance(body, str) else None
            payload = None if isinstance(body, str) else body
            async with session.post(url, json=payload, data=data, headers=headers) as answer:
                return answer.status

        assert await post(update, None) == 401
        assert await post(update, "wrong-secret") == 401
        assert await post("{not json", SECRET) == 400
        assert await post({"message": update["message"]}, SECRET) == 400  # no update id
        # JSON with an id that aiogram's models reject (a chat without its type): kept, then
        # quarantined when handled, as polling does; the admins hear of it.
        poison = {"update_id": 556, "message": {**update["message"], "chat": {"id": 1}}}
        assert await post(poison, SECRET) == 200
    notice = await town.reply_in(town.staff, "не смог разобрать обновление", timeout=30)
    assert "556" in notice.content
    quarantined = await query(test_database, "SELECT update_id FROM quarantined_updates")
    assert quarantined == [(556,)]
    assert await issue_count(test_database) == 0  # the forged update never reached the desk
    assert await inbox(test_database) == []
    assert await bot.terminate() == 0


async def test_an_update_killed_before_handling_is_handled_after_a_restart_then_polling_works(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    port = free_port()
    bot = await start_on_webhook(fake, town, tmp_path, test_database, port)
    await town.register()
    assert await bot.terminate() == 0
    # A drill's pause between the 200 and the handling, so the kill lands exactly there.
    bot = await start_on_webhook(fake, town, tmp_path, test_database, port, webhook_hold="1h")
    asked = town.says(town.resident, town.building, "#проблема Течёт крыша")
    await fake.wait_for(
        lambda: [d.status for d in deliveries_of(fake, asked)] == [200], timeout=30
    )
    stored = await inbox(test_database)
    assert stored == [(deliveries_of(fake, asked)[0].update_id,)]
    await bot.kill()  # SIGKILL: answered 200, not handled
    assert await issue_count(test_database) == 0
    assert fake.webhook_info()["pending_update_count"] == 0  # Telegram holds nothing more

    bot = await start_on_webhook(fake, town, tmp_path, test_database, port)
    ack = await town.reply_in(town.building, "№1", timeout=30)
    assert ack.reply_to == asked
    # The stored update is removed in a transaction of its own once handled, and the ack may
    # leave before that commits (bot/telegram/webhook_inbox.py): the inbox empties soon after.
    await wait_until(
        lambda: _inbox_empty(test_database), message="for the handled update to leave the inbox"
    )
    assert await bot.terminate() == 0

    # Back to polling: the start deletes the webhook first (getUpdates would get 409).
    polling = process_bot(fake, town, tmp_path, test_database)
    await polling.start(fake)
    assert fake.webhook_info()["url"] == ""
    assert [c.params.get("drop_pending_updates") for c in fake.calls_of("deleteWebhook")] == [
        False
    ]
    later = town.says(town.neighbour, town.building, "#проблема Не горит свет")
    second = await town.reply_in(town.building, "№2", timeout=30)
    assert second.reply_to == later
    assert fake.calls_of("getUpdates", ok=False) == []
    acks = [m for m in fake.bot_messages(town.building.id) if "принята" in m.content]
    assert [m.reply_to for m in acks] == [asked, later]
    assert await polling.terminate() == 0
    await asyncio.sleep(0)


async def test_a_burst_is_answered_at_once_and_every_update_becomes_an_issue(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    residents = [fake.create_user(f"Жилец{n}", "Дома") for n in range(20)]
    house = fake.create_group(
        "Дом Мира 7", admins=[town.admin], members=residents, bot_rights=ADMIN_RIGHTS
    )
    bot = await start_on_webhook(fake, town, tmp_path, test_database, free_port())
    await town.register()
    town.says(town.admin, house, "/register building Дом Мира 7")
    await town.reply_in(house, "подключён")
    delivered = len(fake.webhook_deliveries)
    started = time.monotonic()
    asked = [
        town.says(person, house, f"#проблема Течёт кран {n}") for n, person in enumerate(residents)
    ]

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 120 * fake.timeout_scale
    while await issue_count(test_database) < len(asked) or await inbox(test_database):
        assert loop.time() < deadline, f"issues: {await issue_count(test_database)}\n{fake.dump()}"
        await asyncio.sleep(0.1)  # a look at the database, not a condition
    filed = time.monotonic() - started
    burst = fake.webhook_deliveries[delivered:]
    assert [d.status for d in burst] == [200] * len(asked)  # each accepted at the first try
    answers = sorted(d.seconds for d in burst)
    median, longest = answers[len(answers) // 2] * 1000, answers[-1] * 1000
    print(
        f"webhook burst of {len(asked)}: answered in median {median:.0f} ms, max "
        f"{longest:.0f} ms; all filed {filed:.1f} s after the first"
    )
    assert answers[-1] < 10.0  # far inside the time Telegram waits for an answer
    numbers = await query(test_database, "SELECT number FROM issues ORDER BY number")
    assert [n for (n,) in numbers] == list(range(1, len(asked) + 1))
    assert await bot.terminate() == 0
