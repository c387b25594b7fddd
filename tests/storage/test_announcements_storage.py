"""Announcement storage on real SQLite files: dialog state, batches, the export sheet."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram.fsm.storage.base import StorageKey
from openpyxl import load_workbook

from bot.domain.announcements import Announcement, AnnouncementStatus, TargetKind, Targets
from bot.domain.calendar import WorkCalendar, WorkSchedule
from bot.domain.models import ChatKind, ChatPlace, Person, RegisteredChat
from bot.domain.outgoing import Outgoing
from bot.services.reporting.announcements_sheet import AnnouncementsSheet
from bot.services.reporting.export import SHEETS, EmptyExport, ExportContext, write_xlsx
from bot.telegram.fsm_storage import SqlStorage
from storage import db
from storage.uow import SqlUnitOfWorkFactory
from tests.database import TestDatabase, migrated_engine

NOW = datetime(2026, 3, 10, 2, 30, tzinfo=UTC)
KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)


async def test_dialog_state_survives_a_new_engine_and_clearing_leaves_nothing(
    test_database: TestDatabase,
) -> None:
    url = test_database.url
    engine = await migrated_engine(test_database)
    storage = SqlStorage(SqlUnitOfWorkFactory(engine))
    await storage.set_state(KEY, "ann:when")
    await storage.set_data(KEY, {"text": "Отключение воды", "targets": {"kind": "buildings"}})
    await engine.dispose()

    engine = db.create_engine(url)
    storage = SqlStorage(SqlUnitOfWorkFactory(engine))
    assert await storage.get_state(KEY) == "ann:when"
    assert (await storage.get_data(KEY))["text"] == "Отключение воды"
    assert await storage.get_state(StorageKey(bot_id=1, chat_id=7, user_id=7)) is None
    await storage.set_state(KEY, None)
    await storage.set_data(KEY, {})
    async with engine.connect() as connection:
        rows = (await connection.exec_driver_sql("SELECT count(*) FROM fsm_states")).scalar()
    assert rows == 0
    await engine.dispose()


async def test_batches_order_cancel_and_count(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        bulk = await uow.outbox.enqueue_batch(
            [Outgoing(chat_id=-i, text="объявление", batch="ann:1") for i in (1, 2, 3)],
            not_before=NOW,
            created_at=NOW,
        )
        reply = await uow.outbox.enqueue(Outgoing(chat_id=5, text="ответ"), not_before=NOW)
        later = await uow.outbox.enqueue_batch(
            [Outgoing(chat_id=-1, text="позже", batch="ann:2")],
            not_before=NOW + timedelta(hours=1),
            created_at=NOW,
        )
        await uow.commit()
    async with uow_factory() as uow:
        heads = await uow.outbox.due_heads(NOW, 10)
        # An interactive reply goes before an announcement queued earlier.
        assert [h.id for h in heads] == [reply, *bulk]
        assert [h.bulk for h in heads] == [False, True, True, True]
        assert await uow.outbox.claim_many(bulk[:2], NOW, NOW + timedelta(minutes=1)) == set(
            bulk[:2]
        )
        assert await uow.outbox.claim_many(bulk[:2], NOW, NOW + timedelta(minutes=1)) == set()
        await uow.outbox.mark_sent(bulk[0], NOW, 11, {"pinned": True})
        assert await uow.outbox.unfinished(["ann:1"]) == 2
        assert await uow.outbox.cancel_batch("ann:2") == 1
        assert await uow.outbox.cancel_batch("ann:1") == 1  # only the one not yet taken
        assert await uow.outbox.unfinished(["ann:1", "ann:2"]) == 1
        assert [e.id for e in await uow.outbox.due(NOW, 10)] == [reply]
        entries = await uow.outbox.batch_entries("ann:1")
        assert [e.status for e in entries] == ["sent", "sending", "cancelled"]
        assert entries[0].result == {"pinned": True} and entries[0].message_id == 11
        assert later


async def test_announcements_sheet_lists_every_chat_with_its_outcome(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    chats = [
        RegisteredChat(ChatPlace(-1), ChatKind.BUILDING, "Дом 1", 1, NOW),
        RegisteredChat(ChatPlace(-2), ChatKind.BUILDING, "Дом 2", 1, NOW),
    ]
    async with uow_factory() as uow:
        announcement = Announcement(
            0,
            Person(7, "Пресс-служба"),
            7,
            "<b>Отключение</b> воды &amp; света",
            Targets(TargetKind.BUILDINGS),
            True,
            AnnouncementStatus.DONE,
            NOW,
        )
        announcement_id = await uow.announcements.add(announcement)
        delivery_ids = [await uow.announcements.add_delivery(announcement_id, c) for c in chats]
        outbox_ids = await uow.outbox.enqueue_batch(
            [Outgoing(chat_id=c.place.chat_id, text="x", batch="ann:1") for c in chats],
            not_before=NOW,
            created_at=NOW,
        )
        await uow.announcements.link_outbox(delivery_ids, outbox_ids)
        await uow.outbox.mark_sent(outbox_ids[0], NOW + timedelta(seconds=3), 50, {"pinned": True})
        await uow.outbox.mark_failed(
            outbox_ids[1], "Forbidden: bot was kicked from the group chat"
        )
        await uow.commit()

    zone = ZoneInfo("Asia/Kamchatka")

    async def export(start: datetime, end: datetime) -> list[tuple[object, ...]]:
        ctx = ExportContext(
            uow_factory, start, end, NOW, WorkCalendar(WorkSchedule(zone)), chat_names={}
        )
        book = await write_xlsx(ctx, "report", sheets=[AnnouncementsSheet()])
        sheet = load_workbook(io.BytesIO(book.content))["Объявления"]
        return list(sheet.iter_rows(values_only=True))

    assert AnnouncementsSheet in {type(sheet) for sheet in SHEETS}  # part of every export
    rows = await export(NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert rows[0][:3] == ("№", "Автор", "Текст")
    assert len(rows) == 3
    first, second = rows[1], rows[2]
    assert first[1] == "Пресс-служба" and first[2] == "Отключение воды & света"
    assert first[7] == "Дом 1" and first[8] == "доставлено" and first[10] == "да"
    town = datetime(2026, 3, 10, 14, 30, 3, tzinfo=zone)
    assert first[9] == town.replace(tzinfo=None)  # local wall time of the town
    assert second[7] == "Дом 2" and second[8] == "не доставлено"
    assert "kicked" in str(second[11])
    with pytest.raises(EmptyExport):  # no announcements and no issues: no file at all
        await export(NOW + timedelta(days=1), NOW + timedelta(days=2))
