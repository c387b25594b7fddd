"""One update, one unit of work: counted on the real dispatcher, services and storage.

The app is built as `civicbot run` builds it, with a session that answers Bot API calls
locally; updates go through the poller's `handle`, as they come from getUpdates.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from sqlalchemy import event, select

from bot.app import App, build_app
from bot.config import Settings
from bot.domain.models import ChatKind, ChatPlace, Person, RegisteredChat
from bot.domain.outgoing import Outgoing
from storage import db
from storage.db import BEGIN_OPTION
from storage.tables import chats, users
from storage.uow import SqlUnitOfWorkFactory
from tests.database import TestDatabase, on_postgres
from tests.e2e.harness import storage_section

TOKEN = "123456789:AAAbbbCCCdddEEEfffGGGhhhIIIjjjKKKlll"
BUILDING = -1001
STAFF = -1002
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class LocalSession(BaseSession):
    """Answers every Bot API call with True, so nothing leaves the process."""

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        return True

    async def stream_content(  # type: ignore[override]  # never called: no file is downloaded
        self, *args: Any, **kwargs: Any
    ) -> Any:
        raise NotImplementedError

    async def close(self) -> None:
        return None


@dataclass
class Statements:
    begins: int = 0
    sql: list[str] = field(default_factory=list)

    def on_begin(self, *_: Any) -> None:
        self.begins += 1

    def on_statement(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.sql.append(statement)

    def reading(self, table: str) -> list[str]:
        pattern = re.compile(rf"^SELECT .*\sFROM {table}\b", re.DOTALL)
        return [s for s in self.sql if pattern.match(s)]

    def reset(self) -> None:
        self.begins = 0
        self.sql = []


@pytest.fixture
async def app(test_database: TestDatabase) -> AsyncIterator[App]:
    settings = Settings(
        telegram={"token": TOKEN, "api_base": "http://127.0.0.1:9"},
        storage=storage_section(test_database),
        roles={"admins": [1], "specialists": []},
    )
    app = build_app(settings, clock=lambda: NOW)
    app.bot.session = LocalSession()
    await db.upgrade(app.engine)
    async with app.uow_factory() as uow:
        await uow.chats.save(
            RegisteredChat(ChatPlace(BUILDING, 0), ChatKind.BUILDING, "Дом 1", 1, NOW)
        )
        await uow.chats.save(
            RegisteredChat(ChatPlace(STAFF, 0), ChatKind.STAFF, "Специалисты", 1, NOW)
        )
        await uow.commit()
    yield app
    dispose = getattr(app.uow_factory, "dispose", None)
    if dispose is not None:
        await dispose()
    await app.engine.dispose()


def watch(app: App) -> Statements:
    seen = Statements()
    engines = [app.engine, getattr(app.uow_factory, "_inline", None)]
    for engine in engines:
        if engine is not None:
            event.listen(engine.sync_engine, "begin", seen.on_begin)
            event.listen(engine.sync_engine, "before_cursor_execute", seen.on_statement)
    return seen


def group_message(bot: Bot, update_id: int, text: str, user_id: int = 500) -> Update:
    data = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(NOW.timestamp()),
            "chat": {"id": BUILDING, "type": "supergroup", "title": "Дом 1"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Анна"},
            "text": text,
        },
    }
    return Update.model_validate(data, context={"bot": bot})


async def test_a_tagged_message_is_taken_in_with_one_transaction_and_one_registration_lookup(
    app: App,
) -> None:
    await app.poller.handle(group_message(app.bot, 1, "спасибо соседям", user_id=400))
    cache = getattr(app.uow_factory, "cache", None)
    if cache is not None:
        cache.clear()  # cold: the registrations are read from the database
    seen = watch(app)

    await app.poller.handle(group_message(app.bot, 2, "#проблема нет горячей воды"))

    assert seen.begins == 1
    assert len(seen.reading("chats")) == 1
    assert seen.reading("fsm_states") == []  # nobody has a dialog open
    async with app.uow_factory.reader() as uow:
        issues = await uow.issues.list_open()
        assert [issue.number for issue in issues] == [1]
        assert await uow.updates.seen(app.poller.bot_id, 2)
        due = await uow.outbox.due(NOW, 10)
    assert sorted(entry.message.chat_id for entry in due) == [STAFF, BUILDING]


async def test_a_redelivered_tagged_message_is_skipped_in_one_read_only_transaction(
    app: App,
) -> None:
    update = group_message(app.bot, 7, "#проблема нет света")
    await app.poller.handle(update)
    seen = watch(app)
    await app.poller.handle(update)
    assert seen.begins == 1
    assert not [s for s in seen.sql if s.startswith(("INSERT", "UPDATE", "DELETE"))]
    async with app.uow_factory.reader() as uow:
        assert len(await uow.issues.list_open()) == 1


async def test_an_untagged_message_reads_no_registration_once_the_cache_is_warm(
    app: App,
) -> None:
    await app.poller.handle(group_message(app.bot, 1, "#проблема первая"))
    seen = watch(app)
    await app.poller.handle(group_message(app.bot, 2, "спасибо соседям", user_id=401))
    assert seen.begins == 1
    assert seen.reading("chats") == []
    assert seen.reading("specialist_grants") == []
    assert seen.reading("mod_chat_settings") == []
    assert not [s for s in seen.sql if s.startswith(("INSERT", "UPDATE", "DELETE"))]
    # Its only reads: the seen-check and the guard's look at the sender's probation record.
    reads = [s for s in seen.sql if s.startswith("SELECT")]
    assert len(reads) == 2
    assert len(seen.reading("processed_updates")) == len(seen.reading("mod_members")) == 1


# --- the update's unit of work, structurally ---------------------------------------------------


async def _names(factory: SqlUnitOfWorkFactory) -> list[str]:
    """What another connection sees, read without waiting for the update's write lock."""
    async with factory.engine.connect() as connection:
        await connection.execution_options(**{BEGIN_OPTION: "DEFERRED"})
        rows = await connection.execute(select(users.c.name).order_by(users.c.user_id))
        return [row.name for row in rows]


