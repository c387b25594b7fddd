"""Charts as PNG bytes: the digest's days (received, closed, backlog) and a poll's totals.

matplotlib runs on the Agg backend (no display) through its object API, never pyplot, so
figures are not kept in a global registry and concurrent digests do not share state.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bot.domain.measures import DayPoint  # noqa: E402
from bot.texts import reports as t  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def digest_chart(days: Sequence[DayPoint]) -> bytes:
    figure = Figure(figsize=(9, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    positions = list(range(len(days)))
    width = 0.4
    axes.bar(
        [p - width / 2 for p in positions],
        [d.received for d in days],
        width=width,
        label=t.CHART_RECEIVED,
        color="#4C78A8",
    )
    axes.bar(
        [p + width / 2 for p in positions],
        [d.closed for d in days],
        width=width,
        label=t.CHART_CLOSED,
        color="#54A24B",
    )
    axes.set_ylabel(t.CHART_PER_DAY)
    backlog = axes.twinx()
    backlog.plot(
        positions,
        [d.open_at_end for d in days],
        color="#E45756",
        marker=".",
        label=t.CHART_BACKLOG,
    )
    backlog.set_ylabel(t.CHART_OPEN)
    backlog.set_ylim(bottom=0)
    step = max(1, len(days) // 10)
    axes.set_xticks(positions[::step])
    axes.set_xticklabels([f"{d.day.day:02d}.{d.day.month:02d}" for d in days][::step])
    axes.set_title(t.CHART_TITLE)
    handles, labels = axes.get_legend_handles_labels()
    more_handles, more_labels = backlog.get_legend_handles_labels()
    axes.legend(handles + more_handles, labels + more_labels, loc="upper left", fontsize="small")
    axes.grid(axis="y", alpha=0.3)
    return _png(figure)


def poll_chart(question: str, options: Sequence[str], totals: Sequence[int]) -> bytes:
    """Horizontal bars, one per option, labelled with the count and the share of votes."""
    voters = sum(totals) or 1
    labels = [textwrap.shorten(option, 40, placeholder="…") for option in options]
    figure = Figure(figsize=(8, 1.2 + 0.55 * len(options)), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    positions = list(range(len(options)))[::-1]
    bars = axes.barh(positions, list(totals), color="#2f6db5")
    axes.set_yticks(positions, labels)
    axes.set_xlabel(t.CHART_VOTES)
    axes.set_title(textwrap.fill(question, 70), fontsize=11)
    top = max(totals) if totals and max(totals) > 0 else 1
    axes.set_xlim(0, top * 1.25)
    for bar, count in zip(bars, totals, strict=True):
        axes.text(
            bar.get_width() + top * 0.02,
            bar.get_y() + bar.get_height() / 2,
            f"{count} ({round(100 * count / voters)}%)",
            va="center",
        )
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def _png(figure: Figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
