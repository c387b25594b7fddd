"""The MAX sender: carries out the outbox entries tagged `max`, one per chat at a time (each
chat keeps its order), within MAX's 30 requests a second (the client's limit).

- A message: `POST /messages` to the chat (or to the user, for a person's dialog), a reply
  as `link: {type: "reply", mid}`, buttons as an inline keyboard of `callback` buttons. The
  answer's `seq` becomes the entry's message id; its `mid` is kept beside it.
- An edit or deletion: `PUT` / `DELETE /messages?message_id=<mid>`.
- Members: remove (`DELETE /chats/{id}/members`), with `block=true` for a ban.
- A pin after the send (`PUT /chats/{id}/pin`); a failed pin is logged, the message stays.
- What MAX lacks (restrict, release, unban, join requests, native polls: the core sends a
  poll there as a message with buttons) and what is not built yet (files) fails the entry
  with the reason logged; a file with a caption (a poll's chart) goes as its caption alone.

Transient failures (429, 5xx, the network) are retried with capped back-off until the entry
is older than `give_up_after`; refusals fail it; a 403 is reported to the core.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from bot.domain.messengers import Messenger, is_max_user, native_max_chat, native_max_user
from bot.domain.outgoing import (
    MAYBE_SENT,
    NEW_MESSAGES,
    MemberAction,
    OutboxEntry,
    Outgoing,
    Refusal,
    RefusalKind,
    TargetAction,
)
from bot.services.delivery_events import DeliveryListener, Doorbell
from bot.services.ports import Clock, UnitOfWork, UnitOfWorkFactory

from .client import MaxClient, MaxError

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=1)


class NotSupported(Exception):
    """MAX has no such operation, or the adapter does not carry it out yet."""


class _TargetUnknown(Exception):
    """The message to edit or delete was not sent (or its `mid` is not known) yet."""


class MaxOutboxDispatcher:
    def __init__(
        self,
        client: MaxClient,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        *,
        poll_interval: float = 1.0,
        lease: timedelta = timedelta(minutes=2),
        give_up_after: timedelta = timedelta(hours=24),
        retry_cap: timedelta = timedelta(minutes=10),
        doorbell: Doorbell | None = None,
        listener: DeliveryListener | None = None,
        batch: int = 30,
    ) -> None:
        self._client = client
        self._uow_factory = uow_factory
        self._clock = clock
        self._poll_interval = poll_interval
        self._lease = lease
        self._give_up_after = give_up_after
        self._retry_cap = retry_cap
        self._doorbell = doorbell or Doorbell()
        self._listener = listener
        self._batch = batch
        self._stopping = asyncio.Event()
        self._round = asyncio.Lock()

    def wake(self) -> None:
        self._doorbell.ring()

    async def settled(self) -> None:
        """Wait for the round in hand: what it sent is recorded when this returns."""
        async with self._round:
            return

    async def run(self) -> None:
        while not self._stopping.is_set():
            self._doorbell.any.clear()
            try:
                async with self._round:
                    worked = await self._one_round()
            except Exception:
                log.exception("MAX outbox round failed")
                worked = False
            if worked:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._doorbell.any.wait(), timeout=self._poll_interval)

    async def stop(self) -> None:
        self._stopping.set()
        self._doorbell.ring()
        async with self._round:
            return

    def resume(self) -> None:
        """Take entries again after a stop (before `run` is started again)."""
        self._stopping.clear()

    async def _one_round(self) -> bool:
        now = self._clock()
        async with self._uow_factory() as uow:
            heads = await uow.outbox.due_heads(now, self._batch * 2, messenger=Messenger.MAX)
            chosen: list[int] = []
            seen: set[int] = set()
            for head in heads:
                if head.chat_id not in seen and len(chosen) < self._batch:
                    seen.add(head.chat_id)
                    chosen.append(head.id)
            if not chosen:
                return False
            got = await uow.outbox.claim_many(chosen, now, now + self._lease)
            entries = sorted(await uow.outbox.load(sorted(got)), key=lambda e: e.id)
            await uow.commit()
        for entry in entries:
            await self._deliver(entry)
        return bool(entries)

    async def _deliver(self, entry: OutboxEntry) -> None:
        message = entry.message
        result: dict[str, Any] = {}
        if message.kind in NEW_MESSAGES:
            if entry.maybe_sent:
                # As on Telegram: MAX has no idempotency key, so a send a crash cut short
                # is not repeated; a resident must not get the same message twice.
                log.warning("MAX outbox entry %d: %s", entry.id, MAYBE_SENT)
                await self._fail(entry, MAYBE_SENT)
                return
            async with self._uow_factory() as uow:
                await uow.outbox.mark_attempted(entry.id, self._clock())
                await uow.commit()
        try:
            sent = await self._carry_out(message, result)
        except MaxError as exc:
            if exc.transient:
                await self._retry(entry, str(exc))
                return
            log.warning("MAX outbox entry %d (%s) refused: %s", entry.id, message.kind, exc)
            await self._fail(entry, str(exc))
            if exc.status == 403 and self._listener is not None:
                refusal = Refusal(message.chat_id, RefusalKind.FORBIDDEN, detail=exc.message)
                try:
                    await self._listener.refused(refusal)
                except Exception:
                    log.exception("MAX refusal report failed for chat %d", message.chat_id)
        except NotSupported as exc:
            log.warning("MAX outbox entry %d (%s) failed: %s", entry.id, message.kind, exc)
            await self._fail(entry, str(exc))
        except _TargetUnknown:
            await self._retry(entry, "the message to change was not sent yet")
        else:
            await self._sent(entry, sent, result)

    async def _carry_out(
        self, message: Outgoing, result: dict[str, Any]
    ) -> tuple[int, str] | None:
        """Do it; (seq, mid) of a message sent."""
        if message.member is not None:
            await self._member(message)
            return None
        if message.edit_of is not None or message.target_message_id is not None:
            mid = await self._target_mid(message)
            if message.target_action is TargetAction.DELETE:
                await self._client.delete_message(mid)
            elif message.target_action is None:
                await self._client.edit_message(mid, message.text, message.buttons)
            else:
                raise NotSupported(f"{message.target_action} is not carried out on MAX")
            return None
        if message.poll is not None:
            raise NotSupported("MAX has no native polls")
        if message.attachment is not None and not message.text:
            raise NotSupported("files are not sent to MAX yet")
        reply_mid = None
        if message.reply_to is not None:
            async with self._uow_factory.reader() as uow:
                reply_mid = await uow.native.native_message(message.chat_id, message.reply_to)
        target = _recipient(message.chat_id)
        sent = await self._client.send_message(
            **target, text=message.text, reply_to=reply_mid, buttons=message.buttons
        )
        body = sent.get("body") or {}
        seq, mid = int(body["seq"]), str(body["mid"])
        if message.pin and not is_max_user(message.chat_id):
            try:
                await self._client.pin(native_max_chat(message.chat_id), mid)
                result["pinned"] = True
            except MaxError as exc:  # the message is out; a pin it lacks is only reported
                log.warning("MAX pin in chat %d failed: %s", message.chat_id, exc)
                result["pinned"] = False
                result["pin_error"] = exc.message
        return seq, mid

    async def _target_mid(self, message: Outgoing) -> str:
        async with self._uow_factory.reader() as uow:
            if message.target_message_id is not None:
                located: tuple[int, int] | None = (message.chat_id, message.target_message_id)
            else:
                assert message.edit_of is not None
                located = await uow.refs.locate(message.edit_of)
            mid = await uow.native.native_message(*located) if located else None
        if mid is None:
            raise _TargetUnknown
        return mid

    async def _member(self, message: Outgoing) -> None:
        assert message.member is not None
        action = message.member.action
        if action not in (MemberAction.KICK, MemberAction.BAN):
            raise NotSupported(f"MAX has no {action} (only removing a member, with a block)")
        if not is_max_user(message.member.user_id):
            raise NotSupported("the person has no MAX account the bot knows")
        await self._client.remove_member(
            native_max_chat(message.chat_id),
            native_max_user(message.member.user_id),
            block=action is MemberAction.BAN,
        )

    async def _sent(
        self, entry: OutboxEntry, sent: tuple[int, str] | None, result: dict[str, Any]
    ) -> None:
        message = entry.message
        async with self._uow_factory() as uow:
            seq = sent[0] if sent else None
            await uow.outbox.mark_sent(entry.id, self._clock(), seq, result or None)
            if sent is not None:
                await uow.native.record_message(message.chat_id, sent[0], sent[1])
                if message.remember_as is not None:
                    await uow.refs.record(message.chat_id, sent[0], message.remember_as)
            done = await self._batch_done(uow, message)
            await uow.commit()
        await self._report_batch(message, done)

    async def _fail(self, entry: OutboxEntry, error: str) -> None:
        async with self._uow_factory() as uow:
            await uow.outbox.mark_failed(entry.id, error[:500])
            done = await self._batch_done(uow, entry.message)
            await uow.commit()
        await self._report_batch(entry.message, done)

    @staticmethod
    async def _batch_done(uow: UnitOfWork, message: Outgoing) -> bool:
        """Was this the last open entry of its batch (an announcement, a poll's closing)?"""
        return message.batch is not None and not await uow.outbox.unfinished([message.batch])

    async def _report_batch(self, message: Outgoing, done: bool) -> None:
        if done and message.batch is not None and self._listener is not None:
            try:
                await self._listener.batch_done(message.batch)
            except Exception:
                log.exception("MAX outbox batch report failed for %s", message.batch)

    async def _retry(self, entry: OutboxEntry, error: str) -> None:
        now = self._clock()
        due_at = entry.due_at or now
        if now - due_at >= self._give_up_after:
            log.error("MAX outbox entry %d given up after %s: %s", entry.id, now - due_at, error)
            await self._fail(entry, f"gave up: {error}")
            return
        delay = min(FIRST_RETRY * (2 ** min(entry.attempts, 20)), self._retry_cap)
        async with self._uow_factory() as uow:
            await uow.outbox.retry_later(entry.id, now + delay, error[:500])
            await uow.commit()


def _recipient(chat_id: int) -> dict[str, int]:
    """A person's dialog is addressed by `user_id`, a group chat by `chat_id`."""
    if is_max_user(chat_id):
        return {"user_id": native_max_user(chat_id)}
    return {"chat_id": native_max_chat(chat_id)}
