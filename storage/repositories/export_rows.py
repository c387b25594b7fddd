"""The export's pages: a period's issues with their answers, a few indexed queries per page.

A page is up to `limit` issues in (created_at, number) order after a keyset, read by the
created_at index; one more query reads the page's answers and reopenings by the transitions'
issue index. No per-issue lookups, no OFFSET scans.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select
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
    numbers = [row.number for row in rows]
    answers, reopened = await _history(db, numbers)
    merged = await _merged(db, numbers)
    return [
        IssueFacts(
            number=row.number,
            created_at=row.created_at,
            # A private appeal is shown under the building or topic it is about.
            chat_id=row.about_chat_id if row.about_chat_id is not None else row.chat_id,
            thread_id=row.about_thread_id if row.about_chat_id is not None else row.thread_id,
            author=row.author_name,
            tag=row.tag,
            text=row.text,
            status=IssueStatus(row.status),
            assignee=row.assignee_name,
            first_response_at=row.first_response_at,
            response_due_at=row.response_due_at,
            closed_at=row.closed_at,
            due_date=row.due_date,
            verdict=row.verdict,
            answers=tuple(answers.get(row.number, ())),
            reopened=reopened.get(row.number, 0),
            merged=tuple(merged.get(row.number, ())),
            category=row.category_name or row.category,
            category_code=row.category,
            personal_contact=row.contacts > 0,
            private=bool(row.private),
            department=row.department,
        )
        for row in rows
    ]


def history_query(numbers: list[int]) -> Any:
    """The page's transitions by the issue index. Only the issue numbers are in the WHERE:
    a condition on the action would let a planner prefer the action index and read every
    closing of the table; the few transitions of an issue are sorted out here instead."""
    t = issue_transitions.c
    return (
        select(t.issue_number, t.action, t.actor_name, t.at, t.comment)
        .where(t.issue_number.in_(numbers))
        .order_by(t.issue_number, t.id)
    )


async def _history(
    db: AsyncConnection, numbers: list[int]
) -> tuple[dict[int, list[Answer]], dict[int, int]]:
    answers: dict[int, list[Answer]] = defaultdict(list)
    reopened: dict[int, int] = defaultdict(int)
    for number, action, actor, at, comment in await db.execute(history_query(numbers)):
        if action == _REOPEN:
            reopened[number] += 1
        elif action in _ANSWERS and comment:
            answers[number].append(Answer(at, actor, comment))
    return answers, reopened


async def _merged(db: AsyncConnection, numbers: list[int]) -> dict[int, list[int]]:
    column = issues.c.merged_into
    query = (
        select(column, issues.c.number)
        .where(column.in_(numbers))
        .order_by(column, issues.c.number)
    )
    merged: dict[int, list[int]] = defaultdict(list)
    for main, duplicate in await db.execute(query):
        merged[main].append(duplicate)
    return merged
