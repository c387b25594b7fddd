"""The step-by-step dialogs of /announce and /poll (and editing a sent announcement).

The aiogram FSM keeps the state name and a JSON dict between steps (in the database); this
service decides what each input means and what to ask next, and returns the new state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from datetime import time as TimeOfDay
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.announcements import (
    CAPTION_MAX,
    POLL_OPTION_MAX,
    POLL_OPTIONS_MAX,
    POLL_OPTIONS_MIN,
    POLL_QUESTION_MAX,
    Media,
    Recurrence,
    Repeat,
    TargetKind,
    Targets,
    organisations,
)
from bot.domain.errors import UsageError
from bot.domain.models import Caller, ChatKind, ChatPlace
from bot.domain.outgoing import Attachment, Button, MessageRef, Outgoing, RefKind
from bot.domain.when import When, WhenError, parse_when
from bot.services.announcements import AnnouncementDraft, AnnouncementService, Authors
from bot.services.base import Service
from bot.services.polls import PollDraft, PollService
from bot.services.ports import Clock, UnitOfWorkFactory
from bot.services.replies import reply_to
from bot.texts import announcements as t

PAGE_SIZE = 8

ANN_CONTENT = "ann:content"
ANN_TARGETS = "ann:targets"
ANN_ORG = "ann:org"
ANN_CHATS = "ann:chats"
ANN_WHEN = "ann:when"
ANN_PIN = "ann:pin"
ANN_CONFIRM = "ann:confirm"
POLL_QUESTION = "poll:question"
POLL_OPTIONS = "poll:options"
POLL_ANON = "poll:anon"
POLL_MULTI = "poll:multi"
POLL_TARGETS = "poll:targets"
POLL_ORG = "poll:org"
POLL_CHATS = "poll:chats"
POLL_CLOSES = "poll:closes"
POLL_SHARE = "poll:share"
POLL_CONFIRM = "poll:confirm"
EDIT_TEXT = "edit:text"

STATES = (
    ANN_CONTENT,
    ANN_TARGETS,
    ANN_ORG,
    ANN_CHATS,
    ANN_WHEN,
    ANN_PIN,
    ANN_CONFIRM,
    POLL_QUESTION,
    POLL_OPTIONS,
    POLL_ANON,
    POLL_MULTI,
    POLL_TARGETS,
    POLL_ORG,
    POLL_CHATS,
    POLL_CLOSES,
    POLL_SHARE,
    POLL_CONFIRM,
    EDIT_TEXT,
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


_Keyboard = tuple[tuple[Button, ...], ...]


def _yes_no(action: str, yes: str, no: str) -> _Keyboard:
    return ((Button(yes, wizard_button(action, 1)), Button(no, wizard_button(action, 0))),)


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
        self._authors = authors
        self._announcements = announcements
        self._polls = polls
        self._zone = zone

    # --- starting and stopping --------------------------------------------------------

    async def start_announcement(self, caller: Caller) -> Step:
        return await self._start(caller, ANN_CONTENT, t.ASK_CONTENT, {"flow": "ann"})

    async def start_poll(self, caller: Caller) -> Step:
        return await self._start(caller, POLL_QUESTION, t.ASK_QUESTION, {"flow": "poll"})

    async def start_edit(self, caller: Caller, announcement_id: int) -> Step:
        text = t.ASK_EDIT.format(id=announcement_id)
        return await self._start(caller, EDIT_TEXT, text, {"announcement_id": announcement_id})

    async def _start(self, caller: Caller, state: str, text: str, data: dict[str, Any]) -> Step:
        if not caller.is_private:
            raise UsageError(t.PRIVATE_ONLY)
        async with self._unit() as uow:
            await self._authors.require(uow, caller)
            await self._send(uow, reply_to(caller, text))
        return Step(state, data)

    async def cancel(self, caller: Caller, state: str | None) -> Step:
        await self._say(caller, t.CANCELLED_DIALOG if state else t.NOTHING_TO_CANCEL)
        return Step(None)

    # --- typed input ------------------------------------------------------------------

    async def on_input(
        self, caller: Caller, state: str, data: dict[str, Any], given: DraftInput
    ) -> Step:
        data = dict(data)
        if state == ANN_CONTENT:
            return await self._content(caller, data, given)
        if state == ANN_WHEN:
            return await self._when(caller, data, given.text)
        if state == POLL_QUESTION:
            question = " ".join(given.text.split())
            if not question or given.media or len(question) > POLL_QUESTION_MAX:
                raise UsageError(t.BAD_QUESTION)
            data["question"] = question
            return await self._ask(caller, POLL_OPTIONS, data, t.ASK_OPTIONS)
        if state == POLL_OPTIONS:
            options = [" ".join(line.split()) for line in given.text.splitlines()]
            options = [option for option in options if option]
            if (
                not POLL_OPTIONS_MIN <= len(options) <= POLL_OPTIONS_MAX
                or len(set(options)) != len(options)
                or any(len(option) > POLL_OPTION_MAX for option in options)
            ):
                raise UsageError(t.BAD_OPTIONS)
            data["options"] = options
            keyboard = _yes_no("anon", t.BUTTON_ANON, t.BUTTON_OPEN)
            return await self._ask(caller, POLL_ANON, data, t.ASK_ANONYMOUS, keyboard)
        if state == POLL_CLOSES:
            try:
                when = parse_when(
                    given.text, self._clock(), self._zone, allow_now=False, allow_repeat=False
                )
            except WhenError:
                raise UsageError(t.BAD_CLOSES) from None
            assert when.at is not None
            data["closes_at"] = when.at.isoformat()
            keyboard = _yes_no("share", t.BUTTON_YES, t.BUTTON_NO)
            return await self._ask(caller, POLL_SHARE, data, t.ASK_SHARE, keyboard)
        if state == EDIT_TEXT:
            if given.media or not given.html.strip():
                raise UsageError(t.ASK_EDIT.format(id=data.get("announcement_id")))
            await self._announcements.edit(caller, int(data["announcement_id"]), given.html)
            return Step(None)
        raise UsageError(t.USE_BUTTONS)

    async def _content(self, caller: Caller, data: dict[str, Any], given: DraftInput) -> Step:
        if given.unsupported or (not given.html.strip() and given.media is None):
            raise UsageError(t.BAD_CONTENT)
        if given.media is not None and len(given.text) > CAPTION_MAX:
            raise UsageError(t.CAPTION_TOO_LONG)
        data["text"] = given.html
        data["media"] = [given.media.kind.value, given.media.file_id] if given.media else None
        return await self._ask_targets(caller, ANN_TARGETS, data)

    async def _when(self, caller: Caller, data: dict[str, Any], text: str) -> Step:
        try:
            when = parse_when(text, self._clock(), self._zone)
        except WhenError as exc:
            past = "past" in str(exc)
            raise UsageError(t.PAST_WHEN if past else t.BAD_WHEN) from None
        data["when"] = _when_json(when)
        keyboard = _yes_no("pin", t.BUTTON_PIN, t.BUTTON_NO_PIN)
        return await self._ask(caller, ANN_PIN, data, t.ASK_PIN, keyboard)

    # --- buttons ----------------------------------------------------------------------

    async def on_button(
        self, caller: Caller, state: str | None, data: dict[str, Any], action: str, value: str
    ) -> Step:
        data = dict(data)
        if state is None or (action, state.partition(":")[2]) not in _BUTTON_STEPS:
            raise UsageError(t.EXPIRED_BUTTON)
        flow = state.partition(":")[0]
        if action == "cancel":
            return await self.cancel(caller, state)
        if action == "t":
            return await self._target_kind(caller, flow, data, value)
        if action == "org":
            orgs: list[str] = data.get("orgs") or []
            if not value.isdigit() or int(value) >= len(orgs):
                raise UsageError(t.EXPIRED_BUTTON)
            data["targets"] = Targets(TargetKind.ORG, org=orgs[int(value)]).to_json()
            return await self._after_targets(caller, flow, data)
        if action in ("ch", "pg"):
            return await self._chats_page(caller, state, data, action, value)
        if action == "done":
            chosen = [data["chat_list"][i] for i in sorted(data.get("chosen") or [])]
            if not chosen:
                raise UsageError(t.NO_TARGETS)
            places = tuple(ChatPlace(int(c), int(th)) for c, th, _ in chosen)
            data["targets"] = Targets(TargetKind.CHOSEN, places=places).to_json()
            return await self._after_targets(caller, flow, data)
        if action == "now":
            data["when"] = _when_json(When())
            keyboard = _yes_no("pin", t.BUTTON_PIN, t.BUTTON_NO_PIN)
            return await self._ask(caller, ANN_PIN, data, t.ASK_PIN, keyboard)
        if action == "pin":
            data["pin"] = value == "1"
            return await self._preview_announcement(caller, data)
        if action == "anon":
            data["anonymous"] = value == "1"
            keyboard = _yes_no("multi", t.BUTTON_MANY, t.BUTTON_ONE)
            return await self._ask(caller, POLL_MULTI, data, t.ASK_MULTIPLE, keyboard)
        if action == "multi":
            data["multiple"] = value == "1"
            return await self._ask_targets(caller, POLL_TARGETS, data)
        if action == "share":
            data["share"] = value == "1"
            return await self._preview_poll(caller, data)
        if action == "send" and state == ANN_CONFIRM:
            await self._announcements.create(caller, _announcement_draft(data))
            return Step(None)
        if action == "send" and state == POLL_CONFIRM:
            await self._polls.create(caller, _poll_draft(data))
            return Step(None)
        raise UsageError(t.EXPIRED_BUTTON)

    # --- targets ----------------------------------------------------------------------

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

    async def _target_kind(
        self, caller: Caller, flow: str, data: dict[str, Any], value: str
    ) -> Step:
        if value in ("buildings", "topics"):
            data["targets"] = Targets(TargetKind(value)).to_json()
            return await self._after_targets(caller, flow, data)
        if value == "org":
            orgs: list[str] = data.get("orgs") or []
            if not orgs:
                raise UsageError(t.NO_ORGS)
            rows = tuple(
                (Button(org[:60], wizard_button("org", i)),) for i, org in enumerate(orgs)
            )
            return await self._ask(caller, f"{flow}:org", data, t.ASK_ORG, rows)
        if value == "chosen":
            data["chosen"], data["page"] = [], 0
            text, keyboard = _chats_keyboard(data)
            state = f"{flow}:chats"
            message = reply_to(caller, text, buttons=keyboard, remember_as=_wizard_ref(caller))
            await self._say_message(message)
            return Step(state, data)
        raise UsageError(t.EXPIRED_BUTTON)

    async def _chats_page(
        self, caller: Caller, state: str, data: dict[str, Any], action: str, value: str
    ) -> Step:
        if not value.lstrip("-").isdigit():
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

    async def _after_targets(self, caller: Caller, flow: str, data: dict[str, Any]) -> Step:
        if flow == "ann":
            keyboard = ((Button(t.BUTTON_NOW, wizard_button("now")),),)
            return await self._ask(caller, ANN_WHEN, data, t.ASK_WHEN, keyboard)
        return await self._ask(caller, POLL_CLOSES, data, t.ASK_CLOSES)

    async def _names(self, data: dict[str, Any]) -> list[str]:
        targets = Targets.from_json(data["targets"])
        async with self._uow_factory.reader() as uow:
            return [chat.name for chat in targets.select(await uow.chats.all())]

    # --- previews ---------------------------------------------------------------------

    async def _preview_announcement(self, caller: Caller, data: dict[str, Any]) -> Step:
        draft = _announcement_draft(data)
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
                Outgoing(chat_id=caller.chat_id, text=summary, buttons=_confirm_keyboard()),
            )
        return Step(ANN_CONFIRM, data)

    async def _preview_poll(self, caller: Caller, data: dict[str, Any]) -> Step:
        draft = _poll_draft(data)
        names = await self._names(data)
        if not names:
            raise UsageError(t.NO_TARGETS)
        text = t.poll_preview(
            draft.question,
            draft.options,
            draft.anonymous,
            draft.multiple,
            names,
            draft.targets,
            draft.closes_at,
            draft.share_results,
            self._zone,
        )
        await self._say_message(reply_to(caller, text, buttons=_confirm_keyboard()))
        return Step(POLL_CONFIRM, data)

    # --- sending prompts --------------------------------------------------------------

    async def _ask(
        self,
        caller: Caller,
        state: str,
        data: dict[str, Any],
        text: str,
        buttons: _Keyboard = (),
    ) -> Step:
        await self._say_message(reply_to(caller, text, buttons=buttons))
        return Step(state, data)

    async def _say(self, caller: Caller, text: str) -> None:
        await self._say_message(reply_to(caller, text))

    async def _say_message(self, message: Outgoing) -> None:
        async with self._unit() as uow:
            await self._send(uow, message)


_BUTTON_STEPS = {
    ("cancel", step)
    for step in (
        "targets",
        "org",
        "chats",
        "when",
        "pin",
        "confirm",
        "anon",
        "multi",
        "closes",
        "share",
        "content",
        "question",
        "options",
        "text",
    )
} | {
    ("t", "targets"),
    ("org", "org"),
    ("ch", "chats"),
    ("pg", "chats"),
    ("done", "chats"),
    ("now", "when"),
    ("pin", "pin"),
    ("anon", "anon"),
    ("multi", "multi"),
    ("share", "share"),
    ("send", "confirm"),
}


def _wizard_ref(caller: Caller) -> MessageRef:
    return MessageRef(RefKind.WIZARD, caller.person.user_id)


def _confirm_keyboard() -> _Keyboard:
    return (
        (
            Button(t.BUTTON_SEND, wizard_button("send")),
            Button(t.BUTTON_CANCEL, wizard_button("cancel")),
        ),
    )


def _chats_keyboard(data: dict[str, Any]) -> tuple[str, _Keyboard]:
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


def _announcement_draft(data: dict[str, Any]) -> AnnouncementDraft:
    media_value: Sequence[str] | None = data.get("media")
    media = None
    if media_value:
        from bot.domain.outgoing import AttachmentKind

        media = Media(AttachmentKind(media_value[0]), media_value[1])
    return AnnouncementDraft(
        text=data["text"],
        targets=Targets.from_json(data["targets"]),
        when=_when_from(data["when"]),
        pin=bool(data.get("pin")),
        media=media,
    )


def _poll_draft(data: dict[str, Any]) -> PollDraft:
    return PollDraft(
        question=data["question"],
        options=tuple(data["options"]),
        anonymous=bool(data["anonymous"]),
        multiple=bool(data["multiple"]),
        targets=Targets.from_json(data["targets"]),
        closes_at=datetime.fromisoformat(data["closes_at"]),
        share_results=bool(data.get("share")),
    )
