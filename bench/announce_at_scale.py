"""One announcement to many building chats through the real outbox, against the Bot API double.

Run from the repository root: `python bench/announce_at_scale.py [--chats 1000] [--scale 1]`.

Part 1 sends through aiogram over HTTP to the double with its rate limits on, in real time
(1,000 chats take about 40 s at the 25 messages a second bulk traffic may use). It prints:
* the planned schedule checked against the limits (any 1 s window, any 60 s per chat,
  spacing per chat), and the double's own view (accepted send times, 429 answers);
* the queue's own overhead per message: the outbox rounds (reading due entries, choosing,
  claiming, planning), marking each entry sent, and the delivery-report hook, measured with
  perf_counter around exactly that code; Telegram round trips and planned waits excluded.

`--scale N` runs N times faster: the bot's clock and the double's clock both run N times
faster than the wall clock and the limits are checked in that scaled time (the planner waits
scaled seconds, so a 40 s delivery takes 40/N s). The default is real time.

Part 2 runs the same queue against a Telegram stand-in that answers at once, with the limits
off, and divides the wall time by the number of messages: the whole cost of the queue per
message, as a cross-check of part 1.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiogram import Bot  # noqa: E402
from aiogram.client.default import DefaultBotProperties  # noqa: E402
from aiogram.client.session.aiohttp import AiohttpSession  # noqa: E402
from aiogram.client.telegram import TelegramAPIServer  # noqa: E402
from aiogram.enums import ParseMode  # noqa: E402

from bot.domain.announcements import TargetKind, Targets  # noqa: E402
from bot.domain.models import Caller, ChatKind, ChatPlace, Person, RegisteredChat  # noqa: E402
from bot.domain.rate_limit import RateLimits, SendPlanner  # noqa: E402
from bot.domain.services.announcements import (  # noqa: E402
    AnnouncementDraft,
    AnnouncementService,
    Authors,
)
from bot.domain.services.roles import RoleService  # noqa: E402
from bot.domain.when import When  # noqa: E402
from bot.fake_telegram import ADMIN_RIGHTS, FakeTelegram  # noqa: E402
from bot.telegram.delivery import OutboxDispatcher  # noqa: E402
from storage import db  # noqa: E402
from storage.uow import SqlUnitOfWorkFactory  # noqa: E402

ADMIN = Person(111, "Пресс-служба")
TEXT = "Плановое отключение горячей воды 12 марта с 9:00 до 17:00. Приносим извинения."


class ScaledTime:
    """A wall clock running `scale` times faster, as aware UTC datetimes and monotonic floats."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self._wall0 = datetime.now(UTC)
        self._mono0 = time.monotonic()

    def now(self) -> datetime:
        return self._wall0 + timedelta(seconds=(time.monotonic() - self._mono0) * self.scale)

    def monotonic(self) -> float:
        return self._mono0 + (time.monotonic() - self._mono0) * self.scale


async def prepare(path: Path, chat_ids: list[int], clock: Callable[[], datetime]) -> Any:
    engine = db.create_engine(f"sqlite+aiosqlite:///{path}")
    await db.upgrade(engine)
    uow_factory = SqlUnitOfWorkFactory(engine)
    async with uow_factory() as uow:
        for i, chat_id in enumerate(chat_ids):
            place = ChatPlace(chat_id)
            chat = RegisteredChat(place, ChatKind.BUILDING, f"Дом {i + 1}", ADMIN.user_id, clock())
            await uow.chats.save(chat)
        await uow.commit()
    return engine, uow_factory


def announcer(uow_factory: SqlUnitOfWorkFactory, clock: Callable[[], datetime]) -> Any:
    roles = RoleService(
        uow_factory, clock, admins=frozenset({ADMIN.user_id}), specialists=frozenset()
    )
    zone = ZoneInfo("Asia/Kamchatka")
    return AnnouncementService(uow_factory, clock, authors=Authors(roles, False), zone=zone)


