"""MAX ids enter the core in a range Telegram's ids never reach, users and chats apart."""

from __future__ import annotations

import pytest

from bot.domain.messengers import (
    Messenger,
    describe_person,
    is_max_user,
    max_chat,
    max_user,
    messenger_of,
    native_max_chat,
    native_max_user,
    parse_person,
)
from bot.domain.outgoing import Outgoing

TELEGRAM_IDS = [1, 777000, 2**52 - 1, -1001234567890, -(2**52 - 1)]


@pytest.mark.parametrize("telegram_id", TELEGRAM_IDS)
def test_telegram_ids_stay_telegram(telegram_id: int) -> None:
    assert messenger_of(telegram_id) is Messenger.TELEGRAM
    assert Outgoing(chat_id=telegram_id, text="x").messenger is Messenger.TELEGRAM


@pytest.mark.parametrize("native", [0, 1, 222, 10**15])
def test_max_users_round_trip(native: int) -> None:
    core = max_user(native)
    assert messenger_of(core) is Messenger.MAX and is_max_user(core)
    assert native_max_user(core) == native


@pytest.mark.parametrize("native", [-68000000001, 68000000001, 10_000_100_001, -(2**61)])
def test_max_chats_round_trip_and_are_not_users(native: int) -> None:
    core = max_chat(native)
    assert messenger_of(core) is Messenger.MAX and not is_max_user(core)
    assert native_max_chat(core) == native
    assert Outgoing(chat_id=core, text="x").messenger is Messenger.MAX


def test_config_spelling() -> None:
    assert parse_person(111) == 111
    assert parse_person("max:222") == max_user(222)
    assert parse_person("telegram:5") == 5
    assert describe_person(max_user(222)) == "max:222"
    assert describe_person(111) == "111"
    for wrong in ("vk:1", "max:", "max:-1", True, 2**60):
        with pytest.raises(ValueError):
            parse_person(wrong)
