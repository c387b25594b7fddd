"""Charts as PNG bytes: the digest's days (received, closed, backlog) and a poll's totals.

matplotlib runs on the Agg backend (no display) through its object API, never pyplot, so
figures are not kept in a global registry and concurrent digests do not share state.

The digest's chart is fitted to its labels by `_fit_digest_margins`, not `tight_layout`:
tight_layout lays out every tick, label and title once more before the figure is drawn, half
the chart's time. The digest chart's only varying extents are the widest tick label of each
value axis, so measuring those few strings gives the same margins (to a pixel).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes  # noqa: E402
from matplotlib.axis import Axis  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

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
    _fit_digest_margins(figure, axes, backlog)
    return _save(figure)


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


def _fit_digest_margins(figure: Figure, axes: Axes, backlog: Axes) -> None:
    """The margins tight_layout would choose for the digest's chart (its default padding of
    1.08 font sizes): the left value axis and its label stick out to the left, the backlog's to
    the right, the dates below, the title (on its baseline, descenders inside) above."""
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    points = figure.dpi / 72
    pad = 1.08 * matplotlib.rcParams["font.size"] * points

    def side(axis: Axis, horizontal: bool) -> float:
        """Pixels an axis's ticks, tick labels and label take beside the axes."""
        tick = axis.get_major_ticks()[0]
        # label2 is the one on the right (or top) side, where twinx puts the backlog's.
        sample = tick.label2 if axis.get_label_position() in ("right", "top") else tick.label1
        widest = 0.0
        for label in _visible_labels(axis):
            sample.set_text(label)
            box = sample.get_window_extent(renderer)
            widest = max(widest, box.width if horizontal else box.height)
        named = 0.0
        if axis.label.get_text():
            box = axis.label.get_window_extent(renderer)
            named = axis.labelpad * points + (box.width if horizontal else box.height)
        tick_pad: float = tick.get_pad()  # type: ignore[func-returns-value,assignment]
        return float(pad + (tick.get_tick_padding() + tick_pad) * points + widest + named)

    # The title stands on its baseline above the axes: only its ascent sticks out.
    top = pad + matplotlib.rcParams["axes.titlepad"] * points + _ascent(renderer, axes.title)
    width, height = figure.bbox.width, figure.bbox.height
    figure.subplots_adjust(
        left=side(axes.yaxis, horizontal=True) / width,
        right=1 - side(backlog.yaxis, horizontal=True) / width,
        bottom=side(axes.xaxis, horizontal=False) / height,
        top=1 - top / height,
    )


def _visible_labels(axis: Axis) -> list[str]:
    """The tick labels the axis will draw: its locator's ticks within the view."""
    low, high = sorted(axis.get_view_interval())
    ticks = [v for v in axis.get_majorticklocs() if low - 1e-9 <= v <= high + 1e-9]
    return [label for label in axis.get_major_formatter().format_ticks(ticks) if label]


def _ascent(renderer: RendererAgg, text: Text) -> float:
    _width, height, descent = renderer.get_text_width_height_descent(  # type: ignore[no-untyped-call]
        text.get_text(), text.get_fontproperties(), ismath=False
    )
    return float(height - descent)


def _png(figure: Figure) -> bytes:
    figure.tight_layout()
    return _save(figure)


def _save(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
