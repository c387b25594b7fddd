"""Moderation commands (moderators' and residents') and the buttons of moderation cards; the
spam and flood guard is handlers.guard."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.domain.errors import UsageError
from bot.domain.models import Caller, Person
from bot.domain.moderation import split_duration
from bot.services.moderation_commands import ModeratorService, Target
from bot.services.moderation_desk import ModerationDesk
from bot.texts import moderation as t
from bot.texts import spam as spam_texts
from bot.texts.moderation import duration
from handlers import args
from handlers.adapters import caller_from, person_from
from handlers.callbacks import ModCallback, ModSettingsCallback
from handlers.filters import IsCommand

router = Router(name=__name__)
router.message.filter(F.from_user, IsCommand())

_GROUP = F.chat.type.in_({"group", "supergroup"})


def _caller(message: Message) -> Caller:
    caller = caller_from(message)
    assert caller is not None  # the router only admits messages with a sender
    return caller


def _target(message: Message, usage: str) -> Target:
    """The author of the message the command replies to."""
    replied = message.reply_to_message
    user = replied.from_user if replied is not None else None
    if replied is None or user is None or user.is_bot or replied.forum_topic_created:
        raise UsageError(usage)
    return Target(person_from(user), replied.message_id, replied.text or replied.caption or "")


# --- moderator commands -----------------------------------------------------------------------


@router.message(_GROUP, Command("warn"))
async def cmd_warn(message: Message, command: CommandObject, moderators: ModeratorService) -> None:
    target = _target(message, t.USAGE_WARN)
    await moderators.warn(_caller(message), target, (command.args or "").strip())


@router.message(_GROUP, Command("unwarn"))
async def cmd_unwarn(message: Message, moderators: ModeratorService) -> None:
    await moderators.unwarn(_caller(message), _target(message, t.USAGE_UNWARN))


@router.message(_GROUP, Command("mute"))
async def cmd_mute(message: Message, command: CommandObject, moderators: ModeratorService) -> None:
    usage = t.USAGE_MUTE.format(default=duration(moderators.mute_default()))
    target = _target(message, usage)
    length, reason = split_duration(command.args or "", moderators.mute_default())
    await moderators.mute(_caller(message), target, length, reason)


@router.message(_GROUP, Command("unmute"))
async def cmd_unmute(message: Message, moderators: ModeratorService) -> None:
    await moderators.unmute(_caller(message), _target(message, t.USAGE_UNMUTE))


@router.message(_GROUP, Command("ban"))
async def cmd_ban(message: Message, command: CommandObject, moderators: ModeratorService) -> None:
    target = _target(message, t.USAGE_BAN)
    await moderators.ban(_caller(message), target, (command.args or "").strip())


@router.message(_GROUP, Command("unban"))
async def cmd_unban(
    message: Message, command: CommandObject, moderators: ModeratorService
) -> None:
    argument = (command.args or "").strip()
    if argument:
        target = Target(Person(args.account_id(argument, t.USAGE_UNBAN), argument))
    else:
        target = _target(message, t.USAGE_UNBAN)
    await moderators.unban(_caller(message), target)


@router.message(_GROUP, Command("spam"))
async def cmd_spam(message: Message, moderators: ModeratorService) -> None:
    await moderators.mark_spam(_caller(message), _target(message, spam_texts.USAGE_SPAM))


@router.message(_GROUP, Command("del"))
async def cmd_del(message: Message, command: CommandObject, moderators: ModeratorService) -> None:
    target = _target(message, t.USAGE_DEL)
    await moderators.delete(_caller(message), target, (command.args or "").strip())


# --- residents, rules, settings, log ----------------------------------------------------------


@router.message(_GROUP, Command("report", "complain"))
async def cmd_report(message: Message, desk: ModerationDesk) -> None:
    target = _target(message, t.USAGE_REPORT)
    await desk.report(_caller(message), target, message.chat.username)


@router.message(_GROUP, Command("rules"))
async def cmd_rules(message: Message, desk: ModerationDesk) -> None:
    await desk.show_rules(_caller(message))


@router.message(_GROUP, Command("setrules"))
async def cmd_setrules(message: Message, command: CommandObject, desk: ModerationDesk) -> None:
    await desk.set_rules(_caller(message), command.args or "")


@router.message(_GROUP, Command("setstreet"))
async def cmd_setstreet(message: Message, command: CommandObject, desk: ModerationDesk) -> None:
    await desk.set_street(_caller(message), command.args or "")


@router.message(_GROUP, Command("settings"))
async def cmd_settings(message: Message, desk: ModerationDesk) -> None:
    await desk.show_settings(_caller(message))


@router.message(Command("modlog"))
async def cmd_modlog(message: Message, command: CommandObject, desk: ModerationDesk) -> None:
    argument = (command.args or "").strip()
    count = args.whole(argument, t.USAGE_MODLOG) if argument else None
    await desk.modlog(_caller(message), count)


# --- buttons ----------------------------------------------------------------------------------


def _button_caller(query: CallbackQuery) -> Caller | None:
    if query.message is None or not isinstance(query.message, Message):
        return None
    return caller_from(query.message, user=query.from_user)


@router.callback_query(ModCallback.filter(F.action.in_({"undo", "ban"})))
async def on_card_button(
    query: CallbackQuery, callback_data: ModCallback, moderators: ModeratorService
) -> None:
    caller = _button_caller(query)
    if caller is None:
        await query.answer()
        return
    if callback_data.action == "undo":
        await moderators.undo(caller, callback_data.ref)
    else:
        await moderators.ban_from_card(caller, callback_data.ref)
    await query.answer()


@router.callback_query(ModCallback.filter(F.action.in_({"rdel", "rwarn", "rno"})))
async def on_report_button(
    query: CallbackQuery, callback_data: ModCallback, moderators: ModeratorService
) -> None:
    caller = _button_caller(query)
    if caller is not None:
        await moderators.on_report(caller, callback_data.ref, callback_data.action)
    await query.answer()


@router.callback_query(ModSettingsCallback.filter())
async def on_settings_button(
    query: CallbackQuery, callback_data: ModSettingsCallback, desk: ModerationDesk
) -> None:
    caller = _button_caller(query)
    if caller is not None:
        await desk.change_setting(caller, callback_data.code, callback_data.op)
    await query.answer()
