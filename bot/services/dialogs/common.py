"""What the /announce and /poll dialogs share: the step value, typed input, buttons, prompts,
and the choice of target chats (all buildings, all topics, an organisation, or chosen chats).

The aiogram FSM keeps the state name ("<flow>:<step>") and a JSON dict between steps (in the
database); a dialog decides what each input means and what to ask next, and returns the new
state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from bot.domain.announcements import Media, TargetKind, Targets, organisations
from bot.domain.errors import UsageError
from bot.domain.models import Caller, ChatKind, ChatPlace
from bot.domain.outgoing import Button, MessageRef, Outgoing, RefKind
from bot.services.announcements import AnnouncementService, Authors
from bot.services.base import Service
from bot.services.polls import PollService
from bot.services.ports import Clock, UnitOfWorkFactory
from bot.services.replies import reply_to
from bot.texts import announcements as t

PAGE_SIZE = 8

Keyboard = tuple[tuple[Button, ...], ...]
ButtonSteps = frozenset[tuple[str, str]]
"""(button action, dialog step) pairs: where a dialog's button still means something."""

TARGET_BUTTONS: ButtonSteps = frozenset(
    {("t", "targets"), ("org", "org"), ("ch", "chats"), ("pg", "chats"), ("done", "chats")}
)


def wizard_button(action: str, value: str | int = "") -> str:
    """Callback data of a dialog button; handlers parse the same `wz:<action>:<value>` form."""
    return f"wz:{action}:{value}"


@dataclass(frozen=True, slots=True)
class DraftInput:
    """A message typed during a dialog: its plain text, its HTML, or a photo/document."""

    text: str = ""
    html: str = ""
    media: Media | None = None
    unsupported: bool = False


@dataclass(frozen=True, slots=True)
class Step:
    state: str | None
    data: dict[str, Any] = field(default_factory=dict)


def yes_no(action: str, yes: str, no: str) -> Keyboard:
    return ((Button(yes, wizard_button(action, 1)), Button(no, wizard_button(action, 0))),)


def confirm_keyboard() -> Keyboard:
    return (
        (
            Button(t.BUTTON_SEND, wizard_button("send")),
            Button(t.BUTTON_CANCEL, wizard_button("cancel")),
        ),
    )


def cancel_buttons(steps: tuple[str, ...]) -> ButtonSteps:
    return frozenset(("cancel", step) for step in steps)


class Dialog(Service):
    """One dialog's steps; subclasses name their flow, steps and buttons. Every dialog gets
    the same services and uses those its last step calls."""

    FLOW: ClassVar[str]
    BUTTONS: ClassVar[ButtonSteps]

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
        self._authors = authors
        self._announcements = announcements
        self._polls = polls
        self._zone = zone

    async def on_input(
        self, caller: Caller, state: str, data: dict[str, Any], given: DraftInput
    ) -> Step:
        raise UsageError(t.USE_BUTTONS)

    async def on_button(
        self, caller: Caller, state: str, data: dict[str, Any], action: str, value: str
    ) -> Step:
        """A button allowed at this step (see BUTTONS), other than cancel."""
        raise UsageError(t.EXPIRED_BUTTON)

    async def _start(self, caller: Caller, state: str, text: str, data: dict[str, Any]) -> Step:
        if not caller.is_private:
            raise UsageError(t.PRIVATE_ONLY)
        async with self._unit() as uow:
            await self._authors.require(uow, caller)
            await self._send(uow, reply_to(caller, text))
        return Step(state, data)

    async def _ask(
        self,
        caller: Caller,
        state: str,
        data: dict[str, Any],
        text: str,
        buttons: Keyboard = (),
    ) -> Step:
        await self._say_message(reply_to(caller, text, buttons=buttons))
        return Step(state, data)

    async def _say_message(self, message: Outgoing) -> None:
        async with self._unit() as uow:
            await self._send(uow, message)


