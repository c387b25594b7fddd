"""The digest chart's margins, fitted from its labels, are the ones tight_layout chooses."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from matplotlib.figure import Figure

from bot.domain.measures import DayPoint
from bot.services.reporting import chart

FIRST = date(2026, 2, 10)


def series(received: int, closed: int, backlog: int) -> list[DayPoint]:
    return [
        DayPoint(FIRST + timedelta(days=i), received + i % 7, closed + i % 5, backlog + 50 * i)
        for i in range(30)
    ]


@pytest.mark.parametrize(
    "days",
    [
        series(2700, 2600, 200_000),
        series(27_000, 26_000, 2_000_000),
        series(0, 1, 5),
        series(0, 0, 0),
        series(3, 0, 12_345),
        [DayPoint(FIRST, 1, 0, 1)],
    ],
)
def test_fitted_margins_equal_tight_layout(
    days: list[DayPoint], monkeypatch: pytest.MonkeyPatch
) -> None:
    figures: list[Figure] = []

    def keep(figure: Figure) -> bytes:
        figures.append(figure)
        return b""

    monkeypatch.setattr(chart, "_save", keep)
    chart.digest_chart(days)
    (figure,) = figures
    fitted = figure.subplotpars
    fitted_box = (fitted.left, fitted.right, fitted.bottom, fitted.top)
    figure.tight_layout()
    tight = figure.subplotpars
    width, height = figure.bbox.width, figure.bbox.height
    scale = (width, width, height, height)
    for mine, theirs, pixels in zip(
        fitted_box, (tight.left, tight.right, tight.bottom, tight.top), scale, strict=True
    ):
        assert mine * pixels == pytest.approx(theirs * pixels, abs=0.5)


def test_the_digest_chart_is_a_png() -> None:
    assert chart.digest_chart(series(10, 8, 100)).startswith(chart.PNG_SIGNATURE)
