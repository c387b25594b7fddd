"""Announcements and polls; a delivery's state is read from its outbox entry, never copied."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from datetime import time as TimeOfDay
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.announcements import (
    Announcement,
    AnnouncementStatus,
    Delivery,
    DeliveryStatus,
    Media,
    PollCounts,
    PollRecord,
    PollStatus,
    Recurrence,
    Repeat,
    Targets,
)
from bot.domain.models import ChatPlace, Person, RegisteredChat
from bot.domain.outgoing import AttachmentKind
from storage.repositories._util import inserted_id, upsert
from storage.repositories.outbox import CANCELLED, FAILED, SENT
from storage.tables import outbox
from storage.tables_announcements import (
    announcement_deliveries,
    announcements,
    poll_counts,
    poll_deliveries,
    poll_votes,
    polls,
)

_STATUS = {
    SENT: DeliveryStatus.SENT,
    FAILED: DeliveryStatus.FAILED,
    CANCELLED: DeliveryStatus.CANCELLED,
}


def _announcement(row: Row[Any]) -> Announcement:
    recurrence = None
    if row.repeat:
        hours, minutes = (int(x) for x in row.repeat_time.split(":"))
        recurrence = Recurrence(Repeat(row.repeat), TimeOfDay(hours, minutes), row.repeat_weekday)
    media = Media(AttachmentKind(row.media_kind), row.media_file_id) if row.media_kind else None
    return Announcement(
        id=row.id,
        author=Person(row.author_id, row.author_name),
        author_chat_id=row.author_chat_id,
        text=row.text,
        targets=Targets.from_json(row.targets),
        pin=bool(row.pin),
        status=AnnouncementStatus(row.status),
        created_at=row.created_at,
        media=media,
        scheduled_at=row.scheduled_at,
        recurrence=recurrence,
        parent_id=row.parent_id,
        queued_at=row.queued_at,
        reported_at=row.reported_at,
        edited_at=row.edited_at,
        deleted_at=row.deleted_at,
    )


def _announcement_values(a: Announcement) -> dict[str, Any]:
    r = a.recurrence
    return {
        "author_id": a.author.user_id,
        "author_name": a.author.name,
        "author_chat_id": a.author_chat_id,
        "text": a.text,
        "media_kind": a.media.kind.value if a.media else None,
        "media_file_id": a.media.file_id if a.media else None,
        "targets": a.targets.to_json(),
        "pin": a.pin,
        "status": a.status.value,
        "scheduled_at": a.scheduled_at,
        "repeat": r.repeat.value if r else None,
        "repeat_weekday": r.weekday if r else None,
        "repeat_time": r.at.strftime("%H:%M") if r else None,
        "parent_id": a.parent_id,
        "created_at": a.created_at,
        "queued_at": a.queued_at,
        "reported_at": a.reported_at,
        "edited_at": a.edited_at,
        "deleted_at": a.deleted_at,
    }


def _delivery(row: Row[Any]) -> Delivery:
    result = dict(row.result or {})
    status = _STATUS.get(row.status, DeliveryStatus.PENDING) if row.status else None
    return Delivery(
        id=row.id,
        place=ChatPlace(row.chat_id, row.thread_id),
        chat_name=row.chat_name,
        status=status or DeliveryStatus.PENDING,
        message_id=row.message_id,
        error=row.last_error if row.status == FAILED else None,
        sent_at=row.sent_at,
        pinned=result.get("pinned"),
        pin_error=result.get("pin_error"),
        tg_poll_id=result.get("poll_id"),
    )


def _deliveries_query(table: Any, owner: Any, owner_id: int) -> Any:
    return (
        select(
            table.c.id,
            table.c.chat_id,
            table.c.thread_id,
            table.c.chat_name,
            outbox.c.status,
            outbox.c.message_id,
            outbox.c.last_error,
            outbox.c.sent_at,
            outbox.c.result,
        )
        .select_from(table.outerjoin(outbox, outbox.c.id == table.c.outbox_id))
        .where(owner == owner_id)
        .order_by(table.c.id)
    )


async def _link(
    db: AsyncConnection, table: Any, ids: Sequence[int], outbox_ids: Sequence[int]
) -> None:
    for delivery_id, outbox_id in zip(ids, outbox_ids, strict=True):
        await db.execute(
            update(table).where(table.c.id == delivery_id).values(outbox_id=outbox_id)
        )


async def _add_delivery(
    db: AsyncConnection, table: Any, owner: str, owner_id: int, chat: RegisteredChat
) -> int:
    result = await db.execute(
        insert(table).values(
            {
                owner: owner_id,
                "chat_id": chat.place.chat_id,
                "thread_id": chat.place.thread_id,
                "chat_name": chat.name,
            }
        )
    )
    return inserted_id(result)


class SqlAnnouncementRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def add(self, announcement: Announcement) -> int:
        values = _announcement_values(announcement)
        return inserted_id(await self._db.execute(insert(announcements).values(values)))

    async def get(self, announcement_id: int, *, for_update: bool = False) -> Announcement | None:
        query = select(announcements).where(announcements.c.id == announcement_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._db.execute(query)).first()
        return _announcement(row) if row else None

    async def save(self, announcement: Announcement) -> None:
        await self._db.execute(
            update(announcements)
            .where(announcements.c.id == announcement.id)
            .values(_announcement_values(announcement))
        )

    async def claim_occurrence(
        self, announcement_id: int, due_at: datetime, next_at: datetime
    ) -> bool:
        """Move a recurring announcement from its occurrence due at `due_at` to `next_at`;
        False if another sweep moved it first (one conditional UPDATE: on PostgreSQL the
        second waits for the first's row and then finds the time changed)."""
        result = await self._db.execute(
            update(announcements)
            .where(
                announcements.c.id == announcement_id,
                announcements.c.status == AnnouncementStatus.RECURRING.value,
                announcements.c.scheduled_at == due_at,
            )
            .values(scheduled_at=next_at)
        )
        return result.rowcount == 1

    async def mark_reported(self, announcement_id: int, at: datetime) -> bool:
        result = await self._db.execute(
            update(announcements)
            .where(announcements.c.id == announcement_id, announcements.c.reported_at.is_(None))
            .values(reported_at=at)
        )
        return result.rowcount == 1

    async def add_delivery(self, announcement_id: int, chat: RegisteredChat) -> int:
        return await _add_delivery(
            self._db, announcement_deliveries, "announcement_id", announcement_id, chat
        )

    async def link_outbox(self, delivery_ids: Sequence[int], outbox_ids: Sequence[int]) -> None:
        await _link(self._db, announcement_deliveries, delivery_ids, outbox_ids)

    async def deliveries(self, announcement_id: int) -> Sequence[Delivery]:
        query = _deliveries_query(
            announcement_deliveries, announcement_deliveries.c.announcement_id, announcement_id
        )
        return [_delivery(row) for row in await self._db.execute(query)]

    async def recent(self, limit: int) -> Sequence[Announcement]:
        query = select(announcements).order_by(announcements.c.id.desc()).limit(limit)
        return [_announcement(row) for row in await self._db.execute(query)]

    async def with_status(self, *statuses: AnnouncementStatus) -> Sequence[Announcement]:
        query = (
            select(announcements)
            .where(announcements.c.status.in_([s.value for s in statuses]))
            .order_by(announcements.c.id)
        )
        return [_announcement(row) for row in await self._db.execute(query)]

    async def due_recurring(self, now: datetime) -> Sequence[Announcement]:
        query = select(announcements).where(
            announcements.c.status == AnnouncementStatus.RECURRING.value,
            announcements.c.scheduled_at <= now,
        )
        return [_announcement(row) for row in await self._db.execute(query)]

    async def log(self, start: datetime, end: datetime) -> Sequence[dict[str, Any]]:
        """Every delivery of announcements created in [start, end), oldest first."""
        a, d = announcements, announcement_deliveries
        query = (
            select(
                a.c.id,
                a.c.author_name,
                a.c.author_id,
                a.c.text,
                a.c.media_kind,
                a.c.status.label("announcement_status"),
                a.c.created_at,
                a.c.scheduled_at,
                a.c.pin,
                a.c.edited_at,
                a.c.deleted_at,
                d.c.chat_id,
                d.c.chat_name,
                outbox.c.status,
                outbox.c.sent_at,
                outbox.c.message_id,
                outbox.c.last_error,
                outbox.c.result,
            )
            .select_from(
                a.join(d, d.c.announcement_id == a.c.id).outerjoin(
                    outbox, outbox.c.id == d.c.outbox_id
                )
            )
            .where(a.c.created_at >= start, a.c.created_at < end)
            .order_by(a.c.id, d.c.id)
        )
        return [dict(row._mapping) for row in await self._db.execute(query)]


def _poll(row: Row[Any]) -> PollRecord:
    return PollRecord(
        id=row.id,
        author=Person(row.author_id, row.author_name),
        author_chat_id=row.author_chat_id,
        question=row.question,
        options=tuple(row.options),
        anonymous=bool(row.anonymous),
        multiple=bool(row.multiple),
        targets=Targets.from_json(row.targets),
        share_results=bool(row.share_results),
        status=PollStatus(row.status),
        closes_at=row.closes_at,
        created_at=row.created_at,
        closed_at=row.closed_at,
    )


class SqlPollRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def add(self, poll: PollRecord) -> int:
        values = {
            "author_id": poll.author.user_id,
            "author_name": poll.author.name,
            "author_chat_id": poll.author_chat_id,
            "question": poll.question,
            "options": list(poll.options),
            "anonymous": poll.anonymous,
            "multiple": poll.multiple,
            "targets": poll.targets.to_json(),
            "share_results": poll.share_results,
            "status": poll.status.value,
            "closes_at": poll.closes_at,
            "created_at": poll.created_at,
        }
        return inserted_id(await self._db.execute(insert(polls).values(values)))

    async def get(self, poll_id: int) -> PollRecord | None:
        row = (await self._db.execute(select(polls).where(polls.c.id == poll_id))).first()
        return _poll(row) if row else None

    async def set_status(
        self, poll_id: int, status: PollStatus, closed_at: datetime | None = None
    ) -> bool:
        allowed = {
            PollStatus.CLOSING: (PollStatus.OPEN,),
            PollStatus.CANCELLED: (PollStatus.OPEN,),
            PollStatus.CLOSED: (PollStatus.OPEN, PollStatus.CLOSING),
        }.get(status, (PollStatus.OPEN,))
        result = await self._db.execute(
            update(polls)
            .where(polls.c.id == poll_id, polls.c.status.in_([s.value for s in allowed]))
            .values(status=status.value, closed_at=closed_at)
        )
        return result.rowcount == 1

    async def add_delivery(self, poll_id: int, chat: RegisteredChat) -> int:
        return await _add_delivery(self._db, poll_deliveries, "poll_id", poll_id, chat)

    async def link_outbox(self, delivery_ids: Sequence[int], outbox_ids: Sequence[int]) -> None:
        await _link(self._db, poll_deliveries, delivery_ids, outbox_ids)

    async def deliveries(self, poll_id: int) -> Sequence[Delivery]:
        query = _deliveries_query(poll_deliveries, poll_deliveries.c.poll_id, poll_id)
        return [_delivery(row) for row in await self._db.execute(query)]

    async def record_counts(
        self, tg_poll_id: str, counts: Sequence[int], total: int, closed: bool, at: datetime
    ) -> None:
        values = {"counts": list(counts), "total": total, "closed": closed, "updated_at": at}
        await upsert(self._db, poll_counts, {"tg_poll_id": tg_poll_id}, values)

    async def counts(self, tg_poll_ids: Sequence[str]) -> dict[str, PollCounts]:
        rows = await self._db.execute(
            select(poll_counts).where(poll_counts.c.tg_poll_id.in_(list(tg_poll_ids)))
        )
        return {row.tg_poll_id: PollCounts(tuple(row.counts), row.total) for row in rows}

    async def record_vote(
        self, tg_poll_id: str, person: Person, option_ids: Sequence[int], at: datetime
    ) -> None:
        key = {"tg_poll_id": tg_poll_id, "user_id": person.user_id}
        values = {"user_name": person.name, "option_ids": list(option_ids), "at": at}
        await upsert(self._db, poll_votes, key, values)

    async def ballots(self, copy_key: str) -> dict[int, tuple[int, ...]]:
        rows = await self._db.execute(
            select(poll_votes.c.user_id, poll_votes.c.option_ids).where(
                poll_votes.c.tg_poll_id == copy_key
            )
        )
        return {int(row.user_id): tuple(row.option_ids or ()) for row in rows}

    async def voters(self, tg_poll_ids: Sequence[str]) -> Sequence[tuple[str, Sequence[int]]]:
        rows = await self._db.execute(
            select(poll_votes.c.user_name, poll_votes.c.option_ids)
            .where(poll_votes.c.tg_poll_id.in_(list(tg_poll_ids)))
            .order_by(poll_votes.c.at)
        )
        return [(row.user_name, tuple(row.option_ids)) for row in rows if row.option_ids]

    async def recent(self, limit: int) -> Sequence[PollRecord]:
        query = select(polls).order_by(polls.c.id.desc()).limit(limit)
        return [_poll(row) for row in await self._db.execute(query)]

    async def open_due(self, now: datetime) -> Sequence[PollRecord]:
        query = select(polls).where(
            polls.c.status == PollStatus.OPEN.value, polls.c.closes_at <= now
        )
        return [_poll(row) for row in await self._db.execute(query)]

    async def closing(self) -> Sequence[PollRecord]:
        query = select(polls).where(polls.c.status == PollStatus.CLOSING.value)
        return [_poll(row) for row in await self._db.execute(query)]
