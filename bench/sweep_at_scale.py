"""Time one SLA sweep on SQLite with 100,000 issues (20,000 open), few due and many due.

Run from the repository root: `python bench/sweep_at_scale.py [--total 100000]`. Builds the
databases in a temporary folder (through the real migrations), then for each number of due
issues restores the same state and times one reminder sweep (claims, escalation check,
on-control check, messages stored in the outbox) and the morning/weekly pass. The sweep reads
due issues through indexes, so its cost follows the number due, not the total: the script
also prints SQLite's query plans to show it.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

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


async def build(path: Path, total: int, open_count: int) -> SqlUnitOfWorkFactory:
    engine = db.create_engine(f"sqlite+aiosqlite:///{path}")
    await db.upgrade(engine)
    data = rows(total, open_count)
    async with engine.begin() as connection:
        for start in range(0, len(data), 5000):
            await connection.execute(sa.insert(issues), data[start : start + 5000])
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


async def measure(
    factory: SqlUnitOfWorkFactory, due: int, repeats: int
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
    return statistics.median(sweeps), statistics.median(mornings), messages


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        sizes = sorted({args.total // 5, args.total})
        print("Working time, Wednesday 11:00 Kamchatka; median of", args.repeats, "runs.")
        print(
            f"{'issues':>8} {'open':>7} {'due':>5}  {'sweep ms':>9} {'messages':>8}  "
            f"{'morning lists ms':>16}"
        )
        for total in sizes:
            open_count = args.open * total // args.total
            started = time.perf_counter()
            factory = await build(Path(folder) / f"bench-{total}.db", total, open_count)
            built = time.perf_counter() - started
            for due in (0, 10, 100, 500):
                sweep, morning, messages = await measure(factory, due, args.repeats)
                print(
                    f"{total:>8,} {open_count:>7,} {due:>5}  {sweep * 1000:>9.1f} "
                    f"{messages:>8}  {morning * 1000:>16.1f}"
                )
            print(f"  (database built in {built:.1f} s)")
            if total == sizes[-1]:
                print("Query plans at", f"{total:,}", "issues:")
                print("\n".join(await plans(factory)))
            await factory.engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
