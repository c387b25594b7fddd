"""The update path's prepared statements (storage.inline_sqlite.prepared): what they store on
SQLite reads back exactly as through SQLAlchemy's ordinary path, and the new issue the intake
builds from its values is the issue the database holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.models import ChatPlace, Person
from bot.domain.outgoing import Button, MessageRef, Outgoing, RefKind
from storage import db
from storage.inline_sqlite import InlineEngine, prepared
from storage.types import UtcDateTime
from storage.uow import SqlUnitOfWorkFactory

metadata = sa.MetaData()
notes = sa.Table(
    "notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("done", sa.Boolean, nullable=False),
)
# An offset other than UTC: the column's own conversion must store it as UTC.
MOSCOW = timezone(timedelta(hours=3))
AT = datetime(2026, 3, 2, 12, 30, 15, 123456, tzinfo=MOSCOW)
PAYLOAD = {"text": "Заявка №6 принята", "buttons": [["Взять", "iss:take:6"]]}


@dataclass
class Engines:
    threaded: AsyncEngine
    inline: AsyncEngine  # an InlineEngine, used as the unit of work uses it


@pytest.fixture
async def engines(tmp_path: Path) -> AsyncIterator[Engines]:
    """The threaded and the inline engine over one SQLite file holding `notes`."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    threaded = db.create_engine(url)
    inline = db.create_inline_engine(url)
    assert inline is not None
    async with threaded.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield Engines(threaded, inline)
    await inline.dispose()
    await threaded.dispose()


