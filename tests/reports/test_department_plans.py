"""The department breakdown of /stats and the digest reads no table row (0024_report_pg)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, insert

from storage.tables import issues
from storage.uow import SqlUnitOfWorkFactory
from tests.database import on_postgres


def _issue(number: int, start: datetime) -> dict[str, Any]:
    created = start + timedelta(hours=number)
    closed = number % 3 == 0
    return {
        "number": number,
        "chat_id": -100,
        "thread_id": 0,
        "message_id": number,
        "author_id": 10,
        "author_name": "Житель",
        "text": f"#проблема {number}",
        "tag": "#проблема",
        "attachments": [],
        "status": "closed" if closed else "new",
        "created_at": created,
        "updated_at": created,
        "closed_at": created + timedelta(hours=1) if closed else None,
        "department": ("ЖКХ", "Дороги", None)[number % 3],
    }


def _nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node] + [n for child in node.get("Plans", ()) for n in _nodes(child)]


async def test_the_department_breakdown_is_read_from_indexes_alone(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    """Received and closed in the period per department, and open now per department: each
    an index search that needs no table row (SQLite's COVERING INDEX); on PostgreSQL an
    index search, with sequential scans priced out as on a large town."""
    statements: list[tuple[str, Any]] = []
    engine = uow_factory.engine

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    async with engine.begin() as connection:  # a town whose statistics say what a large one's do
        await connection.execute(insert(issues), [_issue(n, start) for n in range(1, 301)])
    event.listen(engine.sync_engine, "before_cursor_execute", record)
    async with uow_factory.reader() as uow:
        await uow.reports.per_department(start, end)
    event.remove(engine.sync_engine, "before_cursor_execute", record)
    queries = [(s, p) for s, p in statements if "GROUP BY issues.department" in s]
    assert len(queries) == 3
    postgres = on_postgres()
    if postgres:  # statistics, as a live database has them
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.exec_driver_sql("VACUUM ANALYZE issues")
    else:
        async with engine.begin() as connection:
            await connection.exec_driver_sql("ANALYZE")
    async with engine.connect() as connection:
        if postgres:
            await connection.exec_driver_sql("SET enable_seqscan = off")
            await connection.exec_driver_sql("SET enable_bitmapscan = off")
        for statement, parameters in queries:
            if postgres:
                result = await connection.exec_driver_sql(
                    "EXPLAIN (FORMAT JSON) " + statement, parameters
                )
                document = result.scalar_one()
                plan = json.loads(document) if isinstance(document, str) else document
                reads = [
                    node["Node Type"]
                    for node in _nodes(plan[0]["Plan"])
                    if node.get("Relation Name") == "issues"
                ]
                # On a town this small PostgreSQL may prefer a narrower index and the one heap
                # page; at 1,000,000 issues it reads the covering index only (bench/
                # reports_at_scale.py prints the plan). Here: an index search, never a scan.
                assert reads and "Seq Scan" not in reads, (statement, plan)
            else:
                result = await connection.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + statement, parameters
                )
                steps = [str(row[-1]) for row in result.all() if "issues" in str(row[-1])]
                assert len(steps) == 1 and "COVERING INDEX" in steps[0], (statement, steps)
