"""Start-up cost of `civicbot run` beside a bare aiogram bot, on the same Bot API double.

Run from the repository root: `python bench/start_vs_aiogram.py [--runs 3] [--chats 30]`.

Each bot runs as its own process (`python -m bot run --config FILE` and
bench/_bare_aiogram_bot.py) against `bot.fake_telegram` served by this script on 127.0.0.1;
the runs alternate (civicbot, aiogram, civicbot, …) and the medians are printed side by side:

* start: from spawning the process to its first `getUpdates` reaching the double;
* CPU seconds (user + system) used by then, and during the burst below;
* peak RSS (VmHWM) once idle (IDLE seconds after the first `getUpdates`), and after a burst
  of tagged messages (#проблема …) into registered chats, all of them answered.

civicbot starts as it restarts in production: on a database already at head (a copy of one
migrated before the runs); one more start on an empty database, which has to migrate, is
printed apart. The double enforces no rate limits, so the bare bot's replies are not refused;
civicbot keeps Telegram's limits itself (30 messages/s), which sets its burst's duration.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.fake_telegram import ADMIN_RIGHTS, FakeChat, FakeTelegram, FakeUser  # noqa: E402

IDLE = 2.0
"""Seconds after the first getUpdates at which the idle figures are read."""
RESIDENTS = 5
"""Residents per chat; the burst's messages are shared among them (no one floods)."""
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
TOPICS = ("нет воды", "не горит свет", "яма во дворе", "не вывезли мусор", "течёт крыша")


@dataclass
class Figures:
    start_s: float
    start_cpu_s: float
    idle_rss_mb: float
    burst_s: float = 0.0
    burst_cpu_s: float = 0.0
    burst_rss_mb: float = 0.0


def cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / CLOCK_TICKS  # utime + stime


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


