"""The getUpdates queue: ids, confirmation by offset, long polling, allowed_updates."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .models import ApiError, JsonDict

log = logging.getLogger(__name__)

UPDATE_TYPES: tuple[str, ...] = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "guest_message",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
    "managed_bot",
    "subscription",
    "stopped_message_generation",
)
# Telegram's default when allowed_updates is empty or was never given.
DEFAULT_ALLOWED = frozenset(UPDATE_TYPES) - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}
CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


@dataclass
class _Queued:
    update_id: int
    kind: str
    payload: Any
    forced: bool = False  # fed with an explicit id: delivered once even if already confirmed
    delivered: bool = False

    def to_api(self) -> JsonDict:
        return {"update_id": self.update_id, self.kind: self.payload}


class UpdateQueue:
    def __init__(self, first_update_id: int) -> None:
        self.next_update_id = first_update_id
        self.allowed_updates: frozenset[str] = DEFAULT_ALLOWED
        self.allowed_explicitly = False  # a non-empty allowed_updates was given
        self.on_push: Callable[[], None] = lambda: None  # the webhook sender looks again
        self.confirmed_offset = 0
        self.filtered: list[JsonDict] = []  # updates Telegram would never have created
        self._items: list[_Queued] = []
        self._waiter: asyncio.Future[str] | None = None
        self.polls = 0  # getUpdates calls seen
        self.closed = False  # the server is stopping: answer polls at once

    @property
    def pending(self) -> list[JsonDict]:
        return [item.to_api() for item in self._items]

    def push(self, kind: str, payload: Any, update_id: int | None = None) -> int | None:
        """Queue an update; None if the bot's allowed_updates filter drops it."""
        if kind not in self.allowed_updates:
            self.filtered.append({kind: payload})
            log.debug("update %s filtered by allowed_updates", kind)
            return None
        forced = update_id is not None
        if update_id is None:
            update_id = self.next_update_id
        self.next_update_id = max(self.next_update_id, update_id + 1)
        self._items.append(_Queued(update_id, kind, payload, forced=forced))
        self._wake("update")
        self.on_push()
        return update_id

    def set_allowed(self, allowed: Any) -> None:
        """allowed_updates of getUpdates or setWebhook: None keeps the previous setting, an
        empty list means Telegram's default."""
        if allowed is not None:
            self.allowed_updates = frozenset(allowed) if allowed else DEFAULT_ALLOWED
            self.allowed_explicitly = bool(allowed)

    def peek(self) -> JsonDict | None:
        """The oldest update not yet delivered to the webhook."""
        return self._items[0].to_api() if self._items else None

    def delivered(self, update_id: int) -> None:
        """The webhook answered 2xx: the update is gone from the queue."""
        for index, item in enumerate(self._items):
            if item.update_id == update_id:
                del self._items[index]
                return

    def webhook_set(self) -> None:
        """A waiting getUpdates ends with 409, as Telegram's does once a webhook is set."""
        self._wake("webhook")

    def drop_pending(self) -> None:
        self._items.clear()

    def close(self) -> None:
        self.closed = True
        self._wake("closed")

    async def get_updates(
        self, offset: int | None, limit: int | None, timeout: int | None, allowed: Any
    ) -> list[JsonDict]:
        self.polls += 1
        self._wake("conflict")
        self.set_allowed(allowed)
        if offset:
            self._confirm(offset)
        size = limit if limit is not None and 1 <= limit <= 100 else 100
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(timeout or 0, 0)
        while True:
            batch = self._take(size)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self.closed:
                return batch
            waiter: asyncio.Future[str] = loop.create_future()
            self._waiter = waiter
            try:
                reason = await asyncio.wait_for(asyncio.shield(waiter), remaining)
            except TimeoutError:
                return self._take(size)
            finally:
                if self._waiter is waiter:
                    self._waiter = None
            if reason == "conflict":
                raise ApiError(409, CONFLICT)
            if reason == "webhook":
                raise ApiError(409, WEBHOOK_CONFLICT)
            if reason == "closed":
                return []

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            keep = self._items[offset:]
            self._items = keep
            self.confirmed_offset = keep[0].update_id if keep else self.next_update_id
            return
        self._items = [
            item
            for item in self._items
            if item.update_id >= offset or (item.forced and not item.delivered)
        ]
        self.confirmed_offset = max(self.confirmed_offset, offset)

    def _take(self, size: int) -> list[JsonDict]:
        batch = self._items[:size]
        for item in batch:
            item.delivered = True
        return [item.to_api() for item in batch]

    def _wake(self, reason: str) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(reason)
