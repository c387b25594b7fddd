"""Messages the domain decides to send. They are stored in the outbox before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RefKind(StrEnum):
    """What a sent message is, so replies to it and later edits can find it."""

    ACK = "ack"
    CARD = "card"
    NOTICE = "notice"
    CLOSE_PROMPT = "close_prompt"
    CLOSE_NOTICE = "close_notice"
    WELCOME = "mod_welcome"
    MOD_CARD = "mod_card"
    REPORT_CARD = "mod_report"
    MOD_SETTINGS = "mod_settings"
    ANNOUNCEMENT = "announcement"
    POLL = "poll"
    WIZARD = "wizard"


@dataclass(frozen=True, slots=True)
class MessageRef:
    kind: RefKind
    ref_id: int


@dataclass(frozen=True, slots=True)
class Button:
    text: str
    data: str


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with the message; the message's text becomes its caption (1024 chars max).

    Either `content` (a file the bot made: a chart, a report) or `file_id` (a file Telegram
    already has, such as a resident's photo).
    """

    kind: AttachmentKind
    filename: str = "file"
    content: bytes | None = None
    file_id: str | None = None


class TargetAction(StrEnum):
    """What to do to the message named by `Outgoing.edit_of` other than replacing its text."""

    EDIT_CAPTION = "edit_caption"
    DELETE = "delete"
    STOP_POLL = "stop_poll"


@dataclass(frozen=True, slots=True)
class PollSpec:
    """A native Telegram poll to send instead of a text message."""

    question: str
    options: tuple[str, ...]
    is_anonymous: bool = True
    allows_multiple_answers: bool = False


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to send, or (with `edit_of`) an edit of a message sent earlier."""

    chat_id: int
    text: str
    thread_id: int = 0
    reply_to: int | None = None
    buttons: tuple[tuple[Button, ...], ...] = ()
    remember_as: MessageRef | None = None
    edit_of: MessageRef | None = None
    force_reply: bool = False
    attachment: Attachment | None = None
    # A batch groups the entries of one announcement or poll for its delivery report; batched
    # messages are bulk traffic, so interactive replies keep their share of Telegram's limit.
    batch: str | None = None
    pin: bool = False
    poll: PollSpec | None = None
    target_action: TargetAction | None = None
    # Edit, delete or stop a message whose id is already known (instead of `edit_of`).
    target_message_id: int | None = None

    @property
    def bulk(self) -> bool:
        return self.batch is not None
