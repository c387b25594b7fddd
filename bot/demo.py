"""`civicbot demo`: a scripted working day against the Bot API double, printed in time order.

The real bot runs in-process against `bot.fake_telegram` on 127.0.0.1 with an SQLite file in a
temporary folder (or in `--keep DIR`, with a config that `civicbot stats`/`export` accept);
nothing reaches Telegram. The day runs on a clock the demo moves forward, so reminders,
escalations and the end of a poll come in seconds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TextIO

from bot.app import run
from bot.config import Settings
from bot.demo_transcript import Transcript
from bot.domain.calendar import WorkCalendar
from bot.fake_telegram import ADMIN_RIGHTS, FakeChat, FakeMessage, FakeTelegram, FakeUser


class DemoClock:
    """Real time, shifted to the demo's morning and moved forward by the script."""

    def __init__(self, start: datetime) -> None:
        self._shift = start - datetime.now(UTC)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self._shift

    def advance(self, delta: timedelta) -> None:
        self._shift += delta

    def monotonic(self) -> float:
        """Seconds on the demo's clock: the double's flood limits count on the bot's time."""
        return self().timestamp()


def demo_morning(calendar: WorkCalendar) -> datetime:
    """09:00 of a working day of the current month (so `civicbot stats` finds the day)."""
    zone = calendar.schedule.timezone
    today = datetime.now(UTC).astimezone(zone).date()
    days = [today - timedelta(days=n) for n in range(31)] + [
        today + timedelta(days=n) for n in range(1, 31)
    ]
    for day in days:
        morning = datetime.combine(day, time(9, 0), zone)
        evening = datetime.combine(day, time(17, 0), zone)
        if day.month == today.month and all(map(calendar.is_working_time, (morning, evening))):
            return morning.astimezone(UTC)
    return datetime.combine(today, time(9, 0), zone).astimezone(UTC)


async def run_demo(out: TextIO = sys.stdout, keep: Path | None = None) -> int:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        return await _in_folder(keep, out, kept=True)
    with tempfile.TemporaryDirectory(prefix="civicbot-demo-") as folder:
        return await _in_folder(Path(folder), out, kept=False)


async def _in_folder(folder: Path, out: TextIO, *, kept: bool) -> int:
    async with FakeTelegram() as fake:
        code = await Day(fake, folder, out).play()
    if kept:
        print(
            f"\nБаза, настройки и файлы дня сохранены в {folder}. Попробуйте:\n"
            f"  civicbot stats --config {folder / 'config.toml'}\n"
            f"  civicbot export --config {folder / 'config.toml'} --out {folder / 'issues.xlsx'}",
            file=out,
        )
    return code


