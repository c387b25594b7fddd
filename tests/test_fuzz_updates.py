"""Generated updates of every kind through the real dispatcher: none may log an error.

The app is built as `civicbot run` builds it, with a session that answers every Bot API call
locally; updates go through the poller's `handle`, one unit of work each. Afterwards a normal
tagged message is still taken in and acknowledged. 1,600 examples (at least 1,000 of them valid
updates, the rest poison that the poller quarantines) by default; the `nightly`
hypothesis profile (HYPOTHESIS_PROFILE=nightly) runs 20,000. Hypothesis prints the seed and
the shrunk update of a failure.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.methods import GetMe, TelegramMethod
from aiogram.types import Update, User
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.app import App, build_app
from bot.config import Settings
from bot.domain.models import ChatKind, ChatPlace, RegisteredChat
from storage import db
from storage.tables import outbox
from tests.database import TestDatabase
from tests.e2e.harness import storage_section
from tests.test_update_unit import BUILDING, NOW, STAFF, TOKEN, LocalSession


class FuzzSession(LocalSession):
    """Answers each call with an empty value of the type the method returns (getMe: the bot)."""

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        if isinstance(method, GetMe):  # a command's @mention is checked against the bot's name
            return User(id=123456789, is_bot=True, first_name="civicbot", username="civicbot")
        returning = getattr(method, "__returning__", bool)
        if getattr(returning, "__origin__", None) is list:
            return []
        return True


settings.register_profile("ci", max_examples=1600, deadline=None)
settings.register_profile("nightly", max_examples=20_000, deadline=None)
settings.register_profile("quick", max_examples=100, deadline=None)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")

ADMIN, SPECIALIST = 1, 2
users = st.sampled_from([ADMIN, SPECIALIST, 500, 501, 2**53, 777000])
chats = st.sampled_from([BUILDING, STAFF, -1003, 500, ADMIN])
huge = st.one_of(st.integers(-(2**70), 2**70), st.sampled_from([0, -1, 2**63, 2**63 - 1, 2**64]))
texts = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "#проблема 😀 лифт",
            "/take 99999999999999999999",
            "/close -1 x",
            "/issue 1",
            "/issue ²",
            "/register building",
            "/register staff",
            "/grant 500",
            "/ban",
            "/mute 99999999999d",
            "/settings",
            "/stats 31.02.2026",
            "/announce",
            "/poll",
            "/export",
            "#проблема",
            "/@0",
            "/take@other_bot 1",
            "/issue@civicbot 1",
        ]
    ).flatmap(lambda base: st.text(max_size=20).map(lambda tail: base + tail)),
)
payloads = st.one_of(
    st.text(max_size=64),
    st.builds(
        lambda prefix, action, number: f"{prefix}:{action}:{number}",
        st.sampled_from(["iss", "mod", "mst", "vrd", "wz", "an", "pl"]),
        st.sampled_from(["take", "close", "reopen", "ban", "yes", "no", "org", "ch", "pg", "t"]),
        st.one_of(huge, st.text(max_size=8)),
    ),
)


def user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Анна"}


def chat(chat_id: int) -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "Анна"}
    return {"id": chat_id, "type": "supergroup", "title": "Дом"}


@st.composite
def entities(draw: st.DrawFn, text: str) -> list[dict[str, Any]]:
    kinds = st.sampled_from(["url", "mention", "bot_command", "text_link", "hashtag", "bold"])
    found = []
    for _ in range(draw(st.integers(0, 3))):
        entity = {
            "type": draw(kinds),
            "offset": draw(st.integers(-2, len(text) * 2 + 2)),
            "length": draw(st.integers(0, len(text) * 2 + 2)),
        }
        if entity["type"] == "text_link":
            entity["url"] = "https://example.com"
        found.append(entity)
    return found


@st.composite
def messages(draw: st.DrawFn) -> dict[str, Any]:
    text = draw(texts)
    message: dict[str, Any] = {
        "message_id": draw(st.integers(1, 2**31)),
        "date": int(NOW.timestamp()),
        "chat": chat(draw(chats)),
        "from": user(draw(users)),
    }
    kind = draw(st.sampled_from(["text", "text", "text", "migrate", "join", "left", "reply"]))
    if kind == "migrate":
        message["migrate_to_chat_id"] = draw(st.sampled_from([BUILDING, STAFF, -1009, -(2**52)]))
    elif kind == "join":
        message["new_chat_members"] = [user(draw(users))]
    elif kind == "left":
        message["left_chat_member"] = user(draw(users))
    else:
        message["text"] = text
        message["entities"] = draw(entities(text))
        if kind == "reply":
            message["reply_to_message"] = {
                "message_id": draw(huge.filter(lambda n: abs(n) < 2**62)),
                "date": int(NOW.timestamp()),
                "chat": message["chat"],
                "from": {"id": 123456789, "is_bot": True, "first_name": "bot"},
                "text": draw(st.text(max_size=20)),
            }
    return message


@st.composite
def updates(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            [
                "message",
                "edited_message",
                "callback_query",
                "poll_answer",
                "my_chat_member",
                "chat_member",
                "chat_join_request",
                "message_reaction",
                "poll",
            ]
        )
    )
    if kind in ("message", "edited_message"):
        body: dict[str, Any] = draw(messages())
        if kind == "edited_message":
            body["edit_date"] = int(NOW.timestamp())
    elif kind == "callback_query":
        body = {
            "id": str(draw(st.integers(0, 10**6))),
            "from": user(draw(users)),
            "chat_instance": "1",
            "data": draw(payloads),
        }
        if draw(st.booleans()):
            body["message"] = {
                "message_id": draw(st.integers(1, 2**31)),
                "date": int(NOW.timestamp()),
                "chat": chat(draw(chats)),
                "text": "карточка",
            }
    elif kind == "poll_answer":
        body = {
            "poll_id": draw(st.text(max_size=10)),
            "user": user(draw(users)),
            "option_ids": draw(st.lists(st.integers(0, 10), max_size=3)),
        }
    elif kind in ("my_chat_member", "chat_member"):
        status = st.sampled_from(["member", "left", "kicked", "administrator", "restricted"])
        who = user(draw(users))
        body = {
            "chat": chat(draw(chats)),
            "from": user(draw(users)),
            "date": int(NOW.timestamp()),
            "old_chat_member": {"status": "left", "user": who},
            "new_chat_member": {"status": draw(status), "user": who},
        }
        if body["new_chat_member"]["status"] in ("administrator", "restricted"):
            body["new_chat_member"]["status"] = "member"
    elif kind == "chat_join_request":
        body = {
            "chat": chat(draw(chats)),
            "from": user(draw(users)),
            "user_chat_id": draw(users),
            "date": int(NOW.timestamp()),
        }
    elif kind == "message_reaction":
        body = {
            "chat": chat(draw(chats)),
            "message_id": draw(st.integers(1, 2**31)),
            "user": user(draw(users)),
            "date": int(NOW.timestamp()),
            "old_reaction": [],
            "new_reaction": [{"type": "emoji", "emoji": "👍"}],
        }
    else:
        body = {
            "id": draw(st.text(max_size=10)),
            "question": draw(st.text(max_size=20)),
            "options": [],
            "total_voter_count": 0,
            "is_closed": draw(st.booleans()),
            "is_anonymous": False,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
        }
    return {kind: body}


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def world(test_database: TestDatabase) -> Iterator[tuple[asyncio.Runner, App, Errors]]:
    errors = Errors()
    logging.getLogger().addHandler(errors)
    with asyncio.Runner() as runner:
        config = Settings(
            telegram={"token": TOKEN, "api_base": "http://127.0.0.1:9"},
            storage=storage_section(test_database),
            roles={"admins": [ADMIN], "specialists": [SPECIALIST]},
        )
        app = build_app(config, clock=lambda: NOW)
        app.bot.session = FuzzSession()

        async def prepare() -> None:
            await db.upgrade(app.engine)
            async with app.uow_factory() as uow:
                for place, kind in ((BUILDING, ChatKind.BUILDING), (STAFF, ChatKind.STAFF)):
                    await uow.chats.save(
                        RegisteredChat(ChatPlace(place, 0), kind, "Дом", ADMIN, NOW)
                    )
                await uow.commit()

        runner.run(prepare())
        try:
            yield runner, app, errors
        finally:
            runner.run(app.uow_factory.dispose())
            runner.run(app.engine.dispose())
            logging.getLogger().removeHandler(errors)


def test_generated_updates_log_no_error_and_intake_goes_on(
    world: tuple[asyncio.Runner, App, Errors],
) -> None:
    runner, app, errors = world
    counter = iter(range(1, 10**9))
    handled: list[str] = []

    @settings(
        settings.get_profile(PROFILE),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=True,
    )
    @given(updates())
    def no_error(raw: dict[str, Any]) -> None:
        data = {"update_id": next(counter), **raw}
        update = app.poller.parse(data)  # the poller's own reading of a raw update
        if not isinstance(update, Update):
            return  # a poison update: the poller's quarantine, tested end to end
        before = len(errors.records)
        runner.run(app.poller.handle(update))
        handled.append(next(iter(raw)))
        assert [r.getMessage() for r in errors.records[before:]] == []

    no_error()
    minimum = settings.get_profile(PROFILE).max_examples * 5 // 8  # 1,000 in CI
    assert len(handled) >= minimum, f"only {len(handled)} updates were valid"
    assert set(handled) >= {"message", "callback_query", "chat_member", "poll"}

    fresh = -1077  # the fuzz may have moved, re-registered or left the building chat

    async def tagged() -> None:
        async with app.uow_factory() as uow:
            place = ChatPlace(fresh, 0)
            await uow.chats.save(RegisteredChat(place, ChatKind.BUILDING, "Дом", ADMIN, NOW))
            await uow.commit()
        data = {
            "update_id": next(counter),
            "message": {
                "message_id": 2**31 + 1,
                "date": int(NOW.timestamp()),
                "chat": chat(fresh),
                "from": user(600),
                "text": "#проблема после шквала",
            },
        }
        await app.poller.handle(Update.model_validate(data, context={"bot": app.bot}))
        async with app.uow_factory.reader() as uow:
            issues = [i for i in await uow.issues.list_open() if i.text.endswith("шквала")]
            assert len(issues) == 1
        number = issues[0].number
        async with app.engine.connect() as connection:
            payloads = (await connection.execute(select(outbox.c.payload))).scalars().all()
        acks = [p for p in payloads if f"№{number} принята" in json.dumps(p, ensure_ascii=False)]
        assert len(acks) == 1

    runner.run(tagged())
    assert errors.records == []
