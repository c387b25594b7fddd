"""Webhooks in the Bot API double: setWebhook's rules, delivery with the secret header,
retries with growing delays, getWebhookInfo, and getUpdates refused beside a webhook."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiohttp import web

from bot.fake_telegram import ADMIN_RIGHTS, FakeTelegram
from tests.e2e.harness import free_port

CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


@dataclass
class Receiver:
    """The bot's side: answers each POST with the next status of `script` (then 200)."""

    script: list[int] = field(default_factory=list)
    seen: list[tuple[float, str | None, Any]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.seen.append(
            (time.monotonic(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"), body)
        )
        status = self.script.pop(0) if self.script else 200
        return web.json_response({}, status=status)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as double:
        double.set_webhook_retry(first=0.05, cap=0.2)
        yield double


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.api_base))
    client = Bot(fake.token, session=session)
    yield client
    await session.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    got = Receiver()
    app = web.Application()
    app.router.add_post("/hook", got.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    got.url = f"http://127.0.0.1:{port}/hook"
    yield got
    await runner.cleanup()


@pytest.mark.parametrize(
    ("url", "secret", "connections", "error"),
    [
        ("http://example.org/hook", None, None, "An HTTPS URL must be provided"),
        ("https://example.org:8080/hook", None, None, "only on ports 80, 88, 443 or 8443"),
        ("https://example.org/hook", "no spaces allowed", None, "unallowed characters"),
        ("https://example.org/hook", "x" * 257, None, "unallowed characters"),
        ("https://example.org/hook", None, 101, "max_connections"),
        ("not a url", None, None, "invalid webhook URL"),
    ],
)
async def test_set_webhook_follows_telegrams_rules(
    bot: Bot, url: str, secret: str | None, connections: int | None, error: str
) -> None:
    with pytest.raises(TelegramBadRequest, match=error):
        await bot.set_webhook(url, secret_token=secret, max_connections=connections)
    assert (await bot.get_webhook_info()).url == ""


async def raw_set_webhook(fake: FakeTelegram, **params: Any) -> tuple[int, Any]:
    url = f"{fake.api_base}/bot{fake.token}/setWebhook"
    async with aiohttp.ClientSession() as http, http.post(url, json=params) as answer:
        return answer.status, await answer.json()


async def test_an_https_url_on_an_allowed_port_is_set_and_reported(
    fake: FakeTelegram, bot: Bot
) -> None:
    assert await bot.set_webhook(
        "https://bot.example.org:8443/hook",
        secret_token="Az09_-",
        max_connections=5,
        allowed_updates=["message", "chat_member"],
    )
    info = await bot.get_webhook_info()
    assert info.url == "https://bot.example.org:8443/hook"
    assert info.max_connections == 5
    assert info.allowed_updates == ["chat_member", "message"]
    assert info.has_custom_certificate is False
    status, body = await raw_set_webhook(fake, url="")  # an empty URL removes it
    assert (status, body["result"]) == (200, True)
    assert (await bot.get_webhook_info()).url == ""


async def test_updates_are_posted_with_the_secret_and_get_updates_is_refused(
    fake: FakeTelegram, bot: Bot, receiver: Receiver
) -> None:
    anna = fake.create_user("Анна")
    house = fake.create_group("Дом 5", members=[anna], bot_rights=ADMIN_RIGHTS)
    await bot.set_webhook(receiver.url, secret_token="s3cret", allowed_updates=["message"])
    fake.user_sends(house.id, anna, "#проблема нет воды")
    await fake.wait_for(lambda: fake.webhook_info()["pending_update_count"] == 0, timeout=30)
    (_, secret, body), *_ = [item for item in receiver.seen if "message" in item[2]]
    assert secret == "s3cret"
    assert body["message"]["text"] == "#проблема нет воды"
    assert [d.status for d in fake.webhook_deliveries if "message" in d.update] == [200]
    with pytest.raises(TelegramConflictError) as refused:
        await bot.get_updates(timeout=0)
    assert refused.value.message == CONFLICT


async def test_a_failed_delivery_is_retried_with_growing_delays_and_reported(
    fake: FakeTelegram, bot: Bot, receiver: Receiver
) -> None:
    anna = fake.create_user("Анна")
    house = fake.create_group("Дом 5", members=[anna], bot_rights=ADMIN_RIGHTS)
    await bot.set_webhook(receiver.url, allowed_updates=["message"])
    receiver.script = [500, 503, 500]
    fake.user_sends(house.id, anna, "#проблема нет воды")
    await fake.wait_for(lambda: len(fake.webhook_deliveries) >= 2, timeout=30)
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1  # still Telegram's to deliver
    assert info.last_error_message is not None
    assert info.last_error_message.startswith("Wrong response from the webhook: 5")
    assert info.last_error_date is not None
    await fake.wait_for(lambda: fake.webhook_info()["pending_update_count"] == 0, timeout=30)
    assert [d.status for d in fake.webhook_deliveries] == [500, 503, 500, 200]
    assert len({d.update_id for d in fake.webhook_deliveries}) == 1
    moments = [moment for moment, _, _ in receiver.seen]
    gaps = [later - earlier for earlier, later in zip(moments, moments[1:], strict=False)]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1 and gaps[2] >= 0.2  # doubled up to the cap


async def test_no_answer_is_an_error_and_delete_webhook_hands_the_updates_to_get_updates(
    fake: FakeTelegram, bot: Bot
) -> None:
    anna = fake.create_user("Анна")
    house = fake.create_group("Дом 5", members=[anna], bot_rights=ADMIN_RIGHTS)
    await bot.set_webhook(f"http://127.0.0.1:{free_port()}/hook", allowed_updates=["message"])
    fake.user_sends(house.id, anna, "#проблема нет воды")
    await fake.wait_for(lambda: len(fake.webhook_deliveries) >= 1, timeout=30)
    assert fake.webhook_info()["last_error_message"] == "Connection refused"
    assert fake.webhook_info()["pending_update_count"] == 1
    assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""
    (update,) = await bot.get_updates(timeout=0)
    assert update.message is not None and update.message.text == "#проблема нет воды"


async def test_a_waiting_get_updates_ends_with_409_when_a_webhook_is_set(
    fake: FakeTelegram, bot: Bot, receiver: Receiver
) -> None:
    waiting = asyncio.ensure_future(bot.get_updates(timeout=20))
    await fake.wait_for(lambda: fake.world.updates.polls == 1, timeout=10)
    await bot.set_webhook(receiver.url)
    with pytest.raises(TelegramConflictError):
        await asyncio.wait_for(waiting, timeout=10)
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates(timeout=0) == []
