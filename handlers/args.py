"""Parsing command arguments into values, or a usage line for the user."""

from __future__ import annotations

from datetime import date

from bot.domain.errors import UsageError
from bot.domain.limits import ACCOUNT_ID_MAX, ISSUE_NUMBER_MAX, whole_number


def whole(text: str | None, usage: str, most: int = ISSUE_NUMBER_MAX) -> int:
    """The number 1..most the user typed, or the usage line."""
    number = whole_number(text or "", most)
    if number is None:
        raise UsageError(usage)
    return number


def issue_number(text: str | None, usage: str) -> int:
    return whole(text, usage)


def account_id(text: str, usage: str) -> int:
    return whole(text, usage, ACCOUNT_ID_MAX)


def split_number(args: str | None, usage: str) -> tuple[int, str]:
    """`N rest of the text` -> (N, rest)."""
    head, _, rest = (args or "").strip().partition(" ")
    return issue_number(head, usage), rest.strip()


def parse_date(text: str, usage: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(usage) from None
