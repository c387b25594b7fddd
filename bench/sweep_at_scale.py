"""Time one SLA sweep with 100,000 issues (20,000 open), few due and many due, on SQLite and,
side by side, on PostgreSQL.

Run from the repository root: `python bench/sweep_at_scale.py [--total 100000] [--open 20000]
[--postgres | --only-postgres]`; a region's scale is `--total 1000000 --open 200000`. Builds
the databases (through the real migrations; on SQLite in a temporary folder by batched inserts,
on PostgreSQL in a database this script creates and drops, by COPY, the server from
`CIVICBOT_BENCH_DATABASE_URL`, default `postgresql+asyncpg://civicbot:civicbot@127.0.0.1:5432/
postgres`), then for each number of due issues restores the same state and times one reminder
sweep (claims, escalation check, on-control check, messages stored in the outbox) and the
morning/weekly pass. The sweep reads due issues through indexes, so its cost follows the number
due, not the total: the script also prints SQLite's query plans and PostgreSQL's slowest
statements of the sweep with the plan it chose for each, to show it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402
from _pg import ENV as PG_ENV  # noqa: E402
from _pg import after_bulk_load, copy_rows, scratch_database  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from bot.app import build_services  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.domain.models import ChatKind, ChatPlace, Person, RegisteredChat  # noqa: E402
from storage import db  # noqa: E402
from storage.tables import issues, outbox  # noqa: E402
from storage.uow import SqlUnitOfWorkFactory  # noqa: E402

ZONE = ZoneInfo("Asia/Kamchatka")
NOW = datetime(2026, 3, 11, 11, 0, tzinfo=ZONE).astimezone(UTC)  # Wednesday 11:00
TOKEN = "123456789:AAAbbbCCCdddEEEfffGGGhhhIIIjjjKKKlll"
STAFF = ChatPlace(-200)
BUILDINGS = [ChatPlace(-1000 - n) for n in range(50)]
SPECIALISTS = [Person(100 + n, f"Специалист {n}") for n in range(5)]
FAR = NOW + timedelta(days=30)
YESTERDAY = NOW - timedelta(days=1)


def rows(total: int, open_count: int) -> list[dict[str, object]]:
    """Closed history, issues in work, on control and new; none due yet."""
    rng = random.Random(7)
    out: list[dict[str, object]] = []
    for number in range(1, total + 1):
        created = NOW - timedelta(minutes=rng.randrange(5, 365 * 24 * 60))
        place = BUILDINGS[number % len(BUILDINGS)]
        row: dict[str, object] = {
            "number": number,
            "chat_id": place.chat_id,
            "thread_id": 0,
            "message_id": number,
            "author_id": 10_000 + number % 3000,
            "author_name": "Житель",
            "text": f"#проблема обращение {number}: течёт крыша над подъездом",
            "tag": "#проблема",
            "attachments": [],
            "created_at": created,
            "updated_at": created,
            "response_due_at": created + timedelta(hours=2),
            "first_response_at": created + timedelta(hours=1),
            "status": "closed",
            "closed_at": created + timedelta(days=1),
            "assignee_id": SPECIALISTS[number % 5].user_id,
            "assignee_name": SPECIALISTS[number % 5].name,
            "next_reminder_at": None,
            "escalated_at": None,
            "due_date": None,
        }
        kind = number % (total // open_count)
        if kind == 0:  # open: a quarter new, a half in work, a quarter on control
            row["closed_at"] = None
            share = (number // (total // open_count)) % 4
            if share == 0:
                row.update(status="new", first_response_at=None, assignee_id=None)
                row.update(assignee_name=None, response_due_at=FAR, next_reminder_at=FAR)
                if number % 8 == 0:  # long overdue, already escalated, reminded recently
                    row.update(response_due_at=NOW - timedelta(days=3), escalated_at=YESTERDAY)
                    row.update(next_reminder_at=NOW + timedelta(minutes=30))
            elif share == 3:
                row.update(status="on_control", due_date=date(2026, 4, 1) + timedelta(number % 60))
            else:
                row.update(status="in_progress")
        out.append(row)
    return out


async def build(url: str, total: int, open_count: int) -> SqlUnitOfWorkFactory:
    """The schema through the real migrations, then the rows: batched inserts on SQLite, one
    COPY on PostgreSQL (then its statistics refreshed, as autovacuum would)."""
    engine = db.create_engine(url)
    await db.upgrade(engine)
    data = rows(total, open_count)
    if engine.dialect.name == "postgresql":
        columns = list(data[0])
        records = (
            tuple(json.dumps(r[c]) if c == "attachments" else r[c] for c in columns) for r in data
        )
        await copy_rows(url, "issues", columns, records)
        await after_bulk_load(url, ["issues"])
    else:
        async with engine.begin() as connection:
            for start in range(0, len(data), 5000):
                await connection.execute(sa.insert(issues), data[start : start + 5000])
    del data
    factory = SqlUnitOfWorkFactory(engine)
    async with factory() as uow:
        await uow.chats.save(RegisteredChat(STAFF, ChatKind.STAFF, "Специалисты", 1, NOW))
        for n, place in enumerate(BUILDINGS):
            chat = RegisteredChat(place, ChatKind.BUILDING, f"Дом {n}", 1, NOW)
            await uow.chats.save(chat)
        for person in SPECIALISTS:
            await uow.users.remember(person, NOW, started=True)
        await uow.commit()
    return factory


async def make_due(factory: SqlUnitOfWorkFactory, due: int) -> None:
    """Exactly `due` new issues past their due (and past escalation), the rest as built."""
    async with factory() as uow:
        conn = uow.connection
        await conn.execute(
            sa.update(issues).where(issues.c.escalated_at == NOW).values(escalated_at=None)
        )
        await conn.execute(
            sa.update(issues)
            .where(issues.c.status == "new", issues.c.escalated_at.is_(None))
            .values(next_reminder_at=FAR, response_due_at=FAR)
        )
        numbers = (
            await conn.execute(
                sa.select(issues.c.number)
                .where(issues.c.status == "new", issues.c.escalated_at.is_(None))
                .limit(due)
            )
        ).scalars()
        await conn.execute(
            sa.update(issues)
            .where(issues.c.number.in_(list(numbers)))
            .values(
                next_reminder_at=NOW - timedelta(days=1), response_due_at=NOW - timedelta(days=1)
            )
        )
        # On-control issues due today: a tenth of the due count.
        await conn.execute(
            sa.update(issues)
            .where(issues.c.status == "on_control")
            .values(due_date=date(2026, 4, 1), control_reminded_on=None)
        )
        controls = (
            await conn.execute(
                sa.select(issues.c.number).where(issues.c.status == "on_control").limit(due // 10)
            )
        ).scalars()
        await conn.execute(
            sa.update(issues)
            .where(issues.c.number.in_(list(controls)))
            .values(due_date=date(2026, 3, 11))
        )
        await conn.execute(sa.delete(outbox))
        await uow.commit()


async def plans(factory: SqlUnitOfWorkFactory) -> list[str]:
    queries = {
        "reminders": "SELECT number FROM issues WHERE next_reminder_at <= ? "
        "ORDER BY next_reminder_at LIMIT 500",
        "escalation": "SELECT * FROM issues WHERE status = 'new' AND escalated_at IS NULL "
        "AND response_due_at <= ? ORDER BY response_due_at LIMIT 500",
        "on control": "SELECT * FROM issues WHERE status = 'on_control' AND due_date <= ? "
        "AND (control_reminded_on IS NULL OR control_reminded_on < ?) LIMIT 500",
    }
    out = []
    async with factory() as uow:
        for name, sql in queries.items():
            params = (NOW.replace(tzinfo=None),) if "control" not in sql else ("2026-03-11",) * 2
            found = await uow.connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)
            out.append(f"  {name:<11} " + "; ".join(str(row[-1]) for row in found))
    return out


class Statements:
    """The statements one engine ran, with how long each took (for EXPLAIN on PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine.sync_engine
        self.taken: list[tuple[float, str, Any]] = []
        self._started: list[float] = []
        self.on = False
        sa.event.listen(self.engine, "before_cursor_execute", self._before)
        sa.event.listen(self.engine, "after_cursor_execute", self._after)

    def _before(self, _conn: Any, _cursor: Any, _sql: str, _params: Any, *_: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, _conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        took = time.perf_counter() - self._started.pop()
        if self.on and sql.lstrip().upper().startswith(("SELECT", "UPDATE", "WITH")):
            self.taken.append((took, sql, params))

    async def slowest(self, factory: SqlUnitOfWorkFactory, count: int) -> list[str]:
        """The `count` slowest statements with the plan PostgreSQL chooses for each."""
        self.on = False
        out, seen = [], set()
        for took, sql, params in sorted(self.taken, key=lambda item: -item[0]):
            if sql in seen:
                continue
            seen.add(sql)
            async with factory() as uow:
                found = await uow.connection.exec_driver_sql("EXPLAIN " + sql, params)
                plan = [str(row[0]).strip() for row in found]
            scans = [line.split("  (")[0] for line in plan if "Scan" in line or "Limit" in line]
            first = " ".join(sql.split())[:90]
            out.append(f"  {took * 1000:7.1f} ms  {first}...\n{'':13}" + "; ".join(scans[:4]))
            if len(out) == count:
                break
        return out


async def measure(
    factory: SqlUnitOfWorkFactory, due: int, repeats: int, statements: Statements | None = None
) -> tuple[float, float, int]:
    settings = Settings(
        telegram={"token": TOKEN},
        roles={"admins": [1], "specialists": [p.user_id for p in SPECIALISTS]},
        digest={"chat_ids": [-300]},
    )
    sweeps, mornings, messages = [], [], 0
    for _ in range(repeats):
        await make_due(factory, due)
        services = build_services(settings, factory, lambda: NOW, lambda: None)
        if statements is not None:
            statements.on = True
        started = time.perf_counter()
        report = await services.reminders.sweep()
        sweeps.append(time.perf_counter() - started)
        assert len(report.reminded) == min(due, 500), report.reminded
        messages = report.messages
        async with factory() as uow:
            await uow.connection.exec_driver_sql("DELETE FROM scheduled_runs")
            await uow.commit()
        started = time.perf_counter()
        await services.summaries.run_due()
        mornings.append(time.perf_counter() - started)
        if statements is not None:
            statements.on = False
    return statistics.median(sweeps), statistics.median(mornings), messages


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--postgres",
        action="store_true",
        help=f"also on PostgreSQL, side by side (the server from {PG_ENV})",
    )
    parser.add_argument("--only-postgres", action="store_true", help="PostgreSQL alone")
    args = parser.parse_args()
    backends = ["PostgreSQL"] if args.only_postgres else ["SQLite"]
    if args.postgres and not args.only_postgres:
        backends.append("PostgreSQL")
    with tempfile.TemporaryDirectory() as folder:
        sizes = sorted({args.total // 5, args.total})
        print("Working time, Wednesday 11:00 Kamchatka; median of", args.repeats, "runs.")
        head = "".join(f" | {name + ' sweep ms':>19} {'morning ms':>10}" for name in backends)
        ratio = " | PG/SQLite sweep, morning" if len(backends) == 2 else ""
        print(f"{'issues':>9} {'open':>7} {'due':>5} {'messages':>8}{head}{ratio}")
        for total in sizes:
            open_count = args.open * total // args.total
            factories: dict[str, SqlUnitOfWorkFactory] = {}
            built: dict[str, float] = {}
            async with contextlib.AsyncExitStack() as stack:
                for name in backends:
                    if name == "SQLite":
                        url = f"sqlite+aiosqlite:///{Path(folder) / f'bench-{total}.db'}"
                    else:
                        url = await stack.enter_async_context(scratch_database(f"sweep{total}"))
                    started = time.perf_counter()
                    factories[name] = await build(url, total, open_count)
                    built[name] = time.perf_counter() - started
                pg = factories.get("PostgreSQL")
                statements = Statements(pg.engine) if pg is not None else None
                for due in (0, 10, 100, 500):
                    line, figures = "", []
                    for name, factory in factories.items():
                        watch = statements if name == "PostgreSQL" and due == 500 else None
                        sweep, morning, messages = await measure(factory, due, args.repeats, watch)
                        figures.append((sweep, morning))
                        line += f" | {sweep * 1000:>19.1f} {morning * 1000:>10.1f}"
                    if len(figures) == 2:
                        (s_sweep, s_morning), (p_sweep, p_morning) = figures
                        line += f" | {p_sweep / s_sweep:>8.2f}x {p_morning / s_morning:>7.2f}x"
                    print(f"{total:>9,} {open_count:>7,} {due:>5} {messages:>8}{line}")
                print(
                    "  (databases built in "
                    + ", ".join(f"{name} {took:.1f} s" for name, took in built.items())
                    + ")"
                )
                if total == sizes[-1]:
                    if "SQLite" in factories:
                        print("SQLite's query plans at", f"{total:,}", "issues:")
                        print("\n".join(await plans(factories["SQLite"])))
                    if pg is not None and statements is not None:
                        print(
                            f"PostgreSQL at {total:,} issues, the slowest statements of the "
                            "sweep and the morning lists (500 due), with the plan chosen:"
                        )
                        print("\n".join(await statements.slowest(pg, 5)))
                for factory in factories.values():
                    await factory.engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
