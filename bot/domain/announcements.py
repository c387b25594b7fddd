"""Announcements and polls as the domain sees them: targets, schedules, delivery states."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as TimeOfDay
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.messengers import Messenger, messenger_of
from bot.domain.models import ChatKind, ChatPlace, Person, RegisteredChat
from bot.domain.outgoing import AttachmentKind

POLL_OPTIONS_MIN = 2
POLL_OPTIONS_MAX = 10
POLL_QUESTION_MAX = 300
POLL_OPTION_MAX = 100
CAPTION_MAX = 1024
TEXT_MAX = 4096


class TargetKind(StrEnum):
    BUILDINGS = "buildings"
    TOPICS = "topics"
    ORG = "org"
    CHOSEN = "chosen"


@dataclass(frozen=True, slots=True)
class Targets:
    """Which registered chats get an announcement or a poll."""

    kind: TargetKind
    org: str | None = None
    places: tuple[ChatPlace, ...] = ()

    def select(self, chats: Iterable[RegisteredChat]) -> list[RegisteredChat]:
        """The active chats these targets name, in registration order; never the staff chat."""
        usable = [c for c in chats if c.active and c.kind is not ChatKind.STAFF]
        if self.kind is TargetKind.BUILDINGS:
            return [c for c in usable if c.kind is ChatKind.BUILDING]
        if self.kind is TargetKind.TOPICS:
            return [c for c in usable if c.kind is ChatKind.TOPIC]
        if self.kind is TargetKind.ORG:
            wanted = (self.org or "").casefold()
            return [c for c in usable if c.org is not None and c.org.casefold() == wanted]
        chosen = set(self.places)
        return [c for c in usable if c.place in chosen]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "org": self.org,
            "places": [[p.chat_id, p.thread_id] for p in self.places],
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Targets:
        return cls(
            kind=TargetKind(value["kind"]),
            org=value.get("org"),
            places=tuple(ChatPlace(int(c), int(t)) for c, t in value.get("places") or ()),
        )


def organisations(chats: Iterable[RegisteredChat]) -> list[str]:
    """Distinct organisation labels of active building and topic chats, sorted."""
    seen: dict[str, str] = {}
    for chat in chats:
        if chat.active and chat.org and chat.kind is not ChatKind.STAFF:
            seen.setdefault(chat.org.casefold(), chat.org)
    return sorted(seen.values(), key=str.casefold)


class Repeat(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True, slots=True)
class Recurrence:
    """Daily, or weekly on `weekday` (0 = Monday), at a local time of day."""

    repeat: Repeat
    at: TimeOfDay
    weekday: int | None = None

    def next_after(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """The first occurrence strictly after `moment`, as an aware datetime in `zone`."""
        local = moment.astimezone(zone)
        day = local.date()
        for _ in range(9):
            candidate = datetime.combine(day, self.at, tzinfo=zone)
            weekday_ok = self.repeat is Repeat.DAILY or day.weekday() == self.weekday
            if weekday_ok and candidate > local:
                return candidate
            day += timedelta(days=1)
        raise AssertionError("a weekly recurrence repeats within 8 days")


class AnnouncementStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"
    DELETED = "deleted"
    RECURRING = "recurring"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class Media:
    """A photo or document Telegram already has, sent with the announcement's text as caption."""

    kind: AttachmentKind
    file_id: str


