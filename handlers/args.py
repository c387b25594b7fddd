"""Parsing command arguments into values, or a usage line for the user."""

from __future__ import annotations

from datetime import date

from bot.domain.errors import UsageError


def issue_number(text: str | None, usage: str) -> int:
    value = (text or "").strip().lstrip("№#")
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    if not value.isdecimal() or int(value) <= 0:
        raise UsageError(usage)
    return int(value)


def split_number(args: str | None, usage: str) -> tuple[int, str]:
    """`N rest of the text` -> (N, rest)."""
    head, _, rest = (args or "").strip().partition(" ")
    return issue_number(head, usage), rest.strip()


def parse_date(text: str, usage: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(usage) from None
