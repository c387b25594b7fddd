"""Issues, their transitions and text versions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, Select, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.models import (
    OPEN_STATUSES,
    ChatPlace,
    Issue,
    IssueAction,
    IssueHistory,
    IssueStatus,
    Person,
    TextVersion,
    Transition,
)
from storage.inline_sqlite import prepared
from storage.repositories._util import dialect_insert, move_chat_rows
from storage.tables import counters, issue_text_versions, issue_transitions, issues


def issue_from_row(row: Row[Any]) -> Issue:
    assignee = (
        Person(row.assignee_id, row.assignee_name or str(row.assignee_id))
        if row.assignee_id is not None
        else None
    )
    return Issue(
        number=row.number,
        place=ChatPlace(row.chat_id, row.thread_id),
        message_id=row.message_id,
        author=Person(row.author_id, row.author_name),
        text=row.text,
        tag=row.tag,
        status=IssueStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        attachments=tuple(row.attachments or ()),
        assignee=assignee,
        due_date=row.due_date,
        answer=row.answer,
        first_response_at=row.first_response_at,
        closed_at=row.closed_at,
        response_due_at=row.response_due_at,
        next_reminder_at=row.next_reminder_at,
        escalated_at=row.escalated_at,
        control_reminded_on=row.control_reminded_on,
        verdict=row.verdict,
        verdict_at=row.verdict_at,
        resolve_due_at=row.resolve_due_at,
        awaiting_since=row.awaiting_since,
        silence_noticed_at=row.silence_noticed_at,
        contacts=row.contacts or 0,
        not_resolved_count=row.not_resolved_count or 0,
        merged_into=row.merged_into,
        category=row.category,
        category_name=row.category_name,
        private=bool(row.private),
        about=(
            ChatPlace(row.about_chat_id, row.about_thread_id or 0)
            if row.about_chat_id is not None
            else None
        ),
        department=row.department,
    )


# The next issue number, taken from its counter row in the intake's transaction: a rollback
# gives it back, and on PostgreSQL the row stays locked until the intake commits, so the next
# intake waits and takes the following number (a sequence would have skipped one).
_NEXT_NUMBER = prepared(
    update(counters)
    .where(counters.c.name == "issues")
    .values(value=counters.c.value + 1)
    .returning(counters.c.value)
)
_GIVE_BACK = update(counters).where(counters.c.name == "issues").values(value=counters.c.value - 1)
# A new issue unless its message already is one: one statement, built once per dialect. The
# number it took is given back when the message was one already (the counter row is still
# locked by this transaction, so no later number was taken meanwhile). Nothing is read back:
# the new row holds what was given and the columns' defaults, so the issue is built from the
# given values (`_new_issue`), which saves reading and converting thirty columns per intake.
_ADD: dict[str, Any] = {}


def _locked(query: Select[Any], for_update: bool) -> Select[Any]:
    """An issue read to be changed is locked until the transaction ends (SELECT … FOR UPDATE):
    a second writer waits, then reads what the first one wrote, instead of both changing the
    same old state and the last `save` silently undoing the first. SQLite renders no FOR
    UPDATE; there every writer's BEGIN IMMEDIATE has serialised the transactions already."""
    return query.with_for_update() if for_update else query


class SqlIssueRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def add(
        self,
        *,
        place: ChatPlace,
        message_id: int,
        author: Person,
        text: str,
        tag: str,
        attachments: tuple[str, ...],
        created_at: datetime,
        response_due_at: datetime | None = None,
        resolve_due_at: datetime | None = None,
        category: str | None = None,
        category_name: str | None = None,
        about: ChatPlace | None = None,
        department: str | None = None,
    ) -> Issue | None:
        created_at = created_at.astimezone(UTC)
        response_due_at = response_due_at.astimezone(UTC) if response_due_at else None
        resolve_due_at = resolve_due_at.astimezone(UTC) if resolve_due_at else None
        number = (await self._db.execute(_NEXT_NUMBER)).scalar_one()
        values = {
            "number": number,
            "chat_id": place.chat_id,
            "thread_id": place.thread_id,
            "message_id": message_id,
            "author_id": author.user_id,
            "author_name": author.name,
            "text": text,
            "tag": tag,
            "attachments": list(attachments),
            "status": IssueStatus.NEW.value,
            "created_at": created_at,
            "updated_at": created_at,
            "response_due_at": response_due_at,
            "next_reminder_at": response_due_at,
            "resolve_due_at": resolve_due_at,
            "category": category,
            "category_name": category_name,
            "private": about is not None,
            "about_chat_id": about.chat_id if about else None,
            "about_thread_id": about.thread_id if about else None,
            "department": department,
        }
        statement = _ADD.get(self._db.dialect.name)
        if statement is None:
            statement = prepared(
                dialect_insert(self._db, issues).on_conflict_do_nothing(
                    index_elements=[issues.c.chat_id, issues.c.message_id]
                )
            )
            _ADD[self._db.dialect.name] = statement
        if (await self._db.execute(statement, values)).rowcount != 1:
            await self._db.execute(_GIVE_BACK)
            return None
        return Issue(
            number=number,
            place=place,
            message_id=message_id,
            author=Person(author.user_id, author.name),  # as read back: no username kept
            text=text,
            tag=tag,
            status=IssueStatus.NEW,
            created_at=created_at,
            updated_at=created_at,
            attachments=tuple(attachments),
            response_due_at=response_due_at,
            next_reminder_at=response_due_at,
            resolve_due_at=resolve_due_at,
            category=category,
            category_name=category_name,
            private=about is not None,
            about=about,
            department=department,
        )

    async def get(self, number: int, *, for_update: bool = False) -> Issue | None:
        """The issue; `for_update` when the caller will change it (see `_locked`)."""
        query = select(issues).where(issues.c.number == number)
        row = (await self._db.execute(_locked(query, for_update))).first()
        return issue_from_row(row) if row else None

    async def find_by_message(
        self, chat_id: int, message_id: int, *, for_update: bool = False
    ) -> Issue | None:
        query = select(issues).where(
            issues.c.chat_id == chat_id, issues.c.message_id == message_id
        )
        row = (await self._db.execute(_locked(query, for_update))).first()
        return issue_from_row(row) if row else None

    async def save(self, issue: Issue) -> None:
        await self._db.execute(
            update(issues)
            .where(issues.c.number == issue.number)
            .values(
                text=issue.text,
                status=issue.status.value,
                assignee_id=issue.assignee.user_id if issue.assignee else None,
                assignee_name=issue.assignee.name if issue.assignee else None,
                due_date=issue.due_date,
                answer=issue.answer,
                updated_at=issue.updated_at,
                first_response_at=issue.first_response_at,
                closed_at=issue.closed_at,
                response_due_at=issue.response_due_at,
                next_reminder_at=issue.next_reminder_at,
                escalated_at=issue.escalated_at,
                control_reminded_on=issue.control_reminded_on,
                verdict=issue.verdict,
                verdict_at=issue.verdict_at,
                resolve_due_at=issue.resolve_due_at,
                awaiting_since=issue.awaiting_since,
                silence_noticed_at=issue.silence_noticed_at,
                contacts=issue.contacts,
                not_resolved_count=issue.not_resolved_count,
                merged_into=issue.merged_into,
                category=issue.category,
                category_name=issue.category_name,
                department=issue.department,
            )
        )

    async def add_transition(self, transition: Transition) -> None:
        await self._db.execute(
            insert(issue_transitions).values(
                issue_number=transition.issue_number,
                action=transition.action.value,
                from_status=transition.from_status.value,
                to_status=transition.to_status.value,
                actor_id=transition.actor.user_id,
                actor_name=transition.actor.name,
                at=transition.at,
                comment=transition.comment,
            )
        )

    async def add_text_version(self, version: TextVersion) -> None:
        await self._db.execute(
            insert(issue_text_versions).values(
                issue_number=version.issue_number, text=version.text, edited_at=version.edited_at
            )
        )

    async def history(self, number: int) -> IssueHistory | None:
        issue = await self.get(number)
        if issue is None:
            return None
        steps = await self._db.execute(
            select(issue_transitions)
            .where(issue_transitions.c.issue_number == number)
            .order_by(issue_transitions.c.id)
        )
        versions = await self._db.execute(
            select(issue_text_versions)
            .where(issue_text_versions.c.issue_number == number)
            .order_by(issue_text_versions.c.id)
        )
        return IssueHistory(
            issue=issue,
            transitions=tuple(
                Transition(
                    issue_number=row.issue_number,
                    action=IssueAction(row.action),
                    from_status=IssueStatus(row.from_status),
                    to_status=IssueStatus(row.to_status),
                    actor=Person(row.actor_id, row.actor_name),
                    at=row.at,
                    comment=row.comment,
                )
                for row in steps
            ),
            text_versions=tuple(
                TextVersion(row.issue_number, row.text, row.edited_at) for row in versions
            ),
        )

    async def list_open(self, place: ChatPlace | None = None) -> Sequence[Issue]:
        query = select(issues).where(issues.c.status.in_([s.value for s in OPEN_STATUSES]))
        if place is not None:
            query = query.where(
                issues.c.chat_id == place.chat_id, issues.c.thread_id == place.thread_id
            )
        rows = await self._db.execute(query.order_by(issues.c.number))
        return [issue_from_row(row) for row in rows]

    async def list_assigned(self, user_id: int) -> Sequence[Issue]:
        rows = await self._db.execute(
            select(issues)
            .where(
                issues.c.assignee_id == user_id,
                issues.c.status.in_([s.value for s in OPEN_STATUSES]),
            )
            .order_by(issues.c.number)
        )
        return [issue_from_row(row) for row in rows]

    async def merged_with(self, number: int, *, for_update: bool = False) -> Sequence[Issue]:
        """The duplicates merged into issue `number` (locked when they are to be changed)."""
        query = select(issues).where(issues.c.merged_into == number).order_by(issues.c.number)
        rows = await self._db.execute(_locked(query, for_update))
        return [issue_from_row(row) for row in rows]

    async def list_by_author(self, user_id: int) -> Sequence[Issue]:
        rows = await self._db.execute(
            select(issues).where(issues.c.author_id == user_id).order_by(issues.c.number)
        )
        return [issue_from_row(row) for row in rows]

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        return await move_chat_rows(
            self._db, issues, issues.c.message_id, old_chat_id, new_chat_id
        )
