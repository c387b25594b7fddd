"""Print the anti-spam detection and false-positive rates on the labelled table.

Run from the repository root: `python bench/spam_rates.py`. Prints the rates with the
table's duplicate-detector setting and with min_chats=2, then how fast `check_message` is.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.domain.spam import MessageFacts, check_message  # noqa: E402
from tests.domain.spam_cases import CASES, TABLE_MIN_CHATS, TABLE_POLICY, measure, report  # noqa: E402


def throughput(rounds: int = 200) -> float:
    """Messages per second through `check_message` alone, over the table's texts."""
    sent_at = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)
    messages = [
        MessageFacts(chat_id=1, user_id=7, sent_at=sent_at, text=case.text, urls=case.urls)
        for case in CASES
    ]
    started = time.perf_counter()
    for _ in range(rounds):
        for message in messages:
            check_message(message, TABLE_POLICY)
    return rounds * len(messages) / (time.perf_counter() - started)


def main() -> None:
    print(f"== duplicate detector with min_chats={TABLE_MIN_CHATS} (the table's setting)")
    print(report(measure()))
    print("\n== duplicate detector with min_chats=2")
    print(report(measure(min_chats=2)))
    print(f"\ncheck_message: {throughput():,.0f} messages/s")


if __name__ == "__main__":
    main()
