"""`civicbot demo --max`: a scripted day on MAX against the MAX Bot API double, printed.

The real bot runs in-process, configured for MAX only, against `bot.fake_max` on 127.0.0.1
with an SQLite file in a temporary folder; nothing reaches MAX.
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from bot.app import run
from bot.config import Settings
from bot.fake_max import FakeMax, MaxChat, MaxMessage, MaxUser

_TAG = re.compile(r"<[^>]+>")


class Transcript:
    def __init__(self, fake: FakeMax, out: TextIO) -> None:
        self._fake = fake
        self._out = out
        self._shown: dict[int, int] = {}
        self._texts: dict[str, str | None] = {}

    def heading(self, text: str) -> None:
        print(f"\n── {text} ──", file=self._out)

    def flush(self, *chats: MaxChat) -> None:
        for chat in chats:
            for message in chat.messages:
                if message.deleted:
                    continue
                bot = message.sender.user_id == self._fake.world.bot.user_id
                if message.seq > self._shown.get(chat.chat_id, 0):
                    self._print(chat, message, edited=False)
                    self._shown[chat.chat_id] = message.seq
                elif bot and self._texts.get(message.mid) != message.text:
                    self._print(chat, message, edited=True)
                self._texts[message.mid] = message.text

    def _print(self, chat: MaxChat, message: MaxMessage, *, edited: bool) -> None:
        bot = message.sender.user_id == self._fake.world.bot.user_id
        who = "🤖 civicbot" if bot else message.sender.first_name
        note = " (карточка обновлена)" if edited else ""
        if message.reply_to and not edited:
            replied = next((m for m in chat.messages if m.mid == message.reply_to), None)
            note = f" ↩ на #{replied.seq}" if replied else " ↩"
        text = html.unescape(_TAG.sub("", message.text or ""))
        body = text.replace("\n", "\n    ")
        print(f"[MAX · {chat.title}] #{message.seq} {who}{note}:\n    {body}", file=self._out)
        if message.buttons and not edited:
            labels = " ".join(f"[{b['text']}]" for row in message.buttons for b in row)
            print(f"    {labels}", file=self._out)


async def run_max_demo(out: TextIO = sys.stdout) -> int:
    with tempfile.TemporaryDirectory(prefix="civicbot-max-demo-") as folder:
        async with FakeMax() as fake:
            return await _play_day(fake, Path(folder) / "civicbot.db", out)


async def _play_day(fake: FakeMax, db_path: Path, out: TextIO) -> int:
    head = fake.create_user("Ирина", "Глава")
    olga = fake.create_user("Ольга", "Специалист")
    anna = fake.create_user("Анна", "Петрова")
    ivan = fake.create_user("Иван", "Сидоров")
    house = fake.create_chat("Дом Ленина, 5", admins=[head], members=[olga, anna, ivan])
    staff = fake.create_chat("Специалисты", admins=[head], members=[olga])
    settings = Settings(
        max={"token": fake.token, "api_base": fake.api_base, "polling_timeout": 1},
        storage={"path": str(db_path)},
        roles={"admins": [f"max:{head.user_id}"], "specialists": [f"max:{olga.user_id}"]},
        scheduler={"outbox_poll": 0.2},
    )
    stop = asyncio.Event()
    bot_task = asyncio.create_task(run(settings, stop=stop))
    await fake.wait_for(lambda: fake.world.updates.polls > 0 or bot_task.done(), timeout=60)
    if bot_task.done():
        bot_task.result()
    transcript = Transcript(fake, out)
    print("civicbot demo --max: день в чате дома и в чате специалистов в MAX", file=out)

    async def step(title: str, user: MaxUser, chat: MaxChat, text: str, expect: str) -> None:
        transcript.heading(title)
        sent = fake.user_sends(chat, user, text)
        await fake.wait_for_bot_message(chat, expect, after=sent.seq)
        transcript.flush(house, staff)

    async def bot_says(chat: MaxChat, text: str) -> MaxMessage:
        message = await fake.wait_for_bot_message(chat, text)
        transcript.flush(house, staff)
        return message

    await step(
        "Утро: глава подключает чат дома",
        head,
        house,
        "/register building Дом Ленина, 5",
        "подключён",
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
        "Житель пробует закрыть обращение сам", ivan, house, "/close 1 уже горит", "специалистов"
    )

    transcript.heading("Специалист берёт обращение №1 кнопкой «Взять»")
    fake.press(card, olga, "iss:take:1")
    await bot_says(house, "взята в работу")
    await fake.wait_for(lambda: card.edits >= 1)
    transcript.flush(house, staff)

    await step(
        "Специалист закрывает №1 с ответом",
        olga,
        staff,
        "/close 1 Лампы заменили, свет на лестнице есть. Спасибо, что сообщили!",
        "закрыто",
    )
    notice = await bot_says(house, "Лампы заменили")
    transcript.heading("Жительница отвечает кнопкой «Решено»")
    verdict = next(b["payload"] for row in notice.buttons for b in row if "yes" in b["payload"])
    answered = len(fake.world.answers)
    fake.press(notice, anna, verdict)
    await fake.wait_for(lambda: len(fake.world.answers) > answered)
    print(f"    (уведомление Анне: {fake.world.answers[-1]['notification']})", file=out)
    transcript.flush(house, staff)
    stop.set()
    await bot_task
    print(
        "\nДемо MAX завершено: обращение №1 принято, взято и закрыто ответом в ветке жительницы.",
        file=out,
    )
    return 0
