"""Moderation storage: probation, newcomer checks, the audit log, reports, chat settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, delete, func, insert, literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.models import ChatKind, Person, RegisteredChat
from bot.domain.moderation import MemberRecord, ModEntry, ModKind, NewcomerCheck, Report
from storage.cache import Cached, ReadCache, UnitState
from storage.inline_sqlite import prepared
from storage.repositories._util import dialect_insert, insert_unless_duplicate, inserted_id
from storage.repositories.chats import SqlChatRepository, _chat_from_row
from storage.tables import chats
from storage.tables_moderation import (
    mod_actions,
    mod_chat_settings,
    mod_checks,
    mod_members,
    mod_reports,
    mod_right_notices,
)

# Asked for every message in a moderated chat; built once.
# Every message in a moderated chat reads its sender's record: built once, run prepared.
_MEMBER = prepared(select(mod_members).where(mod_members.c.user_id == bindparam("user_id")))


def _person(user_id: int | None, name: str | None) -> Person | None:
    return Person(user_id, name or str(user_id)) if user_id is not None else None


def _entry(row: Row[Any]) -> ModEntry:
    target = _person(row.target_id, row.target_name)
    assert target is not None
    return ModEntry(
        id=row.id,
        kind=ModKind(row.kind),
        chat_id=row.chat_id,
        thread_id=row.thread_id,
        target=target,
        actor=_person(row.actor_id, row.actor_name),
        reason=row.reason,
        text=row.text,
        message_id=row.message_id,
        until=row.until,
        chats=tuple(row.chats or ()),
        at=row.at,
        undone_at=row.undone_at,
        undone_by=_person(row.undone_by_id, row.undone_by_name),
        settled=bool(row.settled),
        signals=tuple((str(n), float(v), bool(f)) for n, v, f in row.signals or ()),
    )


def _check(row: Row[Any]) -> NewcomerCheck:
    return NewcomerCheck(
        id=row.id,
        chat_id=row.chat_id,
        user=Person(row.user_id, row.user_name),
        deadline=row.deadline,
        status=row.status,
        via_request=bool(row.via_request),
        choices=tuple(row.choices or ()),
        answer=row.answer,
    )


def _report(row: Row[Any]) -> Report:
    return Report(
        id=row.id,
        chat_id=row.chat_id,
        thread_id=row.thread_id,
        message_id=row.message_id,
        author=Person(row.author_id, row.author_name),
        text=row.text,
        reporters=tuple(row.reporters or ()),
        status=row.status,
    )


class SqlModerationRepository(Cached):
    def __init__(
        self,
        connection: AsyncConnection,
        cache: ReadCache | None = None,
        unit: UnitState | None = None,
    ) -> None:
        super().__init__(cache, unit)
        self._db = connection
        self._chats = SqlChatRepository(connection, cache, unit)

    # --- chats ------------------------------------------------------------------------------

    async def registered(self, chat_id: int) -> RegisteredChat | None:
        """The chat's registration (its first place if topics are registered one by one)."""
        every = await self._chats.cached_all()
        if every is not None:
            return next((chat for chat in every if chat.place.chat_id == chat_id), None)
        row = (
            await self._db.execute(
                select(chats).where(chats.c.chat_id == chat_id).order_by(chats.c.id).limit(1)
            )
        ).first()
        return _chat_from_row(row) if row else None

    async def set_active(self, chat_id: int, active: bool) -> bool:
        self._changed()
        result = await self._db.execute(
            update(chats)
            .where(chats.c.chat_id == chat_id, chats.c.active != active)
            .values(active=active)
        )
        return result.rowcount > 0

    async def community(self) -> tuple[int, ...]:
        """Ids of the active residents' chats (buildings and topics), each once."""
        every = await self._chats.cached_all()
        if every is not None:
            found = (c.place.chat_id for c in every if c.active and c.kind is not ChatKind.STAFF)
            return tuple(dict.fromkeys(found))
        rows = await self._db.execute(
            select(chats.c.chat_id)
            .where(chats.c.active.is_(True), chats.c.kind != ChatKind.STAFF.value)
            .group_by(chats.c.chat_id)
            .order_by(func.min(chats.c.id))
        )
        return tuple(row.chat_id for row in rows)

    # --- members ----------------------------------------------------------------------------

    async def member(self, user_id: int) -> MemberRecord | None:
        row = (await self._db.execute(_MEMBER, {"user_id": user_id})).first()
        if row is None:
            return None
        return MemberRecord(row.user_id, row.joined_at, row.messages, bool(row.trusted))

    async def note_join(self, user_id: int, at: datetime) -> None:
        """Start probation at the first join the bot sees; later joins change nothing."""
        statement = insert(mod_members).values(user_id=user_id, joined_at=at, messages=0)
        await insert_unless_duplicate(self._db, statement)

    async def count_message(self, user_id: int) -> None:
        await self._db.execute(
            update(mod_members)
            .where(mod_members.c.user_id == user_id)
            .values(messages=mod_members.c.messages + 1)
        )

    async def trust(self, user_id: int) -> None:
        await self._db.execute(
            update(mod_members).where(mod_members.c.user_id == user_id).values(trusted=True)
        )

    # --- newcomer checks --------------------------------------------------------------------

    async def add_check(
        self,
        chat_id: int,
        user: Person,
        *,
        at: datetime,
        deadline: datetime,
        via_request: bool = False,
        status: str = "pending",
        choices: tuple[str, ...] = (),
        answer: str | None = None,
    ) -> int | None:
        """A new check; None if one is already pending for that member there.

        A pending one is inserted by one statement against the unique index of pending checks
        (`ux_mod_checks_pending`): of two processes handling the member's join at once, one
        inserts and the other gets None, where a look followed by an insert made two."""
        values = {
            "chat_id": chat_id,
            "user_id": user.user_id,
            "user_name": user.name,
            "status": status,
            "via_request": via_request,
            "created_at": at,
            "deadline": deadline,
            "choices": list(choices) if choices else None,
            "answer": answer,
        }
        if status != "pending":  # a closed record (a skipped check), unless one is pending
            if await self.pending_check(chat_id, user.user_id) is not None:
                return None
            return inserted_id(await self._db.execute(insert(mod_checks).values(values)))
        statement = (
            dialect_insert(self._db, mod_checks)
            .values(values)
            .on_conflict_do_nothing(
                index_elements=[mod_checks.c.chat_id, mod_checks.c.user_id],
                # A literal, not a bound value: PostgreSQL matches the partial index by its
                # predicate, and a generic plan (the sixth run of a prepared statement) has
                # only "$10" to go on.
                index_where=mod_checks.c.status == literal_column("'pending'"),
            )
            .returning(mod_checks.c.id)
        )
        inserted = (await self._db.execute(statement)).scalar_one_or_none()
        return None if inserted is None else int(inserted)

    async def joined_since(self, chat_id: int, user_id: int, since: datetime) -> bool:
        """Whether a join of the member there was handled after `since` (updates overlap)."""
        row = (
            await self._db.execute(
                select(mod_checks.c.id).where(
                    mod_checks.c.chat_id == chat_id,
                    mod_checks.c.user_id == user_id,
                    mod_checks.c.created_at >= since,
                    # After a failed or expired check the member was removed: joining
                    # again is a new join, to be checked again.
                    mod_checks.c.status.not_in(("failed", "expired")),
                )
            )
        ).first()
        return row is not None

    async def get_check(self, check_id: int) -> NewcomerCheck | None:
        row = (
            await self._db.execute(select(mod_checks).where(mod_checks.c.id == check_id))
        ).first()
        return _check(row) if row else None

    async def pending_check(self, chat_id: int, user_id: int) -> NewcomerCheck | None:
        row = (
            await self._db.execute(
                select(mod_checks).where(
                    mod_checks.c.chat_id == chat_id,
                    mod_checks.c.user_id == user_id,
                    mod_checks.c.status == "pending",
                )
            )
        ).first()
        return _check(row) if row else None

    async def finish_check(self, check_id: int, status: str) -> bool:
        """Close a pending check; False if it was closed already (a press and the timeout)."""
        result = await self._db.execute(
            update(mod_checks)
            .where(mod_checks.c.id == check_id, mod_checks.c.status == "pending")
            .values(status=status)
        )
        return result.rowcount == 1

    async def due_checks(self, now: datetime, limit: int = 100) -> Sequence[NewcomerCheck]:
        rows = await self._db.execute(
            select(mod_checks)
            .where(mod_checks.c.status == "pending", mod_checks.c.deadline <= now)
            .order_by(mod_checks.c.deadline)
            .limit(limit)
        )
        return [_check(row) for row in rows]

    # --- audit log --------------------------------------------------------------------------

    async def add_action(self, entry: ModEntry) -> int:
        result = await self._db.execute(
            insert(mod_actions).values(
                kind=entry.kind.value,
                chat_id=entry.chat_id,
                thread_id=entry.thread_id,
                target_id=entry.target.user_id,
                target_name=entry.target.name,
                actor_id=entry.actor.user_id if entry.actor else None,
                actor_name=entry.actor.name if entry.actor else None,
                reason=entry.reason,
                text=entry.text,
                message_id=entry.message_id,
                until=entry.until,
                chats=list(entry.chats),
                at=entry.at,
                signals=[list(signal) for signal in entry.signals] or None,
            )
        )
        return inserted_id(result)

    async def get_action(self, action_id: int) -> ModEntry | None:
        row = (
            await self._db.execute(select(mod_actions).where(mod_actions.c.id == action_id))
        ).first()
        return _entry(row) if row else None

    async def latest_actions(self, limit: int) -> Sequence[ModEntry]:
        rows = await self._db.execute(
            select(mod_actions).order_by(mod_actions.c.id.desc()).limit(limit)
        )
        return [_entry(row) for row in rows]

    async def mark_undone(self, action_id: int, by: Person, at: datetime) -> bool:
        result = await self._db.execute(
            update(mod_actions)
            .where(mod_actions.c.id == action_id, mod_actions.c.undone_at.is_(None))
            .values(undone_at=at, undone_by_id=by.user_id, undone_by_name=by.name)
        )
        return result.rowcount == 1

    def _active(self, user_id: int, kinds: Sequence[ModKind]) -> Any:
        return (
            (mod_actions.c.target_id == user_id)
            & mod_actions.c.kind.in_([k.value for k in kinds])
            & mod_actions.c.undone_at.is_(None)
            & mod_actions.c.settled.is_(False)
        )

    async def active(self, user_id: int, kinds: Sequence[ModKind]) -> Sequence[ModEntry]:
        """Entries of these kinds against the user that are neither undone nor settled."""
        rows = await self._db.execute(
            select(mod_actions)
            .where(self._active(user_id, kinds))
            .order_by(mod_actions.c.id.desc())
        )
        return [_entry(row) for row in rows]

    async def settle(self, action_ids: Sequence[int]) -> None:
        """Warnings that led to a mute no longer count; the mute is the consequence."""
        if action_ids:
            await self._db.execute(
                update(mod_actions).where(mod_actions.c.id.in_(action_ids)).values(settled=True)
            )

    # --- reports ----------------------------------------------------------------------------

    async def report(self, report: Report, reporter: int, at: datetime) -> tuple[Report, bool]:
        """Add `reporter` to the report of that message; True when the report is new."""
        statement = insert(mod_reports).values(
            chat_id=report.chat_id,
            thread_id=report.thread_id,
            message_id=report.message_id,
            author_id=report.author.user_id,
            author_name=report.author.name,
            text=report.text,
            reporters=[reporter],
            status="open",
            created_at=at,
        )
        inserted = await insert_unless_duplicate(self._db, statement)
        # Locked: two reports of one message at once must both add their reporter.
        row = (
            await self._db.execute(
                select(mod_reports)
                .where(
                    mod_reports.c.chat_id == report.chat_id,
                    mod_reports.c.message_id == report.message_id,
                )
                .with_for_update()
            )
        ).one()
        stored = _report(row)
        if inserted is None and reporter not in stored.reporters:
            reporters = [*stored.reporters, reporter]
            await self._db.execute(
                update(mod_reports)
                .where(mod_reports.c.id == stored.id)
                .values(reporters=reporters)
            )
            stored = replace(stored, reporters=tuple(reporters))
        return stored, inserted is not None

    async def get_report(self, report_id: int) -> Report | None:
        row = (
            await self._db.execute(select(mod_reports).where(mod_reports.c.id == report_id))
        ).first()
        return _report(row) if row else None

    async def close_report(self, report_id: int, status: str) -> bool:
        result = await self._db.execute(
            update(mod_reports)
            .where(mod_reports.c.id == report_id, mod_reports.c.status == "open")
            .values(status=status)
        )
        return result.rowcount == 1

    # --- chat settings and rules ------------------------------------------------------------

    async def chat_settings(
        self, chat_id: int, *, for_update: bool = False
    ) -> tuple[int, dict[str, Any], str | None]:
        """(row id, overrides, rules) of the chat, creating an empty row on first use; with
        `for_update` the row stays locked until the unit ends (the caller changes it)."""
        query = select(mod_chat_settings).where(mod_chat_settings.c.chat_id == chat_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._db.execute(query)).first()
        if row is None:
            statement = insert(mod_chat_settings).values(chat_id=chat_id, overrides={})
            await insert_unless_duplicate(self._db, statement)
            row = (await self._db.execute(query)).one()
        return row.id, dict(row.overrides or {}), row.rules

    async def overrides(self, chat_id: int) -> dict[str, Any]:
        cache = self._usable()
        if cache is not None and (found := cache.overrides(chat_id)) is not None:
            return found
        generation = self._unit.generation
        row = (
            await self._db.execute(
                select(mod_chat_settings.c.overrides).where(mod_chat_settings.c.chat_id == chat_id)
            )
        ).first()
        value = dict(row.overrides or {}) if row else {}
        if cache is not None:
            cache.store_overrides(generation, chat_id, value)
        return value

    async def save_chat_settings(
        self, chat_id: int, overrides: dict[str, Any], rules: str | None
    ) -> None:
        await self.chat_settings(chat_id)
        self._changed()
        await self._db.execute(
            update(mod_chat_settings)
            .where(mod_chat_settings.c.chat_id == chat_id)
            .values(overrides=overrides, rules=rules)
        )

    async def street(self, chat_id: int) -> str | None:
        row = (
            await self._db.execute(
                select(mod_chat_settings.c.street).where(mod_chat_settings.c.chat_id == chat_id)
            )
        ).first()
        return row.street if row else None

    async def set_street(self, chat_id: int, street: str | None) -> None:
        await self.chat_settings(chat_id)
        await self._db.execute(
            update(mod_chat_settings)
            .where(mod_chat_settings.c.chat_id == chat_id)
            .values(street=street)
        )

    async def other_streets(self, chat_id: int) -> tuple[str, ...]:
        """The streets set in the other registered residents' chats, each once."""
        registered = select(chats.c.chat_id).where(chats.c.kind != ChatKind.STAFF.value)
        rows = await self._db.execute(
            select(mod_chat_settings.c.street)
            .where(
                mod_chat_settings.c.chat_id != chat_id,
                mod_chat_settings.c.street.is_not(None),
                mod_chat_settings.c.chat_id.in_(registered),
            )
            .distinct()
            .order_by(mod_chat_settings.c.street)
        )
        return tuple(row.street for row in rows)

    # --- rights -----------------------------------------------------------------------------

    async def note_missing_right(self, chat_id: int, right: str, at: datetime) -> bool:
        """True the first time a missing right is noted for the chat (so admins hear once)."""
        statement = insert(mod_right_notices).values(chat_id=chat_id, right=right, noticed_at=at)
        return await insert_unless_duplicate(self._db, statement) is not None

    async def forget_missing_rights(self, chat_id: int) -> None:
        await self._db.execute(
            delete(mod_right_notices).where(mod_right_notices.c.chat_id == chat_id)
        )
