"""/announce, /poll and their dialogs; /announcements and /polls; votes from `poll` updates."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, PollAnswer
from aiogram.types import Poll as TelegramPoll

from bot.domain.announcements import Media
from bot.domain.models import Caller
from bot.domain.outgoing import AttachmentKind
from bot.services.announcements import AnnouncementService
from bot.services.dialogs import STATES, DraftInput, Step, WizardService
from bot.services.polls import PollService
from bot.texts import announcements as t
from handlers.adapters import caller_from, person_from
from handlers.callbacks import AnnouncementCallback, PollCallback, WizardCallback
from handlers.filters import CommandOrPrivate

router = Router(name=__name__)
router.message.filter(F.from_user, CommandOrPrivate())


def _caller(message: Message) -> Caller:
    caller = caller_from(message)
    assert caller is not None  # the router only admits messages with a sender
    return caller


def _button_caller(query: CallbackQuery) -> Caller | None:
    if query.message is None or not isinstance(query.message, Message):
        return None
    return caller_from(query.message, user=query.from_user)


async def _apply(state: FSMContext, step: Step) -> None:
    if step.state is None:
        await state.clear()
        return
    await state.set_state(step.state)
    await state.set_data(step.data)


def _draft_input(message: Message) -> DraftInput:
    media = None
    if message.photo:
        media = Media(AttachmentKind.PHOTO, message.photo[-1].file_id)
    elif message.document is not None:
        media = Media(AttachmentKind.DOCUMENT, message.document.file_id)
    text = message.text or message.caption or ""
    unsupported = media is None and message.text is None
    return DraftInput(text=text, html=message.html_text, media=media, unsupported=unsupported)


@router.message(Command("announce"))
async def cmd_announce(message: Message, state: FSMContext, wizard: WizardService) -> None:
    await _apply(state, await wizard.start_announcement(_caller(message)))


@router.message(Command("poll"))
async def cmd_poll(message: Message, state: FSMContext, wizard: WizardService) -> None:
    await _apply(state, await wizard.start_poll(_caller(message)))


@router.message(Command("cancel"), F.chat.type == "private")
async def cmd_cancel(message: Message, state: FSMContext, wizard: WizardService) -> None:
    await _apply(state, await wizard.cancel(_caller(message), await state.get_state()))


@router.message(Command("announcements"))
async def cmd_announcements(message: Message, announcements: AnnouncementService) -> None:
    await announcements.list(_caller(message))


@router.message(Command("polls"))
async def cmd_polls(message: Message, polls: PollService) -> None:
    await polls.list(_caller(message))


@router.message(F.chat.type == "private", StateFilter(*STATES), ~F.text.startswith("/"))
async def on_dialog_input(message: Message, state: FSMContext, wizard: WizardService) -> None:
    current = await state.get_state()
    assert current is not None
    step = await wizard.on_input(
        _caller(message), current, await state.get_data(), _draft_input(message)
    )
    await _apply(state, step)


@router.callback_query(WizardCallback.filter())
async def on_dialog_button(
    query: CallbackQuery, callback_data: WizardCallback, state: FSMContext, wizard: WizardService
) -> None:
    caller = _button_caller(query)
    if caller is None:
        await query.answer(t.EXPIRED_BUTTON)
        return
    step = await wizard.on_button(
        caller,
        await state.get_state(),
        await state.get_data(),
        callback_data.action,
        callback_data.value,
    )
    await _apply(state, step)
    await query.answer()


@router.callback_query(
    AnnouncementCallback.filter(F.action.in_({"cancel", "edit", "del", "delok"}))
)
async def on_announcement_button(
    query: CallbackQuery,
    callback_data: AnnouncementCallback,
    state: FSMContext,
    announcements: AnnouncementService,
    wizard: WizardService,
) -> None:
    caller = _button_caller(query)
    if caller is None:
        await query.answer(t.EXPIRED_BUTTON)
        return
    action, announcement_id = callback_data.action, callback_data.id
    if action == "cancel":
        await announcements.cancel(caller, announcement_id)
    elif action == "edit":
        await _apply(state, await wizard.start_edit(caller, announcement_id))
    elif action == "del":
        await announcements.confirm_delete(caller, announcement_id)
    else:
        await announcements.delete(caller, announcement_id)
    await query.answer()


@router.callback_query(PollCallback.filter(F.action == "close"))
async def on_poll_button(
    query: CallbackQuery, callback_data: PollCallback, polls: PollService
) -> None:
    caller = _button_caller(query)
    if caller is None:
        await query.answer(t.EXPIRED_BUTTON)
        return
    await polls.close_now(caller, callback_data.id)
    await query.answer()


@router.poll()
async def on_poll_state(poll: TelegramPoll, polls: PollService) -> None:
    counts = [option.voter_count for option in poll.options]
    await polls.record_state(poll.id, counts, poll.total_voter_count, poll.is_closed)


@router.poll_answer()
async def on_poll_answer(answer: PollAnswer, polls: PollService) -> None:
    if answer.user is not None:
        await polls.record_answer(answer.poll_id, person_from(answer.user), answer.option_ids)