class Day:
    def __init__(self, fake: FakeTelegram, folder: Path, out: TextIO) -> None:
        self.fake = fake
        self.folder = folder
        self.head = fake.create_user("Ирина", "Главова", username="head")
        self.olga = fake.create_user("Ольга", "Специалистова", username="olga")
        self.anna = fake.create_user("Анна", "Петрова")
        self.ivan = fake.create_user("Иван", "Сидоров")
        self.petr = fake.create_user("Пётр", "Кузнецов")
        self.maria = fake.create_user("Мария", "Новикова")
        self.spammer = fake.create_user("Заработок", "Онлайн")
        members = [self.olga, self.anna, self.ivan, self.petr]
        self.house = fake.create_group(
            "Дом Ленина, 5",
            supergroup=True,
            admins=[self.head],
            members=members,
            bot_rights=ADMIN_RIGHTS,
        )
        self.house2 = fake.create_group(
            "Дом Мира, 3",
            supergroup=True,
            admins=[self.head],
            members=[self.olga],
            bot_rights=ADMIN_RIGHTS,
        )
        self.staff = fake.create_group(
            "Специалисты", admins=[self.head], members=[self.olga], bot_rights=ADMIN_RIGHTS
        )
        self.settings = Settings(
            telegram={"token": fake.token, "api_base": fake.api_base, "polling_timeout": 1},
            storage={"path": str(folder / "civicbot.db")},
            roles={"admins": [self.head.id], "specialists": [self.olga.id]},
            scheduler={"outbox_poll": 0.2, "tick": 1},
            digest={"chat_ids": [self.staff.id]},
            moderation={"sweep_interval": 1},
        )
        calendar = WorkCalendar(self.settings.work_time.schedule())
        self.clock = DemoClock(demo_morning(calendar))
        fake.world.now = self.clock
        fake.world.monotonic = self.clock.monotonic
        self.t = Transcript(fake, out, self.clock, self.settings.work_time.zone)
        for chat in (self.house, self.house2, self.staff):
            self.t.place(chat)
        self.t.person(self.head)
        self.out = out

    # --- the script's verbs ---------------------------------------------------------------

    async def says(
        self, user: FakeUser, chat: FakeChat | FakeUser, text: str, expect: str, **extra: object
    ) -> FakeMessage:
        after = self._last(chat.id)
        self.t.acts(user, chat.id, text if not extra else f"[фото] {extra.get('caption', '')}")
        self.fake.user_sends(chat.id, user, None if extra else text, **extra)  # type: ignore[arg-type]
        return await self.expect(chat.id, expect, after)

    async def presses(
        self,
        user: FakeUser,
        chat_id: int,
        message: FakeMessage,
        button: str,
        expect: str,
        answer_in: int | None = None,
    ) -> FakeMessage:
        """Press `button` under `message`; wait for `expect` in `answer_in` (default: there)."""
        where = answer_in if answer_in is not None else chat_id
        after = self._last(where)
        self.t.acts(user, chat_id, f"нажимает «{button}»")
        before = self.fake.message(chat_id, message.message_id).content
        self.fake.user_presses(chat_id, message.message_id, user, button=button)
        if expect:
            return await self.expect(where, expect, after)
        # The answer is an edit of the pressed message.
        await self.fake.wait_for(
            lambda: self.fake.message(chat_id, message.message_id).content != before, timeout=30
        )
        await asyncio.sleep(0.3)
        self.t.effects()
        return self.fake.message(chat_id, message.message_id)

    async def private_presses(self, user: FakeUser, button: str, expect: str) -> FakeMessage:
        for message in reversed(self.fake.bot_messages(user.id)):
            if any(button in label for row in message.buttons for label in row):
                return await self.presses(user, user.id, message, button, expect)
        raise RuntimeError(f"no button {button!r}")

    async def expect(self, chat_id: int, text: str, after: int = 0) -> FakeMessage:
        message = await self.fake.wait_for_bot_message(chat_id, text, after=after, timeout=30)
        await asyncio.sleep(0.3)  # the other effects of the same step
        self.t.effects()
        return message

    def later(self, delta: timedelta, why: str) -> None:
        self.clock.advance(delta)
        self.t.note(why)

    def _has_poll(self, chat_id: int) -> Callable[[], bool]:
        return lambda: any(m.poll_id for m in self.fake.bot_messages(chat_id))

    def _last(self, chat_id: int) -> int:
        messages = self.fake.bot_messages(chat_id)
        return messages[-1].message_id if messages else 0

    # --- the day --------------------------------------------------------------------------

    async def play(self) -> int:
        # A job cancelled by the stop at the end of the day is no news for the reader.
        logging.getLogger("apscheduler").setLevel(logging.CRITICAL)
        stop = asyncio.Event()
        bot = asyncio.create_task(run(self.settings, self.clock, stop=stop))
        await self.fake.wait_for(
            lambda: self.fake.world.updates.polls > 0 or bot.done(), timeout=30
        )
        if bot.done():
            bot.result()
        print(
            "Демо civicbot: рабочий день города — жители, специалист, глава и бот.\n"
            "Каждая строка: время, кто действует и где. Всё происходит на локальном двойнике "
            "Telegram; в настоящий Telegram ничего не уходит.",
            file=self.out,
        )
        try:
            await self.setup()
            await self.issues()
            await self.overdue()
            await self.digest()
            await self.moderation()
            await self.announcement()
            await self.poll()
        finally:
            stop.set()
            await bot
        self.write_config()
        print("\nДемо завершено: показаны все роли и все части продукта.", file=self.out)
        return 0

    async def setup(self) -> None:
        self.t.part("Утро: глава подключает чаты")
        await self.says(self.head, self.head, "/start", "")
        await self.says(self.head, self.house, "/register building Дом Ленина, 5", "подключён")
        await self.says(self.head, self.house2, "/register building Дом Мира, 3", "подключён")
        await self.says(self.head, self.staff, "/register staff", "рабочий чат")

    async def issues(self) -> None:
        self.t.part("Обращения: по тегу и с фотографией")
        self.clock.advance(timedelta(minutes=5))
        await self.says(
            self.anna, self.house, "#проблема Во втором подъезде не горит свет на лестнице", "№1"
        )
        await self.expect(self.staff.id, "№1")
        self.clock.advance(timedelta(minutes=3))
        await self.says(
            self.ivan,
            self.house,
            "",
            "№2",
            photo=True,
            caption="#проблема Яма у третьего подъезда, вот фото",
        )
        card = await self.expect(self.staff.id, "№1")
        self.t.part("Специалист берёт, ставит на контроль, закрывает; автор оценивает")
        self.clock.advance(timedelta(minutes=7))
        await self.presses(
            self.olga, self.staff.id, card, "Взять", "взята в работу", self.house.id
        )
        due = (self.clock() + timedelta(days=7)).astimezone(self.settings.work_time.zone).date()
        self.clock.advance(timedelta(minutes=10))
        await self.says(
            self.olga,
            self.staff,
            f"/control 2 {due.isoformat()} Ремонт двора по графику подрядчика",
            "на контроль",
        )
        self.clock.advance(timedelta(minutes=40))
        await self.says(self.olga, self.staff, "/close 1 Лампы заменили, свет есть.", "закрыто")
        notice = await self.expect(self.house.id, "закрыта")
        self.clock.advance(timedelta(minutes=5))
        await self.presses(self.anna, self.house.id, notice, "Решено", "")

    async def overdue(self) -> None:
        self.t.part("Просрочка: напоминание и эскалация")
        await self.says(self.petr, self.house, "#вопрос Когда покрасят скамейки во дворе?", "№3")
        self.later(timedelta(hours=2, minutes=30), "прошло 2,5 часа, №3 без ответа")
        await self.expect(self.staff.id, "Обращения без ответа")
        self.later(timedelta(hours=4), "прошло ещё 4 часа")
        await self.expect(self.staff.id, "Эскалация")

    async def digest(self) -> None:
        self.t.part("Сводка с графиком")
        after = self._last(self.staff.id)
        self.t.acts(self.head, self.staff.id, "/digest")
        self.fake.user_sends(self.staff.id, self.head, "/digest")
        await self.fake.wait_for(
            lambda: any(
                m.photo and m.message_id > after for m in self.fake.bot_messages(self.staff.id)
            ),
            timeout=60,
            message="for the digest's chart",
        )
        chart = next(m for m in reversed(self.fake.bot_messages(self.staff.id)) if m.photo)
        await asyncio.sleep(0.3)
        self.t.effects()
        assert chart.photo is not None
        path = self.folder / "digest.png"
        path.write_bytes(self.fake.file_bytes(chart.photo[-1]["file_id"]))
        self.t.note(f"график сводки сохранён в файл {path}")

    async def moderation(self) -> None:
        self.t.part("Модерация: проверка новичка и удаление спама")
        self.t.acts(self.maria, self.house.id, "вступает в чат")
        after = self._last(self.house.id)
        self.fake.user_joins(self.house.id, self.maria)
        welcome = await self.expect(self.house.id, "Я житель", after)
        await self.presses(self.maria, self.house.id, welcome, "Я житель", "")
        self.t.acts(self.spammer, self.house.id, "вступает в чат")
        after = self._last(self.house.id)
        self.fake.user_joins(self.house.id, self.spammer)
        welcome = await self.expect(self.house.id, "Я житель", after)
        await self.presses(self.spammer, self.house.id, welcome, "Я житель", "")
        sent = self.fake.user_sends(
            self.house.id, self.spammer, "Лёгкий заработок тут: t.me/easy_money_now"
        )
        self.t.acts(self.spammer, self.house.id, "Лёгкий заработок тут: t.me/easy_money_now")
        await self.fake.wait_for(
            lambda: self.fake.message(self.house.id, int(sent["message_id"])).deleted,
            timeout=30,
        )
        await asyncio.sleep(0.5)
        self.t.effects()

    async def announcement(self) -> None:
        self.t.part("Объявление в несколько чатов и отчёт о доставке")
        head = self.head
        await self.says(head, head, "/announce", "Пришлите его текст")
        await self.says(head, head, "Завтра с 10 до 14 не будет воды.", "Кому отправить?")
        await self.private_presses(head, "Все дома (2)", "Когда отправить?")
        await self.private_presses(head, "Сейчас", "Закрепить")
        await self.private_presses(head, "Не закреплять", "Получатели")
        await self.private_presses(head, "Отправить", "отправляется")
        await self.expect(head.id, "отчёт о доставке")

    async def poll(self) -> None:
        self.t.part("Опрос в двух домах и общий итог")
        head = self.head
        await self.says(head, head, "/poll", "Пришлите вопрос")
        await self.says(head, head, "Где поставить детскую площадку?", "варианты ответа")
        await self.says(head, head, "У школы\nВо дворе\nВ сквере", "анонимное?")
        await self.private_presses(head, "Открытое", "несколько")
        await self.private_presses(head, "Один вариант", "Кому отправить?")
        await self.private_presses(head, "Все дома (2)", "Когда завершить")
        await self.says(head, head, "через 2 часа", "Опубликовать")
        await self.private_presses(head, "Да", "Предпросмотр опроса")
        await self.private_presses(head, "Отправить", "отправляется")
        polls: dict[int, FakeMessage] = {}
        for chat in (self.house, self.house2):
            await self.fake.wait_for(self._has_poll(chat.id), timeout=30)
            polls[chat.id] = next(m for m in self.fake.bot_messages(chat.id) if m.poll_id)
        self.t.effects()
        votes = [
            (self.house, self.anna, 0),
            (self.house, self.ivan, 1),
            (self.house, self.petr, 0),
            (self.house2, self.olga, 2),
        ]
        for chat, user, option in votes:
            self.t.acts(user, chat.id, f"голосует: вариант {option + 1}")
            self.fake.user_votes(chat.id, polls[chat.id].message_id, user, [option])
        await asyncio.sleep(0.5)
        self.later(timedelta(hours=2, seconds=5), "прошло 2 часа: опрос завершается")
        await self.expect(head.id, "Итоги опроса")
        await self.expect(head.id, "по чатам")

    def write_config(self) -> None:
        """A config for `civicbot stats`/`export` on the day's database."""
        lines = [
            "# The demo's day: civicbot stats --config THIS_FILE",
            "[telegram]",
            f"token = {json.dumps(self.fake.token)}",
            "[storage]",
            f"path = {json.dumps(str(self.folder / 'civicbot.db'))}",
            "[roles]",
            f"admins = [{self.head.id}]",
            f"specialists = [{self.olga.id}]",
        ]
        (self.folder / "config.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
