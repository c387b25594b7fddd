"""PNG bar charts of poll results (matplotlib, no display needed)."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt  # noqa: E402  (the backend must be chosen first)


def poll_chart(question: str, options: Sequence[str], totals: Sequence[int]) -> bytes:
    """Horizontal bars, one per option, labelled with the count and the share of votes."""
    voters = sum(totals) or 1
    labels = [textwrap.shorten(option, 40, placeholder="…") for option in options]
    height = 1.2 + 0.55 * len(options)
    fig, ax = plt.subplots(figsize=(8, height), dpi=100)
    try:
        positions = list(range(len(options)))[::-1]
        bars = ax.barh(positions, list(totals), color="#2f6db5")
        ax.set_yticks(positions, labels)
        ax.set_xlabel("Голоса")
        ax.set_title(textwrap.fill(question, 70), fontsize=11)
        top = max(totals) if totals and max(totals) > 0 else 1
        ax.set_xlim(0, top * 1.25)
        for bar, count in zip(bars, totals, strict=True):
            ax.text(
                bar.get_width() + top * 0.02,
                bar.get_y() + bar.get_height() / 2,
                f"{count} ({round(100 * count / voters)}%)",
                va="center",
            )
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)
