"""The HTTP side of the MAX double on 127.0.0.1: every call is authenticated, validated
against the fixture, checked against injected failures and the 30 rps limit, run and
recorded. Errors are answered as MAX does: an HTTP status and `{code, message}`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .validation import MaxApiError, bad_request, validate_body, validate_query
from .webhook import Subscription
from .world import MaxChat, MaxMessage, RecordedCall, World

log = logging.getLogger(__name__)

Handler = Callable[[World, dict[str, Any], Any], Awaitable[Any]]


@dataclass
class Failure:
    """Answer the next `times` calls of `operation` ("POST /messages", "*") with an error."""

    operation: str
    status: int
    code: str = "service.unavailable"
    message: str = "injected failure"
    times: int = 1


_ROUTES: list[tuple[str, re.Pattern[str], str]] = []
_HANDLERS: dict[str, Handler] = {}


def route(key: str) -> Callable[[Handler], Handler]:
    method, path = key.split(" ", 1)
    pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$")

    def register(handler: Handler) -> Handler:
        _ROUTES.append((method, pattern, key))
        _HANDLERS[key] = handler
        return handler

    return register


def _match(method: str, path: str) -> tuple[str, dict[str, str]]:
    allowed = False
    # The most specific path first: /chats/{id}/members/me before /chats/{id}/members.
    for route_method, pattern, key in sorted(_ROUTES, key=lambda r: -len(r[1].pattern)):
        found = pattern.match(path)
        if found is None:
            continue
        if route_method == method:
            return key, found.groupdict()
        allowed = True
    if allowed:
        raise MaxApiError(405, "method.not.allowed", f"Method {method} is not allowed")
    raise MaxApiError(404, "not.found", f"Path {path} not found")


class Server:
    def __init__(self, world: World, token: str, *, rps: int = 30) -> None:
        self.world = world
        self.token = token
        self.rps = rps
        self.failures: list[Failure] = []
        self._recent: deque[float] = deque()
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.app = app

    async def _handle(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        body: Any = None
        key = f"{request.method} {request.path}"
        try:
            key, path_params = _match(request.method, request.path)
            self._authenticate(request)
            self._limit(key)
            self._inject(key)
            raw = await request.read()
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise bad_request("Request body is not valid JSON") from None
            params = validate_query(key, query, path_params)
            body = validate_body(key, body)
            result = await _HANDLERS[key](self.world, params, body)
        except MaxApiError as exc:
            query.pop("access_token", None)
            self.world.calls.append(
                RecordedCall(request.method, request.path, query, body, exc.status, exc.code)
            )
            if exc.status != 429:
                log.info("MAX double: %s -> %d %s", key, exc.status, exc.message)
            return web.json_response(exc.body(), status=exc.status)
        query.pop("access_token", None)
        self.world.calls.append(RecordedCall(request.method, request.path, query, body, 200))
        return web.json_response(result)

    def _authenticate(self, request: web.Request) -> None:
        # The schema's security scheme is `access_token` in the query; every example in the
        # method descriptions sends `Authorization: <token>` instead. Both are documented.
        given = request.query.get("access_token") or request.headers.get("Authorization")
        if given != self.token:
            raise MaxApiError(401, "verify.token", "Invalid access_token")

    def _limit(self, key: str) -> None:
        """30 requests a second to the API (long polling aside): more is answered 429."""
        if key == "GET /updates":
            return
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.rps:
            raise MaxApiError(429, "too.many.requests", "Too many requests")
        self._recent.append(now)

    def _inject(self, key: str) -> None:
        for failure in self.failures:
            if failure.times > 0 and failure.operation in (key, "*") and key != "GET /updates":
                failure.times -= 1
                raise MaxApiError(failure.status, failure.code, failure.message)


# --- operations ---------------------------------------------------------------------------


def _chat_for_bot(world: World, chat_id: int) -> MaxChat:
    chat = world.chat(chat_id)
    if not chat.bot_member:
        raise MaxApiError(403, "chat.denied", "Bot is not a member of the chat")
    return chat


def _member_json(chat: MaxChat, user_id: int, world: World) -> dict[str, Any]:
    user = world.bot if user_id == world.bot.user_id else chat.members[user_id]
    is_bot = user_id == world.bot.user_id
    is_admin = chat.bot_is_admin if is_bot else user_id in chat.admins
    permissions = list(chat.bot_permissions or ()) if is_bot and is_admin else None
    return {
        **user.json(),
        "last_access_time": world.now_ms(),
        "is_owner": False,
        "is_admin": is_admin,
        "join_time": world.now_ms(),
        "permissions": permissions,
    }


@route("GET /me")
async def get_me(world: World, params: dict[str, Any], body: Any) -> Any:
    return {**world.bot.json(), "commands": None, "description": None}


@route("GET /chats/{chatId}")
async def get_chat(world: World, params: dict[str, Any], body: Any) -> Any:
    return _chat_for_bot(world, params["chatId"]).json()


@route("PUT /chats/{chatId}/pin")
async def pin_message(world: World, params: dict[str, Any], body: Any) -> Any:
    chat = _chat_for_bot(world, params["chatId"])
    if "pin_message" not in (chat.bot_permissions or ()):
        raise MaxApiError(403, "chat.denied", "Not enough rights to pin messages")
    message = world.find_message(body["message_id"])
    if message.chat_id != chat.chat_id:
        raise bad_request("The message is not in this chat")
    chat.pinned = message.mid
    return {"success": True}


@route("GET /chats/{chatId}/members/me")
async def get_membership(world: World, params: dict[str, Any], body: Any) -> Any:
    chat = _chat_for_bot(world, params["chatId"])
    return _member_json(chat, world.bot.user_id, world)


@route("GET /chats/{chatId}/members/admins")
async def get_admins(world: World, params: dict[str, Any], body: Any) -> Any:
    chat = _chat_for_bot(world, params["chatId"])
    if not chat.bot_is_admin:
        raise MaxApiError(403, "chat.denied", "Bot is not an administrator of the chat")
    members = [_member_json(chat, user_id, world) for user_id in sorted(chat.admins)]
    return {"members": members, "marker": None}


@route("GET /chats/{chatId}/members")
async def get_members(world: World, params: dict[str, Any], body: Any) -> Any:
    chat = _chat_for_bot(world, params["chatId"])
    wanted = [int(part) for part in params.get("user_ids", [])]
    ids = [i for i in wanted if i in chat.members] if wanted else sorted(chat.members)
    return {"members": [_member_json(chat, i, world) for i in ids], "marker": None}


@route("DELETE /chats/{chatId}/members")
async def remove_member(world: World, params: dict[str, Any], body: Any) -> Any:
    chat = _chat_for_bot(world, params["chatId"])
    if "add_remove_members" not in (chat.bot_permissions or ()):
        raise MaxApiError(403, "chat.denied", "Not enough rights to remove members")
    user = chat.members.pop(params["user_id"], None)
    if params.get("block"):
        chat.blocked.add(params["user_id"])
    if user is None:
        return {"success": False, "message": "User is not a member of the chat"}
    chat.admins.discard(user.user_id)
    world.event(
        chat,
        {
            "update_type": "user_removed",
            "chat_id": chat.chat_id,
            "user": user.json(),
            "admin_id": world.bot.user_id,
            "is_channel": False,
        },
    )
    return {"success": True}


@route("GET /messages")
async def get_messages(world: World, params: dict[str, Any], body: Any) -> Any:
    if "chat_id" in params:
        chat = _chat_for_bot(world, params["chat_id"])
        found = [m for m in reversed(chat.messages) if not m.deleted]
    elif "message_ids" in params:
        found = [world.find_message(mid) for mid in params["message_ids"]]
    else:
        raise bad_request("Either chat_id or message_ids is required")
    return {"messages": [m.json() for m in found[: params.get("count", 50)]]}


@route("GET /messages/{messageId}")
async def get_message(world: World, params: dict[str, Any], body: Any) -> Any:
    return world.find_message(params["messageId"]).json()


def _keyboard_checked(attachments: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    for attachment in attachments or ():
        if attachment.get("type") != "inline_keyboard":
            raise bad_request(f"The double does not carry {attachment.get('type')} attachments")
    return list(attachments or ())


def _link(world: World, chat: MaxChat, link: dict[str, Any] | None) -> dict[str, Any] | None:
    if link is None:
        return None
    replied = world.find_message(link["mid"])
    if link["type"] == "reply" and replied.chat_id != chat.chat_id:
        raise bad_request("Reply to a message of another chat")
    return {
        "type": link["type"],
        "sender": replied.sender.json(),
        "chat_id": replied.chat_id if link["type"] == "forward" else None,
        "message": {"mid": replied.mid, "seq": replied.seq, "text": replied.text},
    }


@route("POST /messages")
async def send_message(world: World, params: dict[str, Any], body: Any) -> Any:
    if "chat_id" in params:
        chat = _chat_for_bot(world, params["chat_id"])
    elif "user_id" in params:
        chat = _dialog(world, params["user_id"])
    else:
        raise bad_request("Either chat_id or user_id is required")
    if not body.get("text") and not body.get("attachments"):
        raise bad_request("Message text or attachments are required")
    message = world.add_message(
        chat,
        world.bot,
        body.get("text"),
        link=_link(world, chat, body.get("link")),
        attachments=_keyboard_checked(body.get("attachments")),
    )
    return {"message": message.json()}


def _dialog(world: World, user_id: int) -> MaxChat:
    """The bot's dialog with a user (a chat of its own in MAX)."""
    if user_id not in world.users:
        raise MaxApiError(404, "user.not.found", f"User {user_id} not found")
    chat_id = 10_000_000_000 + user_id
    if chat_id not in world.chats:
        world.chats[chat_id] = MaxChat(chat_id, f"dialog {user_id}")
        world.chats[chat_id].members[user_id] = world.users[user_id]
    return world.chats[chat_id]


