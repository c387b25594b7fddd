"""The sweep's escalation check reads only the issues not yet escalated, in due order, on
both backends (migration 0025_pg_indexes): a town with many long-overdue issues already
escalated does not pay for them at every sweep."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, insert

from storage.tables import issues
from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 3, 11, 8, 0, tzinfo=UTC)


def _nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node] + [n for child in node.get("Plans", ()) for n in _nodes(child)]


async def test_escalation_candidates_skip_the_escalated_through_an_index(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    rows = []
    for number in range(1, 41):
        created = NOW - timedelta(days=3)
        escalated = created + timedelta(hours=3) if number % 4 else None
        rows.append(
            {
                "number": number, "chat_id": -100, "thread_id": 0, "message_id": number,
                "author_id": 7, "author_name": "Житель", "text": "#проблема течёт",
                "tag": "#проблема", "attachments": [], "status": "new",
                "created_at": created, "updated_at": created,
                "response_due_at": created + timedelta(hours=2), "escalated_at": escalated,
            }
        )  # fmt: skip
    async with uow_factory() as uow:
        await uow.connection.execute(insert(issues), rows)
        await uow.commit()
    statements: list[tuple[str, Any]] = []
    engine = uow_factory.engine

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with uow_factory() as uow:
            found = await uow.sla.escalation_candidates(NOW, 500)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert [issue.number for issue in found] == [4, 8, 12, 16, 20, 24, 28, 32, 36, 40]
    (statement, parameters), *_ = [s for s in statements if "response_due_at <=" in s[0]]
    async with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            await connection.exec_driver_sql("SET enable_seqscan = off")
            result = await connection.exec_driver_sql(
                "EXPLAIN (FORMAT JSON) " + statement, parameters
            )
            document = result.scalar_one()
            plan = json.loads(document) if isinstance(document, str) else document
            scans = [n for n in _nodes(plan[0]["Plan"]) if n.get("Relation Name") == "issues"]
            assert [n.get("Index Name") for n in scans] == ["ix_issues_escalation_pending"]
            assert "Filter" not in scans[0], scans  # no escalated issue read to be dropped
        else:
            result = await connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters
            )
            plan = [str(row[-1]) for row in result.all()]
            assert any("USING INDEX ix_issues_escalation" in step for step in plan), plan
            assert not any(step.startswith("SCAN issues") for step in plan), plan
