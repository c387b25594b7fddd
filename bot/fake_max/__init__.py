"""A double of the MAX Bot API for the tests and `civicbot demo --max`: a real aiohttp server
on 127.0.0.1 (a free port) that validates every call against a compact fixture generated
from the OpenAPI schema (`regenerate_spec.py`), answers errors as MAX does, models the 30 rps
limit with 429, and lets a test play the people in the chats."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .server import Failure, Server
from .world import ADMIN_PERMISSIONS, MaxChat, MaxMessage, MaxUser, World

__all__ = ["ADMIN_PERMISSIONS", "Failure", "FakeMax", "MaxChat", "MaxMessage", "MaxUser"]

TOKEN = "max-test-token-0123456789abcdef"


class FakeMax:
    def __init__(self, token: str = TOKEN, *, rps: int = 30) -> None:
        self.token = token
        self.world = World()
        self.server = Server(self.world, token, rps=rps)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._runner = web.AppRunner(self.server.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server: Any = site._server
        self.port = int(server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        await self.world.webhook.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeMax:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- people and chats ----------------------------------------------------------------

    def create_user(self, first_name: str, last_name: str | None = None) -> MaxUser:
        return self.world.create_user(first_name, last_name)

    def create_chat(
        self,
        title: str,
        *,
        members: list[MaxUser],
        admins: list[MaxUser] | None = None,
        bot_admin: bool = True,
    ) -> MaxChat:
        return self.world.create_chat(
            title, members=members, admins=admins or [], bot_admin=bot_admin
        )

    def fail(self, operation: str, status: int, code: str, times: int = 1) -> Failure:
        failure = Failure(operation, status, code, f"injected {code}", times)
        self.server.failures.append(failure)
        return failure

    # --- what people do ------------------------------------------------------------------

    def user_sends(
        self, chat: MaxChat, user: MaxUser, text: str, *, reply_to: str | None = None
    ) -> MaxMessage:
        link = None
        if reply_to is not None:
            replied = self.world.find_message(reply_to)
            link = {
                "type": "reply",
                "sender": replied.sender.json(),
                "chat_id": None,
                "message": {"mid": replied.mid, "seq": replied.seq, "text": replied.text},
            }
        message = self.world.add_message(chat, user, text, link=link)
        self.world.event(
            chat,
            {"update_type": "message_created", "message": message.json(), "user_locale": None},
        )
        return message

    def user_edits(self, message: MaxMessage, text: str) -> None:
        message.text = text
        chat = self.world.chat(message.chat_id)
        self.world.event(chat, {"update_type": "message_edited", "message": message.json()})

    def press(self, message: MaxMessage, user: MaxUser, payload: str) -> str:
        """`user` presses the callback button with `payload` under the bot's `message`."""
        if not any(b.get("payload") == payload for row in message.buttons for b in row):
            raise AssertionError(f"no button {payload!r} under {message.mid}: {message.buttons}")
        callback_id = self.world.new_callback(message.chat_id, message.mid, user.user_id)
        chat = self.world.chat(message.chat_id)
        self.world.event(
            chat,
            {
                "update_type": "message_callback",
                "callback": {
                    "timestamp": self.world.now_ms(),
                    "callback_id": callback_id,
                    "payload": payload,
                    "user": user.json(),
                },
                "message": message.json(),
                "user_locale": None,
            },
        )
        return callback_id

    def user_joins(self, chat: MaxChat, user: MaxUser, inviter: MaxUser | None = None) -> None:
        chat.members[user.user_id] = user
        self.world.event(
            chat,
            {
                "update_type": "user_added",
                "chat_id": chat.chat_id,
                "user": user.json(),
                "inviter_id": inviter.user_id if inviter else None,
                "is_channel": False,
            },
        )

    def user_leaves(self, chat: MaxChat, user: MaxUser) -> None:
        chat.members.pop(user.user_id, None)
        self.world.event(
            chat,
            {
                "update_type": "user_removed",
                "chat_id": chat.chat_id,
                "user": user.json(),
                "admin_id": None,
                "is_channel": False,
            },
        )

    def starts_bot(self, user: MaxUser) -> None:
        """`user` opens a dialog with the bot and presses «Начать» (bot_started)."""
        chat_id = 10_000_000_000 + user.user_id
        self.world.push(
            {
                "update_type": "bot_started",
                "timestamp": self.world.now_ms(),
                "chat_id": chat_id,
                "user": user.json(),
                "payload": None,
                "user_locale": "ru",
            }
        )

    def dialog(self, user: MaxUser) -> MaxChat | None:
        """The bot's dialog with `user`, once the bot has written there."""
        return self.world.chats.get(10_000_000_000 + user.user_id)

    def bot_removed(self, chat: MaxChat, by: MaxUser) -> None:
        """An admin removes the bot from `chat` (the event reaches the bot, as MAX sends it)."""
        self.world.push(
            {
                "update_type": "bot_removed",
                "timestamp": self.world.now_ms(),
                "chat_id": chat.chat_id,
                "user": by.json(),
                "is_channel": False,
            }
        )
        chat.bot_member = False

    def redeliver_last(self) -> dict[str, Any]:
        """The last update queued, once more (as after a lost confirmation); returns it."""
        update = dict(self.world.updates.pushed[-1])
        self.world.push(update)
        return update

    def repeat(self, update: dict[str, Any]) -> None:
        """`update` once more (to the webhook if subscribed, else to long polling)."""
        self.world.push(dict(update))

    # --- what the bot did ----------------------------------------------------------------

    def bot_messages(self, chat: MaxChat) -> list[MaxMessage]:
        return [
            m
            for m in chat.messages
            if m.sender.user_id == self.world.bot.user_id and not m.deleted
        ]

    def errors(self) -> list[Any]:
        return [c for c in self.world.calls if c.status != 200]

    async def wait_for(
        self, condition: Callable[[], Any], *, timeout: float = 10.0, message: str = ""
    ) -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            result = condition()
            if result:
                return result
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting {message}")
            await asyncio.sleep(0.02)

    async def wait_for_bot_message(
        self, chat: MaxChat, contains: str, *, after: int = 0, timeout: float = 10.0
    ) -> MaxMessage:
        def found() -> MaxMessage | None:
            return next(
                (
                    m
                    for m in self.bot_messages(chat)
                    if m.seq > after and contains in (m.text or "")
                ),
                None,
            )

        texts = [m.text for m in self.bot_messages(chat)]
        result: MaxMessage = await self.wait_for(
            found, timeout=timeout, message=f"for {contains!r} in {chat.title} (had {texts})"
        )
        return result
