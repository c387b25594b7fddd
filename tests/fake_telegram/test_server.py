"""Tests of the Bot API double itself: a real aiogram Bot (and raw HTTP) against it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    ChatMemberRestricted,
    ChatPermissions,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputPollOption,
    Message,
    ReactionTypeEmoji,
    ReplyParameters,
)

from bot.fake_telegram import ADMIN_RIGHTS, DriverError, FakeTelegram, RateLimits
from bot.fake_telegram.files import TINY_PNG
from bot.fake_telegram.html_check import EntityParseError, parse_html
from bot.fake_telegram.regenerate_spec import METHODS, build_fixture, render
from bot.fake_telegram.validation import SPEC_PATH


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def fake(clock: Clock) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(monotonic=clock) as double:
        yield double


class PlainHttpSession(AiohttpSession):
    """aiogram's session without the 250 ms pause it takes on close for TLS connections."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    session = PlainHttpSession(api=TelegramAPIServer.from_base(fake.api_base))
    client = Bot(fake.token, session=session)
    yield client
    await session.close()


async def raw_call(fake: FakeTelegram, method: str, token: str | None = None, **kw: Any) -> Any:
    url = f"{fake.api_base}/bot{token or fake.token}/{method}"
    async with aiohttp.ClientSession() as http, http.post(url, **kw) as resp:
        body = await resp.json()
        assert body["ok"] is (resp.status == 200)
        return resp.status, body


def keyboard(data: str = "iss:take:1", text: str = "Взять") -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text=text, callback_data=data)
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


# --- protocol ---------------------------------------------------------------------------------


async def test_wrong_token_is_401_and_unknown_method_404(fake: FakeTelegram) -> None:
    status, body = await raw_call(fake, "getMe", token="1:wrong")
    assert (status, body["description"]) == (401, "Unauthorized")
    status, body = await raw_call(fake, "sendSticker")
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})


async def test_json_form_and_query_bodies_are_accepted(fake: FakeTelegram) -> None:
    anna = fake.create_user("Анна")
    fake.user_sends(anna.id, anna, "/start")
    _, body = await raw_call(fake, "sendmessage", json={"chat_id": anna.id, "text": "json"})
    assert body["result"]["text"] == "json"
    _, body = await raw_call(fake, "sendMessage", data={"chat_id": str(anna.id), "text": "form"})
    assert body["result"]["chat"] == {"id": anna.id, "type": "private", "first_name": "Анна"}
    _, body = await raw_call(fake, "getMe", params={})
    assert body["result"]["username"] == "civic_test_bot"
    assert body["result"]["id"] == 123456789


@pytest.mark.parametrize(
    ("payload", "description"),
    [
        ({"text": "hi"}, "Bad Request: chat_id is empty"),
        ({"chat_id": 1}, "Bad Request: message text is empty"),
        ({"chat_id": 1, "text": "hi", "txet": "x"}, 'Bad Request: unknown parameter "txet"'),
        (
            {"chat_id": 1, "text": "hi", "disable_notification": "maybe"},
            'Bad Request: invalid parameter "disable_notification": expected Boolean',
        ),
        (
            {"chat_id": 1, "text": "hi", "message_thread_id": "x1"},
            'Bad Request: invalid parameter "message_thread_id": expected Integer',
        ),
        (
            {"chat_id": 1, "text": "hi", "reply_markup": "{not json"},
            "Bad Request: can't parse reply_markup JSON object",
        ),
    ],
)
async def test_parameters_are_validated(
    fake: FakeTelegram, payload: dict[str, Any], description: str
) -> None:
    status, body = await raw_call(fake, "sendMessage", data=payload)
    assert status == 400
    assert body["description"].startswith(description)


async def test_every_listed_method_is_in_the_fixture() -> None:
    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    assert sorted(spec["methods"]) == sorted(METHODS)
    assert spec["methods"]["sendMessage"]["chat_id"] == {
        "required": True,
        "type": "Integer or String",
    }


