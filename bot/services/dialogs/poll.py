"""The /poll dialog: question, options, anonymous or not, one or many answers, target chats,
closing time, whether to share the results, preview, send."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.announcements import (
    POLL_OPTION_MAX,
    POLL_OPTIONS_MAX,
    POLL_OPTIONS_MIN,
    POLL_QUESTION_MAX,
    Targets,
)
from bot.domain.errors import UsageError
from bot.domain.models import Caller
from bot.domain.when import WhenError, parse_when
from bot.services.dialogs.common import (
    TARGET_BUTTONS,
    DraftInput,
    Step,
    TargetedDialog,
    cancel_buttons,
    confirm_keyboard,
    yes_no,
)
from bot.services.polls import PollDraft
from bot.services.replies import reply_to
from bot.texts import announcements as t

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

STATES = (
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
)


class PollDialog(TargetedDialog):
    FLOW = "poll"
    BUTTONS = (
        cancel_buttons(tuple(state.partition(":")[2] for state in STATES))
        | TARGET_BUTTONS
        | {("anon", "anon"), ("multi", "multi"), ("share", "share"), ("send", "confirm")}
    )

    async def start(self, caller: Caller) -> Step:
        return await self._start(caller, POLL_QUESTION, t.ASK_QUESTION, {"flow": "poll"})

    async def on_input(
        self, caller: Caller, state: str, data: dict[str, Any], given: DraftInput
    ) -> Step:
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
            keyboard = yes_no("anon", t.BUTTON_ANON, t.BUTTON_OPEN)
            return await self._ask(caller, POLL_ANON, data, t.ASK_ANONYMOUS, keyboard)
        if state == POLL_CLOSES:
            return await self._closes(caller, data, given.text)
        raise UsageError(t.USE_BUTTONS)

    async def on_button(
        self, caller: Caller, state: str, data: dict[str, Any], action: str, value: str
    ) -> Step:
        if action == "anon":
            data["anonymous"] = value == "1"
            keyboard = yes_no("multi", t.BUTTON_MANY, t.BUTTON_ONE)
            return await self._ask(caller, POLL_MULTI, data, t.ASK_MULTIPLE, keyboard)
        if action == "multi":
            data["multiple"] = value == "1"
            return await self._ask_targets(caller, POLL_TARGETS, data)
        if action == "share":
            data["share"] = value == "1"
            return await self._preview(caller, data)
        if action == "send":
            await self._polls.create(caller, _draft(data))
            return Step(None)
        return await self._target_button(caller, state, data, action, value)

    async def _after_targets(self, caller: Caller, data: dict[str, Any]) -> Step:
        return await self._ask(caller, POLL_CLOSES, data, t.ASK_CLOSES)

    async def _closes(self, caller: Caller, data: dict[str, Any], text: str) -> Step:
        try:
            when = parse_when(text, self._clock(), self._zone, allow_now=False, allow_repeat=False)
        except WhenError:
            raise UsageError(t.BAD_CLOSES) from None
        assert when.at is not None
        data["closes_at"] = when.at.isoformat()
        keyboard = yes_no("share", t.BUTTON_YES, t.BUTTON_NO)
        return await self._ask(caller, POLL_SHARE, data, t.ASK_SHARE, keyboard)

    async def _preview(self, caller: Caller, data: dict[str, Any]) -> Step:
        draft = _draft(data)
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
        await self._say_message(reply_to(caller, text, buttons=confirm_keyboard()))
        return Step(POLL_CONFIRM, data)


def _draft(data: dict[str, Any]) -> PollDraft:
    return PollDraft(
        question=data["question"],
        options=tuple(data["options"]),
        anonymous=bool(data["anonymous"]),
        multiple=bool(data["multiple"]),
        targets=Targets.from_json(data["targets"]),
        closes_at=datetime.fromisoformat(data["closes_at"]),
        share_results=bool(data.get("share")),
    )
