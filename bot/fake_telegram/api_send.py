"""Methods that put new messages into chats."""

from __future__ import annotations

from typing import Any

from .content import caption_text, check_markup, message_text, placement, render_text
from .files import FileStore
from .models import FakeChat, FakeMessage, FakePoll, JsonDict, bad_request
from .registry import api_method
from .state import World
from .validation import Upload


def _open_chat(world: World, params: dict[str, Any]) -> FakeChat:
    return world.accessible_chat(params["chat_id"], to_send=True)


def _store(world: World, chat: FakeChat, method: str, **fields: Any) -> JsonDict:
    world.limiter.check(chat.id, chat.is_group)
    msg = world.add_message(chat, world.bot, **fields)
    world.record_sent(chat, method)
    return world.message_api(msg)


def _placement_fields(world: World, chat: FakeChat, params: dict[str, Any]) -> dict[str, Any]:
    place = placement(world, chat, params)
    return {
        "thread_id": place.thread_id,
        "reply_to": place.reply_to,
        "is_topic_message": place.is_topic_message,
        "reply_markup": check_markup(params.get("reply_markup")),
    }


@api_method("sendMessage")
def send_message(world: World, params: dict[str, Any]) -> JsonDict:
    chat = _open_chat(world, params)
    fields = _placement_fields(world, chat, params)
    text, entities = message_text(world, params)
    return _store(world, chat, "sendMessage", text=text, entities=entities, **fields)


@api_method("sendPhoto")
def send_photo(world: World, params: dict[str, Any]) -> JsonDict:
    chat = _open_chat(world, params)
    fields = _placement_fields(world, chat, params)
    caption, entities = caption_text(world, params)
    stored = world.files.accept("photo", params["photo"])
    photo = FileStore.photo_sizes(stored)
    return _store(
        world, chat, "sendPhoto", photo=photo, caption=caption, caption_entities=entities, **fields
    )


@api_method("sendDocument")
def send_document(world: World, params: dict[str, Any]) -> JsonDict:
    chat = _open_chat(world, params)
    fields = _placement_fields(world, chat, params)
    caption, entities = caption_text(world, params)
    document = FileStore.document(world.files.accept("document", params["document"]))
    return _store(
        world,
        chat,
        "sendDocument",
        document=document,
        caption=caption,
        caption_entities=entities,
        **fields,
    )


@api_method("sendMediaGroup")
def send_media_group(world: World, params: dict[str, Any]) -> list[JsonDict]:
    chat = _open_chat(world, params)
    fields = _placement_fields(world, chat, params)
    media: list[JsonDict] = params["media"]
    if not 2 <= len(media) <= 10:
        raise bad_request("wrong number of media in the group: must be 2-10")
    kinds = {item.get("type") for item in media}
    if not kinds <= {"photo", "document"}:
        raise bad_request("the test double supports only photo and document media groups")
    if len(kinds) > 1:
        raise bad_request("document can't be mixed with other media types")
    prepared = []
    for item in media:
        caption, entities = caption_text(world, item)
        value = item.get("media")
        if not isinstance(value, str | Upload):
            raise bad_request("can't parse InputMedia JSON object")
        prepared.append((item["type"], world.files.accept(item["type"], value), caption, entities))
    world.limiter.check(chat.id, chat.is_group, len(prepared))
    group_id = world.next_token("1")
    sent = []
    for kind, stored, caption, entities in prepared:
        content: dict[str, Any] = (
            {"photo": FileStore.photo_sizes(stored)}
            if kind == "photo"
            else {"document": FileStore.document(stored)}
        )
        msg = world.add_message(
            chat,
            world.bot,
            caption=caption,
            caption_entities=entities,
            media_group_id=group_id,
            **content,
            **fields,
        )
        sent.append(world.message_api(msg))
    world.record_sent(chat, "sendMediaGroup", len(prepared))
    return sent


