"""Updates are keyed by (bot, update id): two bots on one database (two Telegram tokens)
number their updates on their own, and each bot's update 7 is handled."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiogram import Bot
from aiogram.types import Update

from bot.app import App, build_app
from bot.config import Settings
from bot.domain.models import ChatKind, ChatPlace, RegisteredChat
from storage import db
from tests.database import TestDatabase
from tests.e2e.harness import storage_section
from tests.test_update_unit import LocalSession

FIRST = "111111111:AAAbbbCCCdddEEEfffGGGhhhIIIjjjKKKlll"
SECOND = "222222222:AAAbbbCCCdddEEEfffGGGhhhIIIjjjKKKlll"
STAFF = -1002
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _app(token: str, test_database: TestDatabase) -> App:
    settings = Settings(
        telegram={"token": token, "api_base": "http://127.0.0.1:9"},
        storage=storage_section(test_database),
        roles={"admins": [1], "specialists": []},
    )
    app = build_app(settings, clock=lambda: NOW)
    app.bot.session = LocalSession()
    return app


@pytest.fixture
async def apps(test_database: TestDatabase) -> AsyncIterator[tuple[App, App]]:
    first, second = _app(FIRST, test_database), _app(SECOND, test_database)
    await db.upgrade(first.engine)
    async with first.uow_factory() as uow:
        for chat, title in ((-1001, "Дом 1"), (-1003, "Дом 3")):
            await uow.chats.save(
                RegisteredChat(ChatPlace(chat, 0), ChatKind.BUILDING, title, 1, NOW)
            )
        await uow.chats.save(
            RegisteredChat(ChatPlace(STAFF, 0), ChatKind.STAFF, "Специалисты", 1, NOW)
        )
        await uow.commit()
    yield first, second
    for app in (first, second):
        await app.uow_factory.dispose()
        await app.engine.dispose()


def tagged(bot: Bot, update_id: int, chat_id: int, text: str) -> Update:
    data = {
        "update_id": update_id,
        "message": {
            "message_id": 40,
            "date": int(NOW.timestamp()),
            "chat": {"id": chat_id, "type": "supergroup", "title": "Дом"},
            "from": {"id": 500, "is_bot": False, "first_name": "Анна"},
            "text": text,
        },
    }
    return Update.model_validate(data, context={"bot": bot})


async def test_two_bots_updates_with_the_same_id_are_both_handled(apps: tuple[App, App]) -> None:
    first, second = apps
    await first.poller.handle(tagged(first.bot, 7, -1001, "#проблема нет света"))
    await second.poller.handle(tagged(second.bot, 7, -1003, "#проблема нет воды"))
    # Each bot still skips its own update redelivered.
    await first.poller.handle(tagged(first.bot, 7, -1001, "#проблема нет света"))

    async with first.uow_factory.reader() as uow:
        issues = await uow.issues.list_open()
        texts = sorted(issue.text for issue in issues)
        assert texts == ["#проблема нет воды", "#проблема нет света"]
        assert await uow.updates.seen(first.poller.bot_id, 7)
        assert await uow.updates.seen(second.poller.bot_id, 7)
        assert not await uow.updates.seen(333333333, 7)


async def test_two_bots_set_the_same_update_id_aside_each_for_its_own_listing(
    apps: tuple[App, App],
) -> None:
    first, second = apps
    for app, kind in ((first, "message"), (second, "edited_message")):
        async with app.uow_factory() as uow:
            assert await uow.updates.quarantine.add(9, kind, "broken", "{}", NOW)
            await uow.commit()
    async with first.uow_factory.reader() as uow:
        assert [
            (entry.update_id, entry.kind) for entry in await uow.updates.quarantine.listed()
        ] == [(9, "message")]
    async with second.uow_factory.reader() as uow:
        assert await uow.updates.quarantine.payload(9) == "{}"
        assert [entry.kind for entry in await uow.updates.quarantine.listed()] == [
            "edited_message"
        ]
