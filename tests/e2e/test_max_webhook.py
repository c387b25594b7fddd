"""MAX webhooks end to end: the bot subscribes, the double POSTs each update with the secret
header, the update is stored and handled before the 200, and a repeat makes nothing twice."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.app import run
from bot.config import Settings
from bot.fake_max import FakeMax
from tests.database import TestDatabase
from tests.e2e.max_harness import MaxTown

SECRET = "civic-secret_42"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def fake() -> AsyncIterator[FakeMax]:
    async with FakeMax() as double:
        yield double


async def test_updates_by_webhook(
    fake: FakeMax, tmp_path: Path, test_database: TestDatabase
) -> None:
    town = MaxTown.create(fake)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/max/webhook"
    values = town.settings(test_database)
    values["max"].update(mode="webhook", webhook_url=url, webhook_secret=SECRET, webhook_port=port)
    stop = asyncio.Event()
    task = asyncio.create_task(run(Settings(**values), stop=stop))
    try:
        await fake.wait_for(
            lambda: fake.world.webhook.subscription is not None or task.done(),
            timeout=60,
            message="for the bot to subscribe",
        )
        assert fake.world.webhook.subscription is not None, task.result()
        assert fake.world.webhook.subscription.secret == SECRET

        await town.register()
        question = town.says(town.resident, town.building, "#проблема нет света")
        ack = await town.reply_in(town.building, "№1")
        assert ack.reply_to == question.mid
        assert fake.world.updates.polls == 0  # nothing came by long polling

        update = next(
            u
            for u in fake.world.updates.pushed
            if u.get("message", {}).get("body", {}).get("mid") == question.mid
        )
        fake.repeat(update)  # MAX delivers the very same update again (a lost 200)
        town.says(town.neighbour, town.building, "#вопрос про снег")
        await town.reply_in(town.building, "№2")
        acks = [m for m in fake.bot_messages(town.building) if "№1 принята" in (m.text or "")]
        assert len(acks) == 1
        assert all(d.status == 200 for d in fake.world.webhook.deliveries)
        created = [d for d in fake.world.webhook.deliveries if d.update_type == "message_created"]
        assert len(created) == 5  # 2 registrations, 2 questions, the repeat: all answered 200

        async with aiohttp.ClientSession() as http:
            wrong = {"X-Max-Bot-Api-Secret": "not-the-secret"}
            async with http.post(url, json=update, headers=wrong) as response:
                assert response.status == 401
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