@dataclass(frozen=True, slots=True)
class Announcement:
    id: int
    author: Person
    author_chat_id: int
    text: str
    targets: Targets
    pin: bool
    status: AnnouncementStatus
    created_at: datetime
    media: Media | None = None
    scheduled_at: datetime | None = None
    recurrence: Recurrence | None = None
    parent_id: int | None = None
    queued_at: datetime | None = None
    reported_at: datetime | None = None
    edited_at: datetime | None = None
    deleted_at: datetime | None = None


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One target chat of an announcement or poll and what happened there."""

    id: int
    place: ChatPlace
    chat_name: str
    status: DeliveryStatus
    message_id: int | None = None
    error: str | None = None
    sent_at: datetime | None = None
    pinned: bool | None = None
    pin_error: str | None = None
    tg_poll_id: str | None = None


@dataclass(frozen=True, slots=True)
class DeliverySummary:
    delivered: int
    failed: int
    pending: int
    pinned: int

    @classmethod
    def of(cls, deliveries: Sequence[Delivery]) -> DeliverySummary:
        return cls(
            delivered=sum(d.status is DeliveryStatus.SENT for d in deliveries),
            failed=sum(d.status is DeliveryStatus.FAILED for d in deliveries),
            pending=sum(d.status is DeliveryStatus.PENDING for d in deliveries),
            pinned=sum(bool(d.pinned) for d in deliveries),
        )


class PollStatus(StrEnum):
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class PollRecord:
    id: int
    author: Person
    author_chat_id: int
    question: str
    options: tuple[str, ...]
    anonymous: bool
    multiple: bool
    targets: Targets
    share_results: bool
    status: PollStatus
    closes_at: datetime
    created_at: datetime
    closed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PollCounts:
    """What Telegram last reported for one sent poll."""

    counts: tuple[int, ...]
    total: int


@dataclass(frozen=True, slots=True)
class ChatTally:
    chat_name: str
    delivered: bool
    counts: tuple[int, ...]
    voters: int
    error: str | None = None
    messenger: Messenger = Messenger.TELEGRAM


@dataclass(frozen=True, slots=True)
class MessengerTally:
    messenger: Messenger
    counts: tuple[int, ...]
    voters: int


@dataclass(frozen=True, slots=True)
class PollTally:
    """Totals across all chats and the per-chat breakdown."""

    options: tuple[str, ...]
    totals: tuple[int, ...]
    voters: int
    chats: tuple[ChatTally, ...] = field(default_factory=tuple)

    def by_messenger(self) -> tuple[MessengerTally, ...]:
        """The totals per messenger, in the order the messengers first appear."""
        found: dict[Messenger, tuple[list[int], int]] = {}
        for chat in self.chats:
            counts, voters = found.setdefault(chat.messenger, ([0] * len(self.options), 0))
            for i, value in enumerate(chat.counts):
                counts[i] += value
            found[chat.messenger] = (counts, voters + chat.voters)
        return tuple(
            MessengerTally(messenger, tuple(counts), voters)
            for messenger, (counts, voters) in found.items()
        )


def poll_copy_key(delivery: Delivery) -> str | None:
    """The key of one sent copy of a poll, under which its counts and votes are kept: the
    messenger's poll id for a native poll, else the chat and message of the buttons."""
    if delivery.tg_poll_id:
        return delivery.tg_poll_id
    if delivery.message_id is None:
        return None
    return button_poll_key(delivery.place.chat_id, delivery.message_id)


def button_poll_key(chat_id: int, message_id: int) -> str:
    return f"msg:{chat_id}:{message_id}"


def next_ballot(current: Sequence[int], option: int, multiple: bool) -> tuple[int, ...]:
    """A press on `option`: one choice replaces the vote; with several, it toggles."""
    if not multiple:
        return (option,)
    chosen = set(current) ^ {option}
    return tuple(sorted(chosen))


def ballot_counts(ballots: Iterable[Sequence[int]], options: int) -> PollCounts:
    """Counts per option and the number of people with a vote, from everyone's ballot."""
    counts = [0] * options
    voters = 0
    for ballot in ballots:
        if ballot:
            voters += 1
        for i in ballot:
            if 0 <= i < options:
                counts[i] += 1
    return PollCounts(tuple(counts), voters)


def tally(
    options: Sequence[str],
    deliveries: Sequence[Delivery],
    counts: dict[str, PollCounts],
) -> PollTally:
    """Add up the counts of every delivered copy of one poll."""
    totals = [0] * len(options)
    voters = 0
    chats: list[ChatTally] = []
    for delivery in deliveries:
        found = counts.get(poll_copy_key(delivery) or "")
        per_chat = tuple(found.counts) if found else (0,) * len(options)
        per_chat = (per_chat + (0,) * len(options))[: len(options)]
        chat_voters = found.total if found else 0
        for i, value in enumerate(per_chat):
            totals[i] += value
        voters += chat_voters
        chats.append(
            ChatTally(
                chat_name=delivery.chat_name,
                delivered=delivery.status is DeliveryStatus.SENT,
                counts=per_chat,
                voters=chat_voters,
                error=delivery.error,
                messenger=messenger_of(delivery.place.chat_id),
            )
        )
    return PollTally(tuple(options), tuple(totals), voters, tuple(chats))
