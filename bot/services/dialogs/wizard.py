"""One entry for the dialogs: a typed message or a dialog button goes to the dialog whose
state is open (the state's "<flow>:" prefix names it); /cancel closes any of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.errors import UsageError
from bot.domain.models import Caller
from bot.services.announcements import AnnouncementService, Authors
from bot.services.base import Service
from bot.services.dialogs import announce, edit, poll
from bot.services.dialogs.common import Dialog, DraftInput, Step
from bot.services.polls import PollService
from bot.services.ports import Clock, UnitOfWorkFactory
from bot.services.replies import reply_to
from bot.texts import announcements as t

STATES = announce.STATES + poll.STATES + edit.STATES


class WizardService(Service):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        authors: Authors,
        announcements: AnnouncementService,
        polls: PollService,
        zone: ZoneInfo,
    ) -> None:
        super().__init__(uow_factory, clock, wake)
        uses: dict[str, Any] = {
            "authors": authors,
            "announcements": announcements,
            "polls": polls,
            "zone": zone,
        }
        self._announce = announce.AnnounceDialog(uow_factory, clock, wake, **uses)
        self._poll = poll.PollDialog(uow_factory, clock, wake, **uses)
        self._edit = edit.EditDialog(uow_factory, clock, wake, **uses)
        self._dialogs: dict[str, Dialog] = {
            dialog.FLOW: dialog for dialog in (self._announce, self._poll, self._edit)
        }

    async def start_announcement(self, caller: Caller) -> Step:
        return await self._announce.start(caller)

    async def start_poll(self, caller: Caller) -> Step:
        return await self._poll.start(caller)

    async def start_edit(self, caller: Caller, announcement_id: int) -> Step:
        return await self._edit.start(caller, announcement_id)

    async def cancel(self, caller: Caller, state: str | None) -> Step:
        async with self._unit() as uow:
            text = t.CANCELLED_DIALOG if state else t.NOTHING_TO_CANCEL
            await self._send(uow, reply_to(caller, text))
        return Step(None)

    async def on_input(
        self, caller: Caller, state: str, data: dict[str, Any], given: DraftInput
    ) -> Step:
        dialog = self._dialogs.get(state.partition(":")[0])
        if dialog is None:
            raise UsageError(t.USE_BUTTONS)
        return await dialog.on_input(caller, state, dict(data), given)

    async def on_button(
        self, caller: Caller, state: str | None, data: dict[str, Any], action: str, value: str
    ) -> Step:
        flow, _, step = (state or "").partition(":")
        dialog = self._dialogs.get(flow)
        if state is None or dialog is None or (action, step) not in dialog.BUTTONS:
            raise UsageError(t.EXPIRED_BUTTON)
        if action == "cancel":
            return await self.cancel(caller, state)
        return await dialog.on_button(caller, state, dict(data), action, value)
