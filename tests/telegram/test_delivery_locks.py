"""The sender's own bookkeeping waits out a write lock held by another connection (a backup
tool, a second process): a send whose answer comes back while the database is locked is
recorded once the lock is gone, not left claimed and "maybe sent" for good."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import select

from bot.domain.outgoing import Outgoing
from bot.fake_telegram import ADMIN_RIGHTS, FakeTelegram
from bot.telegram.delivery import OutboxDispatcher
from bot.telegram.rate_limit import RateLimits, SendPlanner
from storage import db
from storage.tables import outbox
from storage.uow import SqlUnitOfWorkFactory
from tests.e2e.harness import hold_write_lock


def now() -> datetime:
    return datetime.now(UTC)


@pytest.mark.sqlite_only  # SQLite's one write lock; a short busy timeout makes it bite at once
async def test_an_answer_met_by_a_write_lock_is_recorded_after_it(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'civicbot.db'}"
    engine = db.create_engine(url, busy_timeout=0.1)
    await db.upgrade(engine)
    factory = SqlUnitOfWorkFactory(engine)
    async with FakeTelegram() as fake:
        anna = fake.create_user("Анна")
        house = fake.create_group("Дом", admins=[], members=[anna], bot_rights=ADMIN_RIGHTS)
        async with factory() as uow:
            entry_id = await uow.outbox.enqueue(
                Outgoing(chat_id=house.id, text="Заявка №1 принята"), not_before=now()
            )
            await uow.commit()
        # Telegram posts the message at once and its answer comes back a second later.
        fake.hang("sendMessage", 1.0, after_processing=True)
        session = AiohttpSession(api=TelegramAPIServer.from_base(fake.api_base))
        bot = Bot(token=fake.token, session=session)
        sender = OutboxDispatcher(bot, factory, SendPlanner(RateLimits()), now)
        running = asyncio.create_task(sender.run())
        try:
            await fake.wait_for(lambda: fake.bot_messages(house.id), message="for the send")
            async with hold_write_lock(url):  # the answer arrives while it is held
                await asyncio.sleep(2.0)

            async def status() -> str:
                async with factory.reader() as uow:
                    query = select(outbox.c.status).where(outbox.c.id == entry_id)
                    return str((await uow.connection.execute(query)).scalar_one())

            deadline = asyncio.get_running_loop().time() + 10 * fake.timeout_scale
            while await status() != "sent":
                assert asyncio.get_running_loop().time() < deadline, await status()
                await asyncio.sleep(0.05)
            assert [m.content for m in fake.bot_messages(house.id)] == ["Заявка №1 принята"]
        finally:
            await sender.stop()
            running.cancel()
            await session.close()
            await engine.dispose()
