"""Editing a sent announcement: the «Изменить» button asks for the new text, one step."""

from __future__ import annotations

from typing import Any

from bot.domain.errors import UsageError
from bot.domain.models import Caller
from bot.services.dialogs.common import Dialog, DraftInput, Step, cancel_buttons
from bot.texts import announcements as t

EDIT_TEXT = "edit:text"

STATES = (EDIT_TEXT,)


class EditDialog(Dialog):
    FLOW = "edit"
    BUTTONS = cancel_buttons(("text",))

    async def start(self, caller: Caller, announcement_id: int) -> Step:
        text = t.ASK_EDIT.format(id=announcement_id)
        return await self._start(caller, EDIT_TEXT, text, {"announcement_id": announcement_id})

    async def on_input(
        self, caller: Caller, state: str, data: dict[str, Any], given: DraftInput
    ) -> Step:
        if state != EDIT_TEXT:
            raise UsageError(t.USE_BUTTONS)
        if given.media or not given.html.strip():
            raise UsageError(t.ASK_EDIT.format(id=data.get("announcement_id")))
        await self._announcements.edit(caller, int(data["announcement_id"]), given.html)
        return Step(None)
