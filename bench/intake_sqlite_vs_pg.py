"""Intake throughput: civicbot on SQLite against civicbot on PostgreSQL, side by side.

Run from the repository root:
`python bench/intake_sqlite_vs_pg.py [--updates N] [--rounds R]`.

The same machinery as `bench/intake_vs_aiogram.py`: tagged group messages, each parsed from
getUpdates' JSON and handed to the poller's `handle` in-process (seen-check, routers,
moderation guard, intake, mark, one commit; the acknowledgement and the staff card queued in
the outbox, not sent). One app runs on a fresh SQLite file, the other on a fresh PostgreSQL
database that this script creates and drops (the server from `CIVICBOT_BENCH_DATABASE_URL`,
default `postgresql+asyncpg://civicbot:civicbot@127.0.0.1:5432/postgres`; the role needs
CREATEDB). Rounds alternate between the two so that the machine's noise falls on both.

Printed: updates/s, CPU ms per update (this process only: the PostgreSQL server's own CPU is
not in it), handler p50/p99, the ratio PostgreSQL / SQLite, and the database transactions
and statements per update on each.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _pg import scratch_database, server_url  # noqa: E402
from intake_vs_aiogram import TAG, Figures, civicbot, close, group_message, run_round  # noqa: E402
from sqlalchemy import make_url  # noqa: E402


async def main(count: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with scratch_database("intake") as url:
            apps = {
                "SQLite": await civicbot(Path(tmp), url=None),
                "PostgreSQL": await civicbot(Path(tmp), url=url),
            }
            next_id = 1
            for handle, _, _ in apps.values():  # warm-up: imports, caches, pages, pool
                warm = [group_message(next_id + i, f"{TAG} прогрев {i}") for i in range(20)]
                next_id += 20
                await run_round(handle, warm)
            figures = {name: Figures() for name in apps}
            spent = {name: [0, 0] for name in apps}
            for _ in range(rounds):
                for name, (handle, counter, _) in apps.items():
                    updates = [
                        group_message(next_id + i, f"{TAG} нет воды {i}") for i in range(count)
                    ]
                    next_id += count
                    b0, s0 = counter.begins, counter.statements
                    figures[name].add(*await run_round(handle, updates))
                    spent[name][0] += counter.begins - b0
                    spent[name][1] += counter.statements - s0
            issues = {name: await close(app) for name, (_, _, app) in apps.items()}

    server = make_url(server_url()).render_as_string(hide_password=True)
    print(f"{rounds} alternating rounds of {count} tagged group messages each")
    print(f"PostgreSQL server: {server}; cores: {os.cpu_count()}\n")
    for name, figure in figures.items():
        print(figure.line(f"civicbot on {name}"))
    print()
    sqlite, pg = figures["SQLite"], figures["PostgreSQL"]
    print(f"PostgreSQL / SQLite, updates/s:   {pg.rate / sqlite.rate:.2f}x")
    print(f"PostgreSQL / SQLite, CPU/update:  {pg.cpu_ms / sqlite.cpu_ms:.2f}x (this process)")
    print(f"PostgreSQL / SQLite, p99:         {pg.pct(0.99) / sqlite.pct(0.99):.2f}x")
    for name, (begins, statements) in spent.items():
        per = count * rounds
        print(
            f"{name:<10} per tagged update: {begins / per:.2f} transactions, "
            f"{statements / per:.1f} statements; issues filed: {issues[name]}"
        )
    expected = 20 + count * rounds
    assert all(n == expected for n in issues.values()), (issues, expected)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=200, help="updates per round")
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    asyncio.run(main(options.updates, options.rounds))
