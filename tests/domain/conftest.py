"""The anti-spam rates on the labelled table, printed at the end of every test run."""

from __future__ import annotations

from typing import Any

from .spam_cases import TABLE_MIN_CHATS, measure, report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    terminalreporter.section("anti-spam rates on the labelled table")
    terminalreporter.write_line(f"duplicate detector min_chats={TABLE_MIN_CHATS} (the default)")
    terminalreporter.write_line(report(measure()))
