"""Small formatting helpers shared by the text modules."""

from __future__ import annotations

import html
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.domain.models import Person

MONTHS_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)

MESSAGE_LIMIT = 4096
"""Telegram's limit on a message's text after entities are parsed."""


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def plain(html_text: str) -> str:
    """Telegram HTML (as `esc` and the message's own formatting write it) as plain text."""
    return (
        re.sub(r"<[^>]+>", "", html_text)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
    )


def mention(person: Person) -> str:
    """A link that notifies the person (works without a username)."""
    return f'<a href="tg://user?id={person.user_id}">{esc(person.name)}</a>'


def quote(text: str, limit: int = 700) -> str:
    """A resident's text, shortened for cards and lists, escaped."""
    text = text.strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return esc(text)


def day_month(day: date) -> str:
    return f"{day.day} {MONTHS_GENITIVE[day.month - 1]}"


def full_date(day: date) -> str:
    return f"{day.day} {MONTHS_GENITIVE[day.month - 1]} {day.year}"


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.day:02d}.{local.month:02d}.{local.year} {local.hour:02d}:{local.minute:02d}"


def fit_lines(header: str, lines: list[str], more: str, limit: int = MESSAGE_LIMIT - 96) -> str:
    """Join lines under a header, cutting the list so the message stays within Telegram's limit.

    `more` is a format string with {count} for the number of lines left out.
    """
    out = [header]
    size = len(header)
    for index, line in enumerate(lines):
        if size + len(line) + 1 > limit:
            out.append(more.format(count=len(lines) - index))
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)
