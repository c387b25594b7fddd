"""`civicbot demo`: a scripted day against the Bot API double, printed as a transcript.

The real bot runs in-process against `bot.fake_telegram` on 127.0.0.1 with an SQLite file in a
temporary folder; nothing reaches Telegram.
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from bot.app import run
from bot.config import Settings
from bot.fake_telegram import ADMIN_RIGHTS, FakeChat, FakeMessage, FakeTelegram, FakeUser

_TAG = re.compile(r"<[^>]+>")


class Transcript:
    """Prints each chat's new messages as the day goes on."""

    def __init__(self, fake: FakeTelegram, out: TextIO) -> None:
        self._fake = fake
        self._out = out
        self._shown: dict[int, int] = {}
        self._edits: dict[tuple[int, int], str] = {}

    def heading(self, text: str) -> None:
        print(f"\n── {text} ──", file=self._out)

    def flush(self, *chats: FakeChat) -> None:
        for chat in chats:
            messages = self._fake.chat_messages(chat.id)
            for message in messages:
                key = (chat.id, message.message_id)
                if message.from_bot and self._edits.get(key) not in (None, message.content):
                    self._print(chat, message, edited=True)
                self._edits[key] = message.content
            for message in messages:
                if message.message_id > self._shown.get(chat.id, 0):
                    self._print(chat, message, edited=False)
                    self._shown[chat.id] = message.message_id

    def _print(self, chat: FakeChat, message: FakeMessage, *, edited: bool) -> None:
        if not message.content:
            return
        who = "🤖 civicbot" if message.from_bot else message.sender.first_name
        note = " (карточка обновлена)" if edited else ""
        if message.reply_to and not edited:
            note = f" ↩ на #{message.reply_to}"
        text = html.unescape(_TAG.sub("", message.content))
        body = text.replace("\n", "\n    ")
        print(f"[{chat.title}] #{message.message_id} {who}{note}:\n    {body}", file=self._out)
        if message.reply_markup and not edited:
            rows = message.reply_markup.get("inline_keyboard", [])
            labels = " ".join(f"[{b['text']}]" for row in rows for b in row)
            print(f"    {labels}", file=self._out)


async def run_demo(out: TextIO = sys.stdout) -> int:
    with tempfile.TemporaryDirectory(prefix="civicbot-demo-") as folder:
        async with FakeTelegram() as fake:
            return await _play_day(fake, Path(folder) / "civicbot.db", out)


async def _play_day(fake: FakeTelegram, db_path: Path, out: TextIO) -> int:
    head = fake.create_user("Ирина", "Глава", username="head")
    olga = fake.create_user("Ольга", "Специалист", username="olga")
    anna = fake.create_user("Анна", "Петрова")
    ivan = fake.create_user("Иван", "Сидоров")
    house = fake.create_group(
        "Дом Ленина, 5", admins=[head], members=[olga, anna, ivan], bot_rights=ADMIN_RIGHTS
    )
    staff = fake.create_group(
        "Специалисты", admins=[head], members=[olga], bot_rights=ADMIN_RIGHTS
    )
    settings = Settings(
        telegram={"token": fake.token, "api_base": fake.api_base, "polling_timeout": 1},
        storage={"path": str(db_path)},
        roles={"admins": [head.id], "specialists": [olga.id]},
        scheduler={"outbox_poll": 0.2},
    )
    stop = asyncio.Event()
    bot_task = asyncio.create_task(run(settings, stop=stop))
    await fake.wait_for(lambda: fake.world.updates.polls > 0 or bot_task.done(), timeout=30)
    if bot_task.done():
        bot_task.result()
    transcript = Transcript(fake, out)
    print("civicbot demo: a day in a building chat and the specialists' chat", file=out)

    async def step(title: str, user: FakeUser, chat: FakeChat, text: str, expect: str) -> int:
        transcript.heading(title)
        sent = fake.user_sends(chat.id, user, text)
        await fake.wait_for_bot_message(chat.id, contains=expect, after=sent["message_id"])
        transcript.flush(house, staff)
        return int(sent["message_id"])

    async def bot_says(chat: FakeChat, text: str) -> FakeMessage:
        message = await fake.wait_for_bot_message(chat.id, contains=text)
        transcript.flush(house, staff)
        return message

    await step(
        "Утро: глава подключает чаты", head, house, "/register building Дом Ленина, 5", "подключён"
    )
    await step("…и рабочий чат специалистов", head, staff, "/register staff", "рабочий чат")
    await step(
        "Жительница сообщает о проблеме",
        anna,
        house,
        "#проблема Во втором подъезде третий день не горит свет на лестнице",
        "№1",
    )
    card = await bot_says(staff, "№1")
    await step(
        "Житель задаёт вопрос", ivan, house, "#вопрос Когда начнут вывозить снег со двора?", "№2"
    )
    await bot_says(staff, "№2")

    transcript.heading("Специалист берёт обращение №1 кнопкой «Взять»")
    fake.user_presses(staff.id, card.message_id, olga, button="Взять")
    await fake.wait_for(lambda: "в работе" in fake.message(staff.id, card.message_id).content)
    await bot_says(house, "взята в работу")

    due = (datetime.now(UTC) + timedelta(days=7)).astimezone(settings.work_time.zone).date()
    await step(
        "Обращение №2 — на контроль",
        olga,
        staff,
        f"/control 2 {due.isoformat()} Уточняем график у подрядчика",
        "на контроль",
    )
    await bot_says(house, "поставлена на контроль")
    await step(
        "Специалист закрывает №1 с ответом",
        olga,
        staff,
        "/close 1 Лампы заменили, свет на лестнице есть. Спасибо, что сообщили!",
        "закрыто",
    )
    await bot_says(house, "закрыта")
    await fake.wait_for(lambda: "закрыто" in fake.message(staff.id, card.message_id).content)
    transcript.flush(house, staff)
    stop.set()
    await bot_task
    print("\nДемо завершено: 2 обращения, 1 закрыто, 1 на контроле.", file=out)
    return 0
