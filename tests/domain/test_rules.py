"""The desk's rules: who may do what, which status changes are allowed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.domain.errors import InvalidTransition, PermissionDenied
from bot.domain.models import (
    ChatPlace,
    Issue,
    IssueAction,
    IssueStatus,
    Permission,
    Person,
    Role,
)
from bot.domain.rules import can, plan_transition, require
from bot.domain.tags import find_issue_tag
from bot.texts.errors import explain

TODAY = date(2026, 11, 25)
SPECIALIST = Person(10, "Ольга Специалист")
OTHER = Person(11, "Пётр Специалист")
RESIDENT = Person(1, "Анна")
TAGS = ("#проблема", "#вопрос", "#заявка", "#жалоба")


def make_issue(status: IssueStatus, assignee: Person | None = None) -> Issue:
    moment = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    return Issue(
        number=7,
        place=ChatPlace(-100, 0),
        message_id=5,
        author=RESIDENT,
        text="#проблема нет света",
        tag="#проблема",
        status=status,
        created_at=moment,
        updated_at=moment,
        assignee=assignee,
    )


@pytest.mark.parametrize(
    ("role", "permission", "allowed"),
    [
        (Role.RESIDENT, Permission.WORK_ISSUES, False),
        (Role.RESIDENT, Permission.MANAGE_CHATS, False),
        (Role.RESIDENT, Permission.MANAGE_ROLES, False),
        (Role.RESIDENT, Permission.VIEW_ALL_ISSUES, False),
        (Role.RESIDENT, Permission.FILE_FOR_OTHERS, False),
        (Role.SPECIALIST, Permission.WORK_ISSUES, True),
        (Role.SPECIALIST, Permission.VIEW_ALL_ISSUES, True),
        (Role.SPECIALIST, Permission.MANAGE_CHATS, False),
        (Role.SPECIALIST, Permission.MANAGE_ROLES, False),
        (Role.ADMIN, Permission.MANAGE_CHATS, True),
        (Role.ADMIN, Permission.MANAGE_ROLES, True),
        (Role.ADMIN, Permission.WORK_ISSUES, True),
    ],
)
def test_role_permissions(role: Role, permission: Permission, allowed: bool) -> None:
    assert can(role, permission) is allowed
    if allowed:
        require(role, permission)
    else:
        with pytest.raises(PermissionDenied) as refused:
            require(role, permission)
        assert explain(refused.value)  # a Russian sentence for the user


def test_residents_can_do_nothing_reserved_for_staff() -> None:
    for permission in Permission:
        assert not can(Role.RESIDENT, permission)


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        (IssueStatus.NEW, IssueAction.TAKE, IssueStatus.IN_PROGRESS),
        (IssueStatus.ON_CONTROL, IssueAction.TAKE, IssueStatus.IN_PROGRESS),
        (IssueStatus.NEW, IssueAction.CONTROL, IssueStatus.ON_CONTROL),
        (IssueStatus.IN_PROGRESS, IssueAction.CONTROL, IssueStatus.ON_CONTROL),
        (IssueStatus.NEW, IssueAction.CLOSE, IssueStatus.CLOSED),
        (IssueStatus.IN_PROGRESS, IssueAction.CLOSE, IssueStatus.CLOSED),
        (IssueStatus.ON_CONTROL, IssueAction.CLOSE, IssueStatus.CLOSED),
        (IssueStatus.CLOSED, IssueAction.REOPEN, IssueStatus.IN_PROGRESS),
    ],
)
def test_allowed_transitions(
    status: IssueStatus, action: IssueAction, expected: IssueStatus
) -> None:
    plan = plan_transition(
        make_issue(status),
        action,
        SPECIALIST,
        today=TODAY,
        due_date=TODAY,
        answer="Сделано",
    )
    assert plan.to_status is expected
    assert plan.assignee == SPECIALIST


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (IssueStatus.CLOSED, IssueAction.TAKE),
        (IssueStatus.CLOSED, IssueAction.CONTROL),
        (IssueStatus.CLOSED, IssueAction.CLOSE),
        (IssueStatus.NEW, IssueAction.REOPEN),
        (IssueStatus.IN_PROGRESS, IssueAction.REOPEN),
    ],
)
def test_refused_transitions(status: IssueStatus, action: IssueAction) -> None:
    with pytest.raises(InvalidTransition) as refused:
        plan_transition(
            make_issue(status), action, SPECIALIST, today=TODAY, due_date=TODAY, answer="x"
        )
    assert "№7" in explain(refused.value)


def test_taking_own_issue_again_is_refused_but_another_specialist_takes_over() -> None:
    issue = make_issue(IssueStatus.IN_PROGRESS, assignee=SPECIALIST)
    with pytest.raises(InvalidTransition):
        plan_transition(issue, IssueAction.TAKE, SPECIALIST, today=TODAY)
    plan = plan_transition(issue, IssueAction.TAKE, OTHER, today=TODAY)
    assert plan.assignee == OTHER


def test_control_date_must_not_be_in_the_past() -> None:
    issue = make_issue(IssueStatus.NEW)
    with pytest.raises(InvalidTransition) as refused:
        plan_transition(
            issue, IssueAction.CONTROL, SPECIALIST, today=TODAY, due_date=date(2026, 11, 24)
        )
    assert "уже прошла" in explain(refused.value)
    plan = plan_transition(issue, IssueAction.CONTROL, SPECIALIST, today=TODAY, due_date=TODAY)
    assert plan.due_date == TODAY


def test_close_needs_an_answer() -> None:
    with pytest.raises(InvalidTransition):
        plan_transition(make_issue(IssueStatus.NEW), IssueAction.CLOSE, SPECIALIST, today=TODAY)
    plan = plan_transition(
        make_issue(IssueStatus.NEW), IssueAction.CLOSE, SPECIALIST, today=TODAY, answer="  Да "
    )
    assert plan.answer == "Да"


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("#проблема нет света", "#проблема"),
        ("В подъезде темно #Проблема", "#проблема"),
        ("#ВОПРОС когда вывезут снег?", "#вопрос"),
        ("Жалоба без тега", None),
        ("#проблемами не назовёшь", None),
        ("email#проблема", None),
        ("#другое #заявка на вывоз", "#заявка"),
    ],
)
def test_find_issue_tag(text: str, tag: str | None) -> None:
    assert find_issue_tag(text, TAGS) == tag
