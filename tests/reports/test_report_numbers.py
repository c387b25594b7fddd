"""The digest's and /stats's numbers on a hand-built town in a real database (SQLite or
PostgreSQL, tests/database.py)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.errors import PermissionDenied
from bot.domain.measures import ChatLine, SpecialistLine
from bot.domain.models import Caller, IssueStatus
from bot.services.reporting import chart, export
from bot.texts import reports as t
from storage.uow import SqlUnitOfWorkFactory
from tests.database import on_postgres
from tests.reports_data import (
    ADMIN,
    ANNA,
    CHAT_A,
    CHAT_B,
    LAST_DIGEST,
    NOW,
    OLGA,
    at,
    build,
    service,
)


@pytest.fixture
async def town(uow_factory: SqlUnitOfWorkFactory) -> SqlUnitOfWorkFactory:
    await build(uow_factory)
    return uow_factory


async def test_digest_numbers_since_the_last_digest(town: SqlUnitOfWorkFactory) -> None:
    digest = await service(town).digest()
    period = digest.period
    assert digest.since == LAST_DIGEST
    counts = period.counts
    assert (counts.received, counts.answered, counts.closed) == (4, 2, 1)
    assert (counts.confirmed, counts.not_resolved) == (1, 1)
    assert counts.confirmed_share == 1.0
    assert period.open_by_status == {
        IssueStatus.NEW: 2,
        IssueStatus.IN_PROGRESS: 2,
        IssueStatus.ON_CONTROL: 2,
        IssueStatus.AWAITING: 0,
    }
    # Worst first: №6 on control since Monday 09:00 (9 + 9 + 3 working hours), then №4
    # unanswered since Tuesday 16:00 (2 + 3). №5 is not due yet, №7 is due today.
    assert [(i.number, i.age_hours) for i in digest.overdue] == [(6, 21.0), (4, 5.0)]
    assert digest.overdue_total == 2
    assert [i.number for i in digest.due_today] == [7]
    assert digest.due_today_total == 1
    assert set(period.chats) == {
        ChatLine(CHAT_A, "Дом Ленина 5", received=4, open=4),
        ChatLine(CHAT_B, "Дороги", received=0, open=2),
    }
    assert sorted(period.specialists, key=lambda s: s.user_id) == [
        SpecialistLine(501, "Ольга", answered=2, closed=1, confirmed=1, not_resolved=0, open=2),
        SpecialistLine(502, "Иван", answered=0, closed=0, confirmed=0, not_resolved=1, open=2),
    ]


async def test_response_time_over_7_and_30_days(town: SqlUnitOfWorkFactory) -> None:
    digest = await service(town).digest()
    week, month = digest.response_7d, digest.response_30d
    # 7 days: 0.5, 1, 1, 3, 4 working hours; in time: №1, №3, №6.
    assert (week.answered, week.within_sla) == (5, 3)
    assert week.median_hours == pytest.approx(1.0)
    assert week.p90_hours == pytest.approx(3.6)
    # 30 days adds №9 (2 h, answered exactly at its due moment: in time); №8 is older.
    assert (month.answered, month.within_sla) == (6, 4)
    assert month.median_hours == pytest.approx(1.5)
    assert month.p90_hours == pytest.approx(3.5)


async def test_chart_series_and_png(town: SqlUnitOfWorkFactory) -> None:
    digest = await service(town).digest()
    assert len(digest.days) == 30
    last3 = [(d.day, d.received, d.closed, d.open_at_end) for d in digest.days[-3:]]
    assert last3 == [
        (date(2026, 3, 16), 1, 0, 3),
        (date(2026, 3, 17), 3, 1, 5),
        (date(2026, 3, 18), 1, 0, 6),
    ]
    assert chart.digest_chart(digest.days).startswith(chart.PNG_SIGNATURE)


async def test_digest_text_is_russian_escaped_and_within_limits(
    town: SqlUnitOfWorkFactory,
) -> None:
    reports = service(town)
    digest = await reports.digest()
    messages = reports.digest_messages(digest, chat_id=-900)
    text = "\n".join(m.text for m in messages[:-1])
    assert "Поступило <b>4</b>, отвечено <b>2</b>, закрыто <b>1</b>." in text
    assert "<b>Просрочено: 2</b>" in text
    assert "№6 · Дороги · на контроле до 16 марта · Иван · просрочено на 21,0 раб. ч" in text
    assert "7 дней: в срок 60% (3 из 5); медиана 1,0 раб. ч, 90% — быстрее 3,6 раб. ч." in text
    assert "Подтверждено жителями: 1 из 1 закрытых (100%); «не решено»: 1." in text
    assert all(len(m.text) <= 4096 for m in messages[:-1])
    photo = messages[-1]
    assert photo.attachment is not None and photo.attachment.content is not None
    assert photo.attachment.content.startswith(chart.PNG_SIGNATURE)
    assert len(photo.text) <= 1024


async def test_stats_for_a_month(town: SqlUnitOfWorkFactory) -> None:
    reports = service(town)
    first, last = reports.period(None, None, t.USAGE_STATS)
    assert (first, last) == (date(2026, 3, 1), date(2026, 3, 18))
    async with town() as uow:
        march = await reports.report(uow, reports.day_start(first), NOW)
        february = await reports.report(
            uow, reports.day_start(date(2026, 2, 1)), reports.day_start(date(2026, 3, 1))
        )
    assert (march.counts.received, march.counts.answered, march.counts.closed) == (7, 5, 1)
    assert (march.response.within_sla, march.response.median_hours) == (3, 1.0)
    assert (february.counts.received, february.counts.closed) == (2, 2)
    assert february.response.sla_share == 1.0
    assert february.response.median_hours == pytest.approx(1.5)
    text = await reports.stats_text(date(2026, 2, 1), date(2026, 2, 28))
    assert text.startswith("<b>Статистика за 1 февраля — 28 февраля 2026</b>")


async def test_residents_and_public_chats_get_no_reports(town: SqlUnitOfWorkFactory) -> None:
    reports = service(town)
    resident = Caller(ANNA, chat_id=ANNA.user_id, is_private=True)
    with pytest.raises(PermissionDenied, match="только специалистам"):
        await reports.stats(resident, None, None)
    with pytest.raises(PermissionDenied, match="только администраторы"):
        await reports.send_digest_now(Caller(OLGA, chat_id=OLGA.user_id, is_private=True))
    in_building = Caller(ADMIN, chat_id=CHAT_A.chat_id)
    with pytest.raises(PermissionDenied, match="данные жителей"):
        await reports.export(in_building, None, None)
    async with town() as uow:
        assert await uow.outbox.next_due_at() is None  # nothing was queued


async def test_scheduled_digest_is_claimed_once_per_day(town: SqlUnitOfWorkFactory) -> None:
    first, second = service(town), service(town)  # two processes on one database
    assert await first.run_scheduled_digest() is True
    assert await second.run_scheduled_digest() is False
    assert await first.run_scheduled_digest() is False
    async with town() as uow:
        assert await uow.reports.digest_at(date(2026, 3, 18)) == NOW
        assert await uow.reports.claim_digest(date(2026, 3, 18), NOW) is False


async def test_no_scheduled_digest_before_its_time_or_on_a_day_off(
    town: SqlUnitOfWorkFactory,
) -> None:
    assert await service(town, now=at(3, 18, 8, 59)).run_scheduled_digest() is False
    assert await service(town, now=at(3, 21, 10)).run_scheduled_digest() is False  # Saturday
    assert await service(town, now=at(3, 18, 9, 0)).run_scheduled_digest() is True


REPORT_TABLES = ("issues", "issue_transitions")


async def sqlite_plan(connection: AsyncConnection, statement: str, parameters: Any) -> list[str]:
    """The steps of SQLite's plan (EXPLAIN QUERY PLAN); a full scan of a report table or of
    one of its indexes fails the test."""
    result = await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
    plan: list[str] = [str(row[-1]) for row in result.all()]
    scans = [s for s in plan if s.startswith("SCAN") and s != "SCAN CONSTANT ROW"]
    assert not scans, (statement, plan)
    return plan


def _nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node] + [n for child in node.get("Plans", ()) for n in _nodes(child)]


async def postgres_plan(connection: AsyncConnection, statement: str, parameters: Any) -> list[str]:
    """The index names in PostgreSQL's plan (EXPLAIN (FORMAT JSON), with sequential scans
    priced out so that the plan on a small town is the one a large town gets); a sequential
    scan of a report table, or an index read whole (no Index Cond), fails the test."""
    result = await connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)
    document = result.scalar_one()
    plan = json.loads(document) if isinstance(document, str) else document
    names: list[str] = []
    for node in _nodes(plan[0]["Plan"]):
        kind = node["Node Type"]
        if node.get("Relation Name") in REPORT_TABLES:
            assert kind != "Seq Scan", (statement, plan)
        if kind in ("Index Scan", "Index Only Scan", "Bitmap Index Scan"):
            index = node["Index Name"]
            if index.startswith(("ix_issues", "ix_transitions", "issues_", "issue_transitions_")):
                assert "Index Cond" in node, (statement, index, "read whole")
            names.append(index)
    return names


async def test_report_queries_use_indexes(town: SqlUnitOfWorkFactory) -> None:
    """Every query of the digest, /stats and the export that reads issues or transitions is
    an index search, as the backend's own EXPLAIN tells: no full scan of a table or an
    index."""
    statements: list[tuple[str, object]] = []
    engine = town.engine

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    reports = service(town)
    await reports.digest()
    await reports.stats_text(date(2026, 3, 1), date(2026, 3, 31))
    ctx = await reports.export_context(date(2026, 3, 1), date(2026, 3, 31))
    await export.write_xlsx(ctx, "march")
    event.remove(engine.sync_engine, "before_cursor_execute", record)
    checked: dict[str, list[str]] = {}
    postgres = on_postgres()
    if postgres:  # as autovacuum leaves a live database: statistics, the visibility map
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.exec_driver_sql("VACUUM ANALYZE issues, issue_transitions")
    async with engine.connect() as connection:
        if postgres:
            await connection.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in statements:
            if not re.search(r"FROM (issues|issue_transitions)\b", statement):
                continue
            plan = postgres_plan if postgres else sqlite_plan
            checked[statement] = await plan(connection, statement, parameters)
    assert len(checked) >= 15
    used = {name for plan in checked.values() for step in plan for name in step.split()}
    # The covering indexes of the reports (migration 0015_reports) are the ones chosen. The
    # period's «Не решено» presses: PostgreSQL reads the partial index of reopenings
    # (0026_report_reopen); SQLite seeks (action, at) in ix_transitions_action_at, as short.
    reopenings = "ix_transitions_reopen_at" if postgres else "ix_transitions_action_at"
    assert {
        "ix_issues_answered_cover",
        "ix_issues_closed_cover",
        "ix_issues_created_chat",
        "ix_issues_open_cover",
        reopenings,
        "ix_transitions_issue",
    } <= used, used


async def test_a_merged_group_counts_once(town: SqlUnitOfWorkFactory) -> None:
    before = (await service(town).digest()).period.counts
    async with town() as uow:
        duplicate = await uow.issues.add(
            place=CHAT_B,
            message_id=999,
            author=ANNA,
            text="#проблема то же самое",
            tag="#проблема",
            attachments=(),
            created_at=at(3, 17, 11),
        )
        assert duplicate is not None
        await uow.issues.save(
            replace(
                duplicate,
                status=IssueStatus.CLOSED,
                closed_at=at(3, 17, 12),
                first_response_at=at(3, 17, 12),
                merged_into=1,
            )
        )
        assert [i.number for i in await uow.issues.merged_with(1)] == [duplicate.number]
        await uow.commit()
    after = (await service(town).digest()).period.counts
    assert (after.received, after.answered, after.closed) == (
        before.received,
        before.answered,
        before.closed,
    )


async def test_stats_reads_a_period_range_once_for_chats_and_departments(
    town: SqlUnitOfWorkFactory,
) -> None:
    """/stats counts received per chat and per department in one read of the created_at
    range, and closed (not merged) in total and per department in one read of the closed_at
    range."""
    statements: list[str] = []
    engine = town.engine

    def record(_conn, _cursor, statement, _parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    text = await service(town).stats_text(date(2026, 3, 1), date(2026, 3, 31))
    event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert text
    created = [s for s in statements if "issues.created_at >=" in s and "GROUP BY" in s]
    closed = [s for s in statements if "issues.closed_at >=" in s and "merged_into IS NULL" in s]
    assert len(created) == 1 and "issues.department" in created[0], created
    assert len(closed) == 1 and "GROUP BY issues.department" in closed[0], closed
