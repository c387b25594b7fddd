"""Operations on a messenger, as the core decides them: messages to send or edit, and actions on
messages and members (delete, stop a poll, restrict, release, ban, unban, remove, join
requests). Each is stored in the outbox in the decision's transaction and carried out later by
the messenger's adapter, so a crash between the two loses nothing.

What an adapter owes the core (bot.telegram.delivery is Telegram's): it carries out every
`OpKind` in each chat's order within its messenger's limits; retries what failed for a
transient reason (server errors, lost connections, timeouts, "too many requests") until the
operation is older than the configured give-up age; fails an operation only on a permanent
refusal; and reports the refusals admins can fix as a `Refusal`, which the core turns into
one notice per chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.messengers import Messenger, messenger_of


class RefKind(StrEnum):
    """What a sent message is, so replies to it and later edits can find it."""

    ACK = "ack"
    CARD = "card"
    NOTICE = "notice"
    CLOSE_PROMPT = "close_prompt"
    CLOSE_NOTICE = "close_notice"
    CONTROL_PROMPT = "control_prompt"
    ASK_PROMPT = "ask_prompt"
    MERGE_PROMPT = "merge_prompt"
    QUESTION = "question"  # a specialist's question to the resident, under their message
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


class MemberAction(StrEnum):
    """What to do to a member of the chat named by `Outgoing.chat_id`."""

    RESTRICT = "restrict"  # may read, may not write (until `until`, or for good)
    RELEASE = "release"  # lift a restriction: the chat's default permissions apply again
    BAN = "ban"  # removed and may not come back (until `until`, or for good)
    UNBAN = "unban"  # may come back; never removes a current member
    KICK = "kick"  # removed but free to come back
    APPROVE_JOIN = "approve_join"
    DECLINE_JOIN = "decline_join"


@dataclass(frozen=True, slots=True)
class MemberOp:
    action: MemberAction
    user_id: int
    until: datetime | None = None


class OpKind(StrEnum):
    """Every kind of operation the outbox carries, named for the adapter and the audit.

    Pinning goes with the send (`Outgoing.pin`): the message is pinned once it is delivered."""

    SEND = "send"
    SEND_PHOTO = "send_photo"
    SEND_DOCUMENT = "send_document"
    SEND_POLL = "send_poll"
    EDIT = "edit"
    EDIT_CAPTION = "edit_caption"
    DELETE = "delete"
    STOP_POLL = "stop_poll"
    RESTRICT = "restrict"
    RELEASE = "release"
    BAN = "ban"
    UNBAN = "unban"
    KICK = "kick"
    APPROVE_JOIN = "approve_join"
    DECLINE_JOIN = "decline_join"


class BotRight(StrEnum):
    """Administrator rights the bot needs for some operations, by their Bot API names."""

    DELETE = "can_delete_messages"
    RESTRICT = "can_restrict_members"
    INVITE = "can_invite_users"


OP_RIGHTS: dict[OpKind, BotRight] = {
    OpKind.RESTRICT: BotRight.RESTRICT,
    OpKind.RELEASE: BotRight.RESTRICT,
    OpKind.BAN: BotRight.RESTRICT,
    OpKind.UNBAN: BotRight.RESTRICT,
    OpKind.KICK: BotRight.RESTRICT,
    OpKind.DELETE: BotRight.DELETE,
    OpKind.APPROVE_JOIN: BotRight.INVITE,
    OpKind.DECLINE_JOIN: BotRight.INVITE,
}
"""The right an operation needs, where it needs one: a refusal may mean the right is missing."""


@dataclass(frozen=True, slots=True)
class PollSpec:
    """A native Telegram poll to send instead of a text message."""

    question: str
    options: tuple[str, ...]
    is_anonymous: bool = True
    allows_multiple_answers: bool = False


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One operation: a message to send, (with `edit_of` or `target_message_id`) an edit or
    another action on a message sent earlier, or (with `member`) an action on a member."""

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
    member: MemberOp | None = None
    # A one-button reply keyboard asking for the user's own phone number (private chats), or
    # the removal of such a keyboard.
    contact_request: str | None = None
    remove_keyboard: bool = False

    @property
    def bulk(self) -> bool:
        return self.batch is not None

    @property
    def messenger(self) -> Messenger:
        """The messenger that carries this out: the chat's (bot.domain.messengers)."""
        return messenger_of(self.chat_id)

    @property
    def kind(self) -> OpKind:
        if self.member is not None:
            return OpKind(self.member.action.value)
        if self.edit_of is not None or self.target_message_id is not None:
            return OpKind(self.target_action.value) if self.target_action else OpKind.EDIT
        if self.poll is not None:
            return OpKind.SEND_POLL
        if self.attachment is not None:
            if self.attachment.kind is AttachmentKind.PHOTO:
                return OpKind.SEND_PHOTO
            return OpKind.SEND_DOCUMENT
        return OpKind.SEND

    @property
    def needs_right(self) -> BotRight | None:
        return OP_RIGHTS.get(self.kind)


def member_op(
    action: MemberAction, chat_id: int, user_id: int, until: datetime | None = None
) -> Outgoing:
    """An action on a member of a chat, as an outbox operation."""
    return Outgoing(chat_id=chat_id, text="", member=MemberOp(action, user_id, until))


def delete_message(chat_id: int, message_id: int) -> Outgoing:
    return Outgoing(
        chat_id=chat_id, text="", target_action=TargetAction.DELETE, target_message_id=message_id
    )


class RefusalKind(StrEnum):
    FORBIDDEN = "forbidden"  # the bot may not act in the chat at all (removed, blocked)
    MISSING_RIGHT = "missing_right"  # an administrator right the operation needs is missing


@dataclass(frozen=True, slots=True)
class Refusal:
    """A permanent refusal of an operation the admins should hear about (once per chat)."""

    chat_id: int
    kind: RefusalKind
    right: BotRight | None = None
    detail: str = ""


NEW_MESSAGES = frozenset({OpKind.SEND, OpKind.SEND_PHOTO, OpKind.SEND_DOCUMENT, OpKind.SEND_POLL})
"""Operations that a second request would repeat visibly. The others (edits, deletions, pins,
actions on members, closing a poll) leave the same state when done twice."""

MAYBE_SENT = "maybe sent before a restart; not sent again"
"""The outcome of a new message whose send was cut short by a crash: the messenger may have
posted it, and neither Bot API can tell, so it is not sent a second time."""


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """An operation as the outbox holds it, for the adapter that carries it out."""

    id: int
    message: Outgoing
    attempts: int
    # When the entry first became due; None for entries stored before this was kept.
    due_at: datetime | None = None
    # A send of it was under way when its sender died: Telegram may or may not have it.
    maybe_sent: bool = False


@dataclass(frozen=True, slots=True)
class OutboxHead:
    """What the dispatcher needs to choose entries, without decoding their payloads."""

    id: int
    chat_id: int
    bulk: bool
