"""The SLA clock's queries and claims. Every sweep query is answered from an index, and every
claim is one conditional UPDATE … RETURNING, so two processes never send the same reminder."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.models import OPEN_STATUSES, ChatPlace, Issue, IssueStatus
from bot.domain.sla import NOT_RESOLVED, WeekFigures
from storage.repositories._util import insert_unless_duplicate
from storage.repositories.issues import issue_from_row
from storage.tables import issues, users
from storage.tables_sla import public_summaries, scheduled_runs

NEW = IssueStatus.NEW.value
ON_CONTROL = IssueStatus.ON_CONTROL.value


def _sorted(rows: Iterable[object]) -> list[Issue]:
    return sorted((issue_from_row(row) for row in rows), key=lambda issue: issue.number)  # type: ignore[arg-type]


def _in_place(place: ChatPlace) -> ColumnElement[bool]:
    return and_(issues.c.chat_id == place.chat_id, issues.c.thread_id == place.thread_id)


# The same condition chooses the candidates and guards their claim, so an issue claimed by
# another sweeper in between is skipped.
def _not_escalated() -> ColumnElement[bool]:
    return and_(issues.c.status == NEW, issues.c.escalated_at.is_(None))


def _control_not_reminded(today: date) -> ColumnElement[bool]:
    return and_(
        issues.c.status == ON_CONTROL,
        or_(issues.c.control_reminded_on.is_(None), issues.c.control_reminded_on < today),
    )


def _silence_unreported() -> ColumnElement[bool]:
    return and_(
        issues.c.status == IssueStatus.AWAITING.value, issues.c.silence_noticed_at.is_(None)
    )


class SqlSlaRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    # --- first-response reminders and escalation -----------------------------------------

    async def claim_reminders(self, now: datetime, next_at: datetime, limit: int) -> list[Issue]:
        """New issues whose reminder is due (index on next_reminder_at), moved to `next_at`."""
        # Only new issues have a next reminder (any specialist's transition clears it), so
        # the index on next_reminder_at alone finds them; the claim re-checks the status.
        due = (
            select(issues.c.number)
            .where(issues.c.next_reminder_at <= now)
            .order_by(issues.c.next_reminder_at)
            .limit(limit)
        )
        numbers = list((await self._db.execute(due)).scalars())
        if not numbers:
            return []
        claimed = await self._db.execute(
            update(issues)
            .where(
                issues.c.number.in_(numbers),
                issues.c.next_reminder_at <= now,
                issues.c.status == NEW,
            )
            .values(next_reminder_at=next_at)
            .returning(*issues.c)
        )
        return _sorted(claimed)

    async def escalation_candidates(self, due_before: datetime, limit: int) -> list[Issue]:
        rows = await self._db.execute(
            select(issues)
            .where(_not_escalated(), issues.c.response_due_at <= due_before)
            .order_by(issues.c.response_due_at)
            .limit(limit)
        )
        return _sorted(rows)

    async def claim_escalations(self, numbers: Sequence[int], now: datetime) -> list[Issue]:
        if not numbers:
            return []
        claimed = await self._db.execute(
            update(issues)
            .where(issues.c.number.in_(list(numbers)), _not_escalated())
            .values(escalated_at=now)
            .returning(*issues.c)
        )
        return _sorted(claimed)

    # --- on-control issues ------------------------------------------------------------------

    async def control_candidates(self, today: date, limit: int) -> list[Issue]:
        """On-control issues due today or earlier that were not reminded of today."""
        rows = await self._db.execute(
            select(issues)
            .where(_control_not_reminded(today), issues.c.due_date <= today)
            .order_by(issues.c.due_date, issues.c.number)
            .limit(limit)
        )
        return _sorted(rows)

    async def claim_controls(self, numbers: Sequence[int], today: date) -> list[Issue]:
        if not numbers:
            return []
        claimed = await self._db.execute(
            update(issues)
            .where(issues.c.number.in_(list(numbers)), _control_not_reminded(today))
            .values(control_reminded_on=today)
            .returning(*issues.c)
        )
        return _sorted(claimed)

    # --- questions the resident has not answered ---------------------------------------

    async def silence_candidates(self, asked_before: datetime, limit: int) -> list[Issue]:
        rows = await self._db.execute(
            select(issues)
            .where(_silence_unreported(), issues.c.awaiting_since < asked_before)
            .order_by(issues.c.awaiting_since)
            .limit(limit)
        )
        return _sorted(rows)

    async def claim_silences(self, numbers: Sequence[int], now: datetime) -> list[Issue]:
        if not numbers:
            return []
        claimed = await self._db.execute(
            update(issues)
            .where(issues.c.number.in_(list(numbers)), _silence_unreported())
            .values(silence_noticed_at=now)
            .returning(*issues.c)
        )
        return _sorted(claimed)

    # --- personal lists -------------------------------------------------------------------------

    async def overdue_new(self, now: datetime, limit: int) -> list[Issue]:
        rows = await self._db.execute(
            select(issues)
            .where(issues.c.status == NEW, issues.c.response_due_at <= now)
            .order_by(issues.c.response_due_at)
            .limit(limit)
        )
        return _sorted(rows)

    async def control_due_by(self, today: date, limit: int) -> list[Issue]:
        rows = await self._db.execute(
            select(issues)
            .where(issues.c.status == ON_CONTROL, issues.c.due_date <= today)
            .order_by(issues.c.due_date)
            .limit(limit)
        )
        return _sorted(rows)

    async def returned_to(self, user_id: int) -> list[Issue]:
        """In-progress issues of this assignee that their author called not resolved."""
        rows = await self._db.execute(
            select(issues).where(
                issues.c.assignee_id == user_id,
                issues.c.status == IssueStatus.IN_PROGRESS.value,
                issues.c.verdict == NOT_RESOLVED,
            )
        )
        return _sorted(rows)

    async def started(self, user_ids: Iterable[int]) -> set[int]:
        """Those of `user_ids` who started the bot in private, so it may write to them."""
        ids = list(set(user_ids))
        if not ids:
            return set()
        rows = await self._db.execute(
            select(users.c.user_id).where(users.c.user_id.in_(ids), users.c.started_bot)
        )
        return set(rows.scalars())

    async def claim_daily(self, name: str, day: date) -> bool:
        """True once per `name` and day, whoever asks."""
        moved = await self._db.execute(
            update(scheduled_runs)
            .where(scheduled_runs.c.name == name, scheduled_runs.c.last_on < day)
            .values(last_on=day)
            .returning(scheduled_runs.c.name)
        )
        if moved.first() is not None:
            return True
        statement = insert(scheduled_runs).values(name=name, last_on=day)
        return await insert_unless_duplicate(self._db, statement) is not None

    # --- weekly public summaries ----------------------------------------------------------------

    async def weekly_enabled(self, place: ChatPlace) -> bool:
        row = await self._db.execute(
            select(public_summaries.c.chat_id).where(
                public_summaries.c.chat_id == place.chat_id,
                public_summaries.c.thread_id == place.thread_id,
            )
        )
        return row.first() is not None

    async def enable_weekly(self, place: ChatPlace, by: int, at: datetime) -> None:
        statement = insert(public_summaries).values(
            chat_id=place.chat_id,
            thread_id=place.thread_id,
            enabled_by=by,
            enabled_at=at,
            # Count from the moment it is switched on: the first summary comes at the next
            # scheduled moment, not at once.
            last_sent_at=at,
        )
        await insert_unless_duplicate(self._db, statement)

    async def disable_weekly(self, place: ChatPlace) -> None:
        await self._db.execute(
            public_summaries.delete().where(
                public_summaries.c.chat_id == place.chat_id,
                public_summaries.c.thread_id == place.thread_id,
            )
        )

    async def claim_weekly(self, since: datetime, now: datetime) -> list[ChatPlace]:
        """Chats whose summary was not sent since the scheduled moment `since`."""
        claimed = await self._db.execute(
            update(public_summaries)
            .where(
                or_(
                    public_summaries.c.last_sent_at.is_(None),
                    public_summaries.c.last_sent_at < since,
                )
            )
            .values(last_sent_at=now)
            .returning(public_summaries.c.chat_id, public_summaries.c.thread_id)
        )
        places = [ChatPlace(row.chat_id, row.thread_id) for row in claimed]
        return sorted(places, key=lambda place: (place.chat_id, place.thread_id))

    async def week_figures(self, place: ChatPlace, start: datetime, end: datetime) -> WeekFigures:
        async def count(*conditions: ColumnElement[bool]) -> int:
            statement = select(func.count()).select_from(issues)
            result = await self._db.execute(statement.where(_in_place(place), *conditions))
            return int(result.scalar() or 0)

        received = await count(issues.c.created_at >= start, issues.c.created_at < end)
        answered = await count(
            issues.c.first_response_at >= start, issues.c.first_response_at < end
        )
        closed_rows = await self._db.execute(
            select(issues)
            .where(
                _in_place(place),
                issues.c.status == IssueStatus.CLOSED.value,
                issues.c.closed_at >= start,
                issues.c.closed_at < end,
            )
            .order_by(issues.c.closed_at)
        )
        closed = _sorted(closed_rows)
        still_open = await count(issues.c.status.in_([status.value for status in OPEN_STATUSES]))
        return WeekFigures(received, answered, len(closed), still_open, tuple(closed[:10]))
