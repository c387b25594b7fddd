"""Time the digest, /stats and a month's export at a region's scale (1,000,000 issues), on
SQLite and, side by side, on PostgreSQL.

    python bench/digest_at_scale.py [--issues 1000000] [--open 200000] [--keep PATH]
                                    [--postgres | --only-postgres]

Builds a SQLite file with a year of issues spread over many chats and specialists, with their
transitions and answers (the schema through the real migrations, the rows by batched
executemany in one connection with a large page cache and no fsync: a few minutes for a
million); with `--postgres` also the same rows in a PostgreSQL database that the script
creates and drops (the server from `CIVICBOT_BENCH_DATABASE_URL`, default
`postgresql+asyncpg://civicbot:civicbot@127.0.0.1:5432/postgres`), by COPY with the indexes
built after the rows. Then it prints each figure per backend beside its target: the digest
(numbers; numbers + text + PNG chart) and one month's /stats under 1 s, one month's export as
XLSX and as CSV under 20 s with the peak resident memory while it is written, and the longest
the event loop waited during an export (under 0.2 s). With --keep PATH an existing SQLite
database is reused, brought to the latest migration first.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _pg import ENV as PG_ENV  # noqa: E402
from _pg import after_bulk_load, copy_rows, scratch_database  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from bot.domain.calendar import WorkCalendar, WorkSchedule  # noqa: E402
from bot.services.reporting import chart, export  # noqa: E402
from bot.services.reports import ReportService  # noqa: E402
from bot.services.roles import RoleService  # noqa: E402
from bot.texts import reports as texts  # noqa: E402
from storage import db  # noqa: E402
from storage.uow import SqlUnitOfWorkFactory  # noqa: E402

ZONE = ZoneInfo("Asia/Kamchatka")
NOW = datetime(2026, 3, 11, 23, 0, tzinfo=UTC)  # Thursday 12 March, 11:00 local
CHATS = 120
SPECIALISTS = 30
FIRST_RESPONSE = timedelta(hours=2)


_STAMP = "%Y-%m-%d %H:%M:%S.%f"
"""How SQLAlchemy stores a datetime in SQLite (naive UTC), so the bench writes the same."""


def _stamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime(_STAMP)


def plan_issues(total: int, open_count: int, rng: random.Random) -> list[tuple[float, bool]]:
    """(age in seconds, open?) per issue, oldest first: numbers follow the order of arrival.

    Open issues are mostly recent (the last three months), closed ones spread over the year.
    """
    year, quarter = 365 * 86400.0, 90 * 86400.0
    plan = [(quarter * rng.random(), True) for _ in range(open_count)]
    plan += [(year * rng.random(), False) for _ in range(total - open_count)]
    plan.sort(key=lambda item: -item[0])
    return plan


ISSUE_COLUMNS = (
    "number", "chat_id", "thread_id", "message_id", "author_id", "author_name", "text", "tag",
    "attachments", "status", "assignee_id", "assignee_name", "due_date", "answer",
    "created_at", "updated_at", "first_response_at", "closed_at", "response_due_at",
    "verdict", "verdict_at",
)  # fmt: skip
STEP_COLUMNS = (
    "issue_number", "action", "from_status", "to_status", "actor_id", "actor_name", "at",
    "comment",
)  # fmt: skip
TAGS = ("#проблема", "#вопрос", "#заявка", "#жалоба")


def _same(value: object) -> object:
    return value


def issue_rows(
    calendar: WorkCalendar,
    plan: list[tuple[float, bool]],
    first: int,
    rng: random.Random,
    stamp: Callable[[datetime | None], object] = _stamp,
    day: Callable[[date], object] = date.isoformat,
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Rows of issues number first.. (len(plan) of them) and their transitions; moments and
    days as SQLite's text by default, or as `stamp` and `day` give them (COPY to PostgreSQL
    takes aware datetimes and dates)."""
    rows: list[tuple[object, ...]] = []
    steps: list[tuple[object, ...]] = []
    for offset, (age, is_open) in enumerate(plan):
        number = first + offset
        created = NOW - timedelta(seconds=age)
        due = calendar.add(created, FIRST_RESPONSE)
        specialist = rng.randrange(SPECIALISTS)
        who = (500 + specialist, f"Специалист {specialist}")
        status, answered, closed, control = "closed", None, None, None
        assignee: tuple[int | None, str | None] = (None, None)
        verdict, verdict_at, answer = None, None, None
        roll = rng.random()
        if not is_open or roll > 0.25:
            answered = calendar.add(created, timedelta(minutes=rng.expovariate(1 / 100)))
            if answered > NOW:
                answered = None
        if answered is not None:
            assignee = who
            steps.append((number, "take", "new", "in_progress", *who, stamp(answered), None))
        if is_open:
            if answered is None:
                status = "new"
            elif roll > 0.85:
                status = "on_control"
                control = day((NOW + timedelta(days=rng.randint(-10, 20))).date())
            else:
                status = "in_progress"
        else:
            closed = (answered or created) + timedelta(hours=rng.expovariate(1 / 40))
            if closed >= NOW:  # not closed yet by "now": closed halfway instead
                closed = (answered or created) + (NOW - (answered or created)) / 2
            answer = f"Ответ на обращение {number}: работы выполнены"
            steps.append((number, "close", "in_progress", "closed", *who, stamp(closed), answer))
            judged = rng.random()
            if judged < 0.4:
                verdict, verdict_at = "resolved", closed + timedelta(hours=3)
            elif judged < 0.45:
                verdict, verdict_at = "not_resolved", closed + timedelta(hours=3)
        rows.append(
            (
                number, -1000 - rng.randrange(CHATS), 0, number, 10_000 + rng.randrange(20_000),
                f"Житель {rng.randrange(20_000)}",
                f"{TAGS[number % 4]} Обращение {number}: во дворе у подъезда не горит фонарь",
                TAGS[number % 4], "[]", status, *assignee, control, answer, stamp(created),
                stamp(closed or answered or created), stamp(answered), stamp(closed),
                stamp(due), verdict, stamp(verdict_at),
            )
        )  # fmt: skip
    return rows, steps


