"""Intake throughput: civicbot's real dispatcher, services and SQLite against bare aiogram.

Run from the repository root:
`python bench/intake_vs_aiogram.py [--updates N] [--rounds R] [--unbound]`.

Both bots get the same tagged group messages in-process, with no network: civicbot through
its poller's `handle` (seen-check, routers, moderation guard, intake, mark; the
acknowledgement and the staff card are queued in the outbox, not sent) on a fresh SQLite file;
bare aiogram through `Dispatcher.feed_update` with one handler that matches the hashtag and
replies through a recording session. civicbot also takes untagged group messages (ordinary
chat traffic: the moderation guard, nothing filed), to compare the cost of a message that only
passes the guard with one that becomes an issue.

Three sides, then: civicbot tagged, bare aiogram tagged, civicbot untagged. Each round gives
every side `--updates` messages, one side after another, and the order turns from round to
round (each side goes first, second and third equally often), so a change in the machine's
load (the bench shares its cores) falls on all three sides alike and no side always runs
right after another's work. Figures are over all rounds; the untagged / tagged CPU ratio is
also given per round (its median, lowest and highest), which shows how much the machine's
noise moved it. What would otherwise fall on the wrong side:
- warm-up: every side takes one round first, untimed (imports, compiled statements, SQLite
  pages, the untagged path's own first calls);
- garbage collection: the app's heap holds about 300,000 long-lived objects, and a full
  collection of them costs about 200 ms, i.e. 1 ms per update of a 200-update round, paid by
  whichever side's round crosses the collector's threshold. A full collection runs before each
  round, outside the timing; the script counts full collections that happen inside a timed
  round and prints the count (0 is expected: the collector's own full collections wait for a
  quarter of the heap to be new);
- the WAL checkpoint: every hundred commits civicbot hands one to a worker thread
  (storage/inline_sqlite.py). Its CPU is this process's, so a round waits for it before the
  clock stops: it is charged to the tagged round whose commits called for it, not to the side
  that happens to run next (untagged messages commit nothing).

Each update is parsed from the JSON getUpdates would return, inside the timed handling, by
both bots alike. With `--unbound` it is parsed without the bot and `Dispatcher.feed_update`
copies it onto the bot, which costs both bots more (the way the issue's reference figures for
bare aiogram were taken).

Printed: updates/s, CPU ms per update, handler p50/p99 (ms), their ratios, and civicbot's
database transactions and statements per update.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiogram import Bot, Dispatcher, F, Router  # noqa: E402
from aiogram.client.session.base import BaseSession  # noqa: E402
from aiogram.methods import GetMe, SendMessage, TelegramMethod  # noqa: E402
from aiogram.types import Chat, Message, Update, User  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bot.app import build_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.domain.models import ChatKind, ChatPlace, RegisteredChat  # noqa: E402
from storage import db  # noqa: E402

TOKEN = "123456789:AAAbbbCCCdddEEEfffGGGhhhIIIjjjKKKlll"
BUILDING = -1001
STAFF = -1002
TAG = "#проблема"


class RecordingSession(BaseSession):
    """Answers every Bot API call locally and remembers it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []
        self._ids = 10_000_000

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        self.calls.append(type(method).__name__)
        if isinstance(method, GetMe):
            return User(id=1, is_bot=True, first_name="bot", username="civicbot")
        if isinstance(method, SendMessage):
            self._ids += 1
            chat = Chat(id=int(method.chat_id), type="supergroup")
            return Message(message_id=self._ids, date=datetime.now(UTC), chat=chat, text="ok")
        return True

    async def stream_content(  # type: ignore[override]  # never called: no file is downloaded
        self, *args: Any, **kwargs: Any
    ) -> Any:
        raise NotImplementedError

    async def close(self) -> None:
        return None


