"""A burst of tagged messages into many chats, and single messages into quiet chats: the real
bot (`bot.app.run`, in this process) against the Bot API double with Telegram's limits on (in
another process, so the two event loops do not slow each other).

Run from the repository root: `python bench/burst_300.py [--chats 300] [--bursts 3]`.

Every chat is a registered building chat with one resident; one staff chat gets a card for
every issue. Two phases, measured by the double's clock:
* quiet: `--quiet` single tagged messages, each into its own chat, one at a time with a pause
  between them; the latency is from the moment the double hands the update out in getUpdates
  to the moment it receives the acknowledgement (p50/p99);
* burst: `--chats` residents write a tagged message at the same moment, each in their own chat.
  "Acknowledged in full" is the last of those acknowledgements received; the rate is
  chats / (that moment - the moment the messages were written). The staff cards are not in
  that count: one staff chat takes at most 20 a minute, so they follow over the next minutes
  (the figure printed is how many of them had arrived by the last acknowledgement).
  Live bursts (`--bursts`) measure the whole way, so intake is part of the figure; queued
  bursts (`--queued`) hold the sender's rounds until the bot has taken in every update, then
  count from the moment the sender starts: the sender alone, with 300 acknowledgements and
  300 cards in the outbox.
Printed per burst and as the median over bursts: acknowledgements delivered, acks/s and its
ratio to 30/s, the 429 answers, the most messages the double accepted in any 1 s window, and
when the bot had taken in (confirmed) every update of the burst.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _line_process import LineProcess  # noqa: E402
from _windows import max_in_window  # noqa: E402

GLOBAL_LIMIT = 30
TARGET_RATIO = 0.9
TARGET_P50_MS = 50.0
TAG_TEXT = "#проблема в подъезде {n} не горит свет"


# --- the double's side (run as `burst_300.py --double`) -------------------------------------


async def serve_double(chats: int, bursts: int, quiet: int) -> None:
    from bot.fake_telegram import ADMIN_RIGHTS, FakeTelegram

    async with FakeTelegram() as fake:
        world = fake.world
        handed: dict[tuple[int, int], float] = {}
        take = world.updates._take

        def take_and_note(size: int) -> Any:
            batch = take(size)
            moment = time.monotonic()
            for update in batch:
                message = update.get("message")
                if message is not None:
                    handed.setdefault((message["chat"]["id"], message["message_id"]), moment)
            return batch

        world.updates._take = take_and_note  # type: ignore[method-assign]
        admin = fake.create_user("Глава", "Администрации")
        staff = fake.create_group("Специалисты", admins=[admin], bot_rights=ADMIN_RIGHTS)
        residents: dict[int, Any] = {}

        def building(n: int) -> int:
            resident = fake.create_user("Житель", str(n))
            chat = fake.create_group(
                f"Дом {n}", admins=[admin], members=[resident], bot_rights=ADMIN_RIGHTS
            )
            residents[chat.id] = resident
            return chat.id

        quiet_ids = [building(n) for n in range(quiet)]
        burst_ids = [
            [building(quiet + b * chats + n) for n in range(chats)] for b in range(bursts)
        ]
        print(
            json.dumps(
                {
                    "api_base": fake.api_base,
                    "token": fake.token,
                    "admin": admin.id,
                    "staff": staff.id,
                    "quiet": quiet_ids,
                    "bursts": burst_ids,
                }
            ),
            flush=True,
        )

        def ack_time(chat_id: int) -> float | None:
            for record in world.sent:
                if record.chat_id == chat_id:
                    return record.monotonic
            return None

        def write(chat_id: int, n: int) -> tuple[int, int]:
            sent = fake.user_sends(chat_id, residents[chat_id], TAG_TEXT.format(n=n))
            return chat_id, int(sent["message_id"])

        async def until(condition: Any, timeout: float) -> bool:
            deadline = time.monotonic() + timeout
            while not condition():
                if time.monotonic() > deadline:
                    return False
                await asyncio.sleep(0.002)
            return True

        pushed: dict[int, dict[str, Any]] = {}

        def push(b: int) -> dict[str, Any]:
            ids = burst_ids[b]
            state: dict[str, Any] = {
                "staff_before": len(fake.bot_messages(staff.id)),
                "started": time.monotonic(),
            }
            state["keys"] = [write(chat_id, n) for n, chat_id in enumerate(ids)]
            state["last_update"] = world.updates.next_update_id - 1
            pushed[b] = state
            return {"started": state["started"]}

        async def taken(b: int) -> dict[str, Any]:
            state = pushed[b]
            await until(lambda: fake.confirmed_offset > state["last_update"], 300)
            return {"taken_in": time.monotonic() - state["started"]}

        async def collect(b: int, since: float | None) -> dict[str, Any]:
            ids, state = burst_ids[b], pushed[b]
            started = state["started"] if since is None else since
            confirmed_at: list[float] = []

            def all_acked() -> bool:
                if not confirmed_at and fake.confirmed_offset > state["last_update"]:
                    confirmed_at.append(time.monotonic())
                return all(fake.bot_messages(c) for c in ids)

            await until(all_acked, 300)
            acks = [t for t in (ack_time(c) for c in ids) if t is not None]
            return {
                "started": started,
                "acks": [t - started for t in acks],
                "once": sum(1 for c in ids if len(fake.bot_messages(c)) == 1),
                "taken_in": (confirmed_at[0] - state["started"]) if confirmed_at else None,
                "cards": len(fake.bot_messages(staff.id)) - state["staff_before"],
            }

        loop = asyncio.get_running_loop()
        while True:
            words = (await loop.run_in_executor(None, sys.stdin.readline)).split()
            if not words or words[0] == "quit":
                return
            if words[0] == "ready":
                await until(lambda: world.updates.polls > 0, 60)
                reply: dict[str, Any] = {}
            elif words[0] == "quiet":
                gap = float(words[1])
                latencies, moments = [], []
                for n, chat_id in enumerate(quiet_ids):
                    key = write(chat_id, n)
                    await until(lambda c=chat_id: ack_time(c) is not None, 10)
                    acked = ack_time(chat_id)
                    if acked is not None and key in handed:
                        latencies.append((acked - handed[key]) * 1000)
                        moments.append((handed[key], acked))
                    await asyncio.sleep(gap)
                reply = {"latencies_ms": latencies, "moments": moments}
            elif words[0] == "burst":
                push(int(words[1]))
                reply = await collect(int(words[1]), None)
            elif words[0] == "push":
                reply = push(int(words[1]))
            elif words[0] == "taken":
                reply = await taken(int(words[1]))
            elif words[0] == "acked":
                reply = await collect(int(words[1]), float(words[2]))
            elif words[0] == "stats":
                reply = {
                    "sent": [[r.chat_id, r.monotonic] for r in world.sent],
                    "refused": sum(1 for c in fake.calls if c.error_code == 429),
                    "refused_in": sorted(
                        {
                            "staff chat"
                            if str(c.params.get("chat_id")) == str(staff.id)
                            else "others"
                            for c in fake.calls
                            if c.error_code == 429
                        }
                    ),
                    "staff": staff.id,
                }
            else:
                reply = {"error": f"unknown command {words[0]}"}
            print(json.dumps(reply), flush=True)


# --- the bot's side -------------------------------------------------------------------------


async def register(db_path: Path, info: Any) -> None:
    from bot.app import utc_now
    from bot.domain.models import ChatKind, ChatPlace, RegisteredChat
    from storage import db
    from storage.uow import SqlUnitOfWorkFactory

    engine = db.create_engine(f"sqlite+aiosqlite:///{db_path}")
    await db.upgrade(engine)
    async with SqlUnitOfWorkFactory(engine)() as uow:
        staff = RegisteredChat(
            ChatPlace(info["staff"]), ChatKind.STAFF, "Специалисты", info["admin"], utc_now()
        )
        await uow.chats.save(staff)
        chat_ids = info["quiet"] + [c for burst in info["bursts"] for c in burst]
        for n, chat_id in enumerate(chat_ids):
            chat = RegisteredChat(
                ChatPlace(chat_id), ChatKind.BUILDING, f"Дом {n}", info["admin"], utc_now()
            )
            await uow.chats.save(chat)
        await uow.commit()
    await engine.dispose()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


HELD = asyncio.Event()
"""Cleared while a queued burst is being taken in: the sender's rounds wait for it."""