async def test_a_prepared_insert_stores_what_the_ordinary_one_stores(engines: Engines) -> None:
    threaded, inline = engines.threaded, engines.inline
    statements: list[str] = []
    event.listen(inline.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    ordinary, fast = sa.insert(notes), prepared(sa.insert(notes))
    rows: list[dict[str, Any]] = [
        {"id": n, "at": AT, "payload": PAYLOAD, "done": n in (2, 5)} for n in range(1, 7)
    ]
    async with inline.connect() as connection, connection.begin():
        await connection.execute(ordinary, rows[0])
        await connection.execute(ordinary, rows[1:3])
        await connection.execute(fast, rows[3])
        await connection.execute(fast, rows[4:6])
        counted = await connection.execute(prepared(sa.select(sa.func.count()).select_from(notes)))
        assert counted.scalar_one() == 6
    # The prepared statements went through the same cursor events (statement counters see
    # them): one statement per execute.
    assert statements[0] == "BEGIN IMMEDIATE" and len(statements[1:]) == 5
    async with threaded.connect() as connection:
        raw = (
            await connection.exec_driver_sql("SELECT at, payload, done FROM notes ORDER BY id")
        ).all()
        read = (await connection.execute(sa.select(notes).order_by(notes.c.id))).all()
    # Rows 4-6 (prepared) hold byte for byte what rows 1-3 (ordinary) hold.
    assert [tuple(r) for r in raw[3:]] == [tuple(r) for r in raw[:3]]
    assert tuple(raw[0]) == (
        "2026-03-02 09:30:15.123456",
        '{"text": "Заявка №6 принята", "buttons": [["Взять", "iss:take:6"]]}',
        0,
    )
    for row, given in zip(read, rows, strict=True):
        assert row.at == AT and row.at.tzinfo is UTC
        assert row.payload == PAYLOAD
        assert row.done is given["done"]


async def test_a_prepared_read_converts_its_columns_as_the_ordinary_one(engines: Engines) -> None:
    threaded, inline = engines.threaded, engines.inline
    async with threaded.begin() as connection:
        await connection.execute(
            sa.insert(notes), {"id": 1, "at": AT, "payload": PAYLOAD, "done": 1}
        )
    query = sa.select(notes.c.at, notes.c.payload, notes.c.done).where(
        notes.c.id == sa.bindparam("id")
    )
    assert isinstance(inline, InlineEngine)
    assert inline.prepared(prepared(query), ("id",)) is not None
    async with inline.connect() as connection, connection.begin():
        fast = (await connection.execute(prepared(query), {"id": 1})).first()
        ordinary = (await connection.execute(query, {"id": 1})).first()
        missing = (await connection.execute(prepared(query), {"id": 2})).first()
    # Converted as SQLAlchemy converts them (a moment in UTC, JSON, a flag), named alike.
    assert fast is not None and ordinary is not None and missing is None
    assert (fast.at, fast.payload, fast.done) == (ordinary.at, ordinary.payload, ordinary.done)
    assert fast.at == AT and fast.at.tzinfo is UTC
    assert fast.payload == PAYLOAD and fast.done is True


@pytest.fixture
async def update_factory(
    uow_factory: SqlUnitOfWorkFactory,
) -> AsyncIterator[SqlUnitOfWorkFactory]:
    """Units of work as the bot opens them: an update's on the inline engine on SQLite."""
    engine = uow_factory.engine
    inline = None
    if engine.dialect.name == "sqlite":
        inline = db.create_inline_engine(engine.url.render_as_string(hide_password=False))
    factory = SqlUnitOfWorkFactory(engine, inline=inline)
    yield factory
    await factory.dispose()


async def test_the_issue_the_intake_returns_is_the_issue_stored(
    update_factory: SqlUnitOfWorkFactory,
) -> None:
    uow_factory = update_factory
    created = datetime(2026, 3, 2, 23, 59, 1, 5, tzinfo=MOSCOW)
    async with uow_factory.update_unit() as update:
        async with uow_factory() as uow:
            issue = await uow.issues.add(
                place=ChatPlace(-1001, 7),
                message_id=55,
                author=Person(501, "Житель", "resident"),
                text="#проблема нет воды",
                tag="#проблема",
                attachments=("photo:AgAD",),
                created_at=created,
                response_due_at=created + timedelta(hours=3),
                resolve_due_at=created + timedelta(days=3),
                category="water",
                category_name="Вода",
                about=ChatPlace(-1002, 0),
                department="ЖКХ",
            )
            again = await uow.issues.add(
                place=ChatPlace(-1001, 7),
                message_id=55,
                author=Person(501, "Житель"),
                text="#проблема нет воды",
                tag="#проблема",
                attachments=(),
                created_at=created,
            )
            await uow.outbox.enqueue_all(
                [
                    Outgoing(chat_id=-1001, text="Заявка №1 принята", reply_to=55),
                    Outgoing(
                        chat_id=-1002,
                        text="Карточка",
                        buttons=((Button("Взять", "iss:take:1"),),),
                        remember_as=MessageRef(RefKind.CARD, 1),
                    ),
                ],
                not_before=created,
            )
            await uow.commit()
        await update.commit()
    assert issue is not None and again is None  # the same message is one issue
    async with uow_factory.reader() as uow:
        stored = await uow.issues.get(issue.number)
        due = await uow.outbox.due(created + timedelta(minutes=1), 10)
    assert stored == issue
    assert issue.created_at.tzinfo is UTC and issue.created_at == created
    assert [entry.message.text for entry in due] == ["Заявка №1 принята", "Карточка"]
    assert due[1].message.buttons == ((Button("Взять", "iss:take:1"),),)
    # The number the duplicate took was given back: the next issue takes the following one.
    async with uow_factory() as uow:
        following = await uow.issues.add(
            place=ChatPlace(-1001, 7),
            message_id=56,
            author=Person(501, "Житель"),
            text="#проблема",
            tag="#проблема",
            attachments=(),
            created_at=created,
        )
        await uow.commit()
    assert following is not None and following.number == issue.number + 1


async def test_a_prepared_statement_fails_as_sqlalchemy_reports_it(engines: Engines) -> None:
    inline = engines.inline
    row = {"id": 1, "at": AT, "payload": PAYLOAD, "done": False}
    async with inline.connect() as connection, connection.begin():
        await connection.execute(prepared(sa.insert(notes)), row)
        # The same key again: what callers catch elsewhere (a duplicate is IntegrityError).
        with pytest.raises(sa.exc.IntegrityError) as raised:
            await connection.execute(prepared(sa.insert(notes)), row)
    assert "UNIQUE constraint failed: notes.id" in str(raised.value)
