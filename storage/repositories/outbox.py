"""The persistent outgoing queue: every operation (a message, an edit, a deletion, an action on
a member) is stored here, in its decision's transaction, before it is carried out."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, insert, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.outgoing import (
    Attachment,
    AttachmentKind,
    Button,
    MemberAction,
    MemberOp,
    MessageRef,
    OutboxEntry,
    OutboxHead,
    Outgoing,
    PollSpec,
    RefKind,
    TargetAction,
)
from storage.inline_sqlite import prepared
from storage.notify import notify_queued
from storage.repositories._util import inserted_id
from storage.tables import outbox

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
CANCELLED = "cancelled"
UNFINISHED = (PENDING, SENDING)


@dataclass(frozen=True, slots=True)
class BatchEntry:
    """One entry of a batch as its delivery report sees it."""

    id: int
    chat_id: int
    thread_id: int
    status: str
    message_id: int | None
    error: str | None
    sent_at: datetime | None
    result: dict[str, Any]
    created_at: datetime
    not_before: datetime


def encode(message: Outgoing) -> dict[str, Any]:
    return {
        "text": message.text,
        "thread_id": message.thread_id,
        "reply_to": message.reply_to,
        "buttons": [[[b.text, b.data] for b in row] for row in message.buttons],
        "remember_as": _ref(message.remember_as),
        "edit_of": _ref(message.edit_of),
        "force_reply": message.force_reply,
        "attachment": _attachment(message.attachment),
        "pin": message.pin,
        "poll": _poll(message.poll),
        "target_action": message.target_action.value if message.target_action else None,
        "target_message_id": message.target_message_id,
        "member": _member(message.member),
        "contact_request": message.contact_request,
        "remove_keyboard": message.remove_keyboard,
    }


def _member(op: MemberOp | None) -> dict[str, Any] | None:
    if op is None:
        return None
    until = op.until.isoformat() if op.until is not None else None
    return {"action": op.action.value, "user_id": op.user_id, "until": until}


def _unmember(value: dict[str, Any] | None) -> MemberOp | None:
    if not value:
        return None
    until = value.get("until")
    return MemberOp(
        MemberAction(value["action"]),
        int(value["user_id"]),
        datetime.fromisoformat(until) if until else None,
    )


def _poll(poll: PollSpec | None) -> dict[str, Any] | None:
    if poll is None:
        return None
    return {
        "question": poll.question,
        "options": list(poll.options),
        "is_anonymous": poll.is_anonymous,
        "allows_multiple_answers": poll.allows_multiple_answers,
    }


def _unpoll(value: dict[str, Any] | None) -> PollSpec | None:
    if not value:
        return None
    return PollSpec(
        question=value["question"],
        options=tuple(value["options"]),
        is_anonymous=bool(value["is_anonymous"]),
        allows_multiple_answers=bool(value["allows_multiple_answers"]),
    )


def _attachment(attachment: Attachment | None) -> dict[str, Any] | None:
    if attachment is None:
        return None
    content = attachment.content
    return {
        "kind": attachment.kind.value,
        "filename": attachment.filename,
        "content": base64.b64encode(content).decode("ascii") if content is not None else None,
        "file_id": attachment.file_id,
    }


def _unattachment(value: dict[str, Any] | None) -> Attachment | None:
    if not value:
        return None
    content = value.get("content")
    return Attachment(
        kind=AttachmentKind(value["kind"]),
        filename=value.get("filename") or "file",
        content=base64.b64decode(content) if content is not None else None,
        file_id=value.get("file_id"),
    )


def decode(chat_id: int, payload: dict[str, Any], batch: str | None = None) -> Outgoing:
    action = payload.get("target_action")
    return Outgoing(
        chat_id=chat_id,
        text=payload["text"],
        thread_id=payload.get("thread_id", 0),
        reply_to=payload.get("reply_to"),
        buttons=tuple(
            tuple(Button(text, data) for text, data in row) for row in payload.get("buttons", ())
        ),
        remember_as=_unref(payload.get("remember_as")),
        edit_of=_unref(payload.get("edit_of")),
        force_reply=bool(payload.get("force_reply")),
        attachment=_unattachment(payload.get("attachment")),
        batch=batch,
        pin=bool(payload.get("pin")),
        poll=_unpoll(payload.get("poll")),
        target_action=TargetAction(action) if action else None,
        target_message_id=payload.get("target_message_id"),
        member=_unmember(payload.get("member")),
        contact_request=payload.get("contact_request"),
        remove_keyboard=bool(payload.get("remove_keyboard")),
    )


def _ref(ref: MessageRef | None) -> list[Any] | None:
    return [ref.kind.value, ref.ref_id] if ref else None


def _unref(value: list[Any] | None) -> MessageRef | None:
    return MessageRef(RefKind(value[0]), int(value[1])) if value else None


_earlier = outbox.alias("earlier")
_A_MOMENT = timedelta(microseconds=1)


def _of_bot(bot_id: int | None) -> Any:
    """One bot's entries, and those written before entries named their bot; any bot's when
    no id is given."""
    if bot_id is None:
        return true()
    return or_(outbox.c.bot_id == bot_id, outbox.c.bot_id.is_(None))


def _claimable(now: datetime) -> Any:
    return or_(
        and_(outbox.c.status == PENDING, outbox.c.not_before <= now),
        and_(outbox.c.status == SENDING, outbox.c.lease_until < now),
    )


def _first_in_chat() -> Any:
    """No earlier message waits in the queue for the same chat, so a chat's messages keep their
    order even when one of them is retried later. (One being sent is not waited for: this
    sender keeps one in flight per chat, and one orphaned by a dead sender must not hold its
    chat until the lease runs out.)"""
    return ~exists().where(
        _earlier.c.chat_id == outbox.c.chat_id,
        _earlier.c.id < outbox.c.id,
        _earlier.c.status == PENDING,
    )


# Statements of the dispatcher's hot path, built once: building and hashing a statement costs
# more CPU than SQLite takes to run it.
_MARK_SENT = (
    update(outbox)
    .where(outbox.c.id == bindparam("entry_id"))
    .values(
        status=SENT,
        sent_at=bindparam("at"),
        message_id=bindparam("mid"),
        lease_until=None,
        attempted_at=None,
        result=bindparam("res"),
    )
)
_MARK_ATTEMPTED = (
    update(outbox).where(outbox.c.id == bindparam("entry_id")).values(attempted_at=bindparam("at"))
)
_UNFINISHED = select(func.count()).where(
    outbox.c.batch == bindparam("batch"), outbox.c.status.in_(UNFINISHED)
)


# Built once: every acknowledgement and card goes through it (the ids are not read back).
_ENQUEUE = insert(outbox)
_ENQUEUE_ALL = prepared(insert(outbox))


def _row(message: Outgoing, not_before: datetime, bots: Mapping[str, int]) -> dict[str, Any]:
    return {
        "chat_id": message.chat_id,
        "payload": encode(message),
        "status": PENDING,
        "not_before": not_before,
        "created_at": not_before,
        "due_at": not_before,
        "kind": message.kind.value,
        "batch": message.batch,
        "messenger": message.messenger.value,
        "bot_id": bots.get(message.messenger.value),
    }


class SqlOutboxRepository:
    def __init__(self, connection: AsyncConnection, bots: Mapping[str, int] | None = None) -> None:
        self._db = connection
        self._bots: Mapping[str, int] = bots or {}

    async def enqueue(self, message: Outgoing, *, not_before: datetime) -> int:
        entry = inserted_id(
            await self._db.execute(_ENQUEUE, _row(message, not_before, self._bots))
        )
        await notify_queued(self._db)
        return entry

    async def enqueue_all(self, messages: Sequence[Outgoing], *, not_before: datetime) -> None:
        """Store a decision's messages (an acknowledgement and its cards) with one statement;
        their ids follow the given order, which keeps each chat's messages in order."""
        if len(messages) == 1:
            await self._db.execute(_ENQUEUE_ALL, _row(messages[0], not_before, self._bots))
        elif messages:
            rows = [_row(m, not_before, self._bots) for m in messages]
            await self._db.execute(_ENQUEUE_ALL, rows)
        if messages:
            await notify_queued(self._db)

    async def enqueue_batch(
        self, messages: Sequence[Outgoing], *, not_before: datetime, created_at: datetime
    ) -> list[int]:
        """Store many messages (an announcement to every chat); ids in the given order."""
        ids: list[int] = []
        for message in messages:
            result = await self._db.execute(
                insert(outbox).values(
                    chat_id=message.chat_id,
                    payload=encode(message),
                    status=PENDING,
                    not_before=not_before,
                    created_at=created_at,
                    due_at=not_before,
                    kind=message.kind.value,
                    batch=message.batch,
                    messenger=message.messenger.value,
                    bot_id=self._bots.get(message.messenger.value),
                )
            )
            ids.append(inserted_id(result))
        if ids:
            await notify_queued(self._db)
        return ids

    async def due(self, now: datetime, limit: int) -> Sequence[OutboxEntry]:
        """Entries ready to send, oldest first; a sender that died leaves its lease to expire."""
        rows = await self._db.execute(
            select(outbox.c.id, outbox.c.chat_id, outbox.c.payload, outbox.c.attempts)
            .where(_claimable(now), _first_in_chat())
            .order_by(outbox.c.id)
            .limit(limit)
        )
        return [
            OutboxEntry(row.id, decode(row.chat_id, row.payload), row.attempts) for row in rows
        ]

    async def due_heads(
        self, now: datetime, limit: int, messenger: str = "telegram", bot_id: int | None = None
    ) -> Sequence[OutboxHead]:
        """Like `due`, without payloads, for one messenger's sender (and, given its id, one
        bot's: entries another bot wrote are not its to send); interactive messages first,
        then bulk, each by id."""
        bulk = outbox.c.batch.is_not(None)
        rows = await self._db.execute(
            select(outbox.c.id, outbox.c.chat_id, bulk.label("bulk"))
            .where(
                outbox.c.messenger == messenger,
                _of_bot(bot_id),
                _claimable(now),
                _first_in_chat(),
            )
            .order_by(bulk, outbox.c.id)
            .limit(limit)
        )
        return [OutboxHead(row.id, row.chat_id, bool(row.bulk)) for row in rows]

    async def load(self, entry_ids: Sequence[int]) -> Sequence[OutboxEntry]:
        rows = await self._db.execute(
            select(
                outbox.c.id,
                outbox.c.chat_id,
                outbox.c.payload,
                outbox.c.attempts,
                outbox.c.batch,
                outbox.c.due_at,
                outbox.c.attempted_at,
            ).where(outbox.c.id.in_(list(entry_ids)))
        )
        return [
            OutboxEntry(
                row.id,
                decode(row.chat_id, row.payload, row.batch),
                row.attempts,
                row.due_at,
                maybe_sent=row.attempted_at is not None,
            )
            for row in rows
        ]

    async def mark_attempted(self, entry_id: int, at: datetime) -> None:
        """The request is about to leave: from now on a crash leaves the entry "maybe sent"."""
        await self._db.execute(_MARK_ATTEMPTED, {"entry_id": entry_id, "at": at})

    async def claim_many(
        self, entry_ids: Sequence[int], now: datetime, lease_until: datetime
    ) -> set[int]:
        """Claim several entries in one statement; the ids this sender got."""
        if not entry_ids:
            return set()
        result = await self._db.execute(
            update(outbox)
            .where(outbox.c.id.in_(list(entry_ids)), _claimable(now))
            .values(status=SENDING, lease_until=lease_until, attempts=outbox.c.attempts + 1)
            .returning(outbox.c.id)
        )
        return {row.id for row in result}

    async def claim(self, entry_id: int, now: datetime, lease_until: datetime) -> bool:
        """Take one entry for sending; False if another sender already has it."""
        result = await self._db.execute(
            update(outbox)
            .where(outbox.c.id == entry_id, _claimable(now))
            .values(status=SENDING, lease_until=lease_until, attempts=outbox.c.attempts + 1)
        )
        return result.rowcount == 1

    async def mark_sent(
        self,
        entry_id: int,
        at: datetime,
        message_id: int | None,
        result: dict[str, Any] | None = None,
    ) -> None:
        values = {"entry_id": entry_id, "at": at, "mid": message_id, "res": result}
        await self._db.execute(_MARK_SENT, values)

    async def set_result(self, entry_id: int, result: dict[str, Any]) -> None:
        await self._db.execute(update(outbox).where(outbox.c.id == entry_id).values(result=result))

    async def cancel_batch(self, batch: str) -> int:
        """Cancel the batch's entries not yet taken for sending; how many were cancelled."""
        result = await self._db.execute(
            update(outbox)
            .where(outbox.c.batch == batch, outbox.c.status == PENDING)
            .values(status=CANCELLED, lease_until=None)
        )
        return result.rowcount

    async def unfinished(self, batches: Sequence[str]) -> int:
        """Entries of these batches still pending or being sent."""
        if len(batches) == 1:
            return int((await self._db.execute(_UNFINISHED, {"batch": batches[0]})).scalar_one())
        query = select(func.count()).where(
            outbox.c.batch.in_(list(batches)), outbox.c.status.in_(UNFINISHED)
        )
        return int((await self._db.execute(query)).scalar_one())

    async def batch_results(self, batch: str) -> Sequence[dict[str, Any]]:
        """What Telegram answered for the batch's sent entries (poll ids, final counts)."""
        rows = await self._db.execute(
            select(outbox.c.result).where(outbox.c.batch == batch, outbox.c.status == SENT)
        )
        return [dict(row.result) for row in rows if row.result]

    async def batch_entries(self, batch: str) -> Sequence[BatchEntry]:
        rows = await self._db.execute(
            select(outbox).where(outbox.c.batch == batch).order_by(outbox.c.id)
        )
        return [
            BatchEntry(
                id=row.id,
                chat_id=row.chat_id,
                thread_id=int((row.payload or {}).get("thread_id") or 0),
                status=row.status,
                message_id=row.message_id,
                error=row.last_error if row.status == FAILED else None,
                sent_at=row.sent_at,
                result=dict(row.result or {}),
                created_at=row.created_at,
                not_before=row.not_before,
            )
            for row in rows
        ]

    async def retry_later(self, entry_id: int, not_before: datetime, error: str) -> None:
        await self._db.execute(
            update(outbox)
            .where(outbox.c.id == entry_id)
            .values(
                status=PENDING,
                not_before=not_before,
                last_error=error,
                lease_until=None,
                attempted_at=None,
            )
        )

    async def mark_failed(self, entry_id: int, error: str) -> None:
        await self._db.execute(
            update(outbox)
            .where(outbox.c.id == entry_id)
            .values(status=FAILED, last_error=error, lease_until=None, attempted_at=None)
        )

    async def next_due_at(
        self, messenger: str = "telegram", bot_id: int | None = None
    ) -> datetime | None:
        """The earliest `not_before` among a messenger's (a bot's) pending entries, or None."""
        query = select(func.min(outbox.c.not_before)).where(
            outbox.c.status == PENDING, outbox.c.messenger == messenger, _of_bot(bot_id)
        )
        value = (await self._db.execute(query)).scalar()
        return value if isinstance(value, datetime) else None

    async def release_claims(
        self, now: datetime, messenger: str = "telegram", bot_id: int | None = None
    ) -> int:
        """Make the entries a sender claimed claimable now: called by the one sender of a bot
        when it takes over from a process that died, so what that process had claimed goes
        out without waiting for its claims to run out. An entry it had begun to send keeps
        its `attempted_at` mark and is not sent again."""
        result = await self._db.execute(
            update(outbox)
            .where(
                outbox.c.status == SENDING,
                outbox.c.messenger == messenger,
                _of_bot(bot_id),
                outbox.c.lease_until >= now,
            )
            .values(lease_until=now - _A_MOMENT)
        )
        return result.rowcount

    async def recent_sends(
        self, since: datetime, messenger: str = "telegram", bot_id: int | None = None
    ) -> list[tuple[int, datetime]]:
        """The bot's sends since `since`, each chat and moment: those Telegram answered
        (`sent_at`), and those a sender began and never saw answered (`attempted_at`), which
        may have arrived. A sender taking over counts them against Telegram's limits."""
        moment = func.coalesce(outbox.c.sent_at, outbox.c.attempted_at)
        rows = await self._db.execute(
            select(outbox.c.chat_id, moment).where(
                outbox.c.messenger == messenger, _of_bot(bot_id), moment >= since
            )
        )
        return [(int(chat_id), at) for chat_id, at in rows]

    async def backlog(self, now: datetime) -> tuple[int, datetime | None]:
        """How many entries wait to be sent, and the `not_before` of the oldest due one."""
        waiting = outbox.c.status.in_((PENDING, SENDING))
        due = and_(outbox.c.status == PENDING, outbox.c.not_before <= now)
        row = (
            await self._db.execute(
                select(
                    func.count().filter(waiting),
                    func.min(outbox.c.not_before).filter(due),
                )
            )
        ).one()
        oldest = row[1]
        return int(row[0] or 0), oldest if isinstance(oldest, datetime) else None

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        result = await self._db.execute(
            update(outbox)
            .where(outbox.c.chat_id == old_chat_id, outbox.c.status.in_([PENDING, SENDING]))
            .values(chat_id=new_chat_id)
        )
        return result.rowcount