def _own_or_admin(world: World, message: MaxMessage, action: str) -> MaxChat:
    chat = _chat_for_bot(world, message.chat_id)
    if message.sender.user_id != world.bot.user_id and "write" not in (chat.bot_permissions or ()):
        raise MaxApiError(403, "chat.denied", f"Not enough rights to {action} the message")
    return chat


@route("PUT /messages")
async def edit_message(world: World, params: dict[str, Any], body: Any) -> Any:
    message = world.find_message(params["message_id"])
    _own_or_admin(world, message, "edit")
    if message.sender.user_id != world.bot.user_id:
        raise MaxApiError(403, "chat.denied", "A bot edits only its own messages")
    if body.get("text") is not None:
        message.text = body["text"]
    if body.get("attachments") is not None:
        message.attachments = _keyboard_checked(body["attachments"])
    message.edits += 1
    return {"success": True}


@route("DELETE /messages")
async def delete_message(world: World, params: dict[str, Any], body: Any) -> Any:
    message = world.find_message(params["message_id"])
    chat = _own_or_admin(world, message, "delete")
    message.deleted = True
    world.event(
        chat,
        {
            "update_type": "message_removed",
            "message_id": message.mid,
            "chat_id": chat.chat_id,
            "user_id": world.bot.user_id,
        },
    )
    return {"success": True}


