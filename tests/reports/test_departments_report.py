"""/stats, the digest and the export by department, on the hand-built town of the report
tests with some of its issues handed to departments."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.cli_chats import table
from bot.domain.measures import DepartmentLine
from bot.domain.models import ChatKind, ChatPlace, RegisteredChat
from bot.services.reporting import export
from bot.texts import reports as t
from storage.uow import SqlUnitOfWorkFactory
from tests.reports_data import NOW, at, build, service

# №1-№4 are ЖКХ's, №6 КУМИ's; the rest stay with the general staff chat.
DEPARTMENTS = {1: "ЖКХ", 2: "ЖКХ", 3: "ЖКХ", 4: "ЖКХ", 6: "КУМИ"}


@pytest.fixture
async def town(uow_factory: SqlUnitOfWorkFactory) -> SqlUnitOfWorkFactory:
    await build(uow_factory)
    async with uow_factory() as uow:
        for number, department in DEPARTMENTS.items():
            issue = await uow.issues.get(number)
            assert issue is not None
            await uow.issues.save(replace(issue, department=department))
        await uow.commit()
    return uow_factory


async def test_stats_and_digest_break_figures_down_by_department(
    town: SqlUnitOfWorkFactory,
) -> None:
    reports = service(town)
    async with town.reader() as uow:
        march = await reports.report(uow, at(3, 1, 0), NOW)
    by_name = {line.name: line for line in march.departments}
    assert [line.name for line in march.departments][-1] is None  # the general desk last
    assert sum(line.received for line in march.departments) == march.counts.received
    assert sum(line.closed for line in march.departments) == march.counts.closed
    assert sum(line.open for line in march.departments) == sum(march.open_by_status.values())
    assert by_name["КУМИ"] == DepartmentLine("КУМИ", received=1, closed=0, open=1)
    text = await reports.stats_text(date(2026, 3, 1), date(2026, 3, 31))
    assert "<b>По отделам</b>" in text and "ЖКХ: " in text and "Общий чат: " in text
    digest = await reports.digest()
    assert digest.period.departments
    assert "<b>По отделам</b>" in t.digest(digest, reports._calendar.schedule.timezone)


async def test_without_departments_there_is_no_department_block(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    await build(uow_factory)
    text = await service(uow_factory).stats_text(date(2026, 3, 1), date(2026, 3, 31))
    assert "По отделам" not in text


async def test_the_export_names_each_issue_department(town: SqlUnitOfWorkFactory) -> None:
    ctx = await service(town).export_context(date(2026, 3, 1), date(2026, 3, 31))
    facts = [item async for item in export.IssueRows().rows(ctx)]
    assert facts
    for item in facts:
        assert item.department == DEPARTMENTS.get(item.number)


def test_civicbot_chats_shows_departments() -> None:
    moment = at(1, 12, 9)
    chats = [
        RegisteredChat(ChatPlace(-1, 0), ChatKind.STAFF, "ЖКХ", 9, moment, department="ЖКХ"),
        RegisteredChat(ChatPlace(-2, 0), ChatKind.BUILDING, "Дом", 9, moment, department="КУМИ"),
        RegisteredChat(ChatPlace(-3, 0), ChatKind.STAFF, "Специалисты", 9, moment),
    ]
    lines = table(chats).splitlines()
    assert lines[0].split()[-1] == "departments"
    assert lines[1].split()[-1] == "КУМИ"  # the building's default department
    assert any(line.split()[-1] == "ЖКХ" for line in lines if "staff" in line)