def hold_the_sender() -> None:
    """Rounds wait while HELD is cleared, so a queued burst measures the sender alone, with
    all its acknowledgements and cards already in the outbox (intake is another's cost)."""
    from bot.telegram.delivery import OutboxDispatcher

    plan_round = OutboxDispatcher._plan_round

    async def held(self: OutboxDispatcher) -> float:
        await HELD.wait()
        return await plan_round(self)

    HELD.set()
    OutboxDispatcher._plan_round = held  # type: ignore[method-assign]


async def measure(args: argparse.Namespace) -> None:
    from bot.app import run
    from bot.config import Settings

    hold_the_sender()
    double = LineProcess(
        __file__, "--double", str(args.chats), str(args.bursts + args.queued), str(args.quiet)
    )
    info = double.info
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "civicbot.db"
        await register(db_path, info)
        settings = Settings(
            telegram={"token": info["token"], "api_base": info["api_base"]},
            storage={"path": str(db_path)},
            roles={"admins": [info["admin"]], "specialists": []},
        )
        stop = asyncio.Event()
        bot = asyncio.create_task(run(settings, stop=stop))
        await double.ask("ready")
        await asyncio.sleep(1.0)  # past start-up work (commands, scheduler)
        quiet = (await double.ask(f"quiet {args.gap}"))["latencies_ms"]
        await asyncio.sleep(2.0)
        bursts = []
        for b in range(args.bursts):
            bursts.append(await double.ask(f"burst {b}"))
            await asyncio.sleep(2.0)
        queued = []
        for b in range(args.bursts, args.bursts + args.queued):
            HELD.clear()
            await double.ask(f"push {b}")
            await double.ask(f"taken {b}")
            await asyncio.sleep(0.5)  # the last intake's wake-up reaches the held round
            opened = time.monotonic()
            HELD.set()
            queued.append(await double.ask(f"acked {b} {opened}"))
            await asyncio.sleep(2.0)
        stats = await double.ask("stats")
        stop.set()
        await asyncio.wait_for(bot, 60)
    double.close()
    report(args, quiet, bursts, queued, stats)