async def build_sqlite(path: Path, calendar: WorkCalendar, total: int, open_count: int) -> None:
    """The schema through the real migrations, then rows by batched executemany in one
    connection, with a large page cache and no fsync for the build only."""
    engine = db.create_engine(f"sqlite+aiosqlite:///{path}")
    await _migrate(engine)
    rng = random.Random(7)
    plan = plan_issues(total, open_count, rng)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-400000")  # 400 MB of page cache
    connection.execute("PRAGMA temp_store=MEMORY")
    issue_sql = _insert("issues", ISSUE_COLUMNS)
    step_sql = _insert("issue_transitions", STEP_COLUMNS)
    registered = _stamp(NOW - timedelta(days=400))
    connection.executemany(
        "INSERT INTO chats (chat_id, thread_id, kind, name, registered_by, registered_at) "
        "VALUES (?, 0, ?, ?, 1, ?)",
        [
            (-1000 - i, "building" if i % 4 else "topic", f"Дом {i}", registered)
            for i in range(CHATS)
        ],
    )
    steps_total = 0
    for start in range(0, total, BUILD_BATCH):
        rows, steps = issue_rows(calendar, plan[start : start + BUILD_BATCH], start + 1, rng)
        connection.executemany(issue_sql, rows)
        connection.executemany(step_sql, steps)
        steps_total += len(steps)
    # Yesterday's daily digest, so "since the last digest" is one working day.
    connection.execute(
        "INSERT INTO digest_runs (day, at) VALUES (?, ?)",
        ("2026-03-11", _stamp(NOW - timedelta(days=1))),
    )
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()
    await _wal(engine)  # the bot's own settings again: WAL, synchronous=NORMAL
    print(f"SQLite: built {total} issues ({open_count} open), {steps_total} transitions")


