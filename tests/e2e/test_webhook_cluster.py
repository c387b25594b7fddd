"""Two `civicbot run` processes on one PostgreSQL database in webhook mode, behind a
round-robin load balancer (`harness.RoundRobinProxy`) that the double delivers to, as
Telegram delivers to an operator's nginx. One process is SIGKILLed in the middle of a burst
of tagged messages and an announcement to every building.

Every tagged message becomes one issue and gets one acknowledgement, the announcement reaches
every building once (a copy the kill cut short mid-request is reported to the admin as
"Возможно, доставлено" and not sent again), the double never sees more than 30 sends in a
second, and every issue is reminded of once, by whichever process leads.

Runs on PostgreSQL only: several processes on one database are a PostgreSQL installation
(CIVICBOT_TEST_DATABASE_URL; CI's PostgreSQL pass runs it).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.outgoing import MAYBE_SENT
from bot.fake_telegram import ADMIN_RIGHTS, FakeChat, FakeTelegram, FakeUser
from bot.texts.announcements import MAYBE_DELIVERED
from tests.database import TestDatabase
from tests.e2e.announce_kit import Desk, announcement_copies
from tests.e2e.harness import (
    START_TIMEOUT,
    BotProcess,
    RoundRobinProxy,
    Town,
    free_port,
    process_for,
    query,
    wait_until,
)
from tests.e2e.test_several_processes import (
    ACK,
    DIGEST,
    OPEN,
    REMINDER,
    busiest_second,
    launch,
    numbered,
    settings_for,
    wait_for_log,
)

# Several webhook processes share a PostgreSQL database (SQLite serves one host's processes).
pytestmark = pytest.mark.postgres_only

SECRET = "cluster-webhook_Secret-7"
PATH = "/telegram/webhook"
CHATS = 20
PER_CHAT = 10  # tagged messages a building: 200 in all
ANNOUNCEMENT = "Плановое отключение воды в четверг с 10:00 до 14:00"
LEADS = "scheduled jobs and sending: this process does it now"


TROUBLES = ("течёт крыша", "не горит свет", "сломан лифт", "нет горячей воды", "мусор у входа")


def leads(process: BotProcess) -> bool:
    """Does the process run the jobs and the sender now (its last word on the lease)?"""
    said = [
        line
        for line in process.log_path.read_text("utf-8", "replace").splitlines()
        if "scheduled jobs and sending:" in line
    ]
    return bool(said) and LEADS in said[-1]


def issue_numbers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"№(\d+)", text)}


async def maybe_sent(database: TestDatabase) -> tuple[set[int], set[int]]:
    """Issue numbers whose acknowledgement, and chats whose announcement copy, the kill cut
    short mid-request (finished as 'maybe sent', never sent again)."""
    rows = await query(
        database, "SELECT chat_id, batch, payload FROM outbox WHERE last_error = :e", e=MAYBE_SENT
    )
    acks: set[int] = set()
    chats: set[int] = set()
    for chat_id, batch, payload in rows:
        if batch and str(batch).startswith("ann:"):
            chats.add(int(chat_id))
        else:
            text = json.dumps(payload, ensure_ascii=False)
            acks |= {int(n) for n in re.findall(ACK, text)}
    return acks, chats


async def test_two_webhook_processes_behind_a_balancer_lose_nothing_and_repeat_nothing_when_one_is_killed(  # noqa: E501
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    fake.world.now = lambda: datetime.now(UTC)
    heads = fake.create_group("Руководство", admins=[town.admin], bot_rights=ADMIN_RIGHTS)
    # A resident a building: one person writing in 20 chats at once would be a spammer.
    residents = [fake.create_user(f"Житель{n}", "Дома") for n in range(1, CHATS + 1)]
    buildings = [
        fake.create_group(
            f"Дом {n}", admins=[town.admin], members=[resident], bot_rights=ADMIN_RIGHTS
        )
        for n, resident in enumerate(residents, 1)
    ]
    # A department a building: each staff chat gets its building's cards, well within
    # Telegram's 20 messages a minute into one group.
    desks = [
        fake.create_group(f"Участок {n}", admins=[town.admin], bot_rights=ADMIN_RIGHTS)
        for n in range(1, CHATS + 1)
    ]
    ports = [free_port(), free_port()]
    async with RoundRobinProxy([f"http://127.0.0.1:{port}" for port in ports]) as proxy:
        processes = []
        for name, port in zip(("first", "second"), ports, strict=True):
            settings = settings_for(
                fake,
                town,
                test_database,
                telegram={
                    "mode": "webhook",
                    "webhook_url": proxy.url + PATH,
                    "webhook_secret": SECRET,
                    "webhook_port": port,
                },
                digest={"time": "00:00", "chat_ids": [heads.id]},
                # Every issue is overdue 2 s after it is filed: one reminder lists it, once.
                sla={"first_response": "PT2S", "remind_every": "PT1H", "escalate_after": "PT2H"},
            )
            (tmp_path / name).mkdir()
            processes.append(process_for(settings, tmp_path / name))
        started = time.monotonic()
        # Started together; whichever takes the leader lease leads, the other stands by.
        for process in processes:
            await launch(process)
        await fake.wait_for(
            lambda: len(fake.calls_of("setWebhook", ok=True)) >= 2,
            timeout=START_TIMEOUT,
            message="for both processes to set the webhook",
        )
        for process in processes:
            await wait_for_log(fake, process, "scheduled jobs and sending: ")
        print(f"both processes ready {time.monotonic() - started:.1f} s after the start")
        try:
            await _run(
                fake, town, test_database, proxy, buildings, residents, desks, heads, processes
            )
        finally:
            for process in processes:
                if process.running:
                    await process.kill()
        print(f"run took {time.monotonic() - started:.1f} s")


async def _run(
    fake: FakeTelegram,
    town: Town,
    database: TestDatabase,
    proxy: RoundRobinProxy,
    buildings: list[FakeChat],
    residents: list[FakeUser],
    desks: list[FakeChat],
    heads: FakeChat,
    processes: list[BotProcess],
) -> None:
    # Commands in one chat are answered in turn; across chats, at once (both processes take
    # the stored updates, oldest first).
    for chat in buildings:
        town.says(town.admin, chat, f"/register building {chat.title}")
    for chat in desks:
        town.says(town.admin, chat, f"/register staff {chat.title}")
    for chat in buildings + desks:
        await town.reply_in(chat, "подключён" if chat in buildings else "рабочий чат", timeout=30)
    for building, desk in zip(buildings, desks, strict=True):
        town.says(town.admin, building, f"/setdept {desk.title}")
    for chat in buildings:
        await town.reply_in(chat, "по умолчанию идут в отдел", timeout=30)
    await town.reply_in(heads, DIGEST, timeout=30)  # the day's digest, from the leader

    admin = Desk(fake, town.admin)
    await admin.says("/announce", "Пришлите его текст")
    await admin.says(ANNOUNCEMENT, "Кому отправить?")
    await admin.presses(f"Все дома ({CHATS})", "Когда отправить?")
    await admin.presses("Сейчас", "Закрепить")
    await admin.presses("Не закреплять", "Получатели")

    # The burst: half, the announcement sent, the other half; the leader is killed once the
    # announcement is under way.
    total = CHATS * PER_CHAT
    asked: set[tuple[int, int]] = set()
    last = 0

    def burst(numbers: range) -> None:
        for n in numbers:
            k = n % CHATS
            text = f"#проблема {TROUBLES[n % len(TROUBLES)]}, подъезд {n // CHATS + 1}"
            asked.add((buildings[k].id, town.says(residents[k], buildings[k], text)))

    burst(range(total // 2))
    last = admin.last_id()
    await admin.presses("Отправить")
    burst(range(total // 2, total))

    def copies() -> int:
        return sum(len(announcement_copies(fake, chat, ANNOUNCEMENT)) for chat in buildings)

    await fake.wait_for(lambda: copies() >= 1, timeout=60, message="for the announcement")
    acks_at_kill = sum(numbered(fake, [b.id for b in buildings], ACK).values())
    copies_at_kill = copies()
    leader, other = processes if leads(processes[0]) else processes[::-1]
    assert leads(leader), "neither process leads"
    await leader.kill()
    killed = time.monotonic()
    # More come while the balancer still sends every other one to the dead process.
    burst(range(total, total + CHATS))
    total += CHATS
    await fake.wait_for(lambda: leads(other), timeout=60, message="for the other to lead")
    took_over = time.monotonic() - killed

    async def drained() -> bool:
        left = (await query(database, OPEN))[0][0]
        inbox = (await query(database, "SELECT count(*) FROM webhook_inbox"))[0][0]
        return not fake.pending_updates and not left and not inbox

    report = await fake.wait_for_bot_message(
        admin.chat_id, "отчёт о доставке", after=last, timeout=90
    )
    await wait_until(drained, timeout=90, message="for every update and send to be done")
    await fake.wait_for(
        lambda: set(_reminded(fake, desks)) >= set(range(1, total + 1)),
        timeout=60,
        message="for every issue to be reminded of",
    )
    await wait_until(drained, timeout=60, message="for the reminders to be sent")
    assert await other.terminate() == 0

    # Every tagged message: one issue.
    rows = await query(database, "SELECT chat_id, message_id, number FROM issues")
    assert len(rows) == total
    assert {(chat, message) for chat, message, _ in rows} == asked
    assert sorted(number for _, _, number in rows) == list(range(1, total + 1))
    # One acknowledgement each, in its building; missing only where the kill cut the send
    # short (the entry is finished as 'maybe sent', never sent again).
    maybe_acks, maybe_chats = await maybe_sent(database)
    acks = numbered(fake, [b.id for b in buildings], ACK)
    assert [n for n, count in acks.items() if count > 1] == []
    missing_acks = set(range(1, total + 1)) - set(acks)
    assert missing_acks <= maybe_acks, (missing_acks, maybe_acks)
    # The announcement: once in every building; a copy the kill cut short is named in the
    # admin's report as maybe delivered, and is there once or not at all.
    unsure = {chat.id for chat in buildings if f"\n• {chat.title}\n" in report.content + "\n"}
    assert ("Возможно, доставлено" in report.content) == bool(unsure)
    assert unsure == maybe_chats
    if unsure:
        assert MAYBE_DELIVERED in report.content
    assert f"Доставлено: {CHATS - len(unsure)} из {CHATS}" in report.content
    for chat in buildings:
        count = len(announcement_copies(fake, chat, ANNOUNCEMENT))
        assert count == 1 or (chat.id in unsure and count == 0), chat.title
    # Reminders and the digest: once.
    reminders = _reminded(fake, desks)
    assert [n for n, count in reminders.items() if count > 1] == []
    assert len([m for m in fake.bot_messages(heads.id) if DIGEST in m.content]) == 1
    # Within Telegram's limits for the installation as a whole.
    busiest = busiest_second(fake)
    assert busiest <= 30
    # Both processes took webhooks, and the balancer sent the dead one's share to the other.
    print(
        f"acks at the kill {acks_at_kill}/{total}, announcement copies {copies_at_kill}/{CHATS}; "
        f"took over {took_over:.1f} s after the kill; busiest second {busiest} sends; "
        f"maybe sent: {len(maybe_acks)} acks ({len(missing_acks)} of them missing), "
        f"{len(maybe_chats)} copies; "
        f"answered by process: {proxy.answered}, failovers {proxy.failovers}"
    )
    assert acks_at_kill < total, "the kill came after the burst"
    assert all(proxy.answered)
    assert proxy.failovers >= 1
    log = other.log_path.read_text("utf-8")
    assert "Traceback" not in log


def _reminded(fake: FakeTelegram, desks: list[FakeChat]) -> Counter[int]:
    """How many reminders listed each issue, in every department's chat."""
    found: Counter[int] = Counter()
    for chat in desks:
        for message in fake.bot_messages(chat.id):
            if REMINDER in message.content:
                found.update(issue_numbers(message.content))
    return found
