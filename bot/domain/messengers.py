"""Which messenger an id belongs to.

The core keys chats and people by one integer, as Telegram does. Telegram's ids have at most
52 significant bits (the Bot API says so for user and chat ids alike), so every integer at or
above 2**53 in absolute value is free. A MAX id enters the core shifted into that free range,
users and chats apart (MAX, unlike Telegram, numbers dialogs and people separately):

- a MAX user `u` (u >= 0) is `MAX_USER_BASE + u`;
- a MAX chat `c` is `±(MAX_CHAT_BASE + |c|)`, keeping its sign.

Plain Telegram ids stay as they are, so existing data and configs keep their meaning. Every
table that holds a chat or a person id (issues, chats, users, roles, moderation, the outbox)
thereby knows the messenger without a column of its own; the outbox still stores the
messenger (`outbox.messenger`) so each adapter's sender picks only its own entries by index.
"""

from __future__ import annotations

from enum import StrEnum


class Messenger(StrEnum):
    TELEGRAM = "telegram"
    MAX = "max"


NATIVE_POLLS = frozenset({Messenger.TELEGRAM})
"""Messengers with polls of their own; elsewhere a poll is a message with one button per
option, its votes counted by the core."""

MAX_USER_BASE = 1 << 53
MAX_CHAT_BASE = 1 << 54
_MAX_NATIVE_USER = MAX_CHAT_BASE - MAX_USER_BASE  # MAX users fit below the chats' range
_MAX_NATIVE_CHAT = (1 << 62) - 1


def max_user(native: int) -> int:
    """The core id of MAX user `native`."""
    if not 0 <= native < _MAX_NATIVE_USER:
        raise ValueError(f"MAX user id {native} is out of the supported range")
    return MAX_USER_BASE + native


def max_chat(native: int) -> int:
    """The core id of MAX chat `native` (group chats may be negative)."""
    if abs(native) > _MAX_NATIVE_CHAT:
        raise ValueError(f"MAX chat id {native} is out of the supported range")
    shifted = MAX_CHAT_BASE + abs(native)
    return -shifted if native < 0 else shifted


def messenger_of(core_id: int) -> Messenger:
    """The messenger of a chat or user id as the core holds it."""
    return Messenger.MAX if abs(core_id) >= MAX_USER_BASE else Messenger.TELEGRAM


def has_native_polls(chat_id: int) -> bool:
    return messenger_of(chat_id) in NATIVE_POLLS


def is_max_user(core_id: int) -> bool:
    return MAX_USER_BASE <= core_id < MAX_CHAT_BASE


def native_max_user(core_id: int) -> int:
    if not is_max_user(core_id):
        raise ValueError(f"{core_id} is not a MAX user id")
    return core_id - MAX_USER_BASE


def native_max_chat(core_id: int) -> int:
    if abs(core_id) < MAX_CHAT_BASE:
        raise ValueError(f"{core_id} is not a MAX chat id")
    native = abs(core_id) - MAX_CHAT_BASE
    return -native if core_id < 0 else native


_PERSON = 'expected a Telegram id like 111 or a MAX id like "max:222"'


def parse_person(value: int | str) -> int:
    """A person in the config: a plain number is a Telegram id, "max:222" a MAX user."""
    if isinstance(value, bool):
        raise ValueError('expected a Telegram id like 111 or a MAX id like "max:222"')
    if isinstance(value, int):
        if messenger_of(value) is not Messenger.TELEGRAM:
            raise ValueError(f'{value} is too large for a Telegram id; write "max:…" for MAX')
        return value
    text = value.strip().lower()
    prefix, sep, number = text.partition(":")
    if not sep:
        if text.lstrip("-").isdigit():
            return parse_person(int(text))
        raise ValueError(f'{value!r}: expected a Telegram id like 111 or a MAX id like "max:222"')
    if prefix == Messenger.TELEGRAM and number.isdigit():
        return parse_person(int(number))
    if prefix == Messenger.MAX and number.isdigit():
        return max_user(int(number))
    raise ValueError(f'{value!r}: expected a Telegram id like 111 or a MAX id like "max:222"')


def describe_person(core_id: int) -> str:
    """The config spelling of a person id: 111 or "max:222"."""
    if is_max_user(core_id):
        return f"max:{native_max_user(core_id)}"
    return str(core_id)
