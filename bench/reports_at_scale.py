"""Time the reports at a region's scale (1,000,000 issues) on SQLite and on PostgreSQL.

    python bench/reports_at_scale.py [--issues 1000000] [--open 200000]
        [--backend sqlite|postgresql|both] [--keep PATH] [--keep-postgres]

Builds the database itself: a year of issues over many chats, specialists, departments and
categories, with their transitions (answers, reopenings). SQLite: the schema by the real
migrations, then batched executemany in one connection with a large page cache and no fsync.
PostgreSQL (the server in CIVICBOT_BENCH_DATABASE_URL, by default the local one): a database
of its own, `civicbot_bench_reports`, created, migrated, filled by COPY and dropped at the end
(kept with --keep-postgres). Then it prints each figure beside its target: the digest's
numbers, one month's /stats and the department/category breakdown under 1 s, one month's
export as XLSX and as CSV under 20 s (with the peak resident memory), and the longest the
event loop waited during an export (under 0.2 s).

The machine may be shared: each figure is the first and the best of a few runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _pg import admin, asyncpg_dsn, server_url, with_database  # noqa: E402
from sqlalchemy import event, make_url  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from bot.domain.calendar import WorkCalendar, WorkSchedule  # noqa: E402
from bot.services.reporting import export  # noqa: E402
from bot.services.reports import ReportService  # noqa: E402
from bot.services.roles import RoleService  # noqa: E402
from bot.texts import reports as texts  # noqa: E402
from storage import db  # noqa: E402
from storage.uow import SqlUnitOfWorkFactory  # noqa: E402

ZONE = ZoneInfo("Asia/Kamchatka")
NOW = datetime(2026, 3, 11, 23, 0, tzinfo=UTC)  # Thursday 12 March, 11:00 local
CHATS = 120
SPECIALISTS = 30
DEPARTMENTS = ("ЖКХ", "Благоустройство", "Транспорт", "Социальный отдел", "Архитектура")
CATEGORIES = (
    ("light", "Освещение"),
    ("roads", "Дороги"),
    ("trash", "Вывоз мусора"),
    ("water", "Водоснабжение"),
    ("heat", "Отопление"),
    ("yard", "Дворы"),
)
FIRST_RESPONSE = timedelta(hours=2)
BATCH = 20_000
BENCH_DATABASE = (
    os.environ.get("CIVICBOT_BENCH_DATABASE_PREFIX") or "civicbot_bench"
) + "_reports"
FIRST, LAST = date(2026, 2, 1), date(2026, 2, 28)

ISSUE_COLUMNS = (
    "number", "chat_id", "thread_id", "message_id", "author_id", "author_name", "text", "tag",
    "attachments", "status", "assignee_id", "assignee_name", "due_date", "answer",
    "created_at", "updated_at", "first_response_at", "closed_at", "response_due_at",
    "verdict", "verdict_at", "contacts", "not_resolved_count", "category", "category_name",
    "private", "department",
)  # fmt: skip
STEP_COLUMNS = (
    "id", "issue_number", "action", "from_status", "to_status", "actor_id", "actor_name", "at",
    "comment",
)  # fmt: skip
DATETIMES = {"created_at", "updated_at", "first_response_at", "closed_at", "response_due_at"}
DATETIMES |= {"verdict_at", "at"}
TAGS = ("#проблема", "#вопрос", "#заявка", "#жалоба")


# --- the rows --------------------------------------------------------------------------------


def plan_issues(total: int, open_count: int, rng: random.Random) -> list[tuple[float, bool]]:
    """(age in seconds, open?) per issue, oldest first: numbers follow the order of arrival.

    Open issues are mostly recent (the last three months), closed ones spread over the year.
    """
    year, quarter = 365 * 86400.0, 90 * 86400.0
    plan = [(quarter * rng.random(), True) for _ in range(open_count)]
    plan += [(year * rng.random(), False) for _ in range(total - open_count)]
    plan.sort(key=lambda item: -item[0])
    return plan


@dataclass(slots=True)
class Rows:
    issues: list[tuple[Any, ...]]
    steps: list[tuple[Any, ...]]


def issue_rows(
    calendar: WorkCalendar,
    plan: list[tuple[float, bool]],
    first: int,
    first_step: int,
    rng: random.Random,
) -> Rows:
    """Issues number first.. (len(plan) of them) and their transitions, with aware UTC
    datetimes and dates (each backend's writer turns them into its own values)."""
    rows: list[tuple[Any, ...]] = []
    steps: list[tuple[Any, ...]] = []

    def step(*values: Any) -> None:
        steps.append((first_step + len(steps), *values))

    for offset, (age, is_open) in enumerate(plan):
        number = first + offset
        created = NOW - timedelta(seconds=age)
        due = calendar.add(created, FIRST_RESPONSE)
        specialist = rng.randrange(SPECIALISTS)
        who = (500 + specialist, f"Специалист {specialist}")
        status, answered, closed, control = "closed", None, None, None
        assignee: tuple[int | None, str | None] = (None, None)
        verdict, verdict_at, answer, refused = None, None, None, 0
        roll = rng.random()
        if not is_open or roll > 0.25:
            answered = calendar.add(created, timedelta(minutes=rng.expovariate(1 / 100)))
            if answered > NOW:
                answered = None
        if answered is not None:
            assignee = who
            step(number, "take", "new", "in_progress", *who, answered, None)
        if is_open:
            if answered is None:
                status = "new"
            elif roll > 0.85:
                status = "on_control"
                control = (NOW + timedelta(days=rng.randint(-10, 20))).date()
                comment = f"На контроле до {control:%d.%m.%Y}: заказаны материалы"
                step(number, "control", "in_progress", "on_control", *who, answered, comment)
            else:
                status = "in_progress"
        else:
            closed = (answered or created) + timedelta(hours=rng.expovariate(1 / 40))
            if closed >= NOW:  # not closed yet by "now": closed halfway instead
                closed = (answered or created) + (NOW - (answered or created)) / 2
            answer = f"Ответ на обращение {number}: работы выполнены"
            judged = rng.random()
            if judged < 0.05:  # «Не решено» once, then closed again
                first_close = answered or created + (closed - created) / 3
                step(number, "close", "in_progress", "closed", *who, first_close, "Сделано")
                step(number, "reopen", "closed", "in_progress", 9, "Житель", first_close, None)
                refused = 1
            step(number, "close", "in_progress", "closed", *who, closed, answer)
            if judged < 0.4:
                verdict, verdict_at = "resolved", closed + timedelta(hours=3)
            elif judged < 0.45:
                verdict, verdict_at = "not_resolved", closed + timedelta(hours=3)
        category = CATEGORIES[number % len(CATEGORIES)] if number % 10 else (None, None)
        department = DEPARTMENTS[(number // 3) % len(DEPARTMENTS)] if number % 7 else None
        rows.append(
            (
                number, -1000 - rng.randrange(CHATS), 0, number, 10_000 + rng.randrange(20_000),
                f"Житель {rng.randrange(20_000)}",
                f"{TAGS[number % 4]} Обращение {number}: во дворе у подъезда не горит фонарь",
                TAGS[number % 4], "[]", status, *assignee, control, answer, created,
                closed or answered or created, answered, closed, due, verdict, verdict_at,
                int(number % 13 == 0), refused, *category, number % 17 == 0, department,
            )
        )  # fmt: skip
    return Rows(rows, steps)


def batches(calendar: WorkCalendar, total: int, open_count: int) -> Iterator[Rows]:
    rng = random.Random(7)
    plan = plan_issues(total, open_count, rng)
    next_step = 1
    for start in range(0, total, BATCH):
        rows = issue_rows(calendar, plan[start : start + BATCH], start + 1, next_step, rng)
        next_step += len(rows.steps)
        yield rows


def chat_rows() -> list[tuple[Any, ...]]:
    registered = NOW - timedelta(days=400)
    return [
        (-1000 - i, 0, "building" if i % 4 else "topic", f"Дом {i}", 1, registered)
        for i in range(CHATS)
    ]


CHAT_COLUMNS = ("chat_id", "thread_id", "kind", "name", "registered_by", "registered_at")


# --- SQLite ----------------------------------------------------------------------------------

_STAMP = "%Y-%m-%d %H:%M:%S.%f"
"""How SQLAlchemy stores a datetime in SQLite (naive UTC), so the bench writes the same."""


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime(_STAMP)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _sqlite_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [tuple(_sqlite_value(value) for value in row) for row in rows]


def _insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def build_sqlite(path: Path, calendar: WorkCalendar, total: int, open_count: int) -> None:
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-400000")  # 400 MB of page cache
    connection.execute("PRAGMA temp_store=MEMORY")
    connection.executemany(_insert("chats", CHAT_COLUMNS), _sqlite_rows(chat_rows()))
    issue_sql, step_sql = (
        _insert("issues", ISSUE_COLUMNS),
        _insert("issue_transitions", STEP_COLUMNS),
    )
    steps = 0
    for rows in batches(calendar, total, open_count):
        connection.executemany(issue_sql, _sqlite_rows(rows.issues))
        connection.executemany(step_sql, _sqlite_rows(rows.steps))
        steps += len(rows.steps)
    # Yesterday's daily digest, so "since the last digest" is one working day.
    connection.execute(
        "INSERT INTO digest_runs (day, at) VALUES (?, ?)",
        ("2026-03-11", _sqlite_value(NOW - timedelta(days=1))),
    )
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()
    print(f"built {total} issues ({open_count} open), {steps} transitions")


async def _migrate(url: str) -> None:
    engine = db.create_engine(url)
    try:
        await db.upgrade(engine)
        async with engine.connect() as connection:  # SQLite: the bot's own settings (WAL)
            await connection.exec_driver_sql("SELECT 1")
    finally:
        await engine.dispose()


# --- PostgreSQL ------------------------------------------------------------------------------


async def create_postgres(server: str) -> str:
    await admin(server, f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
    await admin(server, f"CREATE DATABASE {BENCH_DATABASE}")
    return with_database(server, BENCH_DATABASE)


async def drop_postgres(server: str) -> None:
    await admin(server, f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")


async def build_postgres(url: str, calendar: WorkCalendar, total: int, open_count: int) -> None:
    """The schema by the migrations, then COPY of every batch (binary, no SQL per row)."""
    import asyncpg

    await _migrate(url)
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.copy_records_to_table(
            "chats", records=chat_rows(), columns=list(CHAT_COLUMNS)
        )
        steps = 0
        for rows in batches(calendar, total, open_count):
            async with connection.transaction():
                await connection.copy_records_to_table(
                    "issues", records=rows.issues, columns=list(ISSUE_COLUMNS)
                )
                await connection.copy_records_to_table(
                    "issue_transitions", records=rows.steps, columns=list(STEP_COLUMNS)
                )
            steps += len(rows.steps)
        await connection.execute(
            "INSERT INTO digest_runs (day, at) VALUES ($1, $2)",
            date(2026, 3, 11),
            NOW - timedelta(days=1),
        )
        for table, column in (("issues", "number"), ("issue_transitions", "id")):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"(SELECT max({column}) FROM {table}))"
            )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    print(f"built {total} issues ({open_count} open), {steps} transitions")


# --- measuring -------------------------------------------------------------------------------


async def timed(
    label: str, runs: int, action: Callable[[], Awaitable[Any]], target: float
) -> None:
    """Print the first and the best of `runs` beside the target (seconds)."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        await action()
        times.append(time.perf_counter() - began)
    verdict = "ok" if min(times) < target else "OVER"
    print(
        f"{label:<44} first {times[0]:7.2f} s  best {min(times):7.2f} s"
        f"   target < {target:g} s  {verdict}",
        flush=True,
    )


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


async def longest_stall(action: Callable[[], Awaitable[Any]], tick: float = 0.01) -> float:
    """Run `action` beside a task ticking every `tick` s: the longest gap between two ticks."""
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


async def measure(url: str, calendar: WorkCalendar, runs: int) -> None:
    engine: AsyncEngine = db.create_engine(url)
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
    start, end = service.day_start(FIRST), service.day_start(LAST + timedelta(days=1))

    async def numbers() -> None:
        await service.digest()

    async def stats() -> None:
        assert texts.split_message(await service.stats_text(FIRST, LAST))

    breakdown: dict[str | None, tuple[int, int, int]] = {}

    async def departments() -> None:
        async with factory.reader() as uow:
            breakdown.update(await uow.reports.per_department(start, end))

    async def plans() -> list[str]:
        """How the database reads each department query (EXPLAIN's access to issues)."""
        statements: list[tuple[str, Any]] = []

        def record(*args: Any) -> None:
            statements.append((args[2], args[3]))

        event.listen(engine.sync_engine, "before_cursor_execute", record)
        await departments()
        event.remove(engine.sync_engine, "before_cursor_execute", record)
        found = []
        async with engine.connect() as connection:
            for statement, parameters in statements:
                if "GROUP BY issues.department" not in statement:
                    continue
                if engine.dialect.name == "postgresql":
                    result = await connection.exec_driver_sql("EXPLAIN " + statement, parameters)
                    lines = [str(row[0]).strip() for row in result]
                    found += [line for line in lines if " on issues" in line][:1]
                else:
                    result = await connection.exec_driver_sql(
                        "EXPLAIN QUERY PLAN " + statement, parameters
                    )
                    found += [str(row[-1]) for row in result.all() if "issues" in str(row[-1])][:1]
        return found

    sizes: dict[str, int] = {}

    async def month_xlsx() -> None:
        ctx = await service.export_context(FIRST, LAST)
        sizes["XLSX"] = len((await export.write_xlsx(ctx, "bench")).content)

    async def month_csv() -> None:
        ctx = await service.export_context(FIRST, LAST)
        sizes["CSV"] = len((await export.write_csv(ctx, "bench")).content)

    try:
        async with factory.reader() as uow:
            month = await uow.reports.count_received(start, end)
        print(f"{month} issues received in {FIRST:%B %Y}")
        await timed("digest numbers", runs, numbers, 1)
        await timed(f"/stats {FIRST} .. {LAST}", runs, stats, 1)
        await timed("department breakdown (per_department)", runs, departments, 1)
        print(
            f"{'  departments':<44} {json.dumps(sorted(breakdown, key=str), ensure_ascii=False)}"
        )
        for line in await plans():
            print(f"{'  plan':<44} {line}")
        for label, action in (("XLSX", month_xlsx), ("CSV", month_csv)):
            reset = reset_peak_memory()
            await timed(f"export {label} {FIRST} .. {LAST}", runs, action, 20)
            peak = f"{peak_memory_mb():.0f} MB" if reset else "n/a"
            print(
                f"{'  file, peak resident memory':<44} {sizes[label] / 1e6:7.1f} MB  peak {peak}"
            )
        for label, action in (("XLSX", month_xlsx), ("CSV", month_csv)):
            stall = await longest_stall(action)
            print(
                f"{'longest event-loop stall, export ' + label:<44} {stall:7.2f} s"
                f"   target < 0.2 s  {'ok' if stall < 0.2 else 'OVER'}",
                flush=True,
            )
    finally:
        await engine.dispose()


def run_sqlite(args: argparse.Namespace, calendar: WorkCalendar, open_count: int) -> None:
    print("== SQLite", flush=True)
    folder = tempfile.TemporaryDirectory()
    path = args.keep or Path(folder.name) / "bench.db"
    began = time.perf_counter()
    if not path.exists():
        build_sqlite(path, calendar, args.issues, open_count)
        print(f"database built in {time.perf_counter() - began:.0f} s: {path}", flush=True)
    else:
        asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
        print(f"kept database at the latest migration ({time.perf_counter() - began:.0f} s)")
    asyncio.run(measure(f"sqlite+aiosqlite:///{path}", calendar, args.runs))
    folder.cleanup()


def run_postgres(args: argparse.Namespace, calendar: WorkCalendar, open_count: int) -> None:
    server = server_url()
    print(f"== PostgreSQL ({make_url(server).render_as_string()})", flush=True)
    url = with_database(server, BENCH_DATABASE)
    began = time.perf_counter()
    if args.keep_postgres and args.reuse_postgres:
        asyncio.run(_migrate(url))
        print(f"kept database {BENCH_DATABASE} at the latest migration")
    else:
        asyncio.run(create_postgres(server))
        asyncio.run(build_postgres(url, calendar, args.issues, open_count))
        print(f"database built in {time.perf_counter() - began:.0f} s: {BENCH_DATABASE}")
    try:
        asyncio.run(measure(url, calendar, args.runs))
    finally:
        if not args.keep_postgres:
            asyncio.run(drop_postgres(server))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=None, help="default: a fifth of --issues")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--runs", type=int, default=3, help="runs of each figure")
    parser.add_argument("--keep", type=Path, default=None, help="keep the SQLite file here")
    parser.add_argument(
        "--keep-postgres", action="store_true", help=f"do not drop {BENCH_DATABASE}"
    )
    parser.add_argument(
        "--reuse-postgres",
        action="store_true",
        help=f"with --keep-postgres: measure the {BENCH_DATABASE} left by an earlier run",
    )
    args = parser.parse_args()
    calendar = WorkCalendar(WorkSchedule(timezone=ZONE))
    open_count = args.open if args.open is not None else args.issues // 5
    if args.backend in ("sqlite", "both"):
        run_sqlite(args, calendar, open_count)
    if args.backend in ("postgresql", "both"):
        run_postgres(args, calendar, open_count)


if __name__ == "__main__":
    main()