def test_regenerate_spec_keeps_only_names_types_and_flags() -> None:
    param = {"name": "chat_id", "type": "Integer", "required": True, "description": "long"}
    children = [{"name": m, "category": "methods", "annotations": [param]} for m in METHODS]
    schema = {"api": {"version": "9.9"}, "items": [{"children": children}]}
    fixture = build_fixture(schema)
    assert fixture["methods"]["getMe"] == {"chat_id": {"required": True, "type": "Integer"}}
    assert render(fixture) == render(json.loads(render(fixture)))


def test_committed_fixture_matches_the_shared_schema() -> None:
    schema_path = Path(__file__).parents[3] / "shared/telegram-bot-api/aiogram-3.31.0-schema.json"
    if not schema_path.exists():
        pytest.skip("../shared is not available")
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    assert SPEC_PATH.read_text(encoding="utf-8") == render(build_fixture(schema))


# --- messages through aiogram -----------------------------------------------------------------


async def test_send_message_parses_html_and_keeps_the_chat(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.create_user("Анна")
    house = fake.create_group("Дом 5", members=[anna])
    asked = fake.user_sends(house.id, anna, "Нет воды 💧")
    sent = await bot.send_message(
        house.id,
        "<b>Заявка №1</b> 💧 &lt;принята&gt;\n",
        parse_mode="HTML",
        reply_markup=keyboard(),
        reply_parameters=ReplyParameters(message_id=asked["message_id"]),
    )
    assert isinstance(sent, Message)
    assert sent.text == "Заявка №1 💧 <принята>"
    assert [(e.type, e.offset, e.length) for e in sent.entities or []] == [("bold", 0, 9)]
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.text == "Нет воды 💧"
    assert sent.from_user is not None and sent.from_user.is_bot
    assert sent.message_id == asked["message_id"] + 1
    [reply] = fake.bot_messages(house.id)
    assert (reply.content, reply.reply_to, reply.buttons) == (sent.text, 1, [["Взять"]])


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("Дом & сад", 'Unescaped "&" at byte offset 7'),
        ("a > b", 'Unescaped ">" at byte offset 2'),
        ("&nbsp;", 'Unescaped "&" at byte offset 0'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<a href=x", "Unclosed start tag at byte offset 0"),
    ],
)
def test_html_errors_use_telegram_wording(html: str, error: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_html(html)
    assert str(caught.value) == error


def test_html_entities_have_utf16_offsets() -> None:
    text, entities = parse_html(
        '😀 <a href="https://x.ru">ссылка</a> <pre><code class="language-py">x=1</code></pre>'
        '<blockquote expandable>q</blockquote><span class="tg-spoiler">s</span>&#33;'
    )
    assert text == "😀 ссылка x=1qs!"
    assert entities == [
        {"type": "text_link", "offset": 3, "length": 6, "url": "https://x.ru"},
        {"type": "pre", "offset": 10, "length": 3, "language": "py"},
        {"type": "expandable_blockquote", "offset": 13, "length": 1},
        {"type": "spoiler", "offset": 14, "length": 1},
    ]
    assert parse_html("a & b", strict=False)[0] == "a & b"


async def test_bad_html_and_text_limits_are_rejected(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.create_user("Анна")
    fake.user_sends(anna.id, anna, "/start")
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Unsupported start tag"):
        await bot.send_message(anna.id, "Иванов <ivan@x.ru>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(anna.id, "<b> </b>\n", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(anna.id, "я" * 4097)
    long_markup = "<b>" + "я" * 4096 + "</b>"  # 4103 characters sent, 4096 visible
    assert (await bot.send_message(anna.id, long_markup, parse_mode="HTML")).text == "я" * 4096
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(anna.id, BufferedInputFile(TINY_PNG, "a.png"), caption="я" * 1025)


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        (keyboard(data="x" * 65), "BUTTON_DATA_INVALID"),
        (keyboard(data="ж" * 33), "BUTTON_DATA_INVALID"),  # 66 bytes in UTF-8
        (keyboard(text=""), "inline keyboard button text must be non-empty"),
        (
            InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="no action")]]),
            "text buttons are unallowed in the inline keyboard",
        ),
    ],
)
async def test_keyboards_are_checked(
    fake: FakeTelegram, bot: Bot, markup: InlineKeyboardMarkup, error: str
) -> None:
    anna = fake.create_user("Анна")
    fake.user_sends(anna.id, anna, "/start")
    with pytest.raises(TelegramBadRequest, match=error):
        await bot.send_message(anna.id, "x", reply_markup=markup)


