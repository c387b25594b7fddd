from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import ModerationSettings
from bot.domain.buttons import settings_button_data
from bot.domain.errors import UsageError
from bot.domain.models import Person, Role
from bot.domain.moderation import (
    ChatModeration,
    MemberRecord,
    ModEntry,
    ModKind,
    change_setting,
    may_moderate,
    message_link,
    on_probation,
    parse_duration,
    split_duration,
    undo_ops,
)
from bot.domain.outgoing import OpKind
from bot.domain.spam import DEFAULT_ALLOWED_DOMAINS, DEFAULT_PATTERNS, DEFAULT_STOP_WORDS

from .spam_cases import TABLE_MIN_CHATS

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
SETTINGS = ChatModeration(probation_messages=5, probation_days=3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1w", timedelta(weeks=1)),
        ("45s", timedelta(seconds=45)),
        ("30м", timedelta(minutes=30)),
        ("2ч", timedelta(hours=2)),
        ("3д", timedelta(days=3)),
        ("10мин", timedelta(minutes=10)),
        (" 2H ", timedelta(hours=2)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "0m", "2", "h", "2x", "1.5h", "400d", "-1h", "спам"])
def test_not_durations(text: str) -> None:
    assert parse_duration(text) is None


def test_mute_arguments_default_when_no_duration() -> None:
    default = timedelta(hours=1)
    assert split_duration("30m спор в чате", default) == (timedelta(minutes=30), "спор в чате")
    assert split_duration("спор в чате", default) == (default, "спор в чате")
    assert split_duration("", default) == (default, "")


def test_probation_ends_with_whichever_is_later() -> None:
    joined = NOW - timedelta(days=1)
    assert on_probation(MemberRecord(7, joined, messages=0), NOW, SETTINGS)
    # enough messages but still within the days
    assert on_probation(MemberRecord(7, joined, messages=50), NOW, SETTINGS)
    old = NOW - timedelta(days=10)
    # the days passed but too few messages yet
    assert on_probation(MemberRecord(7, old, messages=2), NOW, SETTINGS)
    assert not on_probation(MemberRecord(7, old, messages=5), NOW, SETTINGS)


def test_members_never_seen_joining_and_vouched_members_are_trusted() -> None:
    assert not on_probation(None, NOW, SETTINGS)
    assert not on_probation(MemberRecord(7, NOW, trusted=True), NOW, SETTINGS)


def test_who_may_moderate() -> None:
    assert may_moderate(Role.ADMIN, specialists_moderate=False)
    assert not may_moderate(Role.SPECIALIST, specialists_moderate=False)
    assert may_moderate(Role.SPECIALIST, specialists_moderate=True)
    assert not may_moderate(Role.RESIDENT, specialists_moderate=True)


def test_settings_buttons_toggle_and_step() -> None:
    current = ChatModeration(newcomer_timeout=timedelta(minutes=5), max_warnings=3)
    assert change_setting(current, "newcomer_check", "t") is False
    assert change_setting(current, "newcomer_timeout", "+") == 10
    assert change_setting(current, "newcomer_timeout", "-") == 2
    assert change_setting(ChatModeration(max_warnings=5), "max_warnings", "+") == 5
    assert change_setting(ChatModeration(max_warnings=1), "max_warnings", "-") == 1
    with pytest.raises(UsageError):
        change_setting(current, "token", "+")


def test_overrides_apply_over_defaults() -> None:
    changed = ChatModeration().with_overrides(
        {"newcomer_check": False, "newcomer_timeout": 10, "flood_messages": 4, "unknown": 1}
    )
    assert changed.newcomer_check is False
    assert changed.newcomer_timeout == timedelta(minutes=10)
    assert changed.flood_messages == 4


def test_settings_callback_data_is_short() -> None:
    assert len(settings_button_data("pm", "+").encode()) < 64


def test_undo_reverses_community_wide_actions_everywhere() -> None:
    target = Person(7, "Спамер")
    spam = ModEntry(ModKind.SPAM, -1, target, NOW, chats=(-1, -2, -3))
    assert [(op.kind, op.chat_id) for op in undo_ops(spam)] == [
        (OpKind.RELEASE, -1),
        (OpKind.RELEASE, -2),
        (OpKind.RELEASE, -3),
    ]
    ban = ModEntry(ModKind.BAN, -1, target, NOW, chats=(-1, -2))
    assert {op.kind for op in undo_ops(ban)} == {OpKind.UNBAN}
    assert undo_ops(ModEntry(ModKind.WARN, -1, target, NOW)) == []
    assert not ModEntry(ModKind.KICKED, -1, target, NOW).undoable
    assert not ModEntry(ModKind.WARN, -1, target, NOW, undone_at=NOW).undoable
    assert not ModEntry(ModKind.WARN, -1, target, NOW, settled=True).undoable


def test_message_links() -> None:
    assert message_link(-1001234567890, 42) == "https://t.me/c/1234567890/42"
    assert message_link(-1001234567890, 42, "lenina5") == "https://t.me/lenina5/42"
    assert message_link(-4000000001, 42) is None


def test_config_defaults_match_the_labelled_table() -> None:
    """The duplicate detector's default needs three chats, as measured on the table: with two,
    a resident asking the same question in the building and a topic chat is flagged."""
    defaults = ModerationSettings()
    assert defaults.duplicate_min_chats == TABLE_MIN_CHATS
    policy = defaults.spam_policy()
    assert policy.stop_words == DEFAULT_STOP_WORDS
    assert policy.patterns == DEFAULT_PATTERNS
    assert policy.allowed_domains == DEFAULT_ALLOWED_DOMAINS


def test_config_accepts_short_durations_and_extra_rules() -> None:
    settings = ModerationSettings(
        newcomer_timeout="2m", flood_mute="PT5M", extra_stop_words=("сетевой маркетинг",)
    )
    assert settings.newcomer_timeout == timedelta(minutes=2)
    assert settings.flood_mute == timedelta(minutes=5)
    assert settings.spam_policy().stop_words[-1] == "сетевой маркетинг"
    with pytest.raises(ValueError, match="invalid spam pattern"):
        ModerationSettings(extra_patterns=("(",))
