"""The export's pages: a period's issues with their answers, a few indexed queries per page.

A page is up to `limit` issues in (created_at, number) order after a keyset, read by the
created_at index; one more query reads the page's answers and reopenings by the transitions'
issue index. No per-issue lookups, no OFFSET scans.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Integer, any_, bindparam, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.export_rows import Answer, IssueFacts
from bot.domain.models import IssueAction, IssueStatus
from storage.tables import issue_transitions, issues

_ANSWERS = (IssueAction.CLOSE.value, IssueAction.CONTROL.value)
_REOPEN = IssueAction.REOPEN.value

Keyset = tuple[datetime, int]


def _columns() -> list[Any]:
    c = issues.c
    return [
        c.number,
        c.created_at,
        c.chat_id,
        c.thread_id,
        c.author_name,
        c.tag,
        c.text,
        c.status,
        c.assignee_name,
        c.first_response_at,
        c.response_due_at,
        c.closed_at,
        c.due_date,
        c.verdict,
        c.category,
        c.category_name,
        c.contacts,
        c.private,
        c.about_chat_id,
        c.about_thread_id,
        c.department,
    ]


def _page_query(start: datetime, end: datetime, after: Keyset | None, limit: int) -> Any:
    c = issues.c
    where: list[ColumnElement[bool]] = [c.created_at >= start, c.created_at < end]
    if after is not None:
        # (created_at, number) > after, written so that every database seeks the created_at
        # index to after's moment (never before start) and filters only the ties there.
        moment, number = after
        where = [
            c.created_at >= max(moment, start),
            c.created_at < end,
            or_(c.created_at > moment, c.number > number),
        ]
    return select(*_columns()).where(*where).order_by(c.created_at, c.number).limit(limit)


async def export_page(
    db: AsyncConnection, start: datetime, end: datetime, after: Keyset | None, limit: int
) -> list[IssueFacts]:
    rows = (await db.execute(_page_query(start, end, after, limit))).all()
    if not rows:
        return []
    numbers = [row[0] for row in rows]
    answers, reopened = await _history(db, numbers)
    merged = await _merged(db, numbers)
    no_answers: tuple[Answer, ...] = ()
    facts = []
    # Unpacked by position (the order of _columns): a row's attributes by name cost more
    # than the rest of the page's Python work.
    for (
        number, created_at, chat_id, thread_id, author_name, tag, text, status, assignee_name,
        first_response_at, response_due_at, closed_at, due_date, verdict, category,
        category_name, contacts, private, about_chat_id, about_thread_id, department,
    ) in rows:  # fmt: skip
        about = about_chat_id is not None  # a private appeal: under the place it is about
        facts.append(
            IssueFacts(
                number=number,
                created_at=created_at,
                chat_id=about_chat_id if about else chat_id,
                thread_id=about_thread_id if about else thread_id,
                author=author_name,
                tag=tag,
                text=text,
                status=_STATUSES[status],
                assignee=assignee_name,
                first_response_at=first_response_at,
                response_due_at=response_due_at,
                closed_at=closed_at,
                due_date=due_date,
                verdict=verdict,
                answers=tuple(answers[number]) if number in answers else no_answers,
                reopened=reopened.get(number, 0),
                merged=tuple(merged[number]) if number in merged else (),
                category=category_name or category,
                category_code=category,
                personal_contact=contacts > 0,
                private=bool(private),
                department=department,
            )
        )
    return facts


_STATUSES = {status.value: status for status in IssueStatus}

_NUMBERS: BindParameter[list[int]] = bindparam("numbers", expanding=True)
"""The page's issue numbers, one parameter: a statement built and compiled once, where
`.in_(numbers)` built one bound literal per number on every page."""
_NUMBER_ARRAY: BindParameter[Any] = bindparam("numbers", type_=ARRAY(Integer))
"""PostgreSQL: the page's numbers as one array value (`= ANY(...)`), sent as it is; an
expanding parameter is rendered into one placeholder per number at every execution, which
cost more than the page's reading."""


def _history_query(numbers: Any) -> Any:
    # The page's transitions by the issue index. Only the issue numbers are in the WHERE: a
    # condition on the action would let a planner prefer the action index and read every
    # closing of the table; the few transitions of an issue are sorted out in Python instead.
    return (
        select(
            issue_transitions.c.issue_number,
            issue_transitions.c.action,
            issue_transitions.c.actor_name,
            issue_transitions.c.at,
            issue_transitions.c.comment,
        )
        .where(numbers(issue_transitions.c.issue_number))
        .order_by(issue_transitions.c.issue_number, issue_transitions.c.id)
    )


def _merged_query(numbers: Any) -> Any:
    return (
        select(issues.c.merged_into, issues.c.number)
        .where(numbers(issues.c.merged_into))
        .order_by(issues.c.merged_into, issues.c.number)
    )


def _in_list(column: Any) -> Any:
    return column.in_(_NUMBERS)


def _in_array(column: Any) -> Any:
    return column == any_(_NUMBER_ARRAY)


_QUERIES = {
    "postgresql": (_history_query(_in_array), _merged_query(_in_array)),
    "": (_history_query(_in_list), _merged_query(_in_list)),
}
"""(history, merged) per dialect: PostgreSQL's array, everywhere else the expanding list."""


def _queries(db: AsyncConnection) -> tuple[Any, Any]:
    return _QUERIES.get(db.dialect.name) or _QUERIES[""]


async def _history(
    db: AsyncConnection, numbers: list[int]
) -> tuple[dict[int, list[Answer]], dict[int, int]]:
    answers: dict[int, list[Answer]] = defaultdict(list)
    reopened: dict[int, int] = defaultdict(int)
    history = _queries(db)[0]
    for number, action, actor, at, comment in await db.execute(history, {"numbers": numbers}):
        if action == _REOPEN:
            reopened[number] += 1
        elif action in _ANSWERS and comment:
            answers[number].append(Answer(at, actor, comment))
    return answers, reopened


async def _merged(db: AsyncConnection, numbers: list[int]) -> dict[int, list[int]]:
    merged: dict[int, list[int]] = defaultdict(list)
    for main, duplicate in await db.execute(_queries(db)[1], {"numbers": numbers}):
        merged[main].append(duplicate)
    return merged
