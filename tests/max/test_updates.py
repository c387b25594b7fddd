"""MAX updates as core values: ids shifted per messenger, `seq` as the message id, dialogs as
the person's own chat, replies read back, and a digest that keys identical updates alike."""

from __future__ import annotations

from typing import Any

from bot.domain.messengers import max_chat, max_user
from bot.domain.outgoing import Button
from bot.max.client import MaxError, keyboard
from bot.max.updates import UPDATE_KEY_BASE, callback_in, message_in, update_key

BOT = {"user_id": 1, "first_name": "bot", "is_bot": True}


def _message(chat_type: str = "chat", **extra: Any) -> dict[str, Any]:
    return {
        "sender": {"user_id": 5, "first_name": "Анна", "name": "Анна П", "is_bot": False},
        "recipient": {"chat_id": -77, "chat_type": chat_type, "user_id": None},
        "timestamp": 1_790_000_000_000,
        "body": {"mid": "mid.abc", "seq": 42, "text": "#проблема"},
        **extra,
    }


def test_a_group_message() -> None:
    parsed = message_in(_message())
    assert parsed is not None
    assert parsed.incoming.place.chat_id == max_chat(-77)
    assert parsed.incoming.message_id == 42 and parsed.mid == "mid.abc"
    assert parsed.incoming.author.user_id == max_user(5)
    assert parsed.incoming.author.name == "Анна П"
    assert not parsed.private and parsed.reply_to_seq is None


def test_a_dialog_is_the_persons_own_chat_and_a_reply_is_read_back() -> None:
    link = {
        "type": "reply",
        "sender": {"user_id": 9, "first_name": "Пётр", "is_bot": False},
        "message": {"mid": "mid.x", "seq": 7, "text": "что-то"},
    }
    parsed = message_in(_message("dialog", link=link))
    assert parsed is not None and parsed.private
    assert parsed.caller.chat_id == max_user(5)
    assert parsed.reply_to_seq == 7
    assert parsed.reply_to_author is not None and parsed.reply_to_author.user_id == max_user(9)


def test_a_press_in_a_dialog_answers_the_presser() -> None:
    update = {
        "update_type": "message_callback",
        "callback": {
            "callback_id": "cb1",
            "payload": "vrd:yes:3",
            "timestamp": 1,
            "user": {"user_id": 5, "first_name": "Анна"},
        },
        "message": {
            **_message("dialog"),
            "sender": {"user_id": 1, "first_name": "bot", "is_bot": True},
        },
    }
    press = callback_in(update)
    assert press is not None
    assert press.caller.chat_id == max_user(5) and press.payload == "vrd:yes:3"


def test_update_keys_are_stable_and_beyond_telegram_ids() -> None:
    update = {"update_type": "message_created", "message": _message()}
    assert update_key(update) == update_key(dict(update))
    assert update_key(update) >= UPDATE_KEY_BASE
    other = {"update_type": "message_edited", "message": _message()}
    assert update_key(other) != update_key(update)


def test_buttons_and_errors() -> None:
    [attachment] = keyboard(((Button("Взять", "iss:take:1"),),)) or []
    assert attachment == {
        "type": "inline_keyboard",
        "payload": {"buttons": [[{"type": "callback", "text": "Взять", "payload": "iss:take:1"}]]},
    }
    assert keyboard(()) is None
    assert MaxError(429, "too.many.requests", "").transient
    assert MaxError(503, "x", "").transient and MaxError(0, "network", "").transient
    assert not MaxError(403, "chat.denied", "").transient