class TargetedDialog(Dialog):
    """A dialog that sends to chats: its targets step and what follows it."""

    async def _after_targets(self, caller: Caller, data: dict[str, Any]) -> Step:
        raise NotImplementedError

    async def _ask_targets(self, caller: Caller, state: str, data: dict[str, Any]) -> Step:
        async with self._uow_factory.reader() as uow:
            chats = await uow.chats.all()
        usable = [c for c in chats if c.active and c.kind is not ChatKind.STAFF]
        buildings = sum(c.kind is ChatKind.BUILDING for c in usable)
        topics = sum(c.kind is ChatKind.TOPIC for c in usable)
        data["orgs"] = organisations(usable)
        data["chat_list"] = [[c.place.chat_id, c.place.thread_id, c.name] for c in usable]
        rows: list[tuple[Button, ...]] = [
            (Button(t.BUTTON_BUILDINGS.format(count=buildings), wizard_button("t", "buildings")),),
            (Button(t.BUTTON_TOPICS.format(count=topics), wizard_button("t", "topics")),),
        ]
        if data["orgs"]:
            rows.append((Button(t.BUTTON_ORG, wizard_button("t", "org")),))
        rows.append((Button(t.BUTTON_CHOOSE, wizard_button("t", "chosen")),))
        rows.append((Button(t.BUTTON_CANCEL, wizard_button("cancel")),))
        return await self._ask(caller, state, data, t.ASK_TARGETS, tuple(rows))

    async def _target_button(
        self, caller: Caller, state: str, data: dict[str, Any], action: str, value: str
    ) -> Step:
        if action == "t":
            return await self._target_kind(caller, data, value)
        if action == "org":
            orgs: list[str] = data.get("orgs") or []
            if not (value.isascii() and value.isdigit()) or int(value) >= len(orgs):
                raise UsageError(t.EXPIRED_BUTTON)
            data["targets"] = Targets(TargetKind.ORG, org=orgs[int(value)]).to_json()
            return await self._after_targets(caller, data)
        if action in ("ch", "pg"):
            return await self._chats_page(caller, state, data, action, value)
        if action == "done":
            chosen = [data["chat_list"][i] for i in sorted(data.get("chosen") or [])]
            if not chosen:
                raise UsageError(t.NO_TARGETS)
            places = tuple(ChatPlace(int(c), int(th)) for c, th, _ in chosen)
            data["targets"] = Targets(TargetKind.CHOSEN, places=places).to_json()
            return await self._after_targets(caller, data)
        raise UsageError(t.EXPIRED_BUTTON)

    async def _target_kind(self, caller: Caller, data: dict[str, Any], value: str) -> Step:
        if value in ("buildings", "topics"):
            data["targets"] = Targets(TargetKind(value)).to_json()
            return await self._after_targets(caller, data)
        if value == "org":
            orgs: list[str] = data.get("orgs") or []
            if not orgs:
                raise UsageError(t.NO_ORGS)
            rows = tuple(
                (Button(org[:60], wizard_button("org", i)),) for i, org in enumerate(orgs)
            )
            return await self._ask(caller, f"{self.FLOW}:org", data, t.ASK_ORG, rows)
        if value == "chosen":
            data["chosen"], data["page"] = [], 0
            text, keyboard = _chats_keyboard(data)
            message = reply_to(caller, text, buttons=keyboard, remember_as=_wizard_ref(caller))
            await self._say_message(message)
            return Step(f"{self.FLOW}:chats", data)
        raise UsageError(t.EXPIRED_BUTTON)

    async def _chats_page(
        self, caller: Caller, state: str, data: dict[str, Any], action: str, value: str
    ) -> Step:
        if not (value.isascii() and value.lstrip("-").isdigit()) or len(value) > 9:
            raise UsageError(t.EXPIRED_BUTTON)
        chosen = set(data.get("chosen") or [])
        if action == "ch":
            index = int(value)
            if not 0 <= index < len(data.get("chat_list") or []):
                raise UsageError(t.EXPIRED_BUTTON)
            chosen ^= {index}
        else:
            data["page"] = int(value)
        data["chosen"] = sorted(chosen)
        text, rows = _chats_keyboard(data)
        await self._say_message(
            Outgoing(chat_id=caller.chat_id, text=text, buttons=rows, edit_of=_wizard_ref(caller))
        )
        return Step(state, data)

    async def _names(self, data: dict[str, Any]) -> list[str]:
        targets = Targets.from_json(data["targets"])
        async with self._uow_factory.reader() as uow:
            return [chat.name for chat in targets.select(await uow.chats.all())]


def _wizard_ref(caller: Caller) -> MessageRef:
    return MessageRef(RefKind.WIZARD, caller.person.user_id)


def _chats_keyboard(data: dict[str, Any]) -> tuple[str, Keyboard]:
    chats: list[list[Any]] = data.get("chat_list") or []
    chosen = set(data.get("chosen") or [])
    pages = max(1, -(-len(chats) // PAGE_SIZE))
    page = min(max(int(data.get("page") or 0), 0), pages - 1)
    data["page"] = page
    rows: list[tuple[Button, ...]] = []
    for index in range(page * PAGE_SIZE, min(len(chats), (page + 1) * PAGE_SIZE)):
        mark = "✅ " if index in chosen else "▫️ "
        rows.append((Button(mark + str(chats[index][2])[:50], wizard_button("ch", index)),))
    nav: list[Button] = []
    if page > 0:
        nav.append(Button(t.BUTTON_PREV, wizard_button("pg", page - 1)))
    if page < pages - 1:
        nav.append(Button(t.BUTTON_NEXT, wizard_button("pg", page + 1)))
    if nav:
        rows.append(tuple(nav))
    rows.append(
        (
            Button(t.BUTTON_DONE.format(count=len(chosen)), wizard_button("done")),
            Button(t.BUTTON_CANCEL, wizard_button("cancel")),
        )
    )
    return t.chats_prompt(len(chosen), page, pages), tuple(rows)
