"""Expected failures: what the user caused and is told about in one line.

Services word their own failures (`message`). Domain rules carry no text: they raise a
refusal with the facts, and `bot.texts.errors.explain` words it for the user.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from bot.domain.limits import LIMITS, Bounded, fits
from bot.domain.models import IssueAction, IssueStatus, Permission


class BotError(Exception):
    """Base for failures a user can cause and should be told about in one line."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class PermissionDenied(BotError):
    pass


class UsageError(BotError):
    """A command with missing or malformed arguments; the message shows the right usage."""


class NotFound(BotError):
    pass


class TooLong(UsageError):
    """A typed value longer than its field holds (bot.domain.limits)."""

    def __init__(self, field: Bounded) -> None:
        super().__init__()
        self.field = field
        self.limit = LIMITS[field]


def require_fits(text: str, field: Bounded) -> str:
    """`text` unchanged if the field holds it; TooLong otherwise."""
    if not fits(text, field):
        raise TooLong(field)
    return text


class InvalidTransition(BotError):
    pass


class NotPermitted(PermissionDenied):
    """The caller's role lacks `permission` (raised by the permission table)."""

    def __init__(self, permission: Permission) -> None:
        super().__init__()
        self.permission = permission


class OtherDepartment(PermissionDenied):
    """The issue belongs to another department than the caller's."""

    def __init__(self, number: int, department: str | None) -> None:
        super().__init__()
        self.number = number
        self.department = department


class Refusal(StrEnum):
    NOT_FROM_THIS_STATUS = "not_from_this_status"
    ALREADY_YOURS = "already_yours"
    DUE_DATE_MISSING = "due_date_missing"
    DUE_DATE_IN_PAST = "due_date_in_past"
    ANSWER_MISSING = "answer_missing"
    QUESTION_MISSING = "question_missing"
    MERGE_SELF = "merge_self"
    MERGE_CHAIN = "merge_chain"
    SAME_DEPARTMENT = "same_department"


class TransitionRefused(InvalidTransition):
    """A status change the transition table or its preconditions do not allow."""

    def __init__(
        self,
        refusal: Refusal,
        *,
        number: int,
        status: IssueStatus,
        action: IssueAction,
        due_date: date | None = None,
        today: date | None = None,
    ) -> None:
        super().__init__()
        self.refusal = refusal
        self.number = number
        self.status = status
        self.action = action
        self.due_date = due_date
        self.today = today
