"""Moderation in group chats: the spam and flood guard, moderator and resident commands,
card buttons. The guard passes clean messages on to the other routers (SkipHandler)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.enums import ContentType
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message, MessageOriginChannel

from bot.domain.errors import UsageError
from bot.domain.models import Caller, Person
from bot.domain.moderation import split_duration
from bot.domain.spam import MessageFacts
from bot.services.moderation_commands import ModeratorService, Target
from bot.services.moderation_desk import ModerationDesk
from bot.services.moderation_guard import GroupMessage, GuardService
from bot.services.scope import Scope
from bot.texts import moderation as t
from bot.texts.moderation import duration
from handlers.adapters import caller_from, person_from, place_of
from handlers.callbacks import ModCallback, ModSettingsCallback
from handlers.filters import Moderated

router = Router(name=__name__)
router.message.filter(F.from_user)

_GROUP = F.chat.type.in_({"group", "supergroup"})
_CONTENT = {
    ContentType.TEXT,
    ContentType.PHOTO,
    ContentType.VIDEO,
    ContentType.DOCUMENT,
    ContentType.STICKER,
    ContentType.ANIMATION,
    ContentType.VOICE,
    ContentType.AUDIO,
    ContentType.VIDEO_NOTE,
    ContentType.CONTACT,
    ContentType.LOCATION,
    ContentType.POLL,
    ContentType.DICE,
    ContentType.STORY,
}


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
        if not argument.isdigit():
            raise UsageError(t.USAGE_UNBAN)
        target = Target(Person(int(argument), argument))
    else:
        target = _target(message, t.USAGE_UNBAN)
    await moderators.unban(_caller(message), target)


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
    if argument and not argument.isdigit():
        raise UsageError(t.USAGE_MODLOG)
    await desk.modlog(_caller(message), int(argument) if argument else None)


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


# --- the guard: every other message in a group ------------------------------------------------


@router.message(_GROUP, Moderated())
async def on_any_group_message(message: Message, guard: GuardService, scope: Scope) -> None:
    facts = _facts(message)
    assert scope.chat is not None  # Moderated() admits registered chats only
    if facts is None or not await guard.observe(facts, scope.chat, scope.role):
        raise SkipHandler
    # removed as spam: nothing else handles it


def _facts(message: Message) -> GroupMessage | None:
    user = message.from_user
    if user is None or user.is_bot or message.content_type not in _CONTENT:
        return None
    if message.sender_chat is not None and (
        message.is_automatic_forward or message.sender_chat.id == message.chat.id
    ):
        return None  # the linked channel's posts and anonymous chat administrators
    text = message.text or message.caption or ""
    entities = message.entities or message.caption_entities or []
    urls = tuple(
        (entity.url if entity.type == "text_link" else entity.extract_from(text)) or ""
        for entity in entities
        if entity.type in ("url", "text_link")
    )
    mentions = tuple(entity.extract_from(text) for entity in entities if entity.type == "mention")
    origin = message.forward_origin
    channel = origin.chat if isinstance(origin, MessageOriginChannel) else None
    facts = MessageFacts(
        chat_id=message.chat.id,
        user_id=user.id,
        sent_at=message.date,
        text=text,
        urls=urls,
        mentions=mentions,
        forwarded_from_channel=channel is not None,
        forward_channel=channel.username if channel is not None else None,
        has_contact=message.contact is not None,
    )
    return GroupMessage(place_of(message), message.message_id, person_from(user), facts)
