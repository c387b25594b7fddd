"""Ten minutes of a bad night, in simulated time: nothing tagged is lost or repeated, and the
bot never stops.

Time is scaled: one simulated second is `SCALE` real seconds, and every duration the bot
waits by (back-off, its cap, the busy timeout, request timeouts, the outbox lease) is scaled
the same way, so the drill's ten minutes take about half a minute. Telegram's own rate limits
cannot be scaled (the bot never raises them), so residents tag one message every 30 simulated
seconds across four buildings.

The schedule mixes, in this order: HTML 502 pages on getUpdates, connection resets on every
send, 502 answers on sends with garbage on getUpdates, a poison update in the middle of a
batch, sends that hang, the database write-locked for 60 s, getUpdates that hang and reset,
and cut-short bodies on getUpdates.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import Counter

from bot.fake_telegram import ADMIN_RIGHTS, FakeChat, FakeTelegram
from tests.database import TestDatabase
from tests.e2e.harness import (
    InProcessBot,
    Town,
    hold_write_lock,
    make_settings,
    query,
    seeded,
)

SCALE = 0.05  # real seconds per simulated second: ten minutes in thirty seconds
DRILL = 600  # simulated seconds
TAG_EVERY = 30  # simulated seconds


def sim(seconds: float) -> float:
    return seconds * SCALE


def drill_bot(fake: FakeTelegram, town: Town, test_database: TestDatabase) -> InProcessBot:
    settings = make_settings(
        fake,
        test_database,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        telegram={
            "retry_backoff": sim(1),
            "retry_backoff_cap": sim(60),
            "request_timeout": 3,  # a hang is noticed after 3 s (60 simulated)
        },
        storage={"busy_timeout": sim(30)},
        scheduler={"outbox_lease": 5, "outbox_retry_cap": sim(60)},
    )
    return InProcessBot(settings)


def poison(fake: FakeTelegram, chat: FakeChat) -> int | None:
    """A message aiogram's models reject (a chat without a type)."""
    return fake.world.updates.push(
        "message",
        {
            "message_id": 99_999,
            "date": int(time.time()),
            "chat": {"id": chat.id, "title": chat.title},
            "from": {"id": 4242, "is_bot": False, "first_name": "Х"},
            "text": "#проблема яд",
        },
    )


async def test_ten_minutes_of_faults_lose_and_repeat_nothing(
    fake: FakeTelegram, town: Town, test_database: TestDatabase
) -> None:
    chance = seeded("fault drill")
    bot = drill_bot(fake, town, test_database)
    await bot.start(fake)
    await town.register()
    buildings = [town.building]
    for n in range(2, 5):
        chat = fake.create_group(
            f"Дом Ленина {n}",
            admins=[town.admin],
            members=[town.resident, town.neighbour],
            bot_rights=ADMIN_RIGHTS,
        )
        town.says(town.admin, chat, f"/register building Дом Ленина {n}")
        await town.reply_in(chat, "подключён")
        buildings.append(chat)

    tagged: list[str] = []
    faults: dict[int, str] = {
        30: "html on getUpdates",
        90: "resets on sends",
        150: "502 on sends, garbage on getUpdates",
        200: "poison update in a batch",
        260: "sends hang",
        330: "database locked for 60 s",
        420: "getUpdates hangs and resets",
        480: "truncated getUpdates",
    }
    started = asyncio.get_running_loop().time()
    lock: asyncio.Task[None] | None = None

    async def locked_for(seconds: float) -> None:
        async with hold_write_lock(bot.settings):
            await asyncio.sleep(seconds)

    for second in range(0, DRILL, 10):
        fault = faults.get(second)
        if fault == "html on getUpdates":
            fake.answer_raw("getUpdates", "html", seconds=sim(60))
        elif fault == "resets on sends":
            fake.outage(sim(60), drop=True)
        elif fault == "502 on sends, garbage on getUpdates":
            fake.outage(sim(50), 502)
            fake.answer_raw("getUpdates", "garbage", seconds=sim(50))
        elif fault == "poison update in a batch":
            fake.hang("getUpdates", sim(5))  # the next three arrive in one batch
            await asyncio.sleep(sim(1))
            tagged.append(say(town, chance.choice(buildings), second, "до яда"))
            poison(fake, town.building)
            tagged.append(say(town, chance.choice(buildings), second, "после яда"))
        elif fault == "sends hang":
            fake.hang("*", 5, drop=True, times=3)
        elif fault == "database locked for 60 s":
            lock = asyncio.create_task(locked_for(sim(60)))
        elif fault == "getUpdates hangs and resets":
            fake.hang("getUpdates", 4, drop=True)
            fake.drop_connections("getUpdates", times=3)
        elif fault == "truncated getUpdates":
            fake.answer_raw("getUpdates", "truncated", times=5)
        if second % TAG_EVERY == 0:
            tagged.append(say(town, chance.choice(buildings), second, "плановая"))
        assert bot.running, "the bot stopped during the drill"
        await asyncio.sleep(
            max(0.0, started + sim(second + 10) - asyncio.get_running_loop().time())
        )
    if lock is not None:
        await lock

    fake.clear_failures()
    texts = await wait_for_issues(fake, bot, len(tagged))
    assert bot.running, "the bot stopped during the drill"
    assert Counter(texts) == Counter(tagged)  # each tagged message filed once, none lost

    await fake.wait_for(lambda: len(acks_in(fake, buildings)) == len(tagged), 60)
    acks = acks_in(fake, buildings)
    assert sorted(acks) == list(range(1, len(tagged) + 1)), acks
    assert set(acks.values()) == {1}, acks  # acknowledged once each
    await fake.wait_for(lambda: len(numbers_in(fake, [town.staff])) == len(tagged), 60)
    cards = numbers_in(fake, [town.staff])
    assert set(cards.values()) == {1}, cards  # one staff card each
    quarantined = await query(bot.settings, "SELECT kind FROM quarantined_updates")
    assert quarantined == [("message",)]
    await bot.stop()


def say(town: Town, chat: FakeChat, second: int, note: str) -> str:
    text = f"#проблема {note}, минута {second // 60}, секунда {second % 60}"
    town.says(town.resident, chat, text)
    return text


def acks_in(fake: FakeTelegram, buildings: list[FakeChat]) -> Counter[int]:
    return numbers_in(fake, buildings, r"№(\d+) принята")


def numbers_in(
    fake: FakeTelegram, chats: list[FakeChat], pattern: str = r"№(\d+)"
) -> Counter[int]:
    """How many bot messages in the chats carry each issue number."""
    found: Counter[int] = Counter()
    for chat in chats:
        for message in fake.bot_messages(chat.id):
            match = re.search(pattern, message.content)
            if match:
                found[int(match.group(1))] += 1
    return found


async def wait_for_issues(fake: FakeTelegram, bot: InProcessBot, count: int) -> list[str]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60 * fake.timeout_scale
    while True:
        texts = [row[0] for row in await query(bot.settings, "SELECT text FROM issues")]
        if len(texts) >= count or loop.time() > deadline:
            return texts
        calls = len(fake.calls)
        with contextlib.suppress(AssertionError):
            await fake.wait_for(lambda c=calls: len(fake.calls) > c, 2)  # type: ignore[misc]
