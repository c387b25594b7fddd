"""The desk's rules in one table each: who may do what, and which status changes are allowed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain.departments import same_department
from bot.domain.errors import NotPermitted, OtherDepartment, Refusal, TransitionRefused
from bot.domain.models import Issue, IssueAction, IssueStatus, Permission, Person, Role

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.RESIDENT: frozenset(),
    Role.SPECIALIST: frozenset(
        {Permission.WORK_ISSUES, Permission.VIEW_ALL_ISSUES, Permission.FILE_FOR_OTHERS}
    ),
    Role.ADMIN: frozenset(Permission),
}


def can(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


def require(role: Role, permission: Permission) -> None:
    if not can(role, permission):
        raise NotPermitted(permission)


def may_work_on(role: Role, own_department: str | None, issue: Issue) -> bool:
    """Admins (ALL_DEPARTMENTS) and specialists of the whole administration (no department of
    their own) work every issue; a department's specialist only that department's."""
    if not can(role, Permission.WORK_ISSUES):
        return False
    if can(role, Permission.ALL_DEPARTMENTS) or own_department is None:
        return True
    return same_department(own_department, issue.department)


def require_issue(role: Role, own_department: str | None, issue: Issue) -> None:
    """Refuse a resident (the role table), then a specialist of another department."""
    require(role, Permission.WORK_ISSUES)
    if not may_work_on(role, own_department, issue):
        raise OtherDepartment(issue.number, issue.department)


_WORKABLE = frozenset(
    {IssueStatus.NEW, IssueStatus.IN_PROGRESS, IssueStatus.ON_CONTROL, IssueStatus.AWAITING}
)

# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[IssueAction, tuple[frozenset[IssueStatus], IssueStatus]] = {
    IssueAction.TAKE: (_WORKABLE, IssueStatus.IN_PROGRESS),
    IssueAction.CONTROL: (_WORKABLE, IssueStatus.ON_CONTROL),
    IssueAction.CLOSE: (_WORKABLE, IssueStatus.CLOSED),
    IssueAction.REOPEN: (frozenset({IssueStatus.CLOSED}), IssueStatus.IN_PROGRESS),
    # A specialist asks the resident; another question while waiting keeps waiting.
    IssueAction.ASK: (_WORKABLE, IssueStatus.AWAITING),
    # The resident answers: the issue goes back to work (only the author may answer).
    IssueAction.ANSWER: (frozenset({IssueStatus.AWAITING}), IssueStatus.IN_PROGRESS),
}


def check_merge(main: Issue, duplicate: Issue, *, today: date) -> None:
    """`duplicate` may join `main`: two different issues, both open, neither a duplicate
    already (a group has one main issue, so closing it answers everyone)."""

    def refuse(refusal: Refusal, issue: Issue) -> TransitionRefused:
        return TransitionRefused(
            refusal,
            number=issue.number,
            status=issue.status,
            action=IssueAction.MERGE,
            today=today,
        )

    if main.number == duplicate.number:
        raise refuse(Refusal.MERGE_SELF, main)
    for issue in (main, duplicate):
        if issue.merged_into is not None:
            raise refuse(Refusal.MERGE_CHAIN, issue)
        if not issue.status.is_open:
            raise refuse(Refusal.NOT_FROM_THIS_STATUS, issue)


def check_transfer(issue: Issue, to_department: str | None, *, today: date) -> None:
    """An open issue may go to another department (not to the one it is in)."""

    def refuse(refusal: Refusal) -> TransitionRefused:
        return TransitionRefused(
            refusal,
            number=issue.number,
            status=issue.status,
            action=IssueAction.TRANSFER,
            today=today,
        )

    if not issue.status.is_open or issue.merged_into is not None:
        raise refuse(Refusal.NOT_FROM_THIS_STATUS)
    if same_department(issue.department, to_department):
        raise refuse(Refusal.SAME_DEPARTMENT)


def transferred_status(issue: Issue) -> IssueStatus:
    """A transfer clears the assignee: work in progress goes back to «новое» for the new
    department to take; control and a question to the resident keep their status."""
    if issue.status is IssueStatus.IN_PROGRESS:
        return IssueStatus.NEW
    return issue.status


def may_answer(issue: Issue, person: Person) -> bool:
    """Only the issue's author answers a question about it, and only while it waits."""
    return issue.status is IssueStatus.AWAITING and issue.author.user_id == person.user_id


@dataclass(frozen=True, slots=True)
class TransitionPlan:
    """What a permitted transition changes on the issue."""

    action: IssueAction
    to_status: IssueStatus
    assignee: Person | None
    due_date: date | None
    answer: str | None


def plan_transition(
    issue: Issue,
    action: IssueAction,
    actor: Person,
    *,
    today: date,
    due_date: date | None = None,
    answer: str | None = None,
) -> TransitionPlan:
    """Check that `action` is allowed on `issue` now and say what it changes.

    `today` is the local date at the town, used to refuse due dates in the past.
    """

    def refuse(refusal: Refusal) -> TransitionRefused:
        return TransitionRefused(
            refusal,
            number=issue.number,
            status=issue.status,
            action=action,
            due_date=due_date,
            today=today,
        )

    allowed_from, to_status = TRANSITIONS[action]
    if issue.status not in allowed_from:
        raise refuse(Refusal.NOT_FROM_THIS_STATUS)
    assignee = issue.assignee
    if action is IssueAction.TAKE:
        same = issue.assignee is not None and issue.assignee.user_id == actor.user_id
        if issue.status is IssueStatus.IN_PROGRESS and same:
            raise refuse(Refusal.ALREADY_YOURS)
        assignee = actor
    elif action is IssueAction.CONTROL:
        if due_date is None:
            raise refuse(Refusal.DUE_DATE_MISSING)
        if due_date < today:
            raise refuse(Refusal.DUE_DATE_IN_PAST)
        assignee = assignee or actor
    elif action is IssueAction.CLOSE:
        if not answer or not answer.strip():
            raise refuse(Refusal.ANSWER_MISSING)
        assignee = assignee or actor
    elif action is IssueAction.REOPEN:
        assignee = assignee or actor
    elif action is IssueAction.ASK:
        if not answer or not answer.strip():
            raise refuse(Refusal.QUESTION_MISSING)
        assignee = assignee or actor
    return TransitionPlan(
        action=action,
        to_status=to_status,
        assignee=assignee,
        due_date=due_date if action is IssueAction.CONTROL else None,
        answer=answer.strip() if answer and action is IssueAction.CLOSE else None,
    )


# Reports: specialists see /stats and /export; the digest on demand is for admins (who hold
# every permission).
ROLE_PERMISSIONS[Role.SPECIALIST] = ROLE_PERMISSIONS[Role.SPECIALIST] | {Permission.VIEW_REPORTS}
