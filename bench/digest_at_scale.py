"""Time the daily digest and /stats on a database of 100,000 issues (20,000 open).

    python bench/digest_at_scale.py [--issues 100000] [--open 20000] [--keep PATH]

Builds a SQLite file with a year of issues spread over many chats and specialists, with their
transitions, then prints how long one digest (numbers + text + PNG chart), one month's /stats
and one month's XLSX and CSV export take, and the longest the event loop waited during the
export (openpyxl and csv run in a worker thread). Targets: digest and /stats under 1 s each,
no event-loop stall over 0.2 s during an export.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from bot.domain.calendar import WorkCalendar, WorkSchedule  # noqa: E402
from bot.services.reporting import chart, export  # noqa: E402
from bot.services.reports import ReportService  # noqa: E402
from bot.services.roles import RoleService  # noqa: E402
from bot.texts import reports as texts  # noqa: E402
from storage import db  # noqa: E402
from storage.tables import chats, issue_transitions, issues  # noqa: E402
from storage.tables_reports import digest_runs  # noqa: E402
from storage.uow import SqlUnitOfWorkFactory  # noqa: E402

ZONE = ZoneInfo("Asia/Kamchatka")
NOW = datetime(2026, 3, 11, 23, 0, tzinfo=UTC)  # Thursday 12 March, 11:00 local
CHATS = 120
SPECIALISTS = 30
FIRST_RESPONSE = timedelta(hours=2)


def build_rows(
    calendar: WorkCalendar, total: int, open_count: int, seed: int = 7
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    rng = random.Random(seed)
    year = timedelta(days=365)
    issue_rows: list[dict[str, object]] = []
    steps: list[dict[str, object]] = []
    # Open issues are mostly recent; closed ones spread over the year.
    open_numbers = set(rng.sample(range(1, total + 1), open_count))
    for number in range(1, total + 1):
        is_open = number in open_numbers
        # Open issues come from the last three months, closed ones from the whole year.
        age = (timedelta(days=90) if is_open else year) * rng.random()
        created = NOW - age
        due = calendar.add(created, FIRST_RESPONSE)
        chat = rng.randrange(CHATS)
        specialist = rng.randrange(SPECIALISTS)
        row: dict[str, object] = {
            "number": number,
            "chat_id": -1000 - chat,
            "thread_id": 0,
            "message_id": number,
            "author_id": 10_000 + rng.randrange(20_000),
            "author_name": f"Житель {rng.randrange(20_000)}",
            "text": "#проблема текст обращения",
            "tag": rng.choice(["#проблема", "#вопрос", "#заявка", "#жалоба"]),
            "attachments": [],
            "created_at": created,
            "updated_at": created,
            "response_due_at": due,
            "status": "closed",
            "assignee_id": None,
            "assignee_name": None,
            "first_response_at": None,
            "closed_at": None,
            "due_date": None,
            "verdict": None,
            "verdict_at": None,
        }
        answered = None
        roll = rng.random()
        if not is_open or roll > 0.25:
            answered = calendar.add(created, timedelta(minutes=rng.expovariate(1 / 100)))
            if answered > NOW:
                answered = None
        if answered is not None:
            row["first_response_at"] = answered
            row["assignee_id"] = 500 + specialist
            row["assignee_name"] = f"Специалист {specialist}"
            steps.append(_step(number, "take", "new", "in_progress", specialist, answered))
        if is_open:
            if answered is None:
                row["status"] = "new"
            elif roll > 0.85:
                row["status"] = "on_control"
                row["due_date"] = (NOW + timedelta(days=rng.randint(-10, 20))).date()
            else:
                row["status"] = "in_progress"
        else:
            closed = (answered or created) + timedelta(hours=rng.expovariate(1 / 40))
            if closed >= NOW:  # not closed yet by "now": closed halfway instead
                closed = (answered or created) + (NOW - (answered or created)) / 2
            row["closed_at"] = closed
            row["updated_at"] = closed
            steps.append(_step(number, "close", "in_progress", "closed", specialist, closed))
            verdict = rng.random()
            if verdict < 0.4:
                row["verdict"], row["verdict_at"] = "resolved", closed + timedelta(hours=3)
            elif verdict < 0.45:
                row["verdict"], row["verdict_at"] = "not_resolved", closed + timedelta(hours=3)
        issue_rows.append(row)
    return issue_rows, steps


def _step(
    number: int, action: str, before: str, after: str, who: int, at: datetime
) -> dict[str, object]:
    return {
        "issue_number": number,
        "action": action,
        "from_status": before,
        "to_status": after,
        "actor_id": 500 + who,
        "actor_name": f"Специалист {who}",
        "at": at,
        "comment": None,
    }


async def build_database(path: Path, calendar: WorkCalendar, total: int, open_count: int) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{path}")
    await db.upgrade(engine)
    issue_rows, steps = build_rows(calendar, total, open_count)
    async with engine.begin() as connection:
        await connection.execute(
            insert(chats),
            [
                {
                    "chat_id": -1000 - index,
                    "thread_id": 0,
                    "kind": "building" if index % 4 else "topic",
                    "name": f"Дом {index}",
                    "registered_by": 1,
                    "registered_at": NOW - timedelta(days=400),
                }
                for index in range(CHATS)
            ],
        )
        for start in range(0, len(issue_rows), 10_000):
            await connection.execute(insert(issues), issue_rows[start : start + 10_000])
        for start in range(0, len(steps), 20_000):
            await connection.execute(insert(issue_transitions), steps[start : start + 20_000])
        # Yesterday's daily digest, so "since the last digest" is one working day.
        await connection.execute(
            digest_runs.insert().values(day=date(2026, 3, 11), at=NOW - timedelta(days=1))
        )
    await engine.dispose()
    print(f"built {total} issues ({open_count} open), {len(steps)} transitions")


async def timed(label: str, runs: int, action: object) -> None:
    assert callable(action)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        await action()
        times.append(time.perf_counter() - began)
    print(f"{label:<44} first {times[0] * 1000:7.0f} ms   best {min(times) * 1000:7.0f} ms")


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


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=20_000)
    parser.add_argument("--keep", type=Path, default=None, help="keep the database here")
    args = parser.parse_args()
    calendar = WorkCalendar(WorkSchedule(timezone=ZONE))
    folder = tempfile.TemporaryDirectory()
    path = args.keep or Path(folder.name) / "bench.db"
    if not path.exists():
        began = time.perf_counter()
        await build_database(path, calendar, args.issues, args.open)
        print(f"database built in {time.perf_counter() - began:.1f} s: {path}")
    engine = db.create_engine(f"sqlite+aiosqlite:///{path}")
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
        digest = await service.digest()
        messages = service.digest_messages(digest, chat_id=1)
        assert messages[-1].attachment is not None
        assert messages[-1].attachment.content is not None
        assert messages[-1].attachment.content.startswith(chart.PNG_SIGNATURE)

    first, last = date(2026, 2, 1), date(2026, 2, 28)

    async def stats() -> None:
        text = await service.stats_text(first, last)
        assert texts.split_message(text)

    async def month_export() -> None:
        ctx = await service.export_context(first, last)
        await export.write_xlsx(ctx, "bench")

    async def month_csv() -> None:
        ctx = await service.export_context(first, last)
        await export.write_csv(ctx, "bench")

    digest = await service.digest()
    print(
        f"digest: received {digest.period.counts.received} since the last digest, "
        f"overdue {digest.overdue_total}, open {sum(digest.period.open_by_status.values())}, "
        f"answered in 30 days {digest.response_30d.answered}"
    )
    await timed("digest numbers", 3, numbers)
    await timed("digest: numbers + text + PNG chart", 3, whole_digest)
    await timed(f"/stats {first} .. {last}", 3, stats)
    await timed(f"export XLSX {first} .. {last}", 1, month_export)
    await timed(f"export CSV {first} .. {last}", 1, month_csv)
    for label, action in (("XLSX", month_export), ("CSV", month_csv)):
        stall = await longest_stall(action)
        print(f"{'longest event-loop stall, export ' + label:<44} {stall * 1000:7.0f} ms")
    await engine.dispose()
    folder.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
