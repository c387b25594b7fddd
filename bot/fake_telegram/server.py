"""The HTTP side of the double: ``/bot<token>/<method>`` on 127.0.0.1, as Telegram serves it.

Each call is parsed (JSON, urlencoded or multipart), validated against the method table,
checked against injected failures, run by its handler and recorded.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from . import api_bot, api_chats, api_edit, api_send  # noqa: F401  (register handlers)
from .models import ApiError, RecordedCall, bad_request
from .registry import HANDLERS
from .state import World
from .updates import WEBHOOK_CONFLICT
from .validation import Upload, method_names, validate

log = logging.getLogger(__name__)

MAX_REQUEST = 60 * 1024 * 1024
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass
class FailureRule:
    method: str
    error_code: int = 0
    description: str = ""
    retry_after: int | None = None
    chat_id: int | str | None = None
    times: int = 1
    drop: bool = False
    after_processing: bool = False
    # "*" matches every method but getUpdates (Telegram's sending side down, updates still
    # arriving); `until` (the world's monotonic clock) ends the rule whatever `times` says.
    until: float | None = None
    # Answer this raw body instead of a Bot API object: the HTML page Telegram's front end
    # serves during incidents, garbage JSON, a body cut short.
    raw_body: str | None = None
    raw_status: int = 502
    raw_content_type: str = "text/html"
    # Hold the request this many seconds first (a hang), then answer as the rule says; a hang
    # alone (no error code, no drop) then answers normally.
    hang: float = 0.0

    def matches(self, method: str, params: dict[str, Any], now: float) -> bool:
        if self.times <= 0 or (self.until is not None and now >= self.until):
            return False
        if self.method == "*":
            if method == "getUpdates":
                return False
        elif self.method.lower() != method.lower():
            return False
        return self.chat_id is None or str(params.get("chat_id")) == str(self.chat_id)

    def error(self) -> ApiError:
        parameters = None
        description = self.description or DEFAULT_DESCRIPTIONS.get(self.error_code, "Error")
        if self.error_code == 429:
            retry_after = self.retry_after or 1
            parameters = {"retry_after": retry_after}
            description = self.description or f"Too Many Requests: retry after {retry_after}"
        return ApiError(self.error_code, description, parameters)


class _Dropped(Exception):
    """Close the connection without an answer."""


class _Raw(Exception):
    """Answer a raw body that is not a Bot API answer."""

    def __init__(self, rule: FailureRule) -> None:
        super().__init__(rule.raw_status)
        self.rule = rule


class ApiServer:
    def __init__(self, world: World, token: str, on_call: Callable[[], None]) -> None:
        self.world = world
        self.token = token
        self.calls: list[RecordedCall] = []
        self.rules: list[FailureRule] = []
        # Valid calls as they arrive, before any failure or hang: a test can act while a
        # call is in flight (`calls` records it only when it is answered).
        self.arrivals: list[str] = []
        self._on_call = on_call
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self, host: str, port: int) -> None:
        app = web.Application(client_max_size=MAX_REQUEST)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self.world.updates.closed = False
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        address = self._runner.addresses[0]
        self.port = int(address[1])

    async def stop(self) -> None:
        self.world.updates.close()
        await self.world.webhook.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _not_found(self, request: web.Request) -> web.StreamResponse:
        return _error_response(ApiError(404, "Not Found"))

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error_response(ApiError(401, "Unauthorized"))
        path = request.match_info["path"]
        for stored in self.world.files.files.values():
            if stored.file_path == path and stored.data is not None:
                return web.Response(body=stored.data, content_type="application/octet-stream")
        return _error_response(ApiError(404, "Not Found"))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        params: dict[str, Any] = {}
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            canonical = method_names().get(name.lower())
            if canonical is None:
                raise ApiError(404, "Not Found")
            name = canonical
            raw, uploads = await _read_params(request)
            params = validate(name, raw, uploads)
            result = await self._run(name, params)
        except _Dropped:
            self._record(name, params, ok=False, error=ApiError(0, "connection dropped"))
            _drop(request)
            raise web.HTTPInternalServerError() from None  # never reaches the client
        except ApiError as error:
            self._record(name, params, ok=False, error=error)
            return _error_response(error)
        except _Raw as raw:
            rule = raw.rule
            self._record(name, params, ok=False, error=ApiError(rule.raw_status, "raw body"))
            return web.Response(
                text=rule.raw_body, status=rule.raw_status, content_type=rule.raw_content_type
            )
        except Exception:
            log.exception("fake Telegram failed on %s", name)
            internal = ApiError(500, "Internal Server Error")
            self._record(name, params, ok=False, error=internal)
            return _error_response(internal)
        self._record(name, params, ok=True, result=result)
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)

    async def _run(self, name: str, params: dict[str, Any]) -> Any:
        self.arrivals.append(name)
        self._on_call()
        now = self.world.monotonic()
        rule = next((r for r in self.rules if r.matches(name, params, now)), None)
        if rule is not None:
            rule.times -= 1
            if rule.hang > 0 and not rule.after_processing:
                await asyncio.sleep(rule.hang)
            if rule.raw_body is not None:
                raise _Raw(rule)
            if rule.drop:
                if not rule.after_processing:
                    raise _Dropped()
            elif rule.error_code:
                raise rule.error()
        if name == "getUpdates":
            if self.world.webhook.active:
                raise ApiError(409, WEBHOOK_CONFLICT)
            result: Any = await self.world.updates.get_updates(
                params.get("offset"),
                params.get("limit"),
                params.get("timeout"),
                params.get("allowed_updates"),
            )
        else:
            result = HANDLERS[name](self.world, params)
        if rule is not None and rule.after_processing:
            if rule.hang > 0:  # the call took effect; its answer is held back
                await asyncio.sleep(rule.hang)
            if rule.drop:
                raise _Dropped()
        return result

    def _record(
        self,
        method: str,
        params: dict[str, Any],
        *,
        ok: bool,
        error: ApiError | None = None,
        result: Any = None,
    ) -> None:
        self.calls.append(
            RecordedCall(
                method=method,
                params=params,
                at=self.world.now(),
                ok=ok,
                error_code=error.error_code if error else None,
                description=error.description if error else None,
                result=result,
            )
        )
        self._on_call()


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    raw: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if not request.can_read_body:
        return raw, uploads
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON request body") from None
        if not isinstance(body, dict):
            raise bad_request("JSON request body must be an object")
        raw.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                data = value.file.read()
                uploads[key] = Upload(value.filename, value.content_type, data)
            else:
                raw[key] = value
    return raw, uploads


def _drop(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _error_response(error: ApiError) -> web.Response:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": error.error_code,
        "description": error.description,
    }
    if error.parameters:
        body["parameters"] = error.parameters
    return web.json_response(body, status=error.error_code, dumps=_dumps)
