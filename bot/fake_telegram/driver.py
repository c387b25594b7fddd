"""FakeTelegram: the in-process driver tests and the demo talk to."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from .api_bot import get_my_commands
from .limits import RateLimits
from .membership import MembershipActions
from .models import (
    DriverError,
    FakeChat,
    FakeMessage,
    FakeUser,
    JsonDict,
    RecordedCall,
    SentRecord,
    StoredFile,
)
from .server import ApiServer, FailureRule
from .state import Settings, World
from .webhook import Delivery

RAW_BODIES: dict[str, tuple[str, int, str]] = {
    "html": (
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
        "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
        "</body>\r\n</html>\r\n",
        502,
        "text/html",
    ),
    "garbage": ("\x00\x1f\x8b garbage {]", 200, "application/json"),
    "truncated": ('{"ok":true,"result":[{"update_id":1', 200, "application/json"),
}
DEFAULT_TOKEN = "123456789:AAAbbbCCCdddEEEfffGGGhhhIIIjjjKKKlll"


class FakeTelegram(MembershipActions):
    """A Bot API server on 127.0.0.1 plus the users and chats around the bot."""

    # Every wait's limit is multiplied by this. Waits end on the awaited event, so a test
    # suite run in parallel on a loaded machine raises it without slowing a green run.
    timeout_scale: float = 1.0

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "civic_test_bot",
        *,
        bot_name: str = "Civic Test Bot",
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limits: RateLimits | None = RateLimits(),  # noqa: B008 (frozen dataclass)
        privacy_mode: bool = True,
        strict_html: bool = True,
        first_update_id: int = 100_000_001,
        now: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        bot_id = int(token.split(":", 1)[0])
        self.bot = FakeUser(bot_id, bot_name, username=bot_username, is_bot=True)
        settings = Settings(strict_html, privacy_mode, first_update_id, rate_limits)
        self.world = World(self.bot, settings, now=now, monotonic=monotonic)
        self.token = token
        self._host, self._port = host, port
        self._changed = asyncio.Event()
        self.server = ApiServer(self.world, token, self._changed.set)

    # lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        await self.server.start(self._host, self._port)

    async def stop(self) -> None:
        await self.server.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def api_base(self) -> str:
        return f"http://{self._host}:{self.server.port}"

    # configuration ------------------------------------------------------------------------
    @property
    def rate_limits(self) -> RateLimits | None:
        return self.world.limiter.limits

    @rate_limits.setter
    def rate_limits(self, limits: RateLimits | None) -> None:
        self.world.limiter.limits = limits

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str | None = None,
        retry_after: int | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` valid calls of ``method`` (to ``chat_id`` if given) fail."""
        rule = FailureRule(method, error_code, description or "", retry_after, chat_id, times)
        self.server.rules.append(rule)

    def answer_raw(
        self,
        method: str,
        kind: str = "html",
        *,
        times: int = 1,
        seconds: float | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` (``"*"``: all but getUpdates), or all of
        them for ``seconds``, get a body that is no Bot API answer: ``"html"`` (the 502 page of
        Telegram's front end), ``"garbage"`` (a 200 that is not JSON) or ``"truncated"``
        (a 200 whose JSON is cut short)."""
        body, status, content_type = RAW_BODIES[kind]
        until = None if seconds is None else self.world.monotonic() + seconds
        rule = FailureRule(
            method,
            times=10**9 if seconds is not None else times,
            until=until,
            raw_body=body,
            raw_status=status,
            raw_content_type=content_type,
        )
        self.server.rules.append(rule)

    def drop_connections(
        self, method: str, times: int = 1, *, after_processing: bool = False
    ) -> None:
        """Close the connection without answering; with ``after_processing`` the call takes
        effect first (the message is sent but the bot never learns it)."""
        rule = FailureRule(method, times=times, drop=True, after_processing=after_processing)
        self.server.rules.append(rule)

    def hang(
        self,
        method: str,
        seconds: float,
        *,
        times: int = 1,
        drop: bool = False,
        after_processing: bool = False,
        chat_id: int | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` (``"*"``: all but getUpdates) are held for
        ``seconds`` before they take effect and are answered, or with ``drop`` before the
        connection is closed unanswered (a client with a shorter timeout gives up first).
        With ``after_processing`` the call takes effect at once and its answer is held."""
        rule = FailureRule(
            method,
            chat_id=chat_id,
            times=times,
            drop=drop,
            after_processing=after_processing,
            hang=seconds,
        )
        self.server.rules.append(rule)

    def outage(
        self,
        seconds: float,
        error_code: int = 502,
        *,
        drop: bool = False,
        chat_id: int | None = None,
    ) -> None:
        """For ``seconds`` every call but getUpdates (to ``chat_id`` if given) fails with
        ``error_code``, or with ``drop`` loses its connection before it takes effect."""
        rule = FailureRule(
            "*",
            error_code,
            chat_id=chat_id,
            times=2**62,
            drop=drop,
            until=self.world.monotonic() + seconds,
        )
        self.server.rules.append(rule)

    def clear_failures(self) -> None:
        """Forget every failure injected so far: Telegram is healthy again."""
        self.server.rules.clear()

    # observing ----------------------------------------------------------------------------
    @property
    def calls(self) -> list[RecordedCall]:
        return self.server.calls

    def calls_of(
        self, method: str, *, ok: bool | None = None, chat_id: int | None = None
    ) -> list[RecordedCall]:
        return [
            call
            for call in self.server.calls
            if call.method.lower() == method.lower()
            and (ok is None or call.ok == ok)
            and (chat_id is None or str(call.params.get("chat_id")) == str(chat_id))
        ]

    @property
    def confirmed_offset(self) -> int:
        return self.world.updates.confirmed_offset

    @property
    def pending_updates(self) -> list[JsonDict]:
        return self.world.updates.pending

    @property
    def filtered_updates(self) -> list[JsonDict]:
        """Updates dropped because the bot's allowed_updates did not include their type."""
        return self.world.updates.filtered

    @property
    def sent(self) -> list[SentRecord]:
        return self.world.sent

    def sent_times(self, chat_id: int | None = None) -> list[float]:
        """Monotonic times of accepted outgoing messages (all chats or one)."""
        return [r.monotonic for r in self.world.sent if chat_id is None or r.chat_id == chat_id]

    def chat(self, chat_id: int) -> FakeChat:
        return self.world.chat(chat_id)

    def chat_messages(self, chat_id: int, *, include_deleted: bool = False) -> list[FakeMessage]:
        messages = self.world.messages.get(chat_id, {}).values()
        return [m for m in messages if include_deleted or not m.deleted]

    def bot_messages(self, chat_id: int, *, include_deleted: bool = False) -> list[FakeMessage]:
        return [
            m
            for m in self.chat_messages(chat_id, include_deleted=include_deleted)
            if m.from_bot and not m.service
        ]

    def message(self, chat_id: int, message_id: int) -> FakeMessage:
        msg = self.world.messages.get(chat_id, {}).get(message_id)
        if msg is None:
            raise DriverError(f"no message {message_id} in chat {chat_id}")
        return msg

    def callback_answer(self, query_id: str) -> JsonDict | None:
        """What the bot answered to a button press (None if it has not answered)."""
        return self.world.callbacks[query_id].answer

    def member_status(self, chat_id: int, user: FakeUser) -> str:
        chat = self.world.chat(chat_id)
        return self.world.member(chat, user).status

    def file(self, file_id: str) -> StoredFile:
        stored = self.world.files.get(file_id)
        if stored is None:
            raise DriverError(f"unknown file_id {file_id!r}")
        return stored

    def file_bytes(self, file_id: str) -> bytes:
        data = self.file(file_id).data
        if data is None:
            raise DriverError(f"file {file_id!r} was sent by URL; the double has no bytes")
        return data

    def commands(self, scope: JsonDict | None = None, language_code: str = "") -> list[JsonDict]:
        params: dict[str, Any] = {"language_code": language_code}
        if scope is not None:
            params["scope"] = scope
        commands: list[JsonDict] = get_my_commands(self.world, params)
        return commands

    def enqueue_raw_update(self, update: JsonDict, update_id: int | None = None) -> int | None:
        """Queue any update; an explicit id (even an old one) is delivered once more, which
        is how a redelivery after a crash looks. None if allowed_updates filters it out."""
        body = {k: v for k, v in update.items() if k != "update_id"}
        if len(body) != 1:
            raise DriverError(f"an update has exactly one payload field: {sorted(body)}")
        ((kind, payload),) = body.items()
        explicit = update_id if update_id is not None else update.get("update_id")
        return self.world.updates.push(kind, payload, explicit)

    # webhooks -----------------------------------------------------------------------------
    @property
    def webhook_deliveries(self) -> list[Delivery]:
        """Every POST of an update to the bot's webhook, answered or not, in order."""
        return self.world.webhook.deliveries

    def webhook_info(self) -> JsonDict:
        """What getWebhookInfo would answer now."""
        return self.world.webhook.info()

    def redeliver(self, update_id: int) -> None:
        """Deliver an update the webhook accepted once more, as Telegram does when the 200
        was lost on the way."""
        for delivery in reversed(self.world.webhook.deliveries):
            if delivery.update_id == update_id:
                self.enqueue_raw_update(delivery.update, update_id)
                return
        raise DriverError(f"update {update_id} was never delivered to the webhook")

    def set_webhook_retry(self, first: float, cap: float) -> None:
        """The delays between deliveries of an update the bot did not take (doubled)."""
        self.world.webhook.first_retry = first
        self.world.webhook.retry_cap = cap

    # waiting ------------------------------------------------------------------------------
    async def wait_for(
        self, predicate: Callable[[], object], timeout: float = 10.0, message: str = ""
    ) -> None:
        loop = asyncio.get_running_loop()
        timeout *= self.timeout_scale
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout}s {message}\n{self.dump()}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))

    async def wait_for_bot_message(
        self,
        chat_id: int,
        contains: str | None = None,
        *,
        after: int | None = None,
        predicate: Callable[[FakeMessage], bool] | None = None,
        timeout: float = 10.0,
    ) -> FakeMessage:
        """The first bot message in the chat (with id > ``after``) matching the filters."""

        def find() -> FakeMessage | None:
            for msg in self.bot_messages(chat_id):
                if after is not None and msg.message_id <= after:
                    continue
                if contains is not None and contains not in msg.content:
                    continue
                if predicate is None or predicate(msg):
                    return msg
            return None

        await self.wait_for(lambda: find() is not None, timeout, f"for a bot message {contains!r}")
        found = find()
        assert found is not None
        return found

    async def wait_for_call(self, method: str, count: int = 1, timeout: float = 10.0) -> None:
        await self.wait_for(lambda: len(self.calls_of(method)) >= count, timeout, f"for {method}")

    async def wait_until_polling(self, timeout: float = 10.0) -> None:
        """Wait for the bot's first getUpdates (its allowed_updates are known after it)."""
        await self.wait_for(lambda: self.world.updates.polls > 0, timeout, "for getUpdates")

    def dump(self, calls: int = 15, messages: int = 5) -> str:
        lines = [
            f"pending updates: {len(self.pending_updates)}, "
            f"filtered: {len(self.filtered_updates)}, confirmed offset: {self.confirmed_offset}",
            *(
                [f"webhook: {self.webhook_info()}, deliveries: {len(self.webhook_deliveries)}"]
                if self.world.webhook.active
                else []
            ),
            f"last {calls} calls:",
        ]
        for call in self.calls[-calls:]:
            params = {
                k: v for k, v in call.params.items() if k in ("chat_id", "text", "message_id")
            }
            status = "ok" if call.ok else f"{call.error_code} {call.description}"
            lines.append(f"  {call.method} {params} -> {status}")
        for chat_id, stored in self.world.messages.items():
            shown = [m for m in stored.values() if not m.deleted][-messages:]
            if shown:
                lines.append(f"chat {chat_id}:")
                for m in shown:
                    who = "bot" if m.from_bot else m.sender.first_name
                    lines.append(f"  #{m.message_id} {who}: {m.content[:80]!r} {m.service or ''}")
        return "\n".join(lines)
