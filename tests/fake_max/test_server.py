"""The MAX double follows the schema: calls that break it are refused as MAX refuses them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.fake_max import FakeMax
from bot.fake_max.regenerate_spec import DEFAULT_SCHEMA, build_fixture
from bot.fake_max.validation import SPEC_PATH


@pytest.fixture
async def fake() -> AsyncIterator[FakeMax]:
    async with FakeMax() as double:
        yield double


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def _body(text: str | None = "Привет") -> dict[str, object]:
    return {"text": text, "attachments": None, "link": None}


async def _call(
    http: aiohttp.ClientSession, fake: FakeMax, method: str, path: str, **kwargs: object
) -> tuple[int, dict[str, object]]:
    headers = {"Authorization": fake.token}
    async with http.request(method, fake.api_base + path, headers=headers, **kwargs) as r:  # type: ignore[arg-type]
        return r.status, await r.json()


async def test_missing_required_parameter_is_a_400_with_code_and_message(
    fake: FakeMax, http: aiohttp.ClientSession
) -> None:
    status, body = await _call(http, fake, "PUT", "/messages", json=_body())
    assert status == 400
    assert set(body) == {"code", "message"}
    assert "message_id" in str(body["message"])


async def test_wrong_type_is_refused(fake: FakeMax, http: aiohttp.ClientSession) -> None:
    chat = fake.create_chat("Дом", members=[])
    status, body = await _call(
        http, fake, "POST", "/messages", params={"chat_id": "abc"}, json=_body()
    )
    assert status == 400 and "chat_id" in str(body["message"])
    wrong = {"text": 5, "attachments": None, "link": None}
    status, body = await _call(
        http, fake, "POST", "/messages", params={"chat_id": chat.chat_id}, json=wrong
    )
    assert status == 400 and "body.text" in str(body["message"])


async def test_the_nullable_required_fields_of_a_new_message_must_be_sent(
    fake: FakeMax, http: aiohttp.ClientSession
) -> None:
    chat = fake.create_chat("Дом", members=[])
    status, body = await _call(
        http, fake, "POST", "/messages", params={"chat_id": chat.chat_id}, json={"text": "x"}
    )
    assert status == 400 and "attachments" in str(body["message"])


async def test_buttons_are_checked_by_their_type(
    fake: FakeMax, http: aiohttp.ClientSession
) -> None:
    chat = fake.create_chat("Дом", members=[])
    keyboard = {
        "type": "inline_keyboard",
        "payload": {"buttons": [[{"type": "callback", "text": "Взять"}]]},
    }
    body = {"text": "Карточка", "attachments": [keyboard], "link": None}
    status, answer = await _call(
        http, fake, "POST", "/messages", params={"chat_id": chat.chat_id}, json=body
    )
    assert status == 400 and "payload" in str(answer["message"])
    keyboard["payload"] = {"buttons": [[{"type": "poll", "text": "x"}]]}
    status, answer = await _call(
        http, fake, "POST", "/messages", params={"chat_id": chat.chat_id}, json=body
    )
    assert status == 400 and "unknown value 'poll'" in str(answer["message"])


async def test_token_is_checked(fake: FakeMax, http: aiohttp.ClientSession) -> None:
    async with http.get(fake.api_base + "/me") as response:
        assert response.status == 401
        assert await response.json() == {"code": "verify.token", "message": "Invalid access_token"}
    async with http.get(fake.api_base + "/me", params={"access_token": fake.token}) as response:
        assert response.status == 200


async def test_more_than_30_requests_a_second_get_429(http: aiohttp.ClientSession) -> None:
    async with FakeMax(rps=30) as fake:
        statuses = [(await _call(http, fake, "GET", "/me"))[0] for _ in range(31)]
    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429


async def test_reply_link_and_marker(fake: FakeMax, http: aiohttp.ClientSession) -> None:
    anna = fake.create_user("Анна")
    chat = fake.create_chat("Дом", members=[anna])
    hidden = fake.create_chat("Без прав", members=[anna], bot_admin=False)
    first = fake.user_sends(chat, anna, "#проблема нет света")
    fake.user_sends(hidden, anna, "не видно боту")
    fake.user_sends(chat, anna, "второе")
    status, got = await _call(http, fake, "GET", "/updates", params={"marker": 1, "timeout": 0})
    updates = got["updates"]
    assert status == 200 and isinstance(updates, list) and len(updates) == 2
    again = await _call(http, fake, "GET", "/updates", params={"marker": 1, "timeout": 0})
    assert len(again[1]["updates"]) == 2  # type: ignore[arg-type]  # not confirmed yet
    done = await _call(
        http, fake, "GET", "/updates", params={"marker": got["marker"], "timeout": 0}
    )
    assert done[1]["updates"] == []
    body = {"text": "№1", "attachments": None, "link": {"type": "reply", "mid": first.mid}}
    status, sent = await _call(
        http, fake, "POST", "/messages", params={"chat_id": chat.chat_id}, json=body
    )
    assert status == 200
    assert fake.bot_messages(chat)[-1].reply_to == first.mid


def test_committed_fixture_is_what_the_script_makes() -> None:
    if not DEFAULT_SCHEMA.exists():
        pytest.skip("the shared MAX schema is not beside the checkout")
    schema = json.loads(DEFAULT_SCHEMA.read_text(encoding="utf-8"))
    assert json.loads(Path(SPEC_PATH).read_text(encoding="utf-8")) == build_fixture(schema)


async def test_webhook_delivery_is_retried_until_200(fake: FakeMax) -> None:
    from aiohttp import web

    seen: list[str | None] = []

    async def endpoint(request: web.Request) -> web.Response:
        seen.append(request.headers.get("X-Max-Bot-Api-Secret"))
        return web.Response(status=500 if len(seen) == 1 else 200)

    app = web.Application()
    app.router.add_post("/hook", endpoint)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as http:
            status, _ = await _call(
                http,
                fake,
                "POST",
                "/subscriptions",
                json={"url": f"http://127.0.0.1:{port}/hook", "secret": "abcde"},
            )
            assert status == 200
            status, body = await _call(
                http, fake, "POST", "/subscriptions", json={"url": "http://example.com/x"}
            )
            assert status == 400 and "https://" in str(body["message"])
        anna = fake.create_user("Анна")
        chat = fake.create_chat("Дом", members=[anna])
        fake.user_sends(chat, anna, "привет")
        # The double records a delivery once its answer is read, just after the endpoint ran.
        deliveries = fake.world.webhook.deliveries
        await fake.wait_for(lambda: len(deliveries) >= 2, timeout=5, message="for the retry")
        assert seen == ["abcde", "abcde"]
        assert [d.status for d in deliveries] == [500, 200]
    finally:
        await runner.cleanup()
