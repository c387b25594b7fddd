"""Report queries: counts and groups summed in SQL over indexed ranges, never a full read.

Every period query is a range on one indexed moment (created_at, first_response_at, closed_at,
verdict_at, transitions.at); "now" queries use the (status, response_due_at) and
(status, due_date) indexes. Only the overdue top list, the period's response times and the
export's pages come back row by row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    String,
    and_,
    case,
    func,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.export_rows import IssueFacts
from bot.domain.measures import AnswerTimes, OpenNow, SpecialistLine
from bot.domain.models import (
    OPEN_STATUSES,
    ChatPlace,
    Issue,
    IssueAction,
    IssueStatus,
)
from storage.moments import epochs, seconds
from storage.repositories._util import insert_unless_duplicate
from storage.repositories.export_rows import Keyset, export_page
from storage.repositories.issues import issue_from_row
from storage.tables import issue_transitions, issues
from storage.tables_reports import digest_runs

RESOLVED = "resolved"
NOT_RESOLVED = "not_resolved"
_OPEN = [status.value for status in OPEN_STATUSES]
_FLOATS, _BOOLS = ARRAY(Float), ARRAY(Boolean)


# "Не решено" is a reopening by the issue's own author; counted from the history, every press
# stays counted even after the issue is closed and judged again.
def _returned(start: datetime, end: datetime) -> Any:
    """The period's reopenings joined to their issues, by the author's own hand.

    The reopenings are read first, on their own (a materialized CTE), from the partial index
    ix_transitions_reopen_at (0026_report_reopen); joined in one statement, PostgreSQL priced
    a parallel read of every transition of the period (ix_transitions_at) below it. The
    action is a literal, not a bound value, so that the index's predicate matches also in
    PostgreSQL's generic plan of the prepared statement.
    """
    t = issue_transitions.c
    reopenings = (
        select(t.issue_number, t.actor_id)
        .where(
            _within(t.at, start, end),
            t.action == literal_column(f"'{IssueAction.REOPEN.value}'"),
        )
        .cte("reopenings")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return reopenings.join(
        issues,
        and_(
            issues.c.number == reopenings.c.issue_number,
            issues.c.author_id == reopenings.c.actor_id,
        ),
    )


def _within(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


class SqlReportRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection
        # Per department, counted on the way by received_per_chat and count_closed, which
        # read the same index ranges: per_department of the same period (the report asks
        # for it after them, in the same unit of work) reads them here instead of again.
        self._by_department: dict[tuple[str, datetime, datetime], dict[str | None, int]] = {}

    async def _scalar(self, query: Any) -> int:
        return int((await self._db.execute(query)).scalar() or 0)

    # --- period counts -----------------------------------------------------------------

    async def count_received(self, start: datetime, end: datetime) -> int:
        query = select(func.count()).where(
            _within(issues.c.created_at, start, end), issues.c.merged_into.is_(None)
        )
        return await self._scalar(query)

    async def count_answered(self, start: datetime, end: datetime) -> int:
        query = select(func.count()).where(
            _within(issues.c.first_response_at, start, end), issues.c.merged_into.is_(None)
        )
        return await self._scalar(query)

    async def count_closed(self, start: datetime, end: datetime) -> tuple[int, int]:
        """Issues closed in the period (still closed), and how many of them are confirmed;
        counted per department on the way (ix_issues_closed_cover holds it)."""
        query = (
            select(
                issues.c.department,
                func.count(),
                func.sum(case((issues.c.verdict == RESOLVED, 1), else_=0)),
            )
            .where(_within(issues.c.closed_at, start, end), issues.c.merged_into.is_(None))
            .group_by(issues.c.department)
        )
        closed = confirmed = 0
        per_department: dict[str | None, int] = {}
        for department, count, resolved in await self._db.execute(query):
            per_department[department] = int(count)
            closed += int(count)
            confirmed += int(resolved or 0)
        self._by_department[("closed", start, end)] = per_department
        return closed, confirmed

    async def count_not_resolved(self, start: datetime, end: datetime) -> int:
        query = select(func.count()).select_from(_returned(start, end))
        return await self._scalar(query)

    async def answered_between(self, start: datetime, end: datetime) -> AnswerTimes:
        """The period's first answers as seconds since the epoch (storage/moments.py), and
        whether each came in time, compared by the database: read from the covering index in
        one fetch, no datetime object per value."""
        c, dialect = issues.c, self._db.dialect.name
        in_time = or_(c.response_due_at.is_(None), c.first_response_at <= c.response_due_at)
        if dialect == "postgresql":
            return await self._answered_arrays(start, end, in_time)
        if dialect == "sqlite":
            return await self._answered_json(start, end, in_time)
        query = select(
            seconds(c.created_at, dialect),
            seconds(c.first_response_at, dialect),
            case((in_time, 1), else_=0),
        ).where(_within(c.first_response_at, start, end))
        rows = (await self._db.execute(query)).all()
        return AnswerTimes(
            epochs([row[0] for row in rows], dialect),
            epochs([row[1] for row in rows], dialect),
            [row[2] == 1 for row in rows],
        )

    async def _answered_arrays(
        self, start: datetime, end: datetime, in_time: ColumnElement[bool]
    ) -> AnswerTimes:
        """PostgreSQL: the same three columns as three arrays of one row, aggregated in one
        pass over the covering index (so in the same order): the driver decodes an array in
        C, where a row each cost more than the query itself at 100,000 answers."""
        c = issues.c
        query = select(
            type_coerce(func.array_agg(seconds(c.created_at, "postgresql")), _FLOATS),
            type_coerce(func.array_agg(seconds(c.first_response_at, "postgresql")), _FLOATS),
            type_coerce(func.array_agg(in_time), _BOOLS),
        ).where(_within(c.first_response_at, start, end))
        created, answered, on_time = (await self._db.execute(query)).one()
        return AnswerTimes(created or [], answered or [], on_time or [])

    async def _answered_json(
        self, start: datetime, end: datetime, in_time: ColumnElement[bool]
    ) -> AnswerTimes:
        """SQLite: the same three columns as three JSON arrays of one row (json_group_array
        in one pass over the covering index), parsed in C by json.loads; a row each through
        the driver's thread cost a second at 100,000 answers. A moment's text keeps 15
        digits, 10 µs of a second since the epoch, finer than julianday's own 40 µs."""
        c = issues.c
        query = select(
            type_coerce(func.json_group_array(seconds(c.created_at, "sqlite")), String),
            type_coerce(func.json_group_array(seconds(c.first_response_at, "sqlite")), String),
            type_coerce(func.json_group_array(case((in_time, 1), else_=0)), String),
        ).where(_within(c.first_response_at, start, end))
        created, answered, on_time = (await self._db.execute(query)).one()
        return AnswerTimes(
            json.loads(created), json.loads(answered), [flag == 1 for flag in json.loads(on_time)]
        )

    async def per_day(self, what: str, bounds: Sequence[datetime]) -> list[int]:
        """Issues received ("created") or closed ("closed") in each [bounds[i], bounds[i+1]):
        one statement of a count per day, each a range on the moment's index."""
        column = issues.c.created_at if what == "created" else issues.c.closed_at
        counts = [
            select(func.count()).where(_within(column, low, high)).scalar_subquery()
            for low, high in zip(bounds, bounds[1:], strict=False)
        ]
        if not counts:
            return []
        row = (await self._db.execute(select(*counts))).one()
        return [int(count) for count in row]

    # --- now -----------------------------------------------------------------------------

    async def open_now(self) -> OpenNow:
        """The open issues counted by status, chat and assignee in one pass over a covering
        index (the digest and /stats read it three ways)."""
        c = issues.c
        query = (
            select(
                c.status, c.chat_id, c.thread_id, c.assignee_id, func.max(c.assignee_name),
                func.count(),
            )
            .where(c.status.in_(_OPEN))
            .group_by(c.status, c.chat_id, c.thread_id, c.assignee_id)
        )  # fmt: skip
        by_status = dict.fromkeys(OPEN_STATUSES, 0)
        per_chat: dict[ChatPlace, int] = {}
        per_assignee: dict[int, tuple[str, int]] = {}
        for status, chat, thread, who, name, count in await self._db.execute(query):
            by_status[IssueStatus(status)] += count
            place = ChatPlace(chat, thread)
            per_chat[place] = per_chat.get(place, 0) + count
            if who is not None:
                known, before = per_assignee.get(who, (None, 0))
                per_assignee[who] = (name or known or str(who), before + count)
        return OpenNow(by_status, per_chat, per_assignee)

    async def overdue_unanswered(self, now: datetime, limit: int) -> tuple[list[Issue], int]:
        """New issues past their first-response due, the longest overdue first."""
        where = (issues.c.status == IssueStatus.NEW.value, issues.c.response_due_at < now)
        rows = await self._db.execute(
            select(issues).where(*where).order_by(issues.c.response_due_at).limit(limit)
        )
        total = await self._scalar(select(func.count()).where(*where))
        return [issue_from_row(row) for row in rows], total

    async def on_control_due(
        self, day: date, limit: int, *, before: bool
    ) -> tuple[list[Issue], int]:
        """On-control issues due before `day` (before=True) or on it, the oldest first."""
        due = issues.c.due_date < day if before else issues.c.due_date == day
        where = (issues.c.status == IssueStatus.ON_CONTROL.value, due)
        rows = await self._db.execute(
            select(issues).where(*where).order_by(issues.c.due_date, issues.c.number).limit(limit)
        )
        total = await self._scalar(select(func.count()).where(*where))
        return [issue_from_row(row) for row in rows], total

    # --- groups --------------------------------------------------------------------------

    async def received_per_chat(self, start: datetime, end: datetime) -> dict[ChatPlace, int]:
        """Received per chat; per department too on the way (ix_issues_created_chat holds
        both)."""
        c = issues.c
        query = (
            select(c.chat_id, c.thread_id, c.department, func.count())
            .where(_within(c.created_at, start, end))
            .group_by(c.chat_id, c.thread_id, c.department)
        )
        per_chat: dict[ChatPlace, int] = {}
        per_department: dict[str | None, int] = {}
        for chat, thread, department, count in await self._db.execute(query):
            place = ChatPlace(chat, thread)
            per_chat[place] = per_chat.get(place, 0) + int(count)
            per_department[department] = per_department.get(department, 0) + int(count)
        self._by_department[("received", start, end)] = per_department
        return per_chat

    async def per_department(
        self, start: datetime, end: datetime
    ) -> dict[str | None, tuple[int, int, int]]:
        """Per department: (received in the period, closed in it, open now)."""
        department = issues.c.department
        figures: dict[str | None, list[int]] = {}
        queries = (
            select(department, func.count())
            .where(_within(issues.c.created_at, start, end))
            .group_by(department),
            select(department, func.count())
            .where(_within(issues.c.closed_at, start, end), issues.c.merged_into.is_(None))
            .group_by(department),
            select(department, func.count())
            .where(issues.c.status.in_([s.value for s in OPEN_STATUSES]))
            .group_by(department),
        )
        for column, (kind, query) in enumerate(
            zip(("received", "closed", ""), queries, strict=True)
        ):
            known = self._by_department.get((kind, start, end))
            counted = known.items() if known is not None else await self._db.execute(query)
            for name, count in counted:
                figures.setdefault(name, [0, 0, 0])[column] = int(count)
        return {name: (a, b, c) for name, (a, b, c) in figures.items()}

    async def specialists(
        self, start: datetime, end: datetime, open_now: OpenNow
    ) -> list[SpecialistLine]:
        """Per assignee: answered, closed, confirmed, "не решено" in the period; open now."""
        lines: dict[int, dict[str, Any]] = {}

        def add(user_id: int, name: str | None, **counts: int) -> None:
            line = lines.setdefault(user_id, {"name": name or str(user_id)})
            if name:
                line["name"] = name
            for key, value in counts.items():
                line[key] = line.get(key, 0) + int(value)

        assignee = (issues.c.assignee_id, func.max(issues.c.assignee_name))
        has_assignee = issues.c.assignee_id.is_not(None)
        answered = (
            select(*assignee, func.count())
            .where(_within(issues.c.first_response_at, start, end), has_assignee)
            .group_by(issues.c.assignee_id)
        )
        for user_id, name, count in await self._db.execute(answered):
            add(user_id, name, answered=count)
        closed = (
            select(
                *assignee,
                func.count(),
                func.sum(case((issues.c.verdict == RESOLVED, 1), else_=0)),
            )
            .where(_within(issues.c.closed_at, start, end), has_assignee)
            .group_by(issues.c.assignee_id)
        )
        for user_id, name, count, confirmed in await self._db.execute(closed):
            add(user_id, name, closed=count, confirmed=confirmed or 0)
        refused = (
            select(*assignee, func.count())
            .select_from(_returned(start, end))
            .where(has_assignee)
            .group_by(issues.c.assignee_id)
        )
        for user_id, name, count in await self._db.execute(refused):
            add(user_id, name, not_resolved=count)
        for user_id, (name, count) in open_now.per_assignee.items():
            add(user_id, name, open=count)
        return [SpecialistLine(user_id=user_id, **values) for user_id, values in lines.items()]

    # --- export pages --------------------------------------------------------------------

    async def export_page(
        self, start: datetime, end: datetime, *, after: Keyset | None, limit: int
    ) -> list[IssueFacts]:
        """Up to `limit` issues received in the period after `after` (created_at, number),
        with their answers: see storage/repositories/export_rows.py."""
        return await export_page(self._db, start, end, after, limit)

    # --- digest runs ---------------------------------------------------------------------

    async def last_digest_at(self, before: date) -> datetime | None:
        query = (
            select(digest_runs.c.at)
            .where(digest_runs.c.day < before)
            .order_by(digest_runs.c.day.desc())
            .limit(1)
        )
        value: datetime | None = (await self._db.execute(query)).scalar()
        return value

    async def digest_at(self, day: date) -> datetime | None:
        query = select(digest_runs.c.at).where(digest_runs.c.day == day)
        value: datetime | None = (await self._db.execute(query)).scalar()
        return value

    async def claim_digest(self, day: date, at: datetime) -> bool:
        """Take the day's digest; False if this or another process already took it."""
        statement = digest_runs.insert().values(day=day, at=at)
        return await insert_unless_duplicate(self._db, statement) is not None
