"""A thin MAX Bot API client over aiohttp: the few calls the bot makes, as the schema
(../shared/max-bot-api, OpenAPI 0.0.32) states them. The token goes in the `Authorization`
header, as every request example in the schema sends it.

Errors come back as `MaxError` with the HTTP status and the schema's `{code, message}`;
`transient` tells a failure worth retrying (429, 5xx, the network) from a refusal.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Sequence
from typing import Any

import aiohttp

from bot.domain.outgoing import Button

OFFICIAL_API = "https://platform-api2.max.ru"


class MaxError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    @property
    def transient(self) -> bool:
        return self.status == 429 or self.status >= 500 or self.status == 0


def keyboard(buttons: Sequence[Sequence[Button]]) -> list[dict[str, Any]] | None:
    """Inline keyboard attachment of callback buttons (MAX: payload up to 1024)."""
    if not buttons:
        return None
    rows = [
        [{"type": "callback", "text": b.text[:128], "payload": b.data} for b in row]
        for row in buttons
    ]
    return [{"type": "inline_keyboard", "payload": {"buttons": rows}}]


class RateLimit:
    """At most `per_second` requests in any second (MAX: 30 rps), counted at departure."""

    def __init__(self, per_second: int) -> None:
        self._per_second = per_second
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._lock:
            while True:
                now = loop.time()
                while self._sent and now - self._sent[0] >= 1.0:
                    self._sent.popleft()
                if len(self._sent) < self._per_second:
                    self._sent.append(now)
                    return
                await asyncio.sleep(1.0 - (now - self._sent[0]) + 0.001)


class MaxClient:
    def __init__(
        self,
        token: str,
        api_base: str = OFFICIAL_API,
        *,
        timeout: float = 60,
        requests_per_second: int = 30,
    ) -> None:
        self._token = token
        self._base = api_base.rstrip("/")
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._limit = RateLimit(requests_per_second)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers={"Authorization": self._token})
        return self._session

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        if path != "/updates":  # long polling is not counted against the request rate
            await self._limit.wait()
        try:
            async with self._http().request(
                method,
                self._base + path,
                params=query,
                json=body,
                timeout=aiohttp.ClientTimeout(total=timeout or self._timeout),
            ) as response:
                raw = await response.read()
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise MaxError(0, "network", f"{type(exc).__name__}: {exc}") from exc
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            raise MaxError(
                status if status >= 400 else 502,
                "bad.answer",
                raw[:200].decode("utf-8", "replace"),
            ) from None
        if status >= 400:
            if isinstance(data, dict):
                raise MaxError(status, str(data.get("code", "")), str(data.get("message", "")))
            raise MaxError(status, "error", str(data)[:200])
        return data

    # --- the calls --------------------------------------------------------------------------

    async def get_me(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("GET", "/me")
        return result

    async def get_updates(
        self, marker: int | None, *, timeout: int, limit: int = 100, types: Sequence[str] = ()
    ) -> tuple[list[dict[str, Any]], int | None]:
        params: dict[str, Any] = {"timeout": timeout, "limit": limit, "marker": marker}
        if types:
            params["types"] = ",".join(types)
        data = await self.call("GET", "/updates", params=params, timeout=timeout + 15)
        return list(data.get("updates") or ()), data.get("marker")

    async def send_message(
        self,
        *,
        chat_id: int | None = None,
        user_id: int | None = None,
        text: str,
        reply_to: str | None = None,
        buttons: Sequence[Sequence[Button]] = (),
    ) -> dict[str, Any]:
        body = {
            # `text`, `attachments` and `link` are required (and nullable) in NewMessageBody.
            "text": text,
            "attachments": keyboard(buttons),
            "link": {"type": "reply", "mid": reply_to} if reply_to else None,
            "format": "html",
        }
        params = {"chat_id": chat_id, "user_id": user_id, "disable_link_preview": True}
        data = await self.call("POST", "/messages", params=params, body=body)
        message: dict[str, Any] = data["message"]
        return message

    async def edit_message(
        self, mid: str, text: str, buttons: Sequence[Sequence[Button]] = ()
    ) -> None:
        body = {
            "text": text,
            "attachments": keyboard(buttons) or [],
            "link": None,
            "format": "html",
        }
        _succeeded(await self.call("PUT", "/messages", params={"message_id": mid}, body=body))

    async def delete_message(self, mid: str) -> None:
        _succeeded(await self.call("DELETE", "/messages", params={"message_id": mid}))

    async def answer_callback(self, callback_id: str, notification: str | None) -> None:
        body = {"message": None, "notification": notification}
        result = await self.call(
            "POST", "/answers", params={"callback_id": callback_id}, body=body
        )
        _succeeded(result)

    async def remove_member(self, chat_id: int, user_id: int, *, block: bool) -> None:
        params = {"user_id": user_id, "block": block}
        _succeeded(await self.call("DELETE", f"/chats/{chat_id}/members", params=params))

    async def pin(self, chat_id: int, mid: str, *, notify: bool = False) -> None:
        body = {"message_id": mid, "notify": notify}
        _succeeded(await self.call("PUT", f"/chats/{chat_id}/pin", body=body))

    async def subscribe(self, url: str, secret: str, update_types: Sequence[str]) -> None:
        body = {"url": url, "update_types": list(update_types), "secret": secret}
        _succeeded(await self.call("POST", "/subscriptions", body=body))

    async def unsubscribe(self, url: str) -> None:
        _succeeded(await self.call("DELETE", "/subscriptions", params={"url": url}))

    async def membership(self, chat_id: int) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("GET", f"/chats/{chat_id}/members/me")
        return result


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _succeeded(result: Any) -> None:
    """Many methods answer `SimpleQueryResult`: check `success`."""
    if isinstance(result, dict) and result.get("success") is False:
        raise MaxError(400, "not.success", str(result.get("message") or "success: false"))
