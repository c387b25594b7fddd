"""Public value types of the Bot API test double and its error type."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

JsonDict = dict[str, Any]

# Every administrator right the double knows; `bot_rights=ADMIN_RIGHTS` makes a full admin.
ADMIN_RIGHTS: tuple[str, ...] = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
    "can_pin_messages",
    "can_manage_topics",
)

# Fields of ChatPermissions; a restricted member carries all of them.
PERMISSIONS: tuple[str, ...] = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_react_to_messages",
    "can_edit_tag",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)


class ApiError(Exception):
    """A Bot API error response: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, int] | None = None
    ) -> None:
        super().__init__(f"{error_code} {description}")
        self.error_code = error_code
        self.description = description
        self.parameters = parameters


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    return ApiError(403, f"Forbidden: {detail}")


class DriverError(AssertionError):
    """The test asked the double for something a real Telegram user could not do."""


@dataclass(frozen=True)
class FakeUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "ru"
    is_bot: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def to_api(self) -> JsonDict:
        data: JsonDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data


@dataclass
class Member:
    """One user's standing in one chat (``status`` is the ChatMember status string)."""

    user: FakeUser
    status: str  # creator | administrator | member | restricted | left | kicked
    rights: dict[str, bool] = field(default_factory=dict)  # admin rights or permissions
    until_date: int = 0
    is_member: bool = True  # meaningful for "restricted"

    @property
    def is_admin(self) -> bool:
        return self.status in ("creator", "administrator")

    @property
    def in_chat(self) -> bool:
        return self.status in ("creator", "administrator", "member") or (
            self.status == "restricted" and self.is_member
        )

    def has_right(self, right: str) -> bool:
        return self.status == "creator" or (
            self.status == "administrator" and self.rights.get(right, False)
        )

    def to_api(self) -> JsonDict:
        data: JsonDict = {"status": self.status, "user": self.user.to_api()}
        if self.status == "creator":
            data["is_anonymous"] = False
        elif self.status == "administrator":
            data.update({"can_be_edited": False, "is_anonymous": False})
            data.update({right: self.rights.get(right, False) for right in ADMIN_RIGHTS})
        elif self.status == "restricted":
            data["is_member"] = self.is_member
            data.update({perm: self.rights.get(perm, False) for perm in PERMISSIONS})
            data["until_date"] = self.until_date
        elif self.status == "kicked":
            data["until_date"] = self.until_date
        return data


@dataclass
class FakeChat:
    id: int
    type: str  # private | group | supergroup
    title: str | None = None
    user: FakeUser | None = None  # the other side of a private chat
    is_forum: bool = False
    username: str | None = None
    members: dict[int, Member] = field(default_factory=dict)
    permissions: dict[str, bool] = field(default_factory=dict)
    topics: dict[int, str] = field(default_factory=dict)
    started: bool = False  # private: the user has written to the bot
    blocked: bool = False  # private: the user blocked the bot
    migrated_to: int | None = None
    pinned: list[int] = field(default_factory=list)
    join_requests: set[int] = field(default_factory=set)
    last_message_id: int = 0

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    def to_api(self) -> JsonDict:
        data: JsonDict = {"id": self.id, "type": self.type}
        if self.type == "private" and self.user is not None:
            data.update(self.user.to_api())
            data.pop("is_bot")
            data.pop("language_code", None)
            data["id"] = self.id
            data["type"] = "private"
        else:
            data["title"] = self.title
            if self.username:
                data["username"] = self.username
            if self.is_forum:
                data["is_forum"] = True
        return data


@dataclass
class FakeMessage:
    """A message as the chat's members see it now (edits applied)."""

    chat_id: int
    message_id: int
    date: int
    sender: FakeUser
    from_bot: bool
    text: str | None = None
    entities: list[JsonDict] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JsonDict] = field(default_factory=list)
    reply_to: int | None = None
    reply_markup: JsonDict | None = None
    thread_id: int | None = None
    is_topic_message: bool = False
    deleted: bool = False
    edit_date: int | None = None
    photo: list[JsonDict] | None = None
    document: JsonDict | None = None
    poll_id: str | None = None
    media_group_id: str | None = None
    service: JsonDict = field(default_factory=dict)
    extra: JsonDict = field(default_factory=dict)
    reactions: dict[int, list[JsonDict]] = field(default_factory=dict)

    @property
    def content(self) -> str:
        """What a user reads: the text, else the caption, else an empty string."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def is_service(self) -> bool:
        return bool(self.service)

    @property
    def buttons(self) -> list[list[str]]:
        """Button texts of the attached keyboard, row by row."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [[b if isinstance(b, str) else b.get("text", "") for b in row] for row in rows]

    def button(self, text: str) -> JsonDict:
        """The inline button whose text equals or contains ``text``."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        found = [b for row in rows for b in row if b.get("text") == text]
        found = found or [b for row in rows for b in row if text in b.get("text", "")]
        if not found:
            raise DriverError(f"no button {text!r} in message {self.message_id}: {self.buttons}")
        button: JsonDict = found[0]
        return button


@dataclass(frozen=True)
class RecordedCall:
    method: str
    params: JsonDict
    at: datetime
    ok: bool
    error_code: int | None = None
    description: str | None = None
    result: Any = None


@dataclass(frozen=True)
class SentRecord:
    """One accepted outgoing message, for asserting that rate limits were respected."""

    chat_id: int
    method: str
    at: datetime
    monotonic: float


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str  # photo | document
    data: bytes | None
    filename: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0

    @property
    def file_path(self) -> str:
        folder = "photos" if self.kind == "photo" else "documents"
        suffix = self.filename.rsplit(".", 1)[-1] if self.filename and "." in self.filename else ""
        name = f"file_{self.file_unique_id}"
        return f"{folder}/{name}.{suffix}" if suffix else f"{folder}/{name}"


@dataclass
class FakePoll:
    id: str
    chat_id: int
    message_id: int
    question: str
    options: list[str]
    is_anonymous: bool = True
    type: str = "regular"
    allows_multiple_answers: bool = False
    is_closed: bool = False
    votes: dict[int, list[int]] = field(default_factory=dict)

    def to_api(self) -> JsonDict:
        counts = [0] * len(self.options)
        for option_ids in self.votes.values():
            for option in option_ids:
                counts[option] += 1
        return {
            "id": self.id,
            "question": self.question,
            "options": [
                {"persistent_id": f"{self.id}:{i}", "text": text, "voter_count": counts[i]}
                for i, text in enumerate(self.options)
            ],
            "total_voter_count": sum(1 for ids in self.votes.values() if ids),
            "is_closed": self.is_closed,
            "is_anonymous": self.is_anonymous,
            "type": self.type,
            "allows_multiple_answers": self.allows_multiple_answers,
            "allows_revoting": True,
            "members_only": False,
        }
