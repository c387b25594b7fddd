"""How long a stored text may be: the lengths of the bounded columns, checked here.

PostgreSQL refuses a value longer than its VARCHAR column and SQLite keeps it, so a check left
to the database would answer differently on the two backends (an error on one, a row on the
other). What a user types into a bounded field is refused with `TooLong` (bot.domain.errors,
worded by bot.texts.errors); what a messenger supplies (a person's name) is shortened with
`clip`, since nobody can retype it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Bounded(StrEnum):
    CHAT_NAME = "chat_name"
    ORG = "org"
    DEPARTMENT = "department"


LIMITS: dict[Bounded, int] = {
    Bounded.CHAT_NAME: 200,  # chats.name, and the deliveries' chat_name copies
    Bounded.ORG: 200,  # chats.org
    Bounded.DEPARTMENT: 100,  # chats.department, specialist_grants.department, issues.department
}
PERSON_NAME = 300  # users.name, issues.author_name, every *_name of a person
USERNAME = 64  # users.username
# Numbers a user types are held to their columns' range: a larger one names nothing, and
# the database would refuse it with an overflow (SQLite past 2^63, PostgreSQL's INTEGER
# past 2^31) instead of "not found".
ISSUE_NUMBER_MAX = 2**31 - 1  # issues.number, and every number in a button
ACCOUNT_ID_MAX = 2**63 - 1  # users.id (a Telegram or MAX account)


def whole_number(text: str, most: int, least: int = 1) -> int | None:
    """The number least..most written in `text` in ASCII digits ("17", "№17", "#17"), or None.

    Only ASCII digits: "²" and "٣" are digits to str.isdigit, and int() refuses the first."""
    value = text.strip().lstrip("№#")
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(most)):
        return None
    number = int(value)
    return number if least <= number <= most else None


def fits(text: str, field: Bounded) -> bool:
    return len(text) <= LIMITS[field]


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in "…" when it was cut.

    Python counts characters (code points) as PostgreSQL's VARCHAR does, so the result always
    fits; trailing spaces before the ellipsis are dropped."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def without_nul(value: Any) -> Any:
    """A messenger's raw update with U+0000 taken out of every string, keys included.

    PostgreSQL's text types cannot hold that character at all (SQLite can), and no person
    types it: a forged or broken update must not fail on one backend only."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    return value