async def build_postgres(url: str, calendar: WorkCalendar, total: int, open_count: int) -> None:
    """The schema through the real migrations, then the same rows as on SQLite by COPY (one
    per table), then the statistics refreshed, as autovacuum would."""
    await _migrate(db.create_engine(url))
    rng = random.Random(7)
    plan = plan_issues(total, open_count, rng)
    registered = NOW - timedelta(days=400)
    chat_rows = [
        (-1000 - i, 0, "building" if i % 4 else "topic", f"Дом {i}", 1, registered)
        for i in range(CHATS)
    ]
    chat_columns = ("chat_id", "thread_id", "kind", "name", "registered_by", "registered_at")
    await copy_rows(url, "chats", chat_columns, chat_rows)
    rows: list[tuple[object, ...]] = []
    steps: list[tuple[object, ...]] = []
    for start in range(0, total, BUILD_BATCH):
        more, more_steps = issue_rows(
            calendar, plan[start : start + BUILD_BATCH], start + 1, rng, _same, _same
        )
        rows += more
        steps += more_steps
    await copy_rows(url, "issues", ISSUE_COLUMNS, rows)
    await copy_rows(url, "issue_transitions", STEP_COLUMNS, steps)
    # Yesterday's daily digest, so "since the last digest" is one working day.
    await copy_rows(url, "digest_runs", ("day", "at"), [(date(2026, 3, 11), NOW - timedelta(1))])
    await after_bulk_load(url, ["chats", "issues", "issue_transitions", "digest_runs"])
    print(f"PostgreSQL: built {total} issues ({open_count} open), {len(steps)} transitions")


BUILD_BATCH = 20_000


def _insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


async def _migrate(engine: AsyncEngine) -> None:
    await db.upgrade(engine)
    await engine.dispose()


