"""Checks shared by sending and editing: formatted text, keyboards, reply placement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .html_check import EntityParseError, parse_html, strip_text, utf16_len
from .models import FakeChat, JsonDict, bad_request
from .state import World

TEXT_MAX = 4096
CAPTION_MAX = 1024
CALLBACK_DATA_MAX = 64
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def render_text(
    raw: str, parse_mode: str | None, entities: list[JsonDict] | None, *, strict: bool
) -> tuple[str, list[JsonDict]]:
    """Visible text and entities after parsing, with surrounding whitespace trimmed."""
    if entities is not None:
        text, found = raw, entities
        size = utf16_len(raw)
        for entity in entities:
            offset, length = entity.get("offset", -1), entity.get("length", 0)
            if not (isinstance(offset, int) and isinstance(length, int)) or offset < 0:
                raise bad_request("can't parse entities JSON object")
            if offset + length > size:
                raise bad_request("entity ends after the end of the text")
    elif parse_mode and parse_mode.lower() == "html":
        try:
            text, found = parse_html(raw, strict=strict)
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
    elif not parse_mode or parse_mode.lower() in ("markdown", "markdownv2"):
        text, found = raw, []  # Markdown is passed through unparsed by the double
    else:
        raise bad_request("unsupported parse_mode")
    return strip_text(text, found)


def message_text(world: World, params: dict[str, Any]) -> tuple[str, list[JsonDict]]:
    text, entities = render_text(
        params["text"],
        params.get("parse_mode"),
        params.get("entities"),
        strict=world.settings.strict_html,
    )
    if not text:
        raise bad_request("message text is empty")
    if len(text) > TEXT_MAX:
        raise bad_request("message is too long")
    return text, entities


def caption_text(
    world: World, params: dict[str, Any], key: str = "caption"
) -> tuple[str | None, list[JsonDict]]:
    raw = params.get(key)
    if raw is None:
        return None, []
    caption, entities = render_text(
        raw,
        params.get("parse_mode"),
        params.get(f"{key}_entities") if key == "caption" else params.get("caption_entities"),
        strict=world.settings.strict_html,
    )
    if len(caption) > CAPTION_MAX:
        raise bad_request("message caption is too long")
    return (caption or None), entities


def check_markup(markup: JsonDict | None, *, inline_only: bool = False) -> JsonDict | None:
    """Validate reply_markup as Telegram does; returns it unchanged."""
    if markup is None:
        return None
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request("can't parse inline keyboard button: InlineKeyboardButton expected")
        buttons = [button for row in rows for button in row]
        if len(buttons) > 100:
            raise bad_request("reply markup is too long")
        for button in buttons:
            _check_inline_button(button)
        return markup
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        for row in markup["keyboard"]:
            for button in row:
                text = button if isinstance(button, str) else button.get("text")
                if not isinstance(text, str) or not text.strip():
                    raise bad_request("keyboard button text must be non-empty")
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardButton expected")
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad_request("inline keyboard button text must be non-empty")
    actions = [key for key in _BUTTON_ACTIONS if key in button]
    if not actions:
        raise bad_request("text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad_request("can't parse inline keyboard button: only one action is allowed")
    data = button.get("callback_data")
    if data is not None and not (
        isinstance(data, str) and 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_MAX
    ):
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and not (
        isinstance(url, str) and url.startswith(("http://", "https://", "tg://"))
    ):
        raise bad_request("BUTTON_URL_INVALID")


@dataclass(frozen=True)
class Placement:
    """Where a new message lands: its topic and the message it replies to."""

    thread_id: int | None
    reply_to: int | None
    is_topic_message: bool


def placement(world: World, chat: FakeChat, params: dict[str, Any]) -> Placement:
    thread_id: int | None = params.get("message_thread_id")
    reply = params.get("reply_parameters") or {}
    reply_to = reply.get("message_id")
    if reply.get("chat_id") not in (None, chat.id, chat.username and f"@{chat.username}"):
        raise bad_request("replies to other chats are not supported by the test double")
    if reply_to is not None:
        target = world.message(chat.id, reply_to)
        if target is None:
            if not reply.get("allow_sending_without_reply"):
                raise bad_request("message to be replied not found")
            reply_to = None
        elif thread_id is None and chat.is_forum:
            thread_id = target.thread_id
    if thread_id is not None:
        if chat.is_forum and thread_id not in chat.topics:
            raise bad_request("message thread not found")
        if not chat.is_forum and world.message(chat.id, thread_id) is None:
            raise bad_request("message thread not found")
    is_topic = chat.is_forum and thread_id is not None
    if is_topic and reply_to is None:
        reply_to = thread_id  # Telegram links topic messages to the topic's creation message
    return Placement(thread_id, reply_to, is_topic)