def group_message(update_id: int, text: str) -> dict[str, Any]:
    """A message from a different resident each time (no flood), in the building chat, as
    getUpdates returns it: each bot parses it into its own `Update`, as its poller would."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": BUILDING, "type": "supergroup", "title": "Дом 1"},
            "from": {"id": 100_000 + update_id, "is_bot": False, "first_name": "Житель"},
            "text": text,
        },
    }


Handle = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass
class Figures:
    wall: float = 0.0
    cpu: float = 0.0
    count: int = 0
    latencies: list[float] | None = None

    def add(self, wall: float, cpu: float, latencies: Sequence[float]) -> None:
        self.wall += wall
        self.cpu += cpu
        self.count += len(latencies)
        self.latencies = [*(self.latencies or []), *latencies]

    @property
    def rate(self) -> float:
        return self.count / self.wall

    @property
    def cpu_ms(self) -> float:
        return self.cpu / self.count * 1000

    def pct(self, q: float) -> float:
        values = sorted(self.latencies or [0.0])
        return values[min(len(values) - 1, int(q * len(values)))] * 1000

    def line(self, name: str) -> str:
        return (
            f"{name:<22} {self.rate:>9,.0f} upd/s  {self.cpu_ms:>7.2f} CPU ms/upd  "
            f"p50 {self.pct(0.50):>6.2f} ms  p99 {self.pct(0.99):>6.2f} ms"
        )


class FullCollections:
    """Counts the garbage collector's full collections while `timing` is set."""

    def __init__(self) -> None:
        self.timing = False
        self.count = 0
        gc.callbacks.append(self._seen)

    def _seen(self, phase: str, info: dict[str, Any]) -> None:
        if self.timing and phase == "start" and info["generation"] == 2:
            self.count += 1


COLLECTIONS = FullCollections()


async def run_round(
    handle: Handle,
    updates: Sequence[dict[str, Any]],
    settle: Callable[[], Awaitable[None]] | None = None,
) -> tuple[float, float, list[float]]:
    """Wall and CPU seconds of handling `updates` one by one, and each one's latency; `settle`
    waits for work the round handed to a worker thread (charged to this round)."""
    gc.collect()
    latencies: list[float] = []
    COLLECTIONS.timing = True
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for update in updates:
        started = time.perf_counter()
        await handle(update)
        latencies.append(time.perf_counter() - started)
    if settle is not None:
        await settle()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    COLLECTIONS.timing = False
    return wall, cpu, latencies


def parse(data: dict[str, Any], bot: Bot, bound: bool) -> Update:
    """As getUpdates parses an update (bound to the bot), or as a test builds one (unbound:
    `feed_update` then copies it onto the bot, as the issue's reference measurement did)."""
    if bound:
        return Update.model_validate(data, context={"bot": bot})
    return Update.model_validate(data)


def bare_aiogram(bound: bool) -> tuple[Handle, Bot]:
    session = RecordingSession()
    bot = Bot(TOKEN, session=session)
    router = Router()

    @router.message(F.text.contains(TAG))
    async def on_tagged(message: Message) -> None:
        await message.reply("Принято")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)

    async def handle(data: dict[str, Any]) -> None:
        await dispatcher.feed_update(bot, parse(data, bot, bound))

    return handle, bot


class Counter:
    def __init__(self) -> None:
        self.begins = 0
        self.statements = 0

    def on_begin(self, *_: Any) -> None:
        self.begins += 1

    def on_statement(self, *_: Any) -> None:
        self.statements += 1


async def civicbot(
    folder: Path, bound: bool = True, url: str | None = None
) -> tuple[Handle, Counter, Any]:
    """civicbot's app on a fresh SQLite file in `folder`, or on the empty database at `url`
    (migrated here), with a building and a staff chat registered."""
    settings = Settings(
        telegram={"token": TOKEN, "api_base": "http://127.0.0.1:9"},
        storage={"path": str(folder / "civicbot.db"), "url": url},
        roles={"admins": [1], "specialists": []},
    )
    app = build_app(settings)
    app.bot.session = RecordingSession()
    await db.upgrade(app.engine)
    now = datetime.now(UTC)
    async with app.uow_factory() as uow:
        await uow.chats.save(
            RegisteredChat(ChatPlace(BUILDING, 0), ChatKind.BUILDING, "Дом 1", 1, now)
        )
        await uow.chats.save(
            RegisteredChat(ChatPlace(STAFF, 0), ChatKind.STAFF, "Специалисты", 1, now)
        )
        await uow.commit()
    counter = Counter()
    for engine in (app.engine, getattr(app.uow_factory, "_inline", None)):
        if engine is not None:
            event.listen(engine.sync_engine, "begin", counter.on_begin)
            event.listen(engine.sync_engine, "before_cursor_execute", counter.on_statement)

    async def handle(data: dict[str, Any]) -> None:
        await app.poller.handle(parse(data, app.bot, bound))

    return handle, counter, app


async def close(app: Any) -> int:
    """Stop the app built by `civicbot`; the number of open issues it holds."""
    async with app.uow_factory() as uow:
        issues = len(await uow.issues.list_open())
    await app.bot.session.close()
    dispose = getattr(app.uow_factory, "dispose", None)
    if dispose is not None:
        await dispose()
    await app.engine.dispose()
    return issues


