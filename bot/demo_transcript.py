"""The demo's transcript: every action and every effect in the order it happened, each line
saying when, who and where."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.fake_telegram import FakeChat, FakeTelegram, FakeUser

_TAG = re.compile(r"<[^>]+>")
_LIMIT = 400

# What each Bot API call the bot made looks like in the transcript.
_ACTIONS = {
    "sendMessage": "пишет",
    "sendPhoto": "присылает картинку",
    "sendDocument": "присылает файл",
    "sendPoll": "публикует опрос",
    "editMessageText": "обновляет сообщение",
    "editMessageCaption": "обновляет подпись",
    "editMessageReplyMarkup": None,
    "deleteMessage": "удаляет сообщение",
    "restrictChatMember": "ограничивает участника",
    "banChatMember": "удаляет участника",
    "unbanChatMember": None,
    "stopPoll": "завершает опрос",
    "pinChatMessage": "закрепляет сообщение",
}


def _lifts(params: dict[str, Any]) -> bool:
    permissions = params.get("permissions")
    if isinstance(permissions, str):
        import json

        permissions = json.loads(permissions)
    return isinstance(permissions, dict) and bool(permissions.get("can_send_messages"))


def plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text)).strip()


class Transcript:
    def __init__(
        self, fake: FakeTelegram, out: TextIO, clock: Callable[[], datetime], zone: ZoneInfo
    ) -> None:
        self._fake = fake
        self._out = out
        self._clock = clock
        self._zone = zone
        self._places: dict[int, str] = {}
        self._seen = len(fake.calls)

    def place(self, chat: FakeChat) -> None:
        self._places[chat.id] = f"«{chat.title}»"

    def person(self, user: FakeUser) -> None:
        self._places[user.id] = f"личном чате с ботом ({user.first_name})"

    def where(self, chat_id: int) -> str:
        return self._places.get(chat_id, f"чат {chat_id}")

    def _time(self) -> str:
        return self._clock().astimezone(self._zone).strftime("%H:%M")

    def part(self, title: str) -> None:
        print(f"\n══ {title} ══", file=self._out)

    def acts(self, who: FakeUser, chat_id: int, what: str) -> None:
        """A person's action: the cause, printed before its effects."""
        self.effects()
        name = f"{who.first_name} {who.last_name or ''}".strip()
        self._line(f"{name} в {self.where(chat_id)}: {what}")

    def note(self, text: str) -> None:
        self.effects()
        print(f"{self._time()}  ⏩ {text}", file=self._out)

    def effects(self) -> None:
        """The bot's calls since the last look, in the order the double received them."""
        calls = self._fake.calls
        for call in calls[self._seen :]:
            action = _ACTIONS.get(call.method)
            if not call.ok or action is None:
                continue
            if call.method == "restrictChatMember" and _lifts(call.params):
                action = "снимает ограничения с участника"
            self._line(self._bot_line(call.method, action, call.params))
        self._seen = len(calls)

    def _bot_line(self, method: str, action: str, params: dict[str, Any]) -> str:
        where = self.where(int(params.get("chat_id", 0)))
        body = params.get("text") or params.get("caption") or params.get("question") or ""
        if method == "sendPoll":
            options = params.get("options") or []
            labels = [o.get("text", o) if isinstance(o, dict) else str(o) for o in options]
            body = f"{body} [{' / '.join(str(label) for label in labels)}]"
        text = plain(str(body))
        if len(text) > _LIMIT:
            text = text[:_LIMIT] + "…"
        markup = params.get("reply_markup")
        if isinstance(markup, dict):
            buttons = [b.get("text", "") for row in markup.get("inline_keyboard", []) for b in row]
            if buttons:
                text += "\n" + " ".join(f"[{label}]" for label in buttons)
        line = f"🤖 бот {action} в {where}"
        if text:
            line += ":\n" + text
        return line

    def _line(self, text: str) -> None:
        first, *rest = text.split("\n")
        print(f"{self._time()}  {first}", file=self._out)
        for more in rest:
            print(f"         {more}", file=self._out)