async def test_reply_to_missing_message(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.create_user("Анна")
    fake.user_sends(anna.id, anna, "/start")
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(anna.id, "x", reply_parameters=ReplyParameters(message_id=99))
    lenient = ReplyParameters(message_id=99, allow_sending_without_reply=True)
    sent = await bot.send_message(anna.id, "x", reply_parameters=lenient)
    assert sent.reply_to_message is None


async def test_edits_follow_telegram_rules(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.create_user("Анна")
    user_msg = fake.user_sends(anna.id, anna, "/start")
    sent = await bot.send_message(anna.id, "Заявка", reply_markup=keyboard())
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            text="Заявка", chat_id=anna.id, message_id=sent.message_id, reply_markup=keyboard()
        )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(text="x", chat_id=anna.id, message_id=404)
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text(text="x", chat_id=anna.id, message_id=user_msg["message_id"])
    edited = await bot.edit_message_text(
        text="Заявка ✅", chat_id=anna.id, message_id=sent.message_id
    )
    assert isinstance(edited, Message) and edited.edit_date is not None
    [shown] = fake.bot_messages(anna.id)
    assert (shown.content, shown.reply_markup) == ("Заявка ✅", None)  # no markup = removed
    await bot.edit_message_reply_markup(
        chat_id=anna.id, message_id=sent.message_id, reply_markup=keyboard("iss:done:1", "Готово")
    )
    assert fake.bot_messages(anna.id)[0].buttons == [["Готово"]]


async def test_files_are_kept_and_reusable(fake: FakeTelegram, bot: Bot) -> None:
    fake.rate_limits = None  # many sends into one private chat; limits are tested below
    anna = fake.create_user("Анна")
    fake.user_sends(anna.id, anna, "/start")
    xlsx = b"PK\x03\x04 fake workbook"
    doc = await bot.send_document(anna.id, BufferedInputFile(xlsx, "отчёт.xlsx"), caption="Отчёт")
    assert doc.document is not None and doc.document.file_name == "отчёт.xlsx"
    assert fake.file_bytes(doc.document.file_id) == xlsx
    assert fake.file(doc.document.file_id).mime_type == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    again = await bot.send_document(anna.id, doc.document.file_id)
    assert (
        again.document is not None and again.document.file_unique_id == doc.document.file_unique_id
    )
    downloaded = await bot.download(doc.document.file_id)
    assert downloaded is not None and downloaded.read() == xlsx
    photo = await bot.send_photo(anna.id, BufferedInputFile(TINY_PNG, "chart.png"))
    assert photo.photo is not None and (photo.photo[-1].width, photo.photo[-1].height) == (1, 1)
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(anna.id, BufferedInputFile(xlsx, "chart.png"))
    with pytest.raises(TelegramBadRequest, match="can't use file of type Document as Photo"):
        await bot.send_photo(anna.id, doc.document.file_id)
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(anna.id, "no-such-file")
    album = await bot.send_media_group(
        anna.id,
        [
            InputMediaDocument(media=BufferedInputFile(b"1", "a.txt")),
            InputMediaDocument(media=doc.document.file_id, caption="второй"),
        ],
    )
    assert [m.caption for m in album] == [None, "второй"]
    assert len({m.media_group_id for m in album}) == 1


async def test_polls(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.create_user("Анна")
    house = fake.create_group("Дом 5", members=[anna])
    with pytest.raises(TelegramBadRequest, match="at least 2 option"):
        await bot.send_poll(house.id, "Когда?", options=["Утром"])
    with pytest.raises(TelegramBadRequest, match="must not exceed 100"):
        await bot.send_poll(house.id, "Когда?", options=["a", "я" * 101])
    sent = await bot.send_poll(
        house.id, "Когда удобно?", [InputPollOption(text="Утром"), "Вечером"], is_anonymous=False
    )
    assert sent.poll is not None and [o.text for o in sent.poll.options] == ["Утром", "Вечером"]
    fake.user_votes(house.id, sent.message_id, anna, [1])
    updates = await bot.get_updates(timeout=0, allowed_updates=[])
    answer = [u.poll_answer for u in updates if u.poll_answer][0]
    assert (answer.poll_id, answer.option_ids) == (sent.poll.id, [1])
    stopped = await bot.stop_poll(house.id, sent.message_id)
    assert stopped.is_closed and [o.voter_count for o in stopped.options] == [0, 1]
    with pytest.raises(TelegramBadRequest, match="poll has already been closed"):
        await bot.stop_poll(house.id, sent.message_id)


async def test_copy_forward_pin_react_and_commands(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.create_user("Анна")
    house = fake.create_group("Дом 5", supergroup=True, members=[anna], bot_rights=ADMIN_RIGHTS)
    staff = fake.create_group("Штаб", supergroup=True, members=[anna], bot_rights=ADMIN_RIGHTS)
    complaint = fake.user_sends(house.id, anna, "Течёт крыша")
    copied = await bot.copy_message(staff.id, house.id, complaint["message_id"])
    assert fake.message(staff.id, copied.message_id).content == "Течёт крыша"
    forwarded = await bot.forward_message(staff.id, house.id, complaint["message_id"])
    assert forwarded.forward_origin is not None
    assert await bot.pin_chat_message(staff.id, forwarded.message_id)
    assert (await bot.get_chat(staff.id)).pinned_message is not None
    assert await bot.set_message_reaction(
        house.id, complaint["message_id"], [ReactionTypeEmoji(emoji="👍")]
    )
    with pytest.raises(TelegramBadRequest, match="REACTION_INVALID"):
        await bot.set_message_reaction(
            house.id, complaint["message_id"], [ReactionTypeEmoji(emoji="🙂")]
        )
    assert await bot.send_chat_action(house.id, "typing")
    await bot.set_my_commands([BotCommand(command="take", description="Взять заявку")])
    assert [c.command for c in await bot.get_my_commands()] == ["take"]
    assert fake.commands() == [{"command": "take", "description": "Взять заявку"}]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Take-It", description="x")])


# --- chats, members, rights -------------------------------------------------------------------


async def test_access_errors(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.create_user("Анна")
    boris = fake.create_user("Борис")
    group = fake.create_group("Дом 5", members=[anna])
    supergroup = fake.create_group("Дом 7", supergroup=True, members=[anna])
    with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation"):
        await bot.send_message(boris.id, "Здравствуйте")
    fake.user_sends(boris.id, boris, "/start")
    fake.user_blocks_bot(boris)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(boris.id, "x")
    fake.kick_bot(group.id, by=anna)
    fake.kick_bot(supergroup.id, by=anna)
    with pytest.raises(TelegramForbiddenError, match="bot was kicked from the group chat"):
        await bot.send_message(group.id, "x")
    with pytest.raises(TelegramForbiddenError, match="kicked from the supergroup chat"):
        await bot.send_message(supergroup.id, "x")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(-42, "x")
    fake.add_bot(group.id, by=anna)
    assert (await bot.send_message(group.id, "Снова здесь")).chat.id == group.id


async def test_migration_to_supergroup(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.create_user("Анна")
    group = fake.create_group("Дом 5", members=[anna])
    new_id = fake.migrate_to_supergroup(group.id)
    with pytest.raises(TelegramMigrateToChat) as caught:
        await bot.send_message(group.id, "x")
    assert caught.value.migrate_to_chat_id == new_id
    assert "group chat was upgraded to a supergroup chat" in caught.value.message
    updates = await bot.get_updates(timeout=0)
    service = [(u.message.chat.id, u.message.migrate_to_chat_id) for u in updates if u.message]
    assert (group.id, new_id) in service
    assert any(u.message and u.message.migrate_from_chat_id == group.id for u in updates)
    assert (await bot.send_message(new_id, "x")).chat.type == "supergroup"


async def test_restrict_ban_and_delete_need_rights(fake: FakeTelegram, bot: Bot) -> None:
    owner, anna, boris = (fake.create_user(n) for n in ("Ольга", "Анна", "Борис"))
    house = fake.create_group("Дом 5", supergroup=True, members=[anna, boris], admins=[owner])
    spam = fake.user_sends(house.id, boris, "спам")
    muted = ChatPermissions(can_send_messages=False)
    with pytest.raises(TelegramBadRequest, match="not enough rights to restrict/unrestrict"):
        await bot.restrict_chat_member(house.id, boris.id, muted)
    with pytest.raises(TelegramBadRequest, match="message can't be deleted"):
        await bot.delete_message(house.id, spam["message_id"])
    fake.add_bot(house.id, rights={"can_restrict_members", "can_delete_messages"}, by=owner)
    assert await bot.delete_message(house.id, spam["message_id"])
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(house.id, spam["message_id"])
    assert await bot.restrict_chat_member(house.id, boris.id, muted)
    member = await bot.get_chat_member(house.id, boris.id)
    assert isinstance(member, ChatMemberRestricted) and member.can_send_messages is False
    with pytest.raises(DriverError, match="may not send"):
        fake.user_sends(house.id, boris, "а я всё равно")
    with pytest.raises(TelegramBadRequest, match="can't remove chat owner"):
        await bot.ban_chat_member(house.id, owner.id)
    assert await bot.ban_chat_member(house.id, boris.id)
    assert fake.member_status(house.id, boris) == "kicked"
    assert await bot.unban_chat_member(house.id, boris.id, only_if_banned=True)
    assert fake.member_status(house.id, boris) == "left"
    assert await bot.unban_chat_member(house.id, anna.id)  # Telegram removes a current member
    assert fake.member_status(house.id, anna) == "left"
    admins = await bot.get_chat_administrators(house.id)
    assert {a.user.id for a in admins} == {owner.id, fake.bot.id}
    assert await bot.get_chat_member_count(house.id) == 2


async def test_restricting_an_admin_and_basic_group_limits(fake: FakeTelegram, bot: Bot) -> None:
    owner, admin, anna = (fake.create_user(n) for n in ("Ольга", "Пётр", "Анна"))
    house = fake.create_group(
        "Дом 7", supergroup=True, admins=[owner, admin], bot_rights=ADMIN_RIGHTS
    )
    with pytest.raises(TelegramBadRequest, match="user is an administrator of the chat"):
        await bot.ban_chat_member(house.id, admin.id)
    basic = fake.create_group("Дом 5", members=[anna], bot_rights=ADMIN_RIGHTS)
    with pytest.raises(TelegramBadRequest, match="method is available only for supergroups"):
        await bot.restrict_chat_member(basic.id, anna.id, ChatPermissions())


# --- updates ----------------------------------------------------------------------------------


async def test_get_updates_offsets_and_limits(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.create_user("Анна")
    for n in range(5):
        fake.user_sends(anna.id, anna, f"сообщение {n}")
    first = await bot.get_updates(limit=2, timeout=0)
    assert [u.update_id for u in first] == [100000001, 100000002]
    assert [u.update_id for u in await bot.get_updates(timeout=0)][0] == 100000001  # unconfirmed
    rest = await bot.get_updates(offset=100000003, timeout=0)
    assert [u.update_id for u in rest] == [100000003, 100000004, 100000005]
    assert fake.confirmed_offset == 100000003
    last = await bot.get_updates(offset=-1, timeout=0)
    assert [u.update_id for u in last] == [100000005]
    assert await bot.get_updates(offset=100000006, timeout=0) == []
    assert fake.pending_updates == []


async def test_long_poll_wakes_on_update_and_times_out(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.create_user("Анна")
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=1) == []
    assert 0.9 < loop.time() - started < 2
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await fake.wait_for(lambda: fake.world.updates.polls == 2)
    started = loop.time()
    fake.user_sends(anna.id, anna, "Привет")
    [update] = await poll
    assert update.message is not None and update.message.text == "Привет"
    assert loop.time() - started < 1


async def test_second_get_updates_conflicts_the_first(fake: FakeTelegram, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await fake.wait_for(lambda: fake.world.updates.polls == 1)
    second = asyncio.create_task(bot.get_updates(timeout=0))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await first
    assert await second == []


async def test_allowed_updates_default_and_memory(fake: FakeTelegram, bot: Bot) -> None:
    owner, anna = fake.create_user("Ольга"), fake.create_user("Анна")
    house = fake.create_group("Дом 5", supergroup=True, admins=[owner], bot_rights=ADMIN_RIGHTS)
    fake.user_joins(house.id, anna)  # default filter: no chat_member
    kinds = [next(k for k in u if k != "update_id") for u in fake.pending_updates]
    assert kinds == ["message"]
    assert [next(iter(u)) for u in fake.filtered_updates] == ["chat_member"]
    await bot.get_updates(timeout=0, allowed_updates=["chat_member"])
    await bot.get_updates(offset=-1, timeout=0)  # omitted: the filter is remembered
    fake.user_leaves(house.id, anna)
    updates = await bot.get_updates(offset=fake.world.updates.next_update_id - 1, timeout=0)
    assert [u.chat_member is not None for u in updates] == [True]


async def test_raw_update_can_be_delivered_twice(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.create_user("Анна")
    fake.user_sends(anna.id, anna, "раз")
    [update] = await bot.get_updates(timeout=0)
    await bot.get_updates(offset=update.update_id + 1, timeout=0)
    raw = update.model_dump(mode="json", exclude_none=True, by_alias=True)
    assert fake.enqueue_raw_update(raw) == update.update_id
    [again] = await bot.get_updates(offset=update.update_id + 1, timeout=0)
    assert again.update_id == update.update_id
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == []


# --- driver -----------------------------------------------------------------------------------


async def test_forum_topics_and_privacy_mode(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.create_user("Анна")
    forum = fake.create_group("Дом 5", forum=True, members=[anna])
    topic = fake.create_forum_topic(forum.id, "Жалобы", by=anna)
    plain = fake.user_sends(forum.id, anna, "течёт кран", thread_id=topic)
    assert (plain["message_thread_id"], plain["is_topic_message"]) == (topic, True)
    assert plain["reply_to_message"]["forum_topic_created"]["name"] == "Жалобы"
    fake.user_sends(forum.id, anna, "/new@civic_test_bot", thread_id=topic)
    seen = [u["message"].get("text") for u in fake.pending_updates]
    assert seen == [None, "/new@civic_test_bot"]  # privacy mode hides plain text
    sent = await bot.send_message(
        forum.id, "Принято", reply_parameters=ReplyParameters(message_id=plain["message_id"])
    )
    assert sent.message_thread_id == topic and sent.is_topic_message
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(forum.id, "x", message_thread_id=999)
    fake.add_bot(forum.id, rights=ADMIN_RIGHTS, by=anna)
    fake.user_sends(forum.id, anna, "теперь видно", thread_id=topic)
    assert fake.pending_updates[-1]["message"]["text"] == "теперь видно"


async def test_button_presses_and_answers(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.create_user("Анна")
    fake.user_sends(anna.id, anna, "/start")
    sent = await bot.send_message(anna.id, "Заявка", reply_markup=keyboard())
    with pytest.raises(DriverError, match="no button"):
        fake.user_presses(anna.id, sent.message_id, anna, "iss:drop:1")
    query_id = fake.user_presses(anna.id, sent.message_id, anna, button="Взять")
    updates = await bot.get_updates(timeout=0)
    query = updates[-1].callback_query
    assert query is not None and (query.id, query.data) == (query_id, "iss:take:1")
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query_id, text="я" * 201)
    assert await bot.answer_callback_query(query_id, text="Взято")
    assert fake.callback_answer(query_id) == {"text": "Взято"}
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)


async def test_wait_for_reports_state_on_timeout(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.create_user("Анна")
    fake.user_sends(anna.id, anna, "/start")
    await bot.send_message(anna.id, "Здравствуйте")
    found = await fake.wait_for_bot_message(anna.id, contains="Здрав", timeout=1)
    assert found.content == "Здравствуйте"
    with pytest.raises(AssertionError, match="sendMessage .* -> ok"):
        await fake.wait_for_bot_message(anna.id, contains="№1", timeout=0.1)


async def test_dispatcher_polls_the_double(fake: FakeTelegram, bot: Bot) -> None:
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(f"Эхо: {message.text}")

    polling = asyncio.create_task(
        dp.start_polling(bot, polling_timeout=1, handle_signals=False, close_bot_session=False)
    )
    try:
        anna = fake.create_user("Анна")
        await fake.wait_until_polling()
        fake.user_sends(anna.id, anna, "привет")
        reply = await fake.wait_for_bot_message(anna.id, contains="Эхо", timeout=5)
        assert reply.content == "Эхо: привет"
        await fake.wait_for(lambda: fake.confirmed_offset == 100000002, timeout=5)
    finally:
        await dp.stop_polling()
        await polling


# --- limits and failures ----------------------------------------------------------------------


async def test_group_and_private_rate_limits(fake: FakeTelegram, bot: Bot, clock: Clock) -> None:
    anna = fake.create_user("Анна")
    house = fake.create_group("Дом 5", members=[anna])
    for n in range(20):
        clock.now += 0.5
        await bot.send_message(house.id, f"#{n}")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(house.id, "лишнее")
    assert 1 <= caught.value.retry_after <= 51
    clock.now += caught.value.retry_after
    await bot.send_message(house.id, "после паузы")
    fake.user_sends(anna.id, anna, "/start")
    for _ in range(3):  # the burst
        await bot.send_message(anna.id, "x")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(anna.id, "x")
    clock.now += 1
    await bot.send_message(anna.id, "x")
    times = fake.sent_times(house.id)
    assert len(times) == 21 and all(
        sum(1 for t in times if start <= t < start + 60) <= 20 for start in times
    )


async def test_global_rate_limit_and_switching_off(fake: FakeTelegram, bot: Bot) -> None:
    users = [fake.create_user(f"Житель {n}") for n in range(31)]
    for user in users:
        fake.user_sends(user.id, user, "/start")
    for user in users[:30]:
        await bot.send_message(user.id, "Объявление")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(users[30].id, "Объявление")
    fake.rate_limits = None
    await bot.send_message(users[30].id, "Объявление")
    fake.rate_limits = RateLimits()


async def test_failure_injection(fake: FakeTelegram, bot: Bot) -> None:
    anna, boris = fake.create_user("Анна"), fake.create_user("Борис")
    for user in (anna, boris):
        fake.user_sends(user.id, user, "/start")
    fake.fail_next("sendMessage", 429, retry_after=7, chat_id=anna.id)
    await bot.send_message(boris.id, "не затронуто")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(anna.id, "x")
    assert caught.value.retry_after == 7
    fake.fail_next("sendMessage", 502, "Bad Gateway", times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError, match="Bad Gateway"):
            await bot.send_message(anna.id, "x")
    fake.drop_connections("sendMessage")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(anna.id, "потеряно")
    fake.drop_connections("sendMessage", after_processing=True)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(anna.id, "дошло, но ответ потерян")
    assert [m.content for m in fake.bot_messages(anna.id)] == ["дошло, но ответ потерян"]
    failed = fake.calls_of("sendMessage", ok=False)
    assert [c.error_code for c in failed] == [429, 502, 502, 0, 0]


async def test_outage_fails_every_call_but_get_updates_until_it_ends(
    fake: FakeTelegram, bot: Bot, clock: Clock
) -> None:
    anna = fake.create_user("Анна")
    fake.user_sends(anna.id, anna, "/start")
    fake.outage(0.5, 503)
    with pytest.raises(TelegramServerError, match="Service Unavailable"):
        await bot.send_message(anna.id, "x")
    with pytest.raises(TelegramServerError):
        await bot.get_me()
    assert await bot.get_updates(timeout=0)  # updates still arrive
    clock.now += 0.5
    await bot.send_message(anna.id, "снова работает")
    fake.outage(60, drop=True, chat_id=anna.id)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(anna.id, "потеряно")
    fake.clear_failures()
    await bot.send_message(anna.id, "и снова")
    assert [m.content for m in fake.bot_messages(anna.id)] == ["снова работает", "и снова"]


async def test_failures_for_every_method_of_one_chat(fake: FakeTelegram, bot: Bot) -> None:
    owner, anna = fake.create_user("Ольга"), fake.create_user("Анна")
    house = fake.create_group(
        "Дом 5", supergroup=True, admins=[owner], members=[anna], bot_rights=ADMIN_RIGHTS
    )
    other = fake.create_group("Дом 7", supergroup=True, admins=[owner], bot_rights=ADMIN_RIGHTS)
    kicked = "Forbidden: bot was kicked from the supergroup chat"
    fake.fail_next("*", 403, kicked, chat_id=house.id, times=2)
    with pytest.raises(TelegramForbiddenError, match="kicked"):
        await bot.send_message(house.id, "x")
    with pytest.raises(TelegramForbiddenError, match="kicked"):
        await bot.ban_chat_member(house.id, anna.id)
    await bot.send_message(other.id, "не затронуто")
    assert await bot.ban_chat_member(house.id, anna.id)


async def test_membership_updates_and_join_requests(fake: FakeTelegram, bot: Bot) -> None:
    owner, anna = fake.create_user("Ольга"), fake.create_user("Анна")
    house = fake.create_group("Дом 5", supergroup=True, admins=[owner], bot_rights=ADMIN_RIGHTS)
    fake.user_requests_join(house.id, anna)
    [update] = await bot.get_updates(timeout=0)
    assert update.chat_join_request is not None
    assert update.chat_join_request.from_user.id == anna.id
    assert await bot.approve_chat_join_request(house.id, anna.id)
    with pytest.raises(TelegramBadRequest, match="HIDE_REQUESTER_MISSING"):
        await bot.decline_chat_join_request(house.id, anna.id)
    joined = await bot.get_updates(offset=update.update_id + 1, timeout=0)
    service = [u.message.new_chat_members for u in joined if u.message]
    assert [[user.id for user in users or []] for users in service] == [[anna.id]]
    assert fake.member_status(house.id, anna) == "member"
    hello = fake.user_sends(house.id, anna, "Всем привет")
    fake.user_edits(house.id, hello["message_id"], "Всем привет!")
    fake.kick_bot(house.id, by=owner)
    updates = await bot.get_updates(offset=joined[-1].update_id + 1, timeout=0)
    assert updates[-2].edited_message is not None
    assert updates[-2].edited_message.text == "Всем привет!"
    kicked = updates[-1].my_chat_member
    assert kicked is not None and kicked.new_chat_member.status == "kicked"
    assert kicked.old_chat_member.status == "administrator"
    with pytest.raises(TelegramForbiddenError):
        await bot.get_chat(house.id)


async def test_delete_messages_caption_edit_and_leave(fake: FakeTelegram, bot: Bot) -> None:
    owner, anna = fake.create_user("Ольга"), fake.create_user("Анна")
    house = fake.create_group("Дом 5", members=[anna], admins=[owner], bot_rights=ADMIN_RIGHTS)
    photo = await bot.send_photo(house.id, BufferedInputFile(TINY_PNG, "a.png"), caption="до")
    edited = await bot.edit_message_caption(
        chat_id=house.id, message_id=photo.message_id, caption="<i>после</i>", parse_mode="HTML"
    )
    assert isinstance(edited, Message) and edited.caption == "после"
    text = await bot.send_message(house.id, "текст")
    with pytest.raises(TelegramBadRequest, match="no caption in the message to edit"):
        await bot.edit_message_caption(chat_id=house.id, message_id=text.message_id, caption="x")
    user_msg = fake.user_sends(house.id, anna, "/spam")
    assert await bot.delete_messages(house.id, [text.message_id, user_msg["message_id"], 999])
    assert [m.message_id for m in fake.bot_messages(house.id)] == [photo.message_id]
    assert fake.chat_messages(house.id, include_deleted=True)[-1].deleted
    assert await bot.leave_chat(house.id)
    with pytest.raises(TelegramForbiddenError, match="bot is not a member of the group chat"):
        await bot.send_message(house.id, "x")
