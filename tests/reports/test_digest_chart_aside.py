"""The chart drawn beside the digest's queries is the chart of the same numbers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.services.reporting import chart
from storage.uow import SqlUnitOfWorkFactory
from tests.reports_data import build, service


@pytest.fixture
async def town(uow_factory: SqlUnitOfWorkFactory) -> SqlUnitOfWorkFactory:
    await build(uow_factory)
    return uow_factory


async def test_the_chart_drawn_aside_is_the_chart_of_the_days(
    town: SqlUnitOfWorkFactory,
) -> None:
    reports = service(town)
    plain = await reports.digest()
    with_chart = await reports.digest(chart=True)
    assert plain.chart is None
    assert replace(with_chart, chart=None) == plain  # the same numbers either way
    assert with_chart.chart == chart.digest_chart(with_chart.days)
    photo = reports.digest_messages(with_chart, chat_id=-900)[-1]
    assert photo.attachment is not None
    assert photo.attachment.content == with_chart.chart
    drawn_late = reports.digest_messages(plain, chat_id=-900)[-1]
    assert drawn_late.attachment is not None
    assert drawn_late.attachment.content == with_chart.chart


async def test_a_failed_query_leaves_no_drawing_behind(
    town: SqlUnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storage.repositories.reports import SqlReportRepository

    async def broken(*_args: object) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(SqlReportRepository, "answered_between", broken)
    with pytest.raises(RuntimeError, match="database gone"):
        await service(town).digest(chart=True)