def report(
    args: argparse.Namespace,
    quiet: list[float],
    bursts: list[Any],
    queued: list[Any],
    stats: Any,
) -> None:
    sent = [moment for _, moment in stats["sent"]]
    staff_sent = [moment for chat_id, moment in stats["sent"] if chat_id == stats["staff"]]
    print(
        f"{args.chats} tagged messages at once into {args.chats} registered chats (one staff "
        "chat gets the cards); the double with Telegram's limits, in its own process"
    )
    live = burst_lines("live: from the messages written", args.chats, bursts, sent)
    held = burst_lines("queued: from the sender's start", args.chats, queued, sent)
    print(
        f"  429 answers in the whole run: {stats['refused']} (target 0)"
        f"{' in ' + ', '.join(stats['refused_in']) if stats['refused_in'] else ''}; "
        f"most messages the double accepted in any 1 s: {max_in_window(sent, 1.0)} "
        f"(limit {GLOBAL_LIMIT}); most into the staff chat in any 60 s: "
        f"{max_in_window(staff_sent, 60.0)} (limit 20)"
    )
    for name, rate in (("live", live), ("queued", held)):
        if rate is not None:
            ratio = rate / GLOBAL_LIMIT
            print(
                f"  {name} median: {rate:.1f} acks/s = {ratio:.2f} of {GLOBAL_LIMIT}/s "
                f"(target >= {TARGET_RATIO}: {ratio >= TARGET_RATIO})"
            )
    p50, p99 = percentile(quiet, 0.5), percentile(quiet, 0.99)
    print(
        f"quiet: {len(quiet)} single tagged messages, {args.gap:g} s apart, each into its own "
        f"chat: handed out in getUpdates -> acknowledgement received: p50 {p50:.1f} ms, "
        f"p99 {p99:.1f} ms (target p50 <= {TARGET_P50_MS:g} ms: {p50 <= TARGET_P50_MS}; "
        "bare aiogram about 3 ms)"
    )
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, cores: ", end="")
    print(os.cpu_count())


def burst_lines(name: str, chats: int, bursts: list[Any], sent: list[float]) -> float | None:
    """One line per burst; the median acks/s."""
    rates = []
    for n, burst in enumerate(bursts):
        acks = burst["acks"]
        took = max(acks) if acks else float("nan")
        rate = len(acks) / took if acks else 0.0
        rates.append(rate)
        in_burst = [t for t in sent if 0 <= t - burst["started"] <= took]
        taken_in = burst["taken_in"]
        print(
            f"  {name} #{n + 1}: acknowledged {len(acks)}/{chats} ({burst['once']} exactly "
            f"once) in {took:.2f} s -> {rate:.1f} acks/s = {rate / GLOBAL_LIMIT:.2f} of "
            f"{GLOBAL_LIMIT}/s; most sends in any 1 s: {max_in_window(in_burst, 1.0)}; "
            f"cards by then: {burst['cards']}; all updates taken in after "
            f"{taken_in if taken_in is None else round(taken_in, 2)} s"
        )
    return statistics.median(rates) if rates else None


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--double":
        chats, bursts, quiet = (int(v) for v in sys.argv[2:5])
        asyncio.run(serve_double(chats, bursts, quiet))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=300)
    parser.add_argument("--bursts", type=int, default=3, help="live bursts")
    parser.add_argument(
        "--queued", type=int, default=2, help="bursts taken in before the sender starts"
    )
    parser.add_argument("--quiet", type=int, default=30)
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between quiet messages")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    load = os.getloadavg()
    print(f"load average at the start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    asyncio.run(measure(args))


if __name__ == "__main__":
    main()
