"""Announcement rules: reading times, repetitions, targets, poll tallies, report wording."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from datetime import time as TimeOfDay
from zoneinfo import ZoneInfo

import pytest

from bot.domain.announcements import (
    Announcement,
    AnnouncementStatus,
    Delivery,
    DeliveryStatus,
    PollCounts,
    Recurrence,
    Repeat,
    TargetKind,
    Targets,
    organisations,
    tally,
)
from bot.domain.models import ChatKind, ChatPlace, Person, RegisteredChat
from bot.domain.outgoing import MAYBE_SENT
from bot.domain.when import WhenError, parse_when
from bot.texts import announcements as t

ZONE = ZoneInfo("Asia/Kamchatka")  # UTC+12
# Tuesday 10 March 2026, 14:30 local time.
NOW = datetime(2026, 3, 10, 14, 30, tzinfo=ZONE).astimezone(UTC)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25.12.2026 09:30", local(2026, 12, 25, 9, 30)),
        ("25.12.26 9:30", local(2026, 12, 25, 9, 30)),
        ("12.03 08:00", local(2026, 3, 12, 8, 0)),
        ("01.03 08:00", local(2027, 3, 1, 8, 0)),  # already past this year: next year
        ("18:00", local(2026, 3, 10, 18, 0)),
        ("в 18.00", local(2026, 3, 10, 18, 0)),
        ("завтра 8:00", local(2026, 3, 11, 8, 0)),
        ("послезавтра в 07:15", local(2026, 3, 12, 7, 15)),
        ("через 30 минут", NOW + timedelta(minutes=30)),
        ("через 2 часа", NOW + timedelta(hours=2)),
        ("Через 3 дня", NOW + timedelta(days=3)),
    ],
)
def test_moments_in_local_time(text: str, expected: datetime) -> None:
    when = parse_when(text, NOW, ZONE)
    assert when.at == expected and when.recurrence is None


def test_now_means_no_time() -> None:
    assert parse_when("сейчас", NOW, ZONE).at is None
    with pytest.raises(WhenError):
        parse_when("сейчас", NOW, ZONE, allow_now=False)


@pytest.mark.parametrize(
    "text", ["10:00", "10.03.2026 14:00", "завтра", "31.02.2027 10:00", "25:00", "когда-нибудь"]
)
def test_past_or_unreadable_moments_are_refused(text: str) -> None:
    with pytest.raises(WhenError):
        parse_when(text, NOW, ZONE)


@pytest.mark.parametrize(
    ("text", "recurrence", "first"),
    [
        ("ежедневно 08:00", Recurrence(Repeat.DAILY, TimeOfDay(8, 0)), local(2026, 3, 11, 8)),
        ("каждый день в 15:00", Recurrence(Repeat.DAILY, TimeOfDay(15)), local(2026, 3, 10, 15)),
        (
            "по вторникам 07:30",
            Recurrence(Repeat.WEEKLY, TimeOfDay(7, 30), 1),
            local(2026, 3, 17, 7, 30),
        ),
        (
            "еженедельно пт 18:00",
            Recurrence(Repeat.WEEKLY, TimeOfDay(18), 4),
            local(2026, 3, 13, 18),
        ),
        ("каждую среду 9:00", Recurrence(Repeat.WEEKLY, TimeOfDay(9), 2), local(2026, 3, 11, 9)),
    ],
)
def test_repetitions(text: str, recurrence: Recurrence, first: datetime) -> None:
    when = parse_when(text, NOW, ZONE)
    assert when.recurrence == recurrence
    assert when.at == first
    with pytest.raises(WhenError):
        parse_when(text, NOW, ZONE, allow_repeat=False)


def test_weekly_repetition_advances_a_week_at_a_time() -> None:
    rule = Recurrence(Repeat.WEEKLY, TimeOfDay(7, 30), 1)
    first = rule.next_after(NOW, ZONE)
    assert rule.next_after(first, ZONE) == first + timedelta(days=7)


def chat(
    chat_id: int, kind: ChatKind, org: str | None = None, active: bool = True
) -> RegisteredChat:
    return RegisteredChat(
        ChatPlace(chat_id), kind, f"Чат {chat_id}", 1, NOW, active=active, org=org
    )


CHATS = [
    chat(-1, ChatKind.BUILDING, "УК Северная"),
    chat(-2, ChatKind.BUILDING, "ук северная"),
    chat(-3, ChatKind.BUILDING, "Водоканал"),
    chat(-4, ChatKind.TOPIC),
    chat(-5, ChatKind.STAFF, "УК Северная"),
    chat(-6, ChatKind.BUILDING, "УК Северная", active=False),
]


def ids(chats: list[RegisteredChat]) -> list[int]:
    return [c.place.chat_id for c in chats]


def test_targets_never_include_the_staff_chat_or_inactive_chats() -> None:
    assert ids(Targets(TargetKind.BUILDINGS).select(CHATS)) == [-1, -2, -3]
    assert ids(Targets(TargetKind.TOPICS).select(CHATS)) == [-4]
    assert ids(Targets(TargetKind.ORG, org="УК СЕВЕРНАЯ").select(CHATS)) == [-1, -2]
    chosen = Targets(TargetKind.CHOSEN, places=(ChatPlace(-4), ChatPlace(-5), ChatPlace(-1)))
    assert ids(chosen.select(CHATS)) == [-1, -4]
    assert Targets.from_json(chosen.to_json()) == chosen


def test_organisations_are_listed_once_whatever_their_case() -> None:
    assert organisations(CHATS) == ["Водоканал", "УК Северная"]


def delivery(n: int, status: DeliveryStatus, poll: str | None = None, **kw: object) -> Delivery:
    return Delivery(n, ChatPlace(-n), f"Дом {n}", status, tg_poll_id=poll, **kw)  # type: ignore[arg-type]


def test_poll_tally_adds_every_chat_and_keeps_the_breakdown() -> None:
    deliveries = [
        delivery(1, DeliveryStatus.SENT, "a"),
        delivery(2, DeliveryStatus.SENT, "b"),
        delivery(3, DeliveryStatus.FAILED, error="Forbidden: bot was kicked"),
    ]
    counts = {"a": PollCounts((2, 1, 0), 3), "b": PollCounts((0, 4, 1), 5)}
    result = tally(("Да", "Нет", "Не знаю"), deliveries, counts)
    assert result.totals == (2, 5, 1)
    assert result.voters == 8
    assert [c.counts for c in result.chats] == [(2, 1, 0), (0, 4, 1), (0, 0, 0)]
    assert not result.chats[2].delivered


def test_report_names_the_failed_chat_and_why() -> None:
    announcement = Announcement(
        7,
        Person(1, "Пресс-служба"),
        1,
        "текст",
        Targets(TargetKind.BUILDINGS),
        True,
        AnnouncementStatus.DONE,
        NOW,
    )
    deliveries = [
        delivery(1, DeliveryStatus.SENT, pinned=True),
        delivery(2, DeliveryStatus.SENT, pinned=False, pin_error="not enough rights to pin"),
        delivery(3, DeliveryStatus.FAILED, error="Forbidden: bot was kicked from the group chat"),
    ]
    text = t.report(announcement, deliveries)
    assert "Доставлено: 2 из 3. Закреплено: 1." in text
    assert "Дом 3 — бот удалён из чата" in text
    assert "Дом 2 — у бота нет прав" in text
    assert t.reason("Bad Request: <weird>") == "Bad Request: &lt;weird&gt;"


def test_report_tells_a_copy_a_restart_cut_short_apart_from_a_failure() -> None:
    announcement = Announcement(
        8,
        Person(1, "Пресс-служба"),
        1,
        "текст",
        Targets(TargetKind.BUILDINGS),
        False,
        AnnouncementStatus.DONE,
        NOW,
    )
    deliveries = [
        delivery(1, DeliveryStatus.SENT),
        delivery(2, DeliveryStatus.FAILED, error=MAYBE_SENT),
        delivery(3, DeliveryStatus.FAILED, error="Forbidden: bot was kicked from the group chat"),
    ]
    text = t.report(announcement, deliveries)
    assert "Доставлено: 1 из 3." in text
    assert "Не доставлено:\n• Дом 3 — бот удалён из чата" in text
    assert "Возможно, доставлено" in text and "\n• Дом 2" in text
    # The outbox's own wording never reaches the admin, in the report or anywhere else.
    assert "maybe sent" not in text
    assert t.reason(MAYBE_SENT).startswith("возможно, доставлено")
