"""Counting in sliding windows, as a messenger's limits count: the most events in any span."""

from __future__ import annotations


def max_in_window(times: list[float], window: float) -> int:
    """The most of `times` (seconds) that fall within any `window` seconds."""
    times = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best
