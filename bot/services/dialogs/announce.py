"""The /announce dialog: content, target chats, when (once, later or repeating), pin, preview,
send."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from datetime import time as TimeOfDay
from typing import Any

from bot.domain.announcements import CAPTION_MAX, Media, Recurrence, Repeat, Targets
from bot.domain.errors import UsageError
from bot.domain.models import Caller
from bot.domain.outgoing import Attachment, AttachmentKind, Button, Outgoing
from bot.domain.when import When, WhenError, parse_when
from bot.services.announcements import AnnouncementDraft
from bot.services.dialogs.common import (
    TARGET_BUTTONS,
    DraftInput,
    Step,
    TargetedDialog,
    cancel_buttons,
    confirm_keyboard,
    wizard_button,
    yes_no,
)
from bot.texts import announcements as t

ANN_CONTENT = "ann:content"
ANN_TARGETS = "ann:targets"
ANN_ORG = "ann:org"
ANN_CHATS = "ann:chats"
ANN_WHEN = "ann:when"
ANN_PIN = "ann:pin"
ANN_CONFIRM = "ann:confirm"

STATES = (ANN_CONTENT, ANN_TARGETS, ANN_ORG, ANN_CHATS, ANN_WHEN, ANN_PIN, ANN_CONFIRM)


class AnnounceDialog(TargetedDialog):
    FLOW = "ann"
    BUTTONS = (
        cancel_buttons(tuple(state.partition(":")[2] for state in STATES))
        | TARGET_BUTTONS
        | {("now", "when"), ("pin", "pin"), ("send", "confirm")}
    )

    async def start(self, caller: Caller) -> Step:
        return await self._start(caller, ANN_CONTENT, t.ASK_CONTENT, {"flow": "ann"})

    async def on_input(
        self, caller: Caller, state: str, data: dict[str, Any], given: DraftInput
    ) -> Step:
        if state == ANN_CONTENT:
            return await self._content(caller, data, given)
        if state == ANN_WHEN:
            return await self._when(caller, data, given.text)
        raise UsageError(t.USE_BUTTONS)

    async def on_button(
        self, caller: Caller, state: str, data: dict[str, Any], action: str, value: str
    ) -> Step:
        if action == "now":
            data["when"] = _when_json(When())
            return await self._ask_pin(caller, data)
        if action == "pin":
            data["pin"] = value == "1"
            return await self._preview(caller, data)
        if action == "send":
            await self._announcements.create(caller, _draft(data))
            return Step(None)
        return await self._target_button(caller, state, data, action, value)

    async def _content(self, caller: Caller, data: dict[str, Any], given: DraftInput) -> Step:
        if given.unsupported or (not given.html.strip() and given.media is None):
            raise UsageError(t.BAD_CONTENT)
        if given.media is not None and len(given.text) > CAPTION_MAX:
            raise UsageError(t.CAPTION_TOO_LONG)
        data["text"] = given.html
        data["media"] = [given.media.kind.value, given.media.file_id] if given.media else None
        return await self._ask_targets(caller, ANN_TARGETS, data)

    async def _after_targets(self, caller: Caller, data: dict[str, Any]) -> Step:
        keyboard = ((Button(t.BUTTON_NOW, wizard_button("now")),),)
        return await self._ask(caller, ANN_WHEN, data, t.ASK_WHEN, keyboard)

    async def _when(self, caller: Caller, data: dict[str, Any], text: str) -> Step:
        try:
            when = parse_when(text, self._clock(), self._zone)
        except WhenError as exc:
            past = "past" in str(exc)
            raise UsageError(t.PAST_WHEN if past else t.BAD_WHEN) from None
        data["when"] = _when_json(when)
        return await self._ask_pin(caller, data)

    async def _ask_pin(self, caller: Caller, data: dict[str, Any]) -> Step:
        keyboard = yes_no("pin", t.BUTTON_PIN, t.BUTTON_NO_PIN)
        return await self._ask(caller, ANN_PIN, data, t.ASK_PIN, keyboard)

    async def _preview(self, caller: Caller, data: dict[str, Any]) -> Step:
        draft = _draft(data)
        names = await self._names(data)
        if not names:
            raise UsageError(t.NO_TARGETS)
        media = draft.media
        content = Outgoing(
            chat_id=caller.chat_id,
            text=draft.text,
            attachment=Attachment(media.kind, file_id=media.file_id) if media else None,
        )
        summary = t.preview_summary(
            names, draft.targets, draft.when.at, draft.when.recurrence, draft.pin, self._zone
        )
        async with self._unit() as uow:
            await self._send(
                uow,
                content,
                Outgoing(chat_id=caller.chat_id, text=summary, buttons=confirm_keyboard()),
            )
        return Step(ANN_CONFIRM, data)


def _when_json(when: When) -> dict[str, Any]:
    r = when.recurrence
    return {
        "at": when.at.isoformat() if when.at else None,
        "recur": [r.repeat.value, r.at.strftime("%H:%M"), r.weekday] if r else None,
    }


def _when_from(value: dict[str, Any]) -> When:
    at = datetime.fromisoformat(value["at"]) if value.get("at") else None
    recurrence = None
    if value.get("recur"):
        repeat, clock_time, weekday = value["recur"]
        hours, minutes = (int(x) for x in clock_time.split(":"))
        recurrence = Recurrence(Repeat(repeat), TimeOfDay(hours, minutes), weekday)
    return When(at, recurrence)


def _draft(data: dict[str, Any]) -> AnnouncementDraft:
    media_value: Sequence[str] | None = data.get("media")
    media = Media(AttachmentKind(media_value[0]), media_value[1]) if media_value else None
    return AnnouncementDraft(
        text=data["text"],
        targets=Targets.from_json(data["targets"]),
        when=_when_from(data["when"]),
        pin=bool(data.get("pin")),
        media=media,
    )
