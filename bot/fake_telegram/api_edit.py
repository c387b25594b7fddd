"""Methods that change or remove existing messages, and other per-message actions."""

from __future__ import annotations

from typing import Any

from .content import caption_text, check_markup, message_text
from .models import FakeChat, FakeMessage, JsonDict, bad_request
from .registry import api_method
from .state import World

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a content and reply markup of the current message"
)
_UNDELETABLE_SERVICE = {
    "group_chat_created",
    "supergroup_chat_created",
    "migrate_to_chat_id",
    "migrate_from_chat_id",
    "forum_topic_created",
}
_DAY = 86400
CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
REACTION_EMOJI = frozenset(
    (
        "❤",
        "👍",
        "👎",
        "🔥",
        "🥰",
        "👏",
        "😁",
        "🤔",
        "🤯",
        "😱",
        "🤬",
        "😢",
        "🎉",
        "🤩",
        "🤮",
        "💩",
        "🙏",
        "👌",
        "🕊",
        "🤡",
        "🥱",
        "🥴",
        "😍",
        "🐳",
        "❤\u200d🔥",
        "🌚",
        "🌭",
        "💯",
        "🤣",
        "⚡",
        "🍌",
        "🏆",
        "💔",
        "🤨",
        "😐",
        "🍓",
        "🍾",
        "💋",
        "🖕",
        "😈",
        "😴",
        "😭",
        "🤓",
        "👻",
        "👨\u200d💻",
        "👀",
        "🎃",
        "🙈",
        "😇",
        "😨",
        "🤝",
        "✍",
        "🤗",
        "🫡",
        "🎅",
        "🎄",
        "☃",
        "💅",
        "🤪",
        "🗿",
        "🆒",
        "💘",
        "🙉",
        "🦄",
        "😘",
        "💊",
        "🙊",
        "😎",
        "👾",
        "🤷\u200d♂",
        "🤷",
        "🤷\u200d♀",
        "😡",
    )
)


def _editable(world: World, params: dict[str, Any]) -> tuple[FakeChat, FakeMessage]:
    if "inline_message_id" in params:
        raise bad_request("MESSAGE_ID_INVALID")  # the double sends no inline messages
    if "chat_id" not in params:
        raise bad_request("chat_id is empty")
    if "message_id" not in params:
        raise bad_request("message identifier is not specified")
    chat = world.accessible_chat(params["chat_id"])
    msg = world.message(chat.id, params["message_id"])
    if msg is None:
        raise bad_request("message to edit not found")
    if not msg.from_bot:
        raise bad_request("message can't be edited")
    return chat, msg


def _finish_edit(world: World, msg: FakeMessage, changed: bool) -> JsonDict:
    if not changed:
        raise bad_request(NOT_MODIFIED)
    msg.edit_date = world.unix()
    return world.message_api(msg)


@api_method("editMessageText")
def edit_message_text(world: World, params: dict[str, Any]) -> JsonDict:
    _, msg = _editable(world, params)
    if msg.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities = message_text(world, params)
    markup = check_markup(params.get("reply_markup"), inline_only=True)
    changed = (text, entities, markup) != (msg.text, msg.entities, msg.reply_markup)
    msg.text, msg.entities, msg.reply_markup = text, entities, markup
    return _finish_edit(world, msg, changed)


@api_method("editMessageCaption")
def edit_message_caption(world: World, params: dict[str, Any]) -> JsonDict:
    _, msg = _editable(world, params)
    if msg.photo is None and msg.document is None:
        raise bad_request("there is no caption in the message to edit")
    caption, entities = caption_text(world, params)
    markup = check_markup(params.get("reply_markup"), inline_only=True)
    changed = (caption, entities, markup) != (msg.caption, msg.caption_entities, msg.reply_markup)
    msg.caption, msg.caption_entities, msg.reply_markup = caption, entities, markup
    return _finish_edit(world, msg, changed)


@api_method("editMessageReplyMarkup")
def edit_message_reply_markup(world: World, params: dict[str, Any]) -> JsonDict:
    _, msg = _editable(world, params)
    markup = check_markup(params.get("reply_markup"), inline_only=True)
    changed = markup != msg.reply_markup
    msg.reply_markup = markup
    return _finish_edit(world, msg, changed)


def _can_delete(world: World, chat: FakeChat, msg: FakeMessage) -> bool:
    if _UNDELETABLE_SERVICE & msg.service.keys():
        return False
    me = world.bot_member(chat)
    fresh = world.unix() - msg.date < 2 * _DAY
    if chat.type == "private":
        return fresh
    if chat.type == "supergroup" and me.has_right("can_delete_messages"):
        return True
    if chat.type == "group" and me.is_admin:
        return fresh
    return msg.from_bot and fresh


@api_method("deleteMessage")
def delete_message(world: World, params: dict[str, Any]) -> bool:
    chat = world.accessible_chat(params["chat_id"])
    msg = world.message(chat.id, params["message_id"])
    if msg is None:
        raise bad_request("message to delete not found")
    if not _can_delete(world, chat, msg):
        raise bad_request("message can't be deleted")
    msg.deleted = True
    return True


@api_method("deleteMessages")
def delete_messages(world: World, params: dict[str, Any]) -> bool:
    chat = world.accessible_chat(params["chat_id"])
    ids: list[int] = params["message_ids"]
    if not ids:
        raise bad_request("message identifiers are not specified")
    if len(ids) > 100:
        raise bad_request("too many messages to delete")
    found = [msg for mid in ids if (msg := world.message(chat.id, mid)) is not None]
    if any(not _can_delete(world, chat, msg) for msg in found):
        raise bad_request("message can't be deleted")
    for msg in found:
        msg.deleted = True
    return True


@api_method("stopPoll")
def stop_poll(world: World, params: dict[str, Any]) -> JsonDict:
    chat = world.accessible_chat(params["chat_id"])
    msg = world.message(chat.id, params["message_id"])
    if msg is None or msg.poll_id is None or not msg.from_bot:
        raise bad_request("message with poll to stop not found")
    poll = world.polls[msg.poll_id]
    if poll.is_closed:
        raise bad_request("poll has already been closed")
    if "reply_markup" in params:
        msg.reply_markup = check_markup(params["reply_markup"], inline_only=True)
    poll.is_closed = True
    world.updates.push("poll", poll.to_api())
    return poll.to_api()


@api_method("answerCallbackQuery")
def answer_callback_query(world: World, params: dict[str, Any]) -> bool:
    record = world.callbacks.get(params["callback_query_id"])
    if record is None or record.answered:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = params.get("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    record.answered = True
    record.answer = {key: value for key, value in params.items() if key != "callback_query_id"}
    return True


@api_method("sendChatAction")
def send_chat_action(world: World, params: dict[str, Any]) -> bool:
    world.accessible_chat(params["chat_id"], to_send=True)
    if params["action"] not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


@api_method("setMessageReaction")
def set_message_reaction(world: World, params: dict[str, Any]) -> bool:
    chat = world.accessible_chat(params["chat_id"])
    msg = world.message(chat.id, params["message_id"])
    if msg is None:
        raise bad_request("message to react not found")
    reactions: list[JsonDict] = params.get("reaction", [])
    if len(reactions) > 1:
        raise bad_request("REACTIONS_TOO_MANY")
    for reaction in reactions:
        if reaction.get("type") == "emoji" and reaction.get("emoji") not in REACTION_EMOJI:
            raise bad_request("REACTION_INVALID")
    msg.reactions[world.bot.id] = reactions
    return True