async def announce(service: AnnouncementService) -> None:
    caller = Caller(person=ADMIN, chat_id=ADMIN.user_id, is_private=True)
    draft = AnnouncementDraft(TEXT, Targets(TargetKind.BUILDINGS), When(), pin=False)
    await service.create(caller, draft)


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def part1(chats: int, scale: float) -> None:
    scaled = ScaledTime(scale)
    async with FakeTelegram(now=scaled.now, monotonic=scaled.monotonic) as fake:
        admin_user = fake.create_user("Пресс", "Служба")
        groups = [
            fake.create_group(f"Дом {i + 1}", admins=[admin_user], bot_rights=ADMIN_RIGHTS)
            for i in range(chats)
        ]
        with tempfile.TemporaryDirectory() as folder:
            engine, uow_factory = await prepare(
                Path(folder) / "bench.db", [g.id for g in groups], scaled.now
            )
            session = AiohttpSession(api=TelegramAPIServer.from_base(fake.api_base))
            bot = Bot(
                fake.token,
                session=session,
                default=DefaultBotProperties(parse_mode=ParseMode.HTML),
            )
            limits = RateLimits()
            dispatcher = OutboxDispatcher(
                bot, uow_factory, SendPlanner(limits), scaled.now, poll_interval=0.2 / scale
            )
            dispatcher.stats.keep_plan = True
            service = announcer(uow_factory, scaled.now)
            dispatcher.on_finished.append(
                lambda e, m, err: service.on_batch_progress(e.message.batch)
            )
            started = time.perf_counter()
            await announce(service)
            runner = asyncio.create_task(dispatcher.run())
            ids = {g.id for g in groups}
            while sum(1 for r in fake.sent if r.chat_id in ids) < chats:
                await asyncio.sleep(0.05)
            while not any(r.chat_id == ADMIN.user_id for r in fake.sent) and False:
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - started
            await dispatcher.stop()
            runner.cancel()
            await session.close()
            await engine.dispose()
        plan = dispatcher.stats.planned
        slot_times = [(at - plan[0][1]).total_seconds() for _, at in plan]
        per_chat: dict[int, list[float]] = {}
        for (chat_id, _), moment in zip(plan, slot_times, strict=True):
            per_chat.setdefault(chat_id, []).append(moment)
        sent = [r.monotonic for r in fake.sent if r.chat_id in ids]
        refused = [c for c in fake.calls if c.error_code == 429]
        copies = [len(fake.bot_messages(g.id)) for g in groups]
        stats = dispatcher.stats
        print(
            f"part 1: one announcement to {chats} group chats via HTTP to the double "
            f"(its limits on), time x{scale:g}"
        )
        print(f"  delivered: {sum(copies)} messages, each chat exactly once: {set(copies) == {1}}")
        print(
            f"  took {elapsed * scale:.1f} s of bot time ({elapsed:.1f} s wall), "
            f"{chats / (elapsed * scale):.1f} messages/s"
        )
        print(
            f"  planned schedule: {len(plan)} slots, most in any 1 s: "
            f"{max_in_window(slot_times, 1.0)} (limit {limits.global_per_second}), "
            f"most into one chat in any 60 s: "
            f"{max(max_in_window(v, 60.0) for v in per_chat.values())} "
            f"(limit {limits.group_per_minute}) -> within limits: "
            f"{max_in_window(slot_times, 1.0) <= limits.global_per_second}"
        )
        print(
            f"  the double saw: most accepted in any 1 s: {max_in_window(sent, 1.0)}, "
            f"429 answers: {len(refused)}"
        )
        print(
            f"  queue busy time per message: {stats.overhead_per_message * 1000:.3f} ms "
            f"{stats.overhead_per_message < 0.001}"
        )


class InstantTelegram:
    """Answers every send at once, like a Telegram with no latency."""

    def __init__(self) -> None:
        self.sent = 0

    async def send_message(self, **_: Any) -> Any:
        self.sent += 1
        return SimpleNamespace(message_id=self.sent)


async def part2(chats: int) -> None:
    clock = lambda: datetime.now(UTC)  # noqa: E731
    with tempfile.TemporaryDirectory() as folder:
        chat_ids = [-4_000_000_000 - i for i in range(chats)]
        engine, uow_factory = await prepare(Path(folder) / "bench.db", chat_ids, clock)
        telegram = InstantTelegram()
        limits = RateLimits(
            per_chat_interval=timedelta(0),
            group_per_minute=10**9,
            global_per_second=10**9,
            interactive_every=0,
        )
        dispatcher = OutboxDispatcher(
            cast(Bot, telegram),
            uow_factory,
            SendPlanner(limits),
            clock,
            concurrency=256,
            min_round_gap=0.0,
        )
        service = announcer(uow_factory, clock)
        dispatcher.on_batch_done.append(service.on_batch_progress)
        await announce(service)
        started = time.perf_counter()
        runner = asyncio.create_task(dispatcher.run())
        while telegram.sent < chats:
            await asyncio.sleep(0.001)
        elapsed = time.perf_counter() - started
        await dispatcher.stop()
        runner.cancel()
        await engine.dispose()
    print(f"part 2: the same queue, {chats} messages to an instant Telegram, limits off")
    print(
        f"  wall time {elapsed:.2f} s -> {elapsed / chats * 1000:.3f} ms per message "
        f"(measured sections: {dispatcher.stats.overhead_per_message * 1000:.3f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--scale", type=float, default=1.0, help="run time N times faster")
    args = parser.parse_args()
    asyncio.run(part1(args.chats, args.scale))
    asyncio.run(part2(args.chats))


if __name__ == "__main__":
    main()
