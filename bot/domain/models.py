"""Domain values: what the desk knows about chats, people and issues."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from bot.domain.limits import LIMITS, PERSON_NAME, USERNAME, Bounded, clip


class IssueStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    ON_CONTROL = "on_control"
    # Waiting for the resident's answer to a specialist's question: the SLA clock stands still.
    AWAITING = "awaiting"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        return self is not IssueStatus.CLOSED


OPEN_STATUSES = (
    IssueStatus.NEW,
    IssueStatus.IN_PROGRESS,
    IssueStatus.ON_CONTROL,
    IssueStatus.AWAITING,
)


class IssueAction(StrEnum):
    TAKE = "take"
    CONTROL = "control"
    CLOSE = "close"
    REOPEN = "reopen"
    ASK = "ask"  # a specialist's question to the resident
    ANSWER = "answer"  # the resident's answer to it
    CONTACT = "contact"  # a specialist contacted the resident personally (status unchanged)
    MERGE = "merge"  # a duplicate joined to the main issue (on both issues' histories)
    CATEGORY = "category"  # a specialist changed the category (status unchanged)
    TRANSFER = "transfer"  # handed over to another department (its staff chat gets the card)


class ChatKind(StrEnum):
    BUILDING = "building"
    TOPIC = "topic"
    STAFF = "staff"

    @property
    def takes_issues(self) -> bool:
        return self is not ChatKind.STAFF


class Permission(StrEnum):
    MANAGE_CHATS = "manage_chats"
    MANAGE_ROLES = "manage_roles"
    WORK_ISSUES = "work_issues"
    VIEW_ALL_ISSUES = "view_all_issues"
    FILE_FOR_OTHERS = "file_for_others"
    VIEW_REPORTS = "view_reports"
    SEND_DIGEST = "send_digest"
    # Work every department's issues, whatever one's own department is.
    ALL_DEPARTMENTS = "all_departments"


class Role(StrEnum):
    RESIDENT = "resident"
    SPECIALIST = "specialist"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Person:
    """Someone as the messenger names them. A name longer than storage holds (no messenger's
    limit is promised here) is shortened, a username that long is dropped (a shortened one
    would name someone else); the same on every backend."""

    user_id: int
    name: str
    username: str | None = None

    def __post_init__(self) -> None:
        if len(self.name) > PERSON_NAME:
            object.__setattr__(self, "name", clip(self.name, PERSON_NAME))
        if self.username is not None and len(self.username) > USERNAME:
            object.__setattr__(self, "username", None)


@dataclass(frozen=True, slots=True)
class ChatPlace:
    """A group chat, or one forum topic of a supergroup (thread_id 0 means the whole chat)."""

    chat_id: int
    thread_id: int = 0


@dataclass(frozen=True, slots=True)
class RegisteredChat:
    place: ChatPlace
    kind: ChatKind
    name: str
    registered_by: int
    registered_at: datetime
    active: bool = True
    org: str | None = None
    # A staff chat: the department it serves (None: the general staff chat). A residents'
    # chat: the department and category (a code) its issues get unless a tag says otherwise.
    department: str | None = None
    category: str | None = None

    def __post_init__(self) -> None:
        # A name typed with /register is refused when too long (ChatService); this keeps any
        # other way in (a migration, a future adapter's chat title) within the column too.
        limit = LIMITS[Bounded.CHAT_NAME]
        if len(self.name) > limit:
            object.__setattr__(self, "name", clip(self.name, limit))


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A resident's message as the intake sees it, stripped of Telegram types."""

    place: ChatPlace
    message_id: int
    author: Person
    text: str
    attachments: tuple[str, ...] = ()
    sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Issue:
    number: int
    place: ChatPlace
    message_id: int
    author: Person
    text: str
    tag: str
    status: IssueStatus
    created_at: datetime
    updated_at: datetime
    attachments: tuple[str, ...] = ()
    assignee: Person | None = None
    due_date: date | None = None
    answer: str | None = None
    first_response_at: datetime | None = None
    closed_at: datetime | None = None
    response_due_at: datetime | None = None
    next_reminder_at: datetime | None = None
    escalated_at: datetime | None = None
    control_reminded_on: date | None = None
    verdict: str | None = None
    verdict_at: datetime | None = None
    # The resolution deadline (working time from filing), and since when the issue waits for
    # the resident (the clock is paused from then until the answer).
    resolve_due_at: datetime | None = None
    awaiting_since: datetime | None = None
    silence_noticed_at: datetime | None = None
    # Personal contacts with the resident recorded with /contacted.
    contacts: int = 0
    # How many times the author answered «Не решено» to a closure of this issue.
    not_resolved_count: int = 0
    # The main issue this one duplicates (it is closed with it, and counted once in reports).
    merged_into: int | None = None
    # The category's code (bot.domain.categories), which sets the issue's deadlines.
    category: str | None = None
    category_name: str | None = None  # its name when it was set, for cards and exports
    # A private appeal: filed in private with the bot about `about` (a building or topic
    # chat); every answer goes back in private and nothing is shown in the group.
    private: bool = False
    about: ChatPlace | None = None
    # The department handling it (its staff chat holds the card); None: the general staff.
    department: str | None = None

    @property
    def filed_for(self) -> ChatPlace:
        """The chat the issue is about: its own chat, or a private appeal's chosen one."""
        return self.about or self.place


@dataclass(frozen=True, slots=True)
class Transition:
    issue_number: int
    action: IssueAction
    from_status: IssueStatus
    to_status: IssueStatus
    actor: Person
    at: datetime
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class TextVersion:
    issue_number: int
    text: str
    edited_at: datetime


@dataclass(frozen=True, slots=True)
class IssueHistory:
    issue: Issue
    transitions: tuple[Transition, ...] = ()
    text_versions: tuple[TextVersion, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who runs a command and where, so the service can answer in the same place."""

    person: Person
    chat_id: int
    thread_id: int = 0
    message_id: int | None = None
    is_private: bool = False

    @property
    def place(self) -> ChatPlace:
        return ChatPlace(self.chat_id, self.thread_id)