async def _wal(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.exec_driver_sql("SELECT 1")
    await engine.dispose()


Figure = tuple[str, float, str, float]
"""(label, seconds or MB: compared between backends, as shown, the target or nan)."""


async def timed(label: str, runs: int, action: object, target: float) -> Figure:
    """The first and the best of `runs` (seconds), beside the target."""
    assert callable(action)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        await action()
        times.append(time.perf_counter() - began)
    shown = f"{times[0]:.2f} / {min(times):.2f} s" if runs > 1 else f"{times[0]:.2f} s"
    return label, min(times), shown, target


def reset_peak_memory() -> bool:
    """Reset the process's peak resident memory (Linux); False where it cannot be done."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_memory_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def longest_stall(action: object, tick: float = 0.01) -> float:
    """Run `action` beside a task ticking every `tick` s: the longest gap between two ticks."""
    assert callable(action)
    done = False
    worst = 0.0

    async def ticker() -> None:
        nonlocal worst
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(tick)
            now = time.perf_counter()
            worst = max(worst, now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(tick * 2)
    try:
        await action()
    finally:
        done = True
        await ticking
    return worst


async def measure(url: str, calendar: WorkCalendar, name: str) -> list[Figure]:
    engine = db.create_engine(url)
    factory = SqlUnitOfWorkFactory(engine)
    roles = RoleService(factory, lambda: NOW, admins=frozenset({1}), specialists=frozenset())
    service = ReportService(
        factory,
        lambda: NOW,
        roles=roles,
        calendar=calendar,
        digest_time=datetime.min.time(),
        digest_chat_ids=(1,),
    )

    async def numbers() -> None:
        await service.digest()

    async def whole_digest() -> None:
        digest = await service.digest(chart=True)  # as the bot sends it: the chart drawn aside
        messages = service.digest_messages(digest, chat_id=1)
        assert messages[-1].attachment is not None
        assert messages[-1].attachment.content is not None
        assert messages[-1].attachment.content.startswith(chart.PNG_SIGNATURE)

    first, last = date(2026, 2, 1), date(2026, 2, 28)

    async def stats() -> None:
        text = await service.stats_text(first, last)
        assert texts.split_message(text)

    sizes: dict[str, int] = {}

    async def month_xlsx() -> None:
        ctx = await service.export_context(first, last)
        sizes["XLSX"] = len((await export.write_xlsx(ctx, "bench")).content)

    async def month_csv() -> None:
        ctx = await service.export_context(first, last)
        sizes["CSV"] = len((await export.write_csv(ctx, "bench")).content)

    digest = await service.digest()
    async with factory.reader() as uow:
        month = await uow.reports.count_received(
            service.day_start(first), service.day_start(last + timedelta(days=1))
        )
    print(
        f"{name} digest: received {digest.period.counts.received} since the last digest, "
        f"overdue {digest.overdue_total}, open {sum(digest.period.open_by_status.values())}, "
        f"answered in 30 days {digest.response_30d.answered}; {month} issues in {first:%B %Y}"
    )
    figures = [
        await timed("digest numbers", 3, numbers, 1),
        await timed("digest: numbers + text + PNG chart", 3, whole_digest, 1),
        await timed(f"/stats {first} .. {last}", 3, stats, 1),
    ]
    for label, action in (("XLSX", month_xlsx), ("CSV", month_csv)):
        reset = reset_peak_memory()
        figures.append(await timed(f"export {label} {first} .. {last}", 1, action, 20))
        peak = peak_memory_mb() if reset else float("nan")
        shown = f"{sizes[label] / 1e6:.1f} MB, peak {peak:.0f} MB"
        figures.append(("  file, peak resident memory", peak, shown, float("nan")))
    for label, action in (("XLSX", month_xlsx), ("CSV", month_csv)):
        stall = await longest_stall(action)
        figures.append((f"longest event-loop stall, export {label}", stall, f"{stall:.2f} s", 0.2))
    await engine.dispose()
    return figures


def show(results: dict[str, list[Figure]]) -> None:
    """One line per figure: each backend's (first / best), PostgreSQL / SQLite, the target."""
    names = list(results)
    ratio = len(names) == 2
    head = "".join(f"{name:>26}" for name in names)
    print(f"\n{'':<40}{head}{'  PG/SQLite' if ratio else ''}   target")
    for row in zip(*results.values(), strict=True):
        label, target = row[0][0], row[0][3]
        line = f"{label:<40}" + "".join(f"{shown:>26}" for _, _, shown, _ in row)
        if ratio:
            line += f"  {row[1][1] / row[0][1]:>8.2f}x"
        if target == target:  # not nan
            verdicts = ["ok" if value < target else "OVER" for _, value, _, _ in row]
            line += f"   < {target:g} s: {' '.join(verdicts)}"
        print(line)
    print("(timings: first / best of 3 runs; exports: one run)")


async def run(args: argparse.Namespace) -> None:
    calendar = WorkCalendar(WorkSchedule(timezone=ZONE))
    open_count = args.open or args.issues // 5
    backends = ["PostgreSQL"] if args.only_postgres else ["SQLite"]
    if args.postgres and not args.only_postgres:
        backends.append("PostgreSQL")
    results: dict[str, list[Figure]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name in backends:
            began = time.perf_counter()
            if name == "PostgreSQL":
                async with scratch_database("digest") as url:
                    await build_postgres(url, calendar, args.issues, open_count)
                    took = time.perf_counter() - began
                    print(f"PostgreSQL database built in {took:.0f} s (target: minutes)")
                    results[name] = await measure(url, calendar, name)
                continue
            path = args.keep or Path(folder) / "bench.db"
            url = f"sqlite+aiosqlite:///{path}"
            if not path.exists():
                await build_sqlite(path, calendar, args.issues, open_count)
                took = time.perf_counter() - began
                print(f"SQLite database built in {took:.0f} s (target: minutes): {path}")
            else:
                await _migrate(db.create_engine(url))
                took = time.perf_counter() - began
                print(f"kept SQLite database at the latest migration ({took:.0f} s)")
            results[name] = await measure(url, calendar, name)
    show(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=None, help="default: a fifth of --issues")
    parser.add_argument("--keep", type=Path, default=None, help="keep the SQLite database here")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help=f"also on PostgreSQL, side by side (the server from {PG_ENV})",
    )
    parser.add_argument("--only-postgres", action="store_true", help="PostgreSQL alone")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
