"""Plan announcements with the send-rate planner; print durations, limit checks and cost.

Run from the repository root: `python bench/rate_limit_plan.py`.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.telegram.rate_limit import RateLimits, SendPlanner  # noqa: E402
from tests.domain.test_rate_limit import violations  # noqa: E402

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
LIMITS = RateLimits()
REPEATS = 5
REPLIES_PER_SECOND = 4  # under the 5/s the kept slots promise


def audience(size: int, groups: int) -> list[int]:
    """`groups` group chats first, then private chats, all distinct."""
    return [-1_000_000 - i for i in range(groups)] + list(range(1, size - groups + 1))


def run(name: str, chat_ids: list[int]) -> None:
    best = float("inf")
    for _ in range(REPEATS):
        planner = SendPlanner(LIMITS)
        started = time.perf_counter()
        slots = planner.plan(chat_ids, NOW)
        best = min(best, time.perf_counter() - started)
    # Replies at REPLIES_PER_SECOND to fresh chats while the announcement goes out.
    waits = []
    sends = list(zip(chat_ids, slots, strict=True))
    span = max(slots) - NOW
    for k in range(int(span.total_seconds() * REPLIES_PER_SECOND)):
        at = NOW + k * timedelta(seconds=1) / REPLIES_PER_SECOND
        reply = planner.reserve(-5 - k, at)
        waits.append((reply - at) / timedelta(milliseconds=1))
        sends.append((-5 - k, reply))
    broken = violations(sends, LIMITS)
    verdict = "OK" if not broken else f"{len(broken)} broken, e.g. {broken[0]}"
    print(
        f"{name:<34} msgs={len(chat_ids):>6}  planned span={span.total_seconds():8.2f} s"
        f"  cost={best / len(chat_ids) * 1e6:6.2f} µs/msg"
        f"  replies={len(waits):>5} wait max={max(waits, default=0):5.1f} ms"
        f"  limits {verdict}"
    )


def reserve_cost(count: int) -> None:
    """Interactive reserve() one by one, `now` advancing 0.1 s per call."""
    best = float("inf")
    for _ in range(REPEATS):
        planner = SendPlanner(LIMITS)
        moments = [NOW + k * timedelta(milliseconds=100) for k in range(count)]
        started = time.perf_counter()
        for k, at in enumerate(moments):
            planner.reserve(k % 500 - 250 or 1, at)
        best = min(best, time.perf_counter() - started)
    print(
        f"{'reserve() x ' + format(count, ','):<34} cost={best / count * 1e6:6.2f} µs/call"
        f"  tracked chats at the end={planner.tracked_chats}"
    )


def main() -> None:
    print(
        f"limits: {LIMITS.global_per_second}/s global, {LIMITS.group_per_minute}/min per group,"
        f" {LIMITS.per_chat_interval.total_seconds()} s per chat,"
        f" every {LIMITS.interactive_every}th slot kept for replies; best of {REPEATS}"
    )
    run("1,000 chats (35 groups)", audience(1_000, 35))
    run("10,000 chats (350 groups)", audience(10_000, 350))
    run("1,000 messages into 35 groups", [-1_000_000 - i % 35 for i in range(1_000)])
    run("35 groups x 1", audience(35, 35))
    reserve_cost(10_000)
    print(f"replies: fresh chats, {REPLIES_PER_SECOND}/s, over each announcement's span")


if __name__ == "__main__":
    main()
