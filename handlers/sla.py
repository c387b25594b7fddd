"""The resident's verdict buttons under a closing notice, and /weekly for admins."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.domain.errors import UsageError
from bot.services.summaries import SummaryService
from bot.services.verdicts import VerdictOutcome, VerdictService
from bot.texts import sla as t
from handlers.adapters import caller_from, person_from
from handlers.callbacks import VerdictCallback
from handlers.filters import IsCommand

router = Router(name=__name__)
router.message.filter(F.from_user, IsCommand())

WEEKLY_SWITCH = {"on": True, "off": False, "вкл": True, "выкл": False}


@router.callback_query(VerdictCallback.filter(F.answer.in_({"yes", "no"})))
async def on_verdict_button(
    query: CallbackQuery, callback_data: VerdictCallback, verdicts: VerdictService
) -> None:
    number = callback_data.number
    outcome = await verdicts.judge(
        person_from(query.from_user), number, callback_data.answer == "yes"
    )
    replies = {
        VerdictOutcome.RESOLVED: t.verdict_thanks(number),
        VerdictOutcome.REOPENED: t.verdict_reopened(number),
        VerdictOutcome.NOT_AUTHOR: t.verdict_not_author(),
        VerdictOutcome.ALREADY: t.verdict_already(number),
        VerdictOutcome.NOT_CLOSED: t.verdict_not_closed(number),
    }
    await query.answer(replies[outcome])


@router.message(Command("weekly"))
async def cmd_weekly(message: Message, command: CommandObject, summaries: SummaryService) -> None:
    caller = caller_from(message)
    assert caller is not None
    argument = (command.args or "").strip().lower()
    if argument and argument not in WEEKLY_SWITCH:
        raise UsageError(t.USAGE_WEEKLY)
    await summaries.set_weekly(caller, WEEKLY_SWITCH.get(argument))
