"""Two `civicbot run` processes on one PostgreSQL database against one, on a burst of tagged
messages: every message acknowledged once, within Telegram's limits.

Run from the repository root: `python bench/two_processes.py [--messages 1000]
[--mode webhook|polling]`. It needs a PostgreSQL server (`CIVICBOT_BENCH_DATABASE_URL`, default
`postgresql+asyncpg://civicbot:civicbot@127.0.0.1:5432/postgres`; the role needs CREATEDB).

For each setup (one process, then two) it starts from nothing: a fresh database (migrated,
with `--messages` building chats registered, one resident in each), the Bot API double with
Telegram's limits on in a process of its own, and the bots as real `civicbot run`
subprocesses. Then every resident writes a tagged message into their own chat at the same
moment, and the double watches the acknowledgements arrive.

Webhook mode (the default) is how several processes share the work: the double POSTs each
update to a round-robin balancer in this script, which hands the updates to the processes
in turn, and both take them in. One process (the lease holder) sends for both, so
Telegram's 30 messages a second is the installation's limit and the acknowledgements cannot
come faster than that. In polling mode the second process stands by (one `getUpdates`
caller per token), so the figures show only that it changes nothing and doubles nothing.

Printed side by side: the time from the burst to the last acknowledgement, the
acknowledgements received (exactly one per message is the target), the most sends the double
accepted in any 1 s (limit 30), the 429 answers, the issues in the database, and the share of
the updates each process took in.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _line_process import LineProcess  # noqa: E402
from _windows import max_in_window  # noqa: E402

GLOBAL_LIMIT = 30
TAG_TEXT = "#проблема в подъезде {n} не горит свет"
ACK = re.compile(r"№(\d+) принята")
SECRET = "bench-two-processes_Secret"
WEBHOOK_PATH = "/telegram/webhook"


# --- the double's side (run as `two_processes.py --double CHATS`) ---------------------------


async def serve_double(chats: int) -> None:
    from bot.fake_telegram import ADMIN_RIGHTS, FakeTelegram

    async with FakeTelegram() as fake:
        admin = fake.create_user("Глава", "Администрации")
        residents = {}
        for n in range(chats):
            resident = fake.create_user("Житель", str(n))
            chat = fake.create_group(
                f"Дом {n}", admins=[admin], members=[resident], bot_rights=ADMIN_RIGHTS
            )
            residents[chat.id] = resident
        ids = list(residents)
        info = {"api_base": fake.api_base, "token": fake.token, "admin": admin.id, "chats": ids}
        print(json.dumps(info), flush=True)

        async def until(condition: Any, timeout: float) -> bool:
            deadline = time.monotonic() + timeout
            while not condition():
                if time.monotonic() > deadline:
                    return False
                await asyncio.sleep(0.01)
            return True

        def acks(chat_id: int) -> list[Any]:
            return [m for m in fake.bot_messages(chat_id) if ACK.search(m.content)]

        loop = asyncio.get_running_loop()
        while True:
            words = (await loop.run_in_executor(None, sys.stdin.readline)).split()
            if not words or words[0] == "quit":
                return
            if words[0] == "ready":  # "ready webhook N" or "ready polling"
                if words[1] == "webhook":
                    wanted = int(words[2])
                    ok = await until(
                        lambda n=wanted: len(fake.calls_of("setWebhook", ok=True)) >= n, 120
                    )
                else:
                    ok = await until(lambda: fake.world.updates.polls > 0, 120)
                reply: dict[str, Any] = {"ok": ok}
            elif words[0] == "burst":
                timeout = float(words[1])
                sent_before = len(fake.world.sent)
                started = time.monotonic()
                for n, chat_id in enumerate(ids):
                    fake.user_sends(chat_id, residents[chat_id], TAG_TEXT.format(n=n))
                written = time.monotonic()
                done = await until(lambda: all(acks(c) for c in ids), timeout)
                finished = time.monotonic()
                await asyncio.sleep(3.0)  # a late duplicate would arrive now
                sent = fake.world.sent[sent_before:]
                first: dict[int, float] = {}
                for record in sent:
                    first.setdefault(record.chat_id, record.monotonic)
                reply = {
                    "done": done,
                    "written_in": written - started,
                    "took": max(first.values()) - started if first else None,
                    "finished": finished - started,
                    "acks": [len(acks(c)) for c in ids],
                    "sent": [r.monotonic for r in sent],
                    "refused": sum(1 for c in fake.calls if c.error_code == 429),
                    "deliveries": len(fake.webhook_deliveries),
                    "failed_deliveries": sum(
                        1 for d in fake.webhook_deliveries if not 200 <= d.status < 300
                    ),
                    "getupdates_409": len(
                        [c for c in fake.calls_of("getUpdates", ok=False) if c.error_code == 409]
                    ),
                }
            else:
                reply = {"error": f"unknown command {words[0]}"}
            print(json.dumps(reply), flush=True)


# --- the driver's side ----------------------------------------------------------------------


class Balancer:
    """A round-robin reverse proxy: each POST goes to the next process in turn, and its
    answer (status and body) goes back to the double, as a load balancer's would."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.taken: Counter[str] = Counter()
        self._next = 0
        self._runner: Any = None
        self._session: Any = None
        self.port = 0

    async def start(self) -> None:
        import aiohttp
        from aiohttp import web

        async def forward(request: web.Request) -> web.Response:
            body = await request.read()
            headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
            for _ in range(len(self.backends)):  # a backend that refuses: the next one
                backend = self.backends[self._next % len(self.backends)]
                self._next += 1
                try:
                    async with self._session.post(
                        backend + request.path_qs, data=body, headers=headers
                    ) as answer:
                        text = await answer.read()
                        if 200 <= answer.status < 300:
                            self.taken[backend] += 1
                        return web.Response(status=answer.status, body=text)
                except aiohttp.ClientConnectionError:
                    continue
            return web.Response(status=502)

        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_post("/{tail:.*}", forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        await self._runner.cleanup()
        await self._session.close()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def register(url: str, info: Any) -> None:
    from bot.app import utc_now
    from bot.domain.models import ChatKind, ChatPlace, RegisteredChat
    from storage import db
    from storage.uow import SqlUnitOfWorkFactory

    engine = db.create_engine(url)
    await db.upgrade(engine)
    async with SqlUnitOfWorkFactory(engine)() as uow:
        for n, chat_id in enumerate(info["chats"]):
            chat = RegisteredChat(
                ChatPlace(chat_id), ChatKind.BUILDING, f"Дом {n}", info["admin"], utc_now()
            )
            await uow.chats.save(chat)
        await uow.commit()
    await engine.dispose()


async def count_issues(url: str) -> tuple[int, int]:
    """(issues, distinct tagged messages among them)."""
    from storage import db

    engine = db.create_engine(url)
    async with engine.connect() as connection:
        issues = (await connection.exec_driver_sql("SELECT count(*) FROM issues")).scalar_one()
        distinct = (
            await connection.exec_driver_sql(
                "SELECT count(*) FROM (SELECT DISTINCT chat_id, message_id FROM issues) m"
            )
        ).scalar_one()
    await engine.dispose()
    return int(issues), int(distinct)


def config_for(info: Any, url: str, mode: str, own_port: int, balancer_port: int) -> str:
    from bot.config import Settings
    from tests.e2e.harness import toml_for

    telegram: dict[str, Any] = {"token": info["token"], "api_base": info["api_base"]}
    if mode == "webhook":
        telegram.update(
            mode="webhook",
            webhook_url=f"http://127.0.0.1:{balancer_port}{WEBHOOK_PATH}",
            webhook_secret=SECRET,
            webhook_port=own_port,
            webhook_path=WEBHOOK_PATH,
        )
    settings = Settings(
        telegram=telegram,
        storage={"url": url},
        roles={"admins": [info["admin"]], "specialists": []},
    )
    return toml_for(settings)


@dataclass
class Outcome:
    processes: int
    report: dict[str, Any]
    issues: tuple[int, int]
    shares: list[int]
    exit_codes: list[int | None]


async def one_setup(processes: int, args: argparse.Namespace, folder: Path) -> Outcome:
    from _pg import scratch_database

    double = LineProcess(__file__, "--double", str(args.messages))
    info = double.info
    bots: list[asyncio.subprocess.Process] = []
    balancer: Balancer | None = None
    try:
        async with scratch_database(f"two{processes}") as url:
            await register(url, info)
            ports = [free_port() for _ in range(processes)]
            balancer = Balancer([f"http://127.0.0.1:{port}" for port in ports])
            await balancer.start()
            env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICBOT_")}
            env["PYTHONPATH"] = str(ROOT)
            for n, port in enumerate(ports):
                where = folder / f"{processes}-{n}"
                where.mkdir()
                config = where / "config.toml"
                config.write_text(config_for(info, url, args.mode, port, balancer.port), "utf-8")
                with (where / "bot.log").open("ab") as log:
                    bots.append(
                        await asyncio.create_subprocess_exec(
                            sys.executable,
                            "-m",
                            "bot",
                            "run",
                            "--config",
                            str(config),
                            stdout=log,
                            stderr=log,
                            env=env,
                            cwd=where,
                        )
                    )
            wanted = f"webhook {processes}" if args.mode == "webhook" else "polling"
            if not (await double.ask(f"ready {wanted}"))["ok"]:
                for log_path in sorted(folder.glob(f"{processes}-*/bot.log")):
                    print(f"--- {log_path}:\n{log_path.read_text('utf-8', 'replace')[-3000:]}")
                raise SystemExit("the bots did not start")
            await asyncio.sleep(args.settle)  # past start-up work (commands, the spam judge)
            report = await double.ask(f"burst {args.timeout}")
            for bot in bots:
                bot.send_signal(signal.SIGTERM)
            codes: list[int | None] = []
            for bot in bots:
                try:
                    codes.append(await asyncio.wait_for(bot.wait(), 60))
                except TimeoutError:
                    bot.kill()
                    codes.append(None)
            issues = await count_issues(url)
    finally:
        for bot in bots:
            if bot.returncode is None:
                bot.kill()
                await bot.wait()
        if balancer is not None:
            await balancer.stop()
        double.close()
    shares = [balancer.taken[b] for b in balancer.backends] if args.mode == "webhook" else []
    return Outcome(processes, report, issues, shares, codes)


def show(args: argparse.Namespace, outcomes: list[Outcome]) -> None:
    print(
        f"{args.messages} tagged messages at once, each into its own registered chat; "
        f"{args.mode} mode; the double with Telegram's limits on, in its own process; "
        f"PostgreSQL; cores: {os.cpu_count()}\n"
    )
    names = [f"{o.processes} process{'es' if o.processes > 1 else ''}" for o in outcomes]
    print(f"{'':<46}" + "".join(f"{name:>14}" for name in names))

    def line(label: str, values: list[str]) -> None:
        print(f"{label:<46}" + "".join(f"{value:>14}" for value in values))

    took = [o.report["took"] for o in outcomes]
    line("time to acknowledge all, s", [f"{t:.1f}" if t else "-" for t in took])
    line(
        "  = acknowledgements per second",
        [f"{args.messages / t:.1f}" if t else "-" for t in took],
    )
    line("acknowledgements received", [str(sum(o.report["acks"])) for o in outcomes])
    line(
        "  chats with exactly one (target all)",
        [str(sum(1 for a in o.report["acks"] if a == 1)) for o in outcomes],
    )
    line(
        "  chats with more than one (target 0)",
        [str(sum(1 for a in o.report["acks"] if a > 1)) for o in outcomes],
    )
    line(
        f"most sends in any 1 s (limit {GLOBAL_LIMIT})",
        [str(max_in_window(o.report["sent"], 1.0)) for o in outcomes],
    )
    line("429 answers (target 0)", [str(o.report["refused"]) for o in outcomes])
    line(
        "issues in the database / distinct messages",
        [f"{a}/{b}" for a, b in (o.issues for o in outcomes)],
    )
    if args.mode == "webhook":
        line(
            "updates taken in by each process",
            ["+".join(str(s) for s in o.shares) for o in outcomes],
        )
        line(
            "webhook deliveries (not 2xx)",
            [f"{o.report['deliveries']} ({o.report['failed_deliveries']})" for o in outcomes],
        )
    else:
        line("getUpdates refused with 409", [str(o.report["getupdates_409"]) for o in outcomes])
    line("exit codes after SIGTERM", [",".join(str(c) for c in o.exit_codes) for o in outcomes])
    if all(took):
        print(f"\ntwo processes / one, time to acknowledge all: {took[1] / took[0]:.2f}x")
    floor = args.messages / GLOBAL_LIMIT
    print(f"(the floor at {GLOBAL_LIMIT} messages a second: {floor:.1f} s)")
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


async def measure(args: argparse.Namespace) -> None:
    load = os.getloadavg()
    print(f"load average at the start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    outcomes = []
    with tempfile.TemporaryDirectory() as tmp:
        for processes in (1, 2):
            outcomes.append(await one_setup(processes, args, Path(tmp)))
    show(args, outcomes)
    for outcome in outcomes:
        assert outcome.report["done"], f"{outcome.processes}: not every message acknowledged"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--double":
        asyncio.run(serve_double(int(sys.argv[2])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--mode", choices=("webhook", "polling"), default="webhook")
    parser.add_argument(
        "--settle", type=float, default=5.0, help="seconds between start and the burst"
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds the acknowledgements may take"
    )
    asyncio.run(measure(parser.parse_args()))


if __name__ == "__main__":
    main()