@dataclass
class Side:
    """One of the three measured sides: who handles, what they get, what it cost."""

    handle: Handle
    tagged: bool
    civicbot: bool
    settle: Callable[[], Awaitable[None]] | None = None
    figures: Figures | None = None
    begins: int = 0
    statements: int = 0
    rounds: list[float] | None = None  # CPU ms per update of each round, in round order

    def messages(self, first_id: int, count: int, label: str) -> list[dict[str, Any]]:
        if self.tagged:
            return [group_message(first_id + i, f"{TAG} {label} {i}") for i in range(count)]
        return [group_message(first_id + i, f"спасибо соседям {i}") for i in range(count)]


async def main(count: int, rounds: int, bound: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        civic, counter, app = await civicbot(Path(tmp), bound)
        bare, bare_bot = bare_aiogram(bound)
        inline = getattr(app.uow_factory, "_inline", None)
        settle = inline.settled if inline is not None else None
        sides = {
            "civicbot (tagged)": Side(civic, tagged=True, civicbot=True, settle=settle),
            "bare aiogram (tagged)": Side(bare, tagged=True, civicbot=False),
            "civicbot (untagged)": Side(civic, tagged=False, civicbot=True, settle=settle),
        }
        next_id = 1
        # Warm-up, untimed: every side's own path once.
        for side in sides.values():
            await run_round(side.handle, side.messages(next_id, 20, "прогрев"), side.settle)
            next_id += 20
            side.figures, side.rounds = Figures(), []

        names = list(sides)
        COLLECTIONS.count = 0
        for number in range(rounds):
            # The order turns each round: every side runs first, second and third alike.
            turn = number % len(names)
            for name in names[turn:] + names[:turn]:
                side = sides[name]
                updates = side.messages(next_id, count, "нет воды")
                next_id += count
                b0, s0 = counter.begins, counter.statements
                wall, cpu, latencies = await run_round(side.handle, updates, side.settle)
                assert side.figures is not None and side.rounds is not None
                side.figures.add(wall, cpu, latencies)
                side.rounds.append(cpu / count * 1000)
                if side.civicbot:
                    side.begins += counter.begins - b0
                    side.statements += counter.statements - s0

        issues = await close(app)

    tagged, bare_side, untagged = (sides[name] for name in names)
    ours, theirs, plain = (side.figures or Figures() for side in (tagged, bare_side, untagged))
    pairs = zip(untagged.rounds or [], tagged.rounds or [], strict=True)
    per_round = sorted(u / t for u, t in pairs)
    how = "parsed as getUpdates parses" if bound else "built unbound, copied by feed_update"
    print(
        f"{rounds} rounds of {count} group messages per side, the sides' order turning "
        f"each round ({how})\n"
    )
    print(ours.line("civicbot (tagged)"))
    print(theirs.line("bare aiogram (tagged)"))
    print(plain.line("civicbot (untagged)"))
    print()
    print(f"civicbot / bare aiogram, updates/s:   {ours.rate / theirs.rate:.3f}x")
    print(f"civicbot / bare aiogram, CPU/update:  {ours.cpu_ms / theirs.cpu_ms:.1f}x")
    print(f"untagged / tagged, CPU per update:    {plain.cpu_ms / ours.cpu_ms:.2f}")
    print(
        f"  the same, round by round:           median {statistics.median(per_round):.2f}, "
        f"lowest {per_round[0]:.2f}, highest {per_round[-1]:.2f}"
    )
    print(f"untagged / tagged, wall per update:   {ours.rate / plain.rate:.2f}")
    for label, side in (("tagged", tagged), ("untagged", untagged)):
        handled = count * rounds
        print(
            f"civicbot per {label + ' update:':<17} {side.begins / handled:.2f} transactions, "
            f"{side.statements / handled:.1f} statements"
        )
    assert isinstance(bare_bot.session, RecordingSession)
    replies = bare_bot.session.calls.count("SendMessage")
    print(f"issues filed: {issues}; bare aiogram replies: {replies}")
    print(f"full garbage collections inside timed rounds: {COLLECTIONS.count}")
    print("targets: ratio >= 0.25x, civicbot p99 <= 10 ms, untagged <= 0.5 of tagged")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=100, help="updates per side and round")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument(
        "--unbound",
        action="store_true",
        help="updates not bound to the bot, so feed_update copies each (both bots pay it)",
    )
    options = parser.parse_args()
    asyncio.run(main(options.updates, options.rounds, not options.unbound))