async def test_units_opened_while_handling_an_update_commit_once_with_it(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    begins: list[object] = []
    event.listen(uow_factory.engine.sync_engine, "begin", lambda *_: begins.append(1))
    async with uow_factory.update_unit() as update:
        # A handler whose use case commits twice (close a poll, then start closing it).
        async with uow_factory() as first:
            await first.users.remember(Person(1, "первая"), NOW)
            await first.commit()
        assert await _names(uow_factory) == []  # nothing is committed before the update is
        async with uow_factory() as second:
            await second.users.remember(Person(2, "вторая"), NOW)
            await second.commit()
        await update.updates.claim(1, 1, NOW)
        await update.commit()
    assert len(begins) == 1 + 1  # the update's, and the reading connection's above
    assert await _names(uow_factory) == ["первая", "вторая"]


async def test_a_failed_use_case_inside_an_update_leaves_only_its_own_changes_out(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory.update_unit() as update:
        async with uow_factory() as first:
            await first.users.remember(Person(1, "первая"), NOW)
            await first.commit()
        with pytest.raises(RuntimeError):
            async with uow_factory() as second:
                await second.users.remember(Person(2, "вторая"), NOW)
                await second.outbox.enqueue(Outgoing(chat_id=2, text="не уйдёт"), not_before=NOW)
                raise RuntimeError("refused")
        async with uow_factory() as third:
            await third.users.remember(Person(3, "третья"), NOW)
            await third.commit()
        await update.commit()
    assert await _names(uow_factory) == ["первая", "третья"]
    async with uow_factory.reader() as uow:
        assert await uow.outbox.due(NOW, 10) == []


async def test_a_failed_first_use_case_inside_an_update_is_rolled_back(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory.update_unit() as update:
        with pytest.raises(RuntimeError):
            async with uow_factory() as first:
                await first.users.remember(Person(1, "первая"), NOW)
                raise RuntimeError("refused")
        async with uow_factory() as second:
            await second.users.remember(Person(2, "вторая"), NOW)
            await second.commit()
        await update.commit()
    assert await _names(uow_factory) == ["вторая"]


async def test_a_registration_change_is_seen_by_the_next_lookup(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    place = ChatPlace(BUILDING, 0)
    async with uow_factory.reader() as uow:
        assert await uow.chats.get(place) is None  # cached: no registrations
    async with uow_factory() as uow:
        await uow.chats.save(RegisteredChat(place, ChatKind.BUILDING, "Дом 1", 1, NOW))
        await uow.commit()
    async with uow_factory.reader() as uow:
        found = await uow.chats.get(place)
        assert found is not None and found.name == "Дом 1"
    async with uow_factory() as uow:
        await uow.chats.delete(place)
        # Rolled back: the cache must not keep what this unit saw of its own change.
    async with uow_factory.reader() as uow:
        assert await uow.chats.get(place) is not None
    async with uow_factory.engine.connect() as connection:
        rows = (await connection.execute(select(chats.c.name))).all()
    assert [row.name for row in rows] == ["Дом 1"]


async def test_a_reader_whose_snapshot_predates_a_registration_does_not_cache_it_away(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    """A scheduled job's reader began before /register committed; it reads the old rows
    afterwards. What it read must not be cached, or the new staff chat would stay unseen
    (no cards, no reminders) until the cache expires."""
    staff = ChatPlace(STAFF, 0)
    async with uow_factory.reader() as job:
        await job.connection.execute(select(users.c.user_id))  # the job's snapshot begins
        async with uow_factory() as register:
            await register.chats.save(RegisteredChat(staff, ChatKind.STAFF, "Специалисты", 1, NOW))
            await register.commit()
        seen = [chat.place for chat in await job.chats.by_kind(ChatKind.STAFF)]
        # SQLite reads the snapshot of the job's first read: no staff chat. PostgreSQL's READ
        # COMMITTED reads what is committed at each statement: the new chat already.
        assert seen == ([staff] if on_postgres() else [])
    async with uow_factory.reader() as intake:
        found = await intake.chats.by_kind(ChatKind.STAFF)
    assert [chat.place for chat in found] == [staff]