def _source(world: World, params: dict[str, Any], missing: str) -> FakeMessage:
    source_chat = world.accessible_chat(params["from_chat_id"])
    msg = world.message(source_chat.id, params["message_id"])
    if msg is None:
        raise bad_request(missing)
    return msg


@api_method("copyMessage")
def copy_message(world: World, params: dict[str, Any]) -> JsonDict:
    source = _source(world, params, "message to copy not found")
    if source.service:
        raise bad_request("message can't be copied")
    chat = _open_chat(world, params)
    fields = _placement_fields(world, chat, params)
    caption, entities = source.caption, source.caption_entities
    if "caption" in params:
        caption, entities = caption_text(world, params)
    content = {
        "text": source.text,
        "entities": list(source.entities),
        "photo": source.photo,
        "document": source.document,
    }
    if source.text is not None or source.poll_id is not None:
        caption, entities = None, []
    if source.poll_id is not None:
        old = world.polls[source.poll_id]
        return {"message_id": _new_poll(world, chat, old.question, old.options, fields)}
    message = _store(
        world,
        chat,
        "copyMessage",
        caption=caption,
        caption_entities=entities,
        **content,
        **fields,
    )
    return {"message_id": message["message_id"]}


@api_method("forwardMessage")
def forward_message(world: World, params: dict[str, Any]) -> JsonDict:
    source = _source(world, params, "message to forward not found")
    if source.service:
        raise bad_request("message can't be forwarded")
    chat = _open_chat(world, params)
    origin = {"type": "user", "date": source.date, "sender_user": source.sender.to_api()}
    return _store(
        world,
        chat,
        "forwardMessage",
        text=source.text,
        entities=list(source.entities),
        caption=source.caption,
        caption_entities=list(source.caption_entities),
        photo=source.photo,
        document=source.document,
        thread_id=params.get("message_thread_id"),
        extra={"forward_origin": origin},
    )


@api_method("sendPoll")
def send_poll(world: World, params: dict[str, Any]) -> JsonDict:
    chat = _open_chat(world, params)
    fields = _placement_fields(world, chat, params)
    question, _ = render_text(
        params["question"], params.get("question_parse_mode"), None, strict=True
    )
    if not question:
        raise bad_request("poll question must be non-empty")
    if len(question) > 300:
        raise bad_request("poll question length must not exceed 300")
    options = [opt if isinstance(opt, str) else opt.get("text", "") for opt in params["options"]]
    options = [str(opt).strip() for opt in options]
    if len(options) < 2:
        raise bad_request("poll must have at least 2 option")
    if len(options) > 12:
        raise bad_request("poll can't have more than 12 options")
    if any(not opt for opt in options):
        raise bad_request("poll options must be non-empty")
    if any(len(opt) > 100 for opt in options):
        raise bad_request("poll options length must not exceed 100")
    poll_type = params.get("type", "regular")
    if poll_type not in ("regular", "quiz"):
        raise bad_request("wrong poll type specified")
    message_id = _new_poll(world, chat, question, options, fields, params)
    msg = world.message(chat.id, message_id)
    assert msg is not None
    return world.message_api(msg)


def _new_poll(
    world: World,
    chat: FakeChat,
    question: str,
    options: list[str],
    fields: dict[str, Any],
    params: dict[str, Any] | None = None,
) -> int:
    params = params or {}
    poll = FakePoll(
        id=world.next_token("5"),
        chat_id=chat.id,
        message_id=0,
        question=question,
        options=options,
        is_anonymous=params.get("is_anonymous", True),
        type=params.get("type", "regular"),
        allows_multiple_answers=params.get("allows_multiple_answers", False),
        is_closed=params.get("is_closed", False),
    )
    world.polls[poll.id] = poll
    message = _store(world, chat, "sendPoll", poll_id=poll.id, **fields)
    poll.message_id = message["message_id"]
    return poll.message_id
