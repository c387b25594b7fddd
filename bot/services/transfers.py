"""Handing an issue to another department: /transfer N Отдел, or «Передать» on the card.

The history keeps every transfer, the resident is told who now handles the issue, and the card
moves: the old one is edited to say where it went, the department's staff chat gets a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from zoneinfo import ZoneInfo

from bot.domain.buttons import transfer_button_data
from bot.domain.departments import find_department, same_department
from bot.domain.errors import NotFound, UsageError
from bot.domain.models import (
    Caller,
    ChatKind,
    ChatPlace,
    Issue,
    IssueAction,
    Permission,
    Transition,
)
from bot.domain.outgoing import Button, MessageRef, Outgoing, RefKind
from bot.domain.rules import check_transfer, transferred_status
from bot.services.base import Service
from bot.services.cards import card_buttons
from bot.services.chat_names import chat_name
from bot.services.issue_events import IssueEvents
from bot.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.replies import reply_to
from bot.services.roles import RoleService
from bot.services.staff import departments, staff_chat_for
from bot.texts import departments as t
from bot.texts import errors as errors_t
from bot.texts import issues as issues_t


class TransferService(Service):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        roles: RoleService,
        zone: ZoneInfo,
        events: IssueEvents | None = None,
    ) -> None:
        super().__init__(uow_factory, clock, wake)
        self._roles = roles
        self._zone = zone
        self._events = events or IssueEvents()

    async def transfer(self, caller: Caller, number: int, department: str) -> None:
        """/transfer N Отдел: the department is one that has a staff chat."""
        async with self._unit() as uow:
            issue = await self._workable(uow, caller, number, for_update=True)
            known = await departments(uow)
            target = find_department(department, known)
            if target is None:
                raise UsageError(t.unknown_department(department, known))
            await self._move(uow, caller, issue, target)

    async def choose(self, caller: Caller, number: int, staff: ChatPlace) -> None:
        """A department chosen under «Передать»: the one whose staff chat is `staff`."""
        async with self._unit() as uow:
            issue = await self._workable(uow, caller, number, for_update=True)
            chat = await uow.chats.get(staff)
            if chat is None or chat.kind is not ChatKind.STAFF or not chat.department:
                raise UsageError(t.NO_DEPARTMENTS)
            await self._move(uow, caller, issue, chat.department)

    async def offer(self, caller: Caller, number: int) -> None:
        """«Передать» on a card: the other departments as buttons."""
        async with self._unit() as uow:
            issue = await self._workable(uow, caller, number)
            others = [
                chat
                for chat in await uow.chats.by_kind(ChatKind.STAFF)
                if chat.department and not same_department(chat.department, issue.department)
            ]
            if not others:
                raise UsageError(t.NO_DEPARTMENTS)
            buttons = tuple(
                (
                    Button(
                        chat.department or chat.name,
                        transfer_button_data(number, chat.place.chat_id, chat.place.thread_id),
                    ),
                )
                for chat in others
            )
            await self._send(uow, reply_to(caller, t.transfer_choice(number), buttons=buttons))

    async def _workable(
        self, uow: UnitOfWork, caller: Caller, number: int, *, for_update: bool = False
    ) -> Issue:
        await self._roles.require(uow, caller, Permission.WORK_ISSUES)
        issue = await uow.issues.get(number, for_update=for_update)
        if issue is None:
            raise NotFound(errors_t.issue_not_found(number))
        await self._roles.require_issue(uow, caller, issue)
        return issue

    async def _move(self, uow: UnitOfWork, caller: Caller, issue: Issue, target: str) -> None:
        now = self._clock()
        check_transfer(issue, target, today=now.astimezone(self._zone).date())
        status = transferred_status(issue)
        moved = replace(issue, department=target, status=status, assignee=None, updated_at=now)
        await uow.issues.save(moved)
        line = t.transfer_line(issue.department, target)
        await uow.issues.add_transition(
            Transition(
                issue.number, IssueAction.TRANSFER, issue.status, status, caller.person, now, line
            )
        )
        chat = await uow.chats.get(issue.filed_for)
        self._events.transferred(uow, moved, chat.kind if chat else None, caller.person.user_id)
        messages = await self._move_card(uow, moved, caller, target)
        messages.append(
            Outgoing(
                chat_id=issue.place.chat_id,
                thread_id=issue.place.thread_id,
                text=t.transferred_to_resident(issue, target),
                reply_to=issue.message_id,
                remember_as=MessageRef(RefKind.NOTICE, issue.number),
            )
        )
        staff = await staff_chat_for(uow, target)
        if caller.message_id is not None and (staff is None or staff.place != caller.place):
            messages.append(reply_to(caller, t.transferred_done(issue.number, target)))
        await self._send(uow, *messages)

    async def _move_card(
        self, uow: UnitOfWork, issue: Issue, caller: Caller, target: str
    ) -> list[Outgoing]:
        """The old card says where the issue went (its buttons gone); a new card is posted
        in the department's staff chat and becomes the one later edits find."""
        ref = MessageRef(RefKind.CARD, issue.number)
        messages = []
        located = await uow.refs.locate(ref)
        if located is not None:
            old_chat, old_message = located
            messages.append(
                Outgoing(
                    chat_id=old_chat,
                    text=t.transferred_card(issue.number, target, caller.person),
                    target_message_id=old_message,
                )
            )
            await uow.refs.forget(ref)
        staff = await staff_chat_for(uow, target)
        if staff is not None:
            merged = [item.number for item in await uow.issues.merged_with(issue.number)]
            name = await chat_name(uow, issue.filed_for)
            messages.append(
                Outgoing(
                    chat_id=staff.place.chat_id,
                    thread_id=staff.place.thread_id,
                    text=issues_t.staff_card(issue, name, self._zone, merged),
                    buttons=card_buttons(issue, transfer=True),
                    remember_as=ref,
                )
            )
        return messages
