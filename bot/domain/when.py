"""Reading a moment typed by a person in local time: "25.12.2026 09:30", "завтра 8:00",
"через 2 часа", "ежедневно 08:00", "по вторникам 07:30". Pure: `now` and the zone are given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as TimeOfDay
from zoneinfo import ZoneInfo

from bot.domain.announcements import Recurrence, Repeat

WEEKDAY_STEMS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
_WEEKDAY_WORDS = ("понед", "вторн", "сред", "четв", "пятн", "суббот", "воскр")
_TIME = r"(\d{1,2})[:.](\d{2})"
_UNITS = {"мин": 60, "м": 60, "ч": 3600, "час": 3600, "д": 86400, "дн": 86400, "ден": 86400}


class WhenError(ValueError):
    """The text is not a moment this parser understands, or it is not in the future."""


@dataclass(frozen=True, slots=True)
class When:
    """`at` None means "now"; a recurrence also carries its first occurrence in `at`."""

    at: datetime | None = None
    recurrence: Recurrence | None = None


def _time(hours: str, minutes: str) -> TimeOfDay:
    h, m = int(hours), int(minutes)
    if h > 23 or m > 59:
        raise WhenError("no such time of day")
    return TimeOfDay(h, m)


def _weekday(word: str) -> int | None:
    word = word.lower()
    for i, (stem, full) in enumerate(zip(WEEKDAY_STEMS, _WEEKDAY_WORDS, strict=True)):
        if word == stem or word.startswith(full):
            return i
    return None


def parse_when(
    text: str, now: datetime, zone: ZoneInfo, *, allow_now: bool = True, allow_repeat: bool = True
) -> When:
    """Parse `text`; raise WhenError when it is not understood or lies in the past."""
    value = " ".join(text.lower().replace("ё", "е").split())
    if allow_now and value in ("сейчас", "now", "немедленно"):
        return When()
    if allow_repeat and (recurrence := _recurrence(value)) is not None:
        return When(recurrence.next_after(now, zone).astimezone(now.tzinfo), recurrence)
    at = _moment(value, now, zone)
    if at <= now:
        raise WhenError("the moment is in the past")
    return When(at)


def _recurrence(value: str) -> Recurrence | None:
    daily = re.fullmatch(r"(?:ежедневно|каждый день)(?: в)? " + _TIME, value)
    if daily:
        return Recurrence(Repeat.DAILY, _time(daily[1], daily[2]))
    weekly = re.fullmatch(
        r"(?:еженедельно(?: по| в)?|по|каждый|каждую|каждое) (\w+)(?: в)? " + _TIME, value
    )
    if weekly:
        day = _weekday(weekly[1])
        if day is None:
            raise WhenError("unknown weekday")
        return Recurrence(Repeat.WEEKLY, _time(weekly[2], weekly[3]), day)
    return None


def _moment(value: str, now: datetime, zone: ZoneInfo) -> datetime:
    local_now = now.astimezone(zone)
    later = re.fullmatch(r"через (\d{1,4}) ?([а-я]+)", value)
    if later:
        unit = next((s for prefix, s in _UNITS.items() if later[2].startswith(prefix)), None)
        if unit is None:
            raise WhenError("unknown unit")
        return now + timedelta(seconds=int(later[1]) * unit)
    full = re.fullmatch(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{2,4}))? " + _TIME, value)
    if full:
        year = int(full[3]) if full[3] else local_now.year
        year = year + 2000 if year < 100 else year
        try:
            day = date(year, int(full[2]), int(full[1]))
        except ValueError:
            raise WhenError("no such date") from None
        moment = datetime.combine(day, _time(full[4], full[5]), tzinfo=zone)
        if not full[3] and moment <= local_now:
            moment = moment.replace(year=year + 1)
        return moment.astimezone(now.tzinfo)
    relative = re.fullmatch(r"(?:(сегодня|завтра|послезавтра) )?(?:в )?" + _TIME, value)
    if relative:
        shift = {"завтра": 1, "послезавтра": 2}.get(relative[1] or "", 0)
        day = local_now.date() + timedelta(days=shift)
        return datetime.combine(day, _time(relative[2], relative[3]), tzinfo=zone).astimezone(
            now.tzinfo
        )
    raise WhenError("not understood")
