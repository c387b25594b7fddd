"""Storage on a real SQLite file: migrations, idempotent intake, numbering, outbox claims."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.domain.models import ChatKind, ChatPlace, Issue, Person, RegisteredChat
from bot.domain.outgoing import MessageRef, Outgoing, RefKind
from storage import db
from storage.uow import SqlUnitOfWorkFactory
from tests.database import NewDatabase, TestDatabase, migrated_engine

NOW = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
PLACE = ChatPlace(-1001, 0)
ANNA = Person(1, "Анна")


async def add_issue(
    factory: SqlUnitOfWorkFactory, message_id: int, place: ChatPlace = PLACE
) -> Issue | None:
    async with factory() as uow:
        issue = await uow.issues.add(
            place=place,
            message_id=message_id,
            author=ANNA,
            text="#проблема нет воды",
            tag="#проблема",
            attachments=("file-1",),
            created_at=NOW,
        )
        await uow.commit()
    return issue


async def test_empty_database_migrates_to_head(new_database: NewDatabase) -> None:
    engine = db.create_engine((await new_database(migrated=False)).url)
    await db.upgrade(engine)
    assert await db.current_revisions(engine) == db.head_revisions() == {"0026_report_reopen"}
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
    assert {"issues", "chats", "outbox", "issue_transitions", "sent_messages"} <= names
    await db.upgrade(engine)  # a second start changes nothing
    assert await db.current_revisions(engine) == db.head_revisions()
    await engine.dispose()


@pytest.mark.sqlite_only
async def test_a_new_sqlite_file_gets_its_folders_and_wal(tmp_path: Path) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'new' / 'folder' / 'bot.db'}")
    await db.upgrade(engine)
    async with engine.connect() as connection:
        mode = (await connection.execute(sa.text("PRAGMA journal_mode"))).scalar()
    assert mode == "wal"
    assert (tmp_path / "new" / "folder" / "bot.db").is_file()
    await engine.dispose()


def test_head_revisions_read_from_the_files_match_alembic() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(db.alembic_config())
    assert db.head_revisions() == set(script.get_heads())
    assert db.known_revisions() == {rev.revision for rev in script.walk_revisions()}


async def test_a_database_at_an_older_revision_is_upgraded_to_head(
    new_database: NewDatabase,
) -> None:
    engine = db.create_engine((await new_database(migrated=False)).url)
    await db.upgrade(engine, "0008_outbox_order")
    assert await db.current_revisions(engine) == {"0008_outbox_order"}
    await db.upgrade(engine)
    assert await db.current_revisions(engine) == db.head_revisions()
    async with engine.connect() as connection:
        columns = await connection.run_sync(
            lambda c: {col["name"] for col in sa.inspect(c).get_columns("mod_chat_settings")}
        )
    assert "street" in columns
    await engine.dispose()


async def test_same_message_never_becomes_two_issues(uow_factory: SqlUnitOfWorkFactory) -> None:
    first = await add_issue(uow_factory, 10)
    again = await add_issue(uow_factory, 10)
    assert first is not None and first.number == 1
    assert first.attachments == ("file-1",)
    assert first.created_at == NOW
    assert again is None
    second = await add_issue(uow_factory, 11)
    assert second is not None and second.number == 2


async def test_numbers_are_never_reused_after_a_rollback(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    await add_issue(uow_factory, 10)
    async with uow_factory() as uow:  # rolled back: never committed
        await uow.issues.add(
            place=PLACE,
            message_id=99,
            author=ANNA,
            text="x",
            tag="",
            attachments=(),
            created_at=NOW,
        )
    third = await add_issue(uow_factory, 12)
    assert third is not None and third.number == 2
    # AUTOINCREMENT: even the highest number, once deleted, is not handed out again.
    async with uow_factory() as uow:
        await uow.connection.execute(sa.text("DELETE FROM issues WHERE number = 2"))
        await uow.commit()
    fourth = await add_issue(uow_factory, 13)
    assert fourth is not None and fourth.number == 3


async def test_migration_moves_chat_issues_and_refs(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await uow.chats.save(RegisteredChat(PLACE, ChatKind.BUILDING, "Дом 5", 9, NOW))
        await uow.commit()
    issue = await add_issue(uow_factory, 10)
    assert issue is not None
    async with uow_factory() as uow:
        await uow.refs.record(PLACE.chat_id, 11, MessageRef(RefKind.ACK, issue.number))
        await uow.chats.move_chat(PLACE.chat_id, -1009)
        await uow.issues.move_chat(PLACE.chat_id, -1009)
        await uow.refs.move_chat(PLACE.chat_id, -1009)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.chats.get(PLACE) is None
        moved = await uow.chats.get(ChatPlace(-1009, 0))
        assert moved is not None and moved.name == "Дом 5"
        assert (await uow.issues.find_by_message(-1009, 10)) is not None
        assert await uow.refs.find(-1009, 11) == MessageRef(RefKind.ACK, issue.number)


async def test_a_second_chat_migrating_to_the_same_id_keeps_what_would_collide(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    other = ChatPlace(-2002, 0)
    first = await add_issue(uow_factory, 10)
    second = await add_issue(uow_factory, 10, other)  # the same message id, in another chat
    also = await add_issue(uow_factory, 12, other)
    assert first is not None and second is not None and also is not None
    async with uow_factory() as uow:
        await uow.refs.record(PLACE.chat_id, 11, MessageRef(RefKind.ACK, first.number))
        await uow.refs.record(other.chat_id, 11, MessageRef(RefKind.ACK, second.number))
        await uow.refs.record(other.chat_id, 13, MessageRef(RefKind.ACK, also.number))
        for old in (PLACE.chat_id, other.chat_id):
            await uow.issues.move_chat(old, -1009)
            await uow.refs.move_chat(old, -1009)
        await uow.commit()
    async with uow_factory() as uow:
        # What the new id already held stays the first chat's; the rest of the second moved.
        assert await uow.issues.find_by_message(-1009, 10) == replace(
            first, place=ChatPlace(-1009, 0)
        )
        assert (await uow.issues.find_by_message(other.chat_id, 10)) == second
        assert (await uow.issues.find_by_message(-1009, 12)) == replace(
            also, place=ChatPlace(-1009, 0)
        )
        assert await uow.refs.find(-1009, 11) == MessageRef(RefKind.ACK, first.number)
        assert await uow.refs.find(other.chat_id, 11) == MessageRef(RefKind.ACK, second.number)
        assert await uow.refs.find(-1009, 13) == MessageRef(RefKind.ACK, also.number)


async def test_an_outbox_entry_is_claimed_by_one_sender_only(
    test_database: TestDatabase,
) -> None:
    engine_a = await migrated_engine(test_database)
    engine_b = db.create_engine(test_database.url)
    first, second = SqlUnitOfWorkFactory(engine_a), SqlUnitOfWorkFactory(engine_b)
    async with first() as uow:
        entry_id = await uow.outbox.enqueue(Outgoing(chat_id=-5, text="привет"), not_before=NOW)
        await uow.commit()
    lease = NOW + timedelta(minutes=2)
    async with first() as uow:
        assert await uow.outbox.claim(entry_id, NOW, lease)
        await uow.commit()
    async with second() as uow:
        assert [e.id for e in await uow.outbox.due(NOW, 10)] == []
        assert not await uow.outbox.claim(entry_id, NOW, lease)
        # A sender that died leaves its lease to expire; then another may take the entry.
        later = lease + timedelta(seconds=1)
        assert [e.id for e in await uow.outbox.due(later, 10)] == [entry_id]
        assert await uow.outbox.claim(entry_id, later, later + timedelta(minutes=2))
        await uow.commit()
    await engine_a.dispose()
    await engine_b.dispose()


async def test_outbox_keeps_the_message_whole(uow_factory: SqlUnitOfWorkFactory) -> None:
    from bot.domain.outgoing import Button

    message = Outgoing(
        chat_id=-7,
        text="<b>№1</b>",
        thread_id=3,
        reply_to=15,
        buttons=((Button("Взять", "iss:take:1"), Button("Закрыть", "iss:close:1")),),
        remember_as=MessageRef(RefKind.CARD, 1),
    )
    async with uow_factory() as uow:
        await uow.outbox.enqueue(message, not_before=NOW)
        await uow.commit()
    async with uow_factory() as uow:
        [entry] = await uow.outbox.due(NOW, 10)
    assert entry.message == message


async def test_outbox_keeps_a_generated_file(uow_factory: SqlUnitOfWorkFactory) -> None:
    from bot.domain.outgoing import Attachment, AttachmentKind

    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    message = Outgoing(
        chat_id=-7,
        text="График",
        attachment=Attachment(AttachmentKind.PHOTO, "chart.png", content=png),
    )
    async with uow_factory() as uow:
        await uow.outbox.enqueue(message, not_before=NOW)
        await uow.commit()
    async with uow_factory() as uow:
        [entry] = await uow.outbox.due(NOW, 10)
    assert entry.message == message


async def test_outbox_keeps_actions_on_members_and_messages(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    from bot.domain.outgoing import MemberAction, OpKind, delete_message, member_op

    operations = [
        member_op(MemberAction.RESTRICT, -7, 42, until=NOW + timedelta(hours=1)),
        member_op(MemberAction.BAN, -8, 42),
        delete_message(-7, 99),
        Outgoing(chat_id=-7, text="Готово"),
    ]
    async with uow_factory() as uow:
        ids = [await uow.outbox.enqueue(op, not_before=NOW) for op in operations]
        await uow.commit()
    async with uow_factory() as uow:
        entries = {entry.id: entry for entry in await uow.outbox.load(ids)}
        kinds = await uow.connection.execute(sa.text("SELECT kind FROM outbox ORDER BY id"))
    assert [entries[i].message for i in ids] == operations
    assert all(entries[i].due_at == NOW for i in ids)
    assert [row.kind for row in kinds] == ["restrict", "ban", "delete", "send"]
    assert [op.kind for op in operations] == [
        OpKind.RESTRICT,
        OpKind.BAN,
        OpKind.DELETE,
        OpKind.SEND,
    ]


async def test_a_chat_waits_for_its_earlier_message_being_retried(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        first = await uow.outbox.enqueue(Outgoing(chat_id=-5, text="1"), not_before=NOW)
        second = await uow.outbox.enqueue(Outgoing(chat_id=-5, text="2"), not_before=NOW)
        other = await uow.outbox.enqueue(Outgoing(chat_id=-6, text="x"), not_before=NOW)
        await uow.outbox.retry_later(first, NOW + timedelta(seconds=30), "502")
        await uow.commit()
    async with uow_factory() as uow:
        assert [e.id for e in await uow.outbox.due(NOW + timedelta(seconds=1), 10)] == [other]
        later = NOW + timedelta(seconds=31)
        assert [e.id for e in await uow.outbox.due(later, 10)] == [first, other]
        await uow.outbox.mark_failed(first, "gave up")
        assert second in [e.id for e in await uow.outbox.due(later, 10)]
