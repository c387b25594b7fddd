"""Departments in the domain: the permission table by role and department, transfers, and
where a new issue goes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bot.domain.departments import Routing, find_department, same_department
from bot.domain.errors import NotPermitted, OtherDepartment, TransitionRefused
from bot.domain.models import ChatPlace, Issue, IssueStatus, Permission, Person, Role
from bot.domain.rules import check_transfer, may_work_on, require_issue, transferred_status
from bot.texts.errors import explain

TODAY = date(2026, 11, 25)


def issue(department: str | None, status: IssueStatus = IssueStatus.NEW) -> Issue:
    moment = datetime(2026, 11, 25, tzinfo=UTC)
    return Issue(
        number=7,
        place=ChatPlace(-100, 0),
        message_id=5,
        author=Person(1, "Анна"),
        text="#проблема течёт крыша",
        tag="#проблема",
        status=status,
        created_at=moment,
        updated_at=moment,
        department=department,
    )


# role, the caller's own department, the issue's department, may work on it
TABLE = [
    (Role.ADMIN, None, "ЖКХ", True),
    (Role.ADMIN, None, None, True),
    (Role.ADMIN, "КУМИ", "ЖКХ", True),  # admins see all, whatever a grant says
    (Role.SPECIALIST, None, "ЖКХ", True),  # the whole administration's specialist
    (Role.SPECIALIST, None, None, True),
    (Role.SPECIALIST, "ЖКХ", "ЖКХ", True),
    (Role.SPECIALIST, "жкх", "ЖКХ", True),  # names compare as people write them
    (Role.SPECIALIST, "КУМИ", "ЖКХ", False),  # another department's
    (Role.SPECIALIST, "КУМИ", None, False),  # the general desk's issue is not КУМИ's
    (Role.RESIDENT, None, "ЖКХ", False),
    (Role.RESIDENT, None, None, False),
]


@pytest.mark.parametrize(("role", "own", "department", "allowed"), TABLE)
def test_who_works_which_department(
    role: Role, own: str | None, department: str | None, allowed: bool
) -> None:
    assert may_work_on(role, own, issue(department)) is allowed


@pytest.mark.parametrize(("role", "own", "department", "allowed"), TABLE)
def test_refusals_say_why(
    role: Role, own: str | None, department: str | None, allowed: bool
) -> None:
    if allowed:
        require_issue(role, own, issue(department))
        return
    expected = NotPermitted if role is Role.RESIDENT else OtherDepartment
    with pytest.raises(expected) as refused:
        require_issue(role, own, issue(department))
    text = explain(refused.value)
    assert ("для специалистов" in text) if role is Role.RESIDENT else ("№7" in text)


def test_only_admins_hold_every_department() -> None:
    from bot.domain.rules import can

    assert can(Role.ADMIN, Permission.ALL_DEPARTMENTS)
    assert not can(Role.SPECIALIST, Permission.ALL_DEPARTMENTS)
    assert not can(Role.RESIDENT, Permission.ALL_DEPARTMENTS)


@pytest.mark.parametrize(
    ("status", "department", "to", "refused"),
    [
        (IssueStatus.NEW, "ЖКХ", "КУМИ", False),
        (IssueStatus.IN_PROGRESS, None, "КУМИ", False),
        (IssueStatus.AWAITING, "ЖКХ", "КУМИ", False),
        (IssueStatus.ON_CONTROL, "ЖКХ", "КУМИ", False),
        (IssueStatus.NEW, "ЖКХ", "жкх", True),  # the same department
        (IssueStatus.CLOSED, "ЖКХ", "КУМИ", True),
    ],
)
def test_transfers(status: IssueStatus, department: str | None, to: str, refused: bool) -> None:
    if refused:
        with pytest.raises(TransitionRefused):
            check_transfer(issue(department, status), to, today=TODAY)
    else:
        check_transfer(issue(department, status), to, today=TODAY)


def test_a_merged_duplicate_is_not_transferred() -> None:
    duplicate = replace(issue("ЖКХ"), merged_into=3)
    with pytest.raises(TransitionRefused):
        check_transfer(duplicate, "КУМИ", today=TODAY)


@pytest.mark.parametrize(
    ("status", "after"),
    [
        (IssueStatus.NEW, IssueStatus.NEW),
        (IssueStatus.IN_PROGRESS, IssueStatus.NEW),  # the new department takes it
        (IssueStatus.ON_CONTROL, IssueStatus.ON_CONTROL),
        (IssueStatus.AWAITING, IssueStatus.AWAITING),  # the clock stays stopped
    ],
)
def test_status_after_a_transfer(status: IssueStatus, after: IssueStatus) -> None:
    assert transferred_status(issue("ЖКХ", status)) is after


@pytest.mark.parametrize(
    ("tag", "category", "chat", "expected"),
    [
        ("#куми", "emergency", "ЖКХ", "КУМИ"),  # the tag first
        ("#проблема", "emergency", "КУМИ", "ЖКХ"),  # then the category
        ("#проблема", None, "КУМИ", "КУМИ"),  # then the chat's default
        ("#проблема", "other", None, None),  # else the general desk
        ("", None, None, None),
    ],
)
def test_routing(tag: str, category: str | None, chat: str | None, expected: str | None) -> None:
    routing = Routing(tags={"#куми": "КУМИ"}, categories={"emergency": "ЖКХ"})
    assert routing.department_for(tag, category, chat) == expected


def test_names() -> None:
    assert same_department("ЖКХ", "жкх") and same_department(None, None)
    assert not same_department("ЖКХ", None)
    assert find_department("  жкх ", ["КУМИ", "ЖКХ"]) == "ЖКХ"
    assert find_department("УК", ["КУМИ", "ЖКХ"]) is None