@route("POST /answers")
async def answer_callback(world: World, params: dict[str, Any], body: Any) -> Any:
    callback = world.callbacks.pop(params["callback_id"], None)
    if callback is None:
        raise MaxApiError(404, "not.found", "Callback not found or already answered")
    world.answers.append({"callback_id": params["callback_id"], **(body or {})})
    if body and body.get("message") is not None:
        message = world.find_message(callback[1])
        new = body["message"]
        if new.get("text") is not None:
            message.text = new["text"]
        if new.get("attachments") is not None:
            message.attachments = _keyboard_checked(new["attachments"])
        message.edits += 1
    return {"success": True}


@route("GET /updates")
async def get_updates(world: World, params: dict[str, Any], body: Any) -> Any:
    queue = world.updates
    queue.polls += 1
    if world.webhook.subscription is not None:  # a subscription turns long polling off
        return {"updates": [], "marker": params.get("marker")}
    marker = params.get("marker")
    timeout = params.get("timeout", 30)
    limit = params.get("limit", 100)
    deadline = time.monotonic() + timeout
    while True:
        batch, next_marker = queue.take(marker, limit)
        left = deadline - time.monotonic()
        if batch or left <= 0:
            return {"updates": batch, "marker": next_marker}
        queue.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(queue.changed.wait(), timeout=left)


@route("GET /subscriptions")
async def get_subscriptions(world: World, params: dict[str, Any], body: Any) -> Any:
    found = world.webhook.subscription
    if found is None:
        return {"subscriptions": []}
    entry = {"url": found.url, "time": world.now_ms(), "update_types": found.update_types}
    return {"subscriptions": [entry]}


_LOCAL = re.compile(r"^http://(127\.0\.0\.1|localhost)(:\d+)?/")


@route("POST /subscriptions")
async def subscribe(world: World, params: dict[str, Any], body: Any) -> Any:
    url = body["url"]
    # MAX takes only https:// on port 443; the double also takes a local http:// URL, so the
    # tests need no certificate.
    if not (url.startswith("https://") or _LOCAL.match(url)):
        raise bad_request("Webhook URL must start with https://")
    world.webhook.subscription = Subscription(url, body.get("secret"), body.get("update_types"))
    return {"success": True}


@route("DELETE /subscriptions")
async def unsubscribe(world: World, params: dict[str, Any], body: Any) -> Any:
    found = world.webhook.subscription
    if found is None or found.url != params["url"]:
        return {"success": False, "message": "No such subscription"}
    world.webhook.subscription = None
    return {"success": True}
