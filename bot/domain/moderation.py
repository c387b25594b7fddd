"""Group moderation rules: durations, per-chat settings, probation, actions and their undo.

Pure domain code. The services in `bot.services.moderation*` decide with these and write the
actions (restrict, ban, delete: `bot.domain.outgoing` operations) to the outbox in the same
transaction as the decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.errors import UsageError
from bot.domain.links import on_person
from bot.domain.models import Person, Role
from bot.domain.outgoing import BotRight as BotRight  # the texts name the rights
from bot.domain.outgoing import MemberAction, Outgoing

# --- durations ----------------------------------------------------------------------------

_DURATION = re.compile(r"^(\d{1,5})\s*(s|с|m|м|мин|h|ч|d|д|w|н)$", re.IGNORECASE)
_UNITS = {
    "s": timedelta(seconds=1),
    "с": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "м": timedelta(minutes=1),
    "мин": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "ч": timedelta(hours=1),
    "d": timedelta(days=1),
    "д": timedelta(days=1),
    "w": timedelta(weeks=1),
    "н": timedelta(weeks=1),
}
MAX_DURATION = timedelta(days=366)


def parse_duration(text: str) -> timedelta | None:
    """ "30m", "2h", "1d", "1w" (also Russian "30м", "2ч", "1д") -> timedelta; None if the
    text is not a duration. Zero and more than a year are refused (None)."""
    match = _DURATION.match(text.strip())
    if match is None:
        return None
    value = int(match.group(1)) * _UNITS[match.group(2).lower()]
    if value <= timedelta(0) or value > MAX_DURATION:
        return None
    return value


def split_duration(args: str, default: timedelta) -> tuple[timedelta, str]:
    """`[duration] [reason]` of /mute: the duration if the first word is one, and the rest."""
    head, _, rest = args.strip().partition(" ")
    duration = parse_duration(head) if head else None
    if duration is None:
        return default, args.strip()
    return duration, rest.strip()


# --- settings -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatModeration:
    """The moderation settings in force in one chat: global defaults with its overrides."""

    newcomer_check: bool = True
    newcomer_timeout: timedelta = timedelta(minutes=5)
    newcomer_question: bool = False  # the street question instead of the button
    antispam: bool = True
    antiflood: bool = True
    probation_messages: int = 5
    probation_days: int = 3
    flood_messages: int = 6
    flood_seconds: int = 10
    flood_mute: timedelta = timedelta(minutes=10)
    max_warnings: int = 3
    warn_mute: timedelta = timedelta(days=1)
    mute_default: timedelta = timedelta(hours=1)
    spam_watch: bool = False  # report suspected spam to the staff, delete nothing
    spam_bayes: int = 93  # the classifier's probability, in %, from which a message is spam
    spam_similarity: int = 85  # how alike (%) to removed spam a message must be
    spam_emoji: int = 5  # this many emoji from a newcomer is spam (0: off)

    def with_overrides(self, overrides: dict[str, object]) -> ChatModeration:
        values: dict[str, object] = {}
        for key, value in overrides.items():
            spec = SETTINGS.get(key)
            if spec is None:
                continue
            if spec.kind == "bool":
                values[key] = bool(value)
            elif spec.kind == "minutes":
                values[key] = timedelta(minutes=int(value))  # type: ignore[call-overload]
            else:
                values[key] = int(value)  # type: ignore[call-overload]
        return replace(self, **values)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """One switch or number of /settings: its kind and, for numbers, the allowed steps."""

    kind: str  # "bool", "int", "minutes"
    steps: tuple[int, ...] = ()


SETTINGS: dict[str, SettingSpec] = {
    "newcomer_check": SettingSpec("bool"),
    "newcomer_question": SettingSpec("bool"),
    "antispam": SettingSpec("bool"),
    "antiflood": SettingSpec("bool"),
    "newcomer_timeout": SettingSpec("minutes", (1, 2, 5, 10, 30, 60)),
    "flood_messages": SettingSpec("int", (3, 4, 5, 6, 8, 10, 15, 20)),
    "max_warnings": SettingSpec("int", (1, 2, 3, 4, 5)),
    "probation_messages": SettingSpec("int", (0, 1, 3, 5, 10, 20, 50)),
    "spam_watch": SettingSpec("bool"),
    "spam_bayes": SettingSpec("int", (80, 85, 90, 93, 95, 97, 99)),
    "spam_similarity": SettingSpec("int", (70, 75, 80, 85, 90, 95)),
    "spam_emoji": SettingSpec("int", (0, 3, 4, 5, 6, 8, 10)),
}
# Short keys keep the buttons' callback_data far under 64 bytes.
SETTING_CODES: dict[str, str] = {
    "nc": "newcomer_check",
    "nq": "newcomer_question",
    "as": "antispam",
    "af": "antiflood",
    "nt": "newcomer_timeout",
    "fm": "flood_messages",
    "mw": "max_warnings",
    "pm": "probation_messages",
    "sw": "spam_watch",
    "sb": "spam_bayes",
    "ss": "spam_similarity",
    "se": "spam_emoji",
}


def current_value(settings: ChatModeration, key: str) -> int | bool:
    value = getattr(settings, key)
    if isinstance(value, timedelta):
        return int(value.total_seconds() // 60)
    assert isinstance(value, int | bool)
    return value


def change_setting(settings: ChatModeration, key: str, op: str) -> int | bool:
    """The new value of `key` after pressing `op` ("t" toggle, "+" next step, "-" previous)."""
    spec = SETTINGS.get(key)
    if spec is None:
        raise UsageError("unknown setting")
    value = current_value(settings, key)
    if spec.kind == "bool":
        return not value
    steps = spec.steps
    if op == "+":
        bigger = [s for s in steps if s > value]
        return bigger[0] if bigger else steps[-1]
    smaller = [s for s in steps if s < value]
    return smaller[-1] if smaller else steps[0]


# --- members and probation ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberRecord:
    """A member the bot saw join a registered chat; members it never saw join are trusted."""

    user_id: int
    joined_at: datetime
    messages: int = 0
    trusted: bool = False


def on_probation(member: MemberRecord | None, now: datetime, settings: ChatModeration) -> bool:
    """Probation lasts for the first `probation_messages` messages or `probation_days`,
    whichever ends later. People who were in the chats before the bot never are."""
    if member is None or member.trusted:
        return False
    if member.messages < settings.probation_messages:
        return True
    return now < member.joined_at + timedelta(days=settings.probation_days)


def may_moderate(role: Role, specialists_moderate: bool) -> bool:
    return role is Role.ADMIN or (role is Role.SPECIALIST and specialists_moderate)


# --- actions ------------------------------------------------------------------------------


class ModKind(StrEnum):
    NEWCOMER = "newcomer"  # restricted on joining until the button is pressed
    PASSED = "passed"  # pressed the button
    KICKED = "kicked"  # no press in time: removed (may come back)
    SPAM = "spam"  # message deleted, sender restricted everywhere
    WATCH = "watch"  # suspected spam reported in "watch only" mode; nothing done
    FLOOD = "flood"  # muted for flooding
    WARN = "warn"
    UNWARN = "unwarn"
    MUTE = "mute"
    UNMUTE = "unmute"
    BAN = "ban"
    UNBAN = "unban"
    DELETE = "delete"
    RESTORE = "restore"
    UNDO = "undo"


UNDOABLE = frozenset(
    {ModKind.NEWCOMER, ModKind.SPAM, ModKind.FLOOD, ModKind.WARN, ModKind.MUTE, ModKind.BAN,
     ModKind.DELETE, ModKind.WATCH}
)  # fmt: skip
SUSPECTED = (ModKind.SPAM, ModKind.WATCH)  # the bot's anti-spam decisions
MUTES = (ModKind.MUTE, ModKind.FLOOD, ModKind.SPAM, ModKind.NEWCOMER)


@dataclass(frozen=True, slots=True)
class ModEntry:
    """One line of the audit log. `actor` None means the bot decided by itself; `chats` are
    the chats a community-wide action applied to."""

    kind: ModKind
    chat_id: int
    target: Person
    at: datetime
    actor: Person | None = None
    reason: str = ""
    text: str = ""
    thread_id: int = 0
    message_id: int | None = None
    until: datetime | None = None
    chats: tuple[int, ...] = ()
    id: int = 0
    undone_at: datetime | None = None
    undone_by: Person | None = None
    settled: bool = False
    # The anti-spam signals behind the action: (name, score, fired), e.g. ("bayes", 0.98, True)
    signals: tuple[tuple[str, float, bool], ...] = ()

    @property
    def undoable(self) -> bool:
        return self.kind in UNDOABLE and self.undone_at is None and not self.settled

    def applies_to(self) -> tuple[int, ...]:
        return self.chats or (self.chat_id,)


def undo_ops(entry: ModEntry) -> list[Outgoing]:
    """What the messenger must do to reverse `entry` (warnings and deletions need no action
    there; a deleted message comes back as a re-post, which is a message)."""
    user = entry.target.user_id
    if entry.kind in (ModKind.SPAM, ModKind.FLOOD, ModKind.MUTE, ModKind.NEWCOMER):
        return on_person(MemberAction.RELEASE, entry.applies_to(), user, None)
    if entry.kind is ModKind.BAN:
        return on_person(MemberAction.UNBAN, entry.applies_to(), user, None)
    return []


# --- reports and newcomer checks ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewcomerCheck:
    id: int
    chat_id: int
    user: Person
    deadline: datetime
    status: str = "pending"  # pending | passed | expired | failed
    via_request: bool = False
    choices: tuple[str, ...] = ()  # the street question's choices; empty: the button
    answer: str | None = None  # the chat's street when the question was asked

    @property
    def is_question(self) -> bool:
        return bool(self.choices) and self.answer is not None


@dataclass(frozen=True, slots=True)
class Report:
    id: int
    chat_id: int
    thread_id: int
    message_id: int
    author: Person
    text: str
    reporters: tuple[int, ...] = field(default_factory=tuple)
    status: str = "open"  # open | deleted | warned | dismissed


def message_link(chat_id: int, message_id: int, username: str | None = None) -> str | None:
    """A t.me link to a message of a supergroup (public by username, private by id)."""
    if username:
        return f"https://t.me/{username}/{message_id}"
    text = str(chat_id)
    if not text.startswith("-100"):
        return None  # basic groups have no message links
    return f"https://t.me/c/{text[4:]}/{message_id}"
