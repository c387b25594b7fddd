"""SIGKILL never makes the bot post an acknowledgement or a staff card twice.

The outbox commits a "maybe sent" mark just before a new message's request leaves and the
"sent" mark right after Telegram's answer. An entry found with the first and without the second
after a crash may or may not be in the chat; the Bot API cannot tell which, so it is not sent
again (docs/ARCHITECTURE.md, "Exactly once").
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import Counter
from pathlib import Path

from bot.domain.outgoing import MAYBE_SENT
from bot.fake_telegram import FakeTelegram
from tests.database import TestDatabase
from tests.e2e.harness import BotProcess, Town, process_bot, query, seeded

OPEN = "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"


def bot_process(
    fake: FakeTelegram, town: Town, tmp_path: Path, database: TestDatabase
) -> tuple[BotProcess, TestDatabase]:
    # A killed sender's claims run out fast, so the entries it held are looked at again.
    scheduler = {"outbox_lease": 1, "outbox_retry_cap": 1}
    return process_bot(fake, town, tmp_path, database, scheduler=scheduler), database


async def drained(fake: FakeTelegram, database: TestDatabase, timeout: float = 30.0) -> None:
    """Wait until the bot has taken every update (the double holds none unconfirmed) and the
    outbox holds nothing to send; checked after each call to the double. A restarted bot
    under load may still be starting when its outbox is already empty."""
    deadline = asyncio.get_running_loop().time() + timeout * fake.timeout_scale
    while fake.pending_updates or (await query(database, OPEN))[0][0]:
        remaining = deadline - asyncio.get_running_loop().time()
        assert remaining > 0, f"the outbox did not drain\n{fake.dump()}"
        calls = len(fake.calls)
        with contextlib.suppress(AssertionError):
            await fake.wait_for(lambda c=calls: len(fake.calls) > c, min(remaining, 1.0))  # type: ignore[misc]


def numbered(fake: FakeTelegram, chat_id: int, pattern: str) -> Counter[int]:
    found: Counter[int] = Counter()
    for message in fake.bot_messages(chat_id):
        match = re.search(pattern, message.content)
        if match:
            found[int(match.group(1))] += 1
    return found


async def test_a_kill_after_telegram_took_the_acknowledgement_does_not_repeat_it(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    bot, database = bot_process(fake, town, tmp_path, test_database)
    await bot.start(fake)
    await town.register()
    # Telegram posts the acknowledgement, and its answer is held back: the bot is killed in
    # the window between Telegram taking the message and the bot recording it.
    fake.hang("sendMessage", 60, after_processing=True, chat_id=town.building.id)
    town.says(town.resident, town.building, "#проблема Не горит свет в подъезде")
    await town.reply_in(town.building, "№1 принята")
    await bot.kill()

    await bot.start(fake)
    await town.reply_in(town.staff, "№1")
    await drained(fake, database)
    town.says(town.neighbour, town.building, "#проблема Сломана скамейка")
    await town.reply_in(town.building, "№2 принята")
    assert await bot.terminate() == 0

    assert numbered(fake, town.building.id, r"№(\d+) принята") == {1: 1, 2: 1}
    assert numbered(fake, town.staff.id, r"№(\d+)") == {1: 1, 2: 1}
    failed = await query(
        database, "SELECT chat_id, last_error FROM outbox WHERE status = 'failed'"
    )
    # The acknowledgement was cut short after Telegram took it. The kill can land in the staff
    # card's send as well (it leaves at the same moment): each is left "maybe sent" and, as
    # the counts above show, none is sent again.
    assert (town.building.id, MAYBE_SENT) in failed
    assert {error for _, error in failed} == {MAYBE_SENT}
    assert {chat for chat, _ in failed} <= {town.building.id, town.staff.id}
    assert "Traceback" not in bot.log()


async def test_kills_at_random_moments_repeat_no_message(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    chance = seeded("kill drill")
    bot, database = bot_process(fake, town, tmp_path, test_database)
    await bot.start(fake)
    await town.register()
    rounds, per_round = 5, 3
    for round_no in range(rounds):
        for n in range(per_round):
            town.says(town.resident, town.building, f"#проблема Поломка {round_no}-{n}")
        await asyncio.sleep(chance.uniform(0, 0.8))  # a random moment, by design
        await bot.kill()
        await bot.start(fake)
    total = rounds * per_round
    await drained(fake, database)
    assert await bot.terminate() == 0

    issues = await query(database, "SELECT count(*) FROM issues")
    assert issues == [(total,)]  # nothing tagged was lost
    ((maybe,),) = await query(
        database, f"SELECT count(*) FROM outbox WHERE last_error = '{MAYBE_SENT}'"
    )
    acks = numbered(fake, town.building.id, r"№(\d+) принята")
    cards = numbered(fake, town.staff.id, r"№(\d+)")
    duplicates = sum(n - 1 for n in acks.values() if n > 1) + sum(
        n - 1 for n in cards.values() if n > 1
    )
    missing = (total - len(acks)) + (total - len(cards))
    print(
        f"{rounds} kills, {total} issues: {duplicates} repeated, {maybe} maybe sent, "
        f"{missing} missing"
    )
    assert duplicates == 0
    assert missing <= maybe  # only a send cut short mid-request may be missing