class Town:
    """Building chats with residents, and the admin who registers them."""

    def __init__(self, fake: FakeTelegram, chats: int) -> None:
        self.fake = fake
        self.admin = fake.create_user("Глава", "Администрации", username="head")
        self.chats: list[FakeChat] = []
        self.residents: dict[int, list[FakeUser]] = {}
        for number in range(1, chats + 1):
            people = [fake.create_user(f"Житель{number}", f"№{k}") for k in range(RESIDENTS)]
            chat = fake.create_group(
                f"Дом {number}", admins=[self.admin], members=people, bot_rights=ADMIN_RIGHTS
            )
            self.chats.append(chat)
            self.residents[chat.id] = people

    def bot_messages(self) -> int:
        return sum(len(self.fake.bot_messages(chat.id)) for chat in self.chats)

    def register(self) -> None:
        for number, chat in enumerate(self.chats, 1):
            self.fake.user_sends(chat.id, self.admin, f"/register building Дом {number}")

    def burst(self, messages: int) -> None:
        for index in range(messages):
            chat = self.chats[index % len(self.chats)]
            people = self.residents[chat.id]
            author = people[(index // len(self.chats)) % len(people)]
            topic = TOPICS[index % len(TOPICS)]
            self.fake.user_sends(chat.id, author, f"#проблема {topic}, обращение {index + 1}")


class Contender:
    name: str

    def command(self, fake: FakeTelegram, folder: Path) -> list[str]:
        raise NotImplementedError

    async def registered(self, town: Town) -> None:
        """Wait until the chats are registered (the bare bot has nothing to register)."""


class Civicbot(Contender):
    name = "civicbot"

    def __init__(self, template: Path | None, admin_id: int) -> None:
        self.template = template
        self.admin_id = admin_id

    def command(self, fake: FakeTelegram, folder: Path) -> list[str]:
        config = folder / "config.toml"
        config.write_text(civic_config(fake, folder, [self.admin_id]), encoding="utf-8")
        if self.template is not None:
            for part in self.template.parent.glob(self.template.name + "*"):
                shutil.copy(part, folder / part.name)
        return [sys.executable, "-m", "bot", "run", "--config", str(config)]

    async def registered(self, town: Town) -> None:
        def done() -> bool:
            return all(
                any("подключён" in m.content for m in town.fake.bot_messages(chat.id))
                for chat in town.chats
            )

        await town.fake.wait_for(done, timeout=120, message="for the chats to be registered")


class BareAiogram(Contender):
    name = "aiogram"

    def command(self, fake: FakeTelegram, folder: Path) -> list[str]:
        script = REPO / "bench" / "_bare_aiogram_bot.py"
        return [sys.executable, str(script), fake.api_base, fake.token]


def civic_config(fake: FakeTelegram, folder: Path, admins: list[int]) -> str:
    return (
        f'[telegram]\ntoken = "{fake.token}"\napi_base = "{fake.api_base}"\n'
        f'[storage]\npath = "{folder / "civicbot.db"}"\n'
        f"[roles]\nadmins = {admins}\n"
    )


class FirstPoll:
    """Notes the monotonic time of the double's first getUpdates, and the CPU time the bot's
    process (`pid`) had used by then: it is blocked on that call, so the figure is exact."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.pid = 0
        self.cpu = 0.0
        self.arrived: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        queue = fake.world.updates
        original = queue.get_updates

        async def get_updates(*args: Any) -> Any:
            if not self.arrived.done():
                self.cpu = cpu_seconds(self.pid)
                self.arrived.set_result(time.monotonic())
            return await original(*args)

        queue.get_updates = get_updates  # type: ignore[method-assign,assignment]


async def measure(contender: Contender, chats: int, burst: int, *, start_only: bool) -> Figures:
    with tempfile.TemporaryDirectory(prefix="civicbot-start-") as tmp:
        folder = Path(tmp)
        async with FakeTelegram(rate_limits=None) as fake:
            town = Town(fake, chats)
            if isinstance(contender, Civicbot):
                contender.admin_id = town.admin.id
            command = contender.command(fake, folder)
            first = FirstPoll(fake)
            env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICBOT_")}
            env["PYTHONPATH"] = str(REPO)
            log_path = folder / "bot.log"
            with log_path.open("wb") as log:
                began = time.monotonic()
                process = await asyncio.create_subprocess_exec(
                    *command, stdout=log, stderr=log, env=env, cwd=folder
                )
            first.pid = process.pid
            try:
                exited = asyncio.ensure_future(process.wait())
                waiting: list[asyncio.Future[Any]] = [first.arrived, exited]
                await asyncio.wait(waiting, timeout=120, return_when="FIRST_COMPLETED")
                if not first.arrived.done():
                    raise RuntimeError(f"{contender.name} did not poll:\n{log_path.read_text()}")
                figures = Figures(
                    start_s=first.arrived.result() - began,
                    start_cpu_s=first.cpu,
                    idle_rss_mb=0.0,
                )
                await asyncio.sleep(IDLE)
                figures.idle_rss_mb = peak_rss_mb(process.pid)
                if not start_only:
                    await run_burst(contender, town, process.pid, burst, figures)
            finally:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                    try:
                        await asyncio.wait_for(process.wait(), timeout=30)
                    except TimeoutError:
                        process.kill()
                        await process.wait()
    return figures


async def run_burst(
    contender: Contender, town: Town, pid: int, burst: int, figures: Figures
) -> None:
    town.register()
    await contender.registered(town)
    before = town.bot_messages()
    cpu_before = cpu_seconds(pid)
    began = time.monotonic()
    town.burst(burst)
    await town.fake.wait_for(
        lambda: town.bot_messages() - before >= burst,
        timeout=300,
        message=f"for {contender.name} to answer the burst",
    )
    figures.burst_s = time.monotonic() - began
    await asyncio.sleep(0.5)
    figures.burst_cpu_s = cpu_seconds(pid) - cpu_before
    figures.burst_rss_mb = peak_rss_mb(pid)


async def migrated_template(folder: Path) -> Path:
    """A database migrated to head by `civicbot db upgrade`, copied for every civicbot run."""
    async with FakeTelegram(rate_limits=None) as fake:
        config = folder / "config.toml"
        config.write_text(civic_config(fake, folder, []), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICBOT_")}
        env["PYTHONPATH"] = str(REPO)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "db", "upgrade", "--config", str(config), env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        if await process.wait() != 0:
            raise RuntimeError("civicbot db upgrade failed")
    return folder / "civicbot.db"


ROWS = (
    ("start to the first getUpdates", "start_s", "s", 1.5),
    ("CPU to the first getUpdates", "start_cpu_s", "s", None),
    ("peak RSS when idle", "idle_rss_mb", "MB", 1.5),
    ("burst answered in", "burst_s", "s", None),
    ("CPU during the burst", "burst_cpu_s", "s", None),
    ("peak RSS after the burst", "burst_rss_mb", "MB", None),
)


def report(results: dict[str, list[Figures]], burst: int, chats: int) -> None:
    civic, bare = results["civicbot"], results["aiogram"]
    print(f"\nmedians of {len(civic)} alternating runs each; burst: {burst} tagged messages")
    print(f"into {chats} registered chats\n")
    print(f"{'':32}{'civicbot':>12}{'aiogram':>12}{'ratio':>9}  target")
    for label, attr, unit, target in ROWS:
        mine = statistics.median(getattr(f, attr) for f in civic)
        theirs = statistics.median(getattr(f, attr) for f in bare)
        ratio = mine / theirs if theirs else float("nan")
        goal = f"≤ {target}×" if target else ""
        mark = ("  ok" if ratio <= target else "  MISSED") if target else ""
        print(
            f"{label:32}{mine:>9.2f} {unit:<2}{theirs:>9.2f} {unit:<2}{ratio:>8.2f}×  {goal}{mark}"
        )
    print("\nruns (start s / CPU s / idle MB / burst s / burst CPU s / burst MB):")
    for name, runs in results.items():
        for figures in runs:
            values = " / ".join(f"{getattr(figures, f.name):.2f}" for f in fields(Figures))
            print(f"  {name:9} {values}")


async def main(runs: int, chats: int, burst: int) -> None:
    with tempfile.TemporaryDirectory(prefix="civicbot-template-") as tmp:
        template = await migrated_template(Path(tmp))
        empty = await measure(Civicbot(None, 0), chats, burst, start_only=True)
        contenders: list[Contender] = [Civicbot(template, 0), BareAiogram()]
        results: dict[str, list[Figures]] = {c.name: [] for c in contenders}
        for run in range(runs):
            for contender in contenders:
                figures = await measure(contender, chats, burst, start_only=False)
                results[contender.name].append(figures)
                print(
                    f"run {run + 1} {contender.name:9} start {figures.start_s:.2f} s, "
                    f"idle {figures.idle_rss_mb:.0f} MB, burst {figures.burst_s:.1f} s, "
                    f"after it {figures.burst_rss_mb:.0f} MB",
                    flush=True,
                )
    report(results, burst, chats)
    print(
        f"\ncivicbot's first start on an empty database (migrates): start {empty.start_s:.2f} s, "
        f"CPU {empty.start_cpu_s:.2f} s, idle {empty.idle_rss_mb:.0f} MB"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each bot (default 3)")
    parser.add_argument("--chats", type=int, default=30, help="registered chats (default 30)")
    parser.add_argument("--burst", type=int, default=300, help="tagged messages (default 300)")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.chats, args.burst))
