"""The issue desk: intake of tagged messages, work on issues, lists and history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

from bot.domain.buttons import appeal_button_data
from bot.domain.calendar import WorkCalendar
from bot.domain.categories import Categories
from bot.domain.departments import Routing
from bot.domain.errors import NotFound, PermissionDenied, UsageError
from bot.domain.models import (
    Caller,
    ChatPlace,
    IncomingMessage,
    Issue,
    IssueAction,
    IssueStatus,
    Permission,
    RegisteredChat,
    TextVersion,
    Transition,
)
from bot.domain.outgoing import Button, MessageRef, Outgoing, RefKind
from bot.domain.rules import can, may_work_on, plan_transition
from bot.domain.sla import ack_timing, with_clock
from bot.domain.tags import find_issue_tag
from bot.services.base import Service
from bot.services.cards import card_buttons, card_update
from bot.services.chat_names import chat_name
from bot.services.closing import closing_notice
from bot.services.issue_events import IssueEvents
from bot.services.merging import merged_answers
from bot.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.replies import reply_to
from bot.services.roles import RoleService
from bot.services.staff import departments, staff_chat_for
from bot.texts import errors as errors_t
from bot.texts import issues as t
from bot.texts import sla as sla_t

PROMPTS = frozenset(
    {RefKind.CLOSE_PROMPT, RefKind.CONTROL_PROMPT, RefKind.ASK_PROMPT, RefKind.MERGE_PROMPT}
)


class IssueService(Service):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        roles: RoleService,
        tags: tuple[str, ...],
        calendar: WorkCalendar,
        first_response: timedelta,
        resolution: timedelta = timedelta(hours=80),
        categories: Categories | None = None,
        events: IssueEvents | None = None,
        routing: Routing | None = None,
    ) -> None:
        super().__init__(uow_factory, clock, wake)
        self._events = events or IssueEvents()
        self._roles = roles
        self._tags = tags
        self._calendar = calendar
        self._zone = calendar.schedule.timezone
        self._first_response = first_response
        self._resolution = resolution
        self._categories = categories or Categories()
        self._routing = routing or Routing()

    def today(self) -> date:
        return self._clock().astimezone(self._zone).date()

    # --- intake -------------------------------------------------------------------------

    def tagged(self, text: str) -> bool:
        """Does `text` carry an issue tag? (Most group messages do not, and are left here.)"""
        return find_issue_tag(text, self._tags) is not None

    async def intake(
        self, message: IncomingMessage, chat: RegisteredChat | None = None
    ) -> Issue | None:
        """A tagged message in a registered chat becomes an issue; None if not (or already is).

        `chat` is the message's place's registration when the caller has resolved it already.
        """
        tag = find_issue_tag(message.text, self._tags)
        if tag is None:
            return None
        async with self._unit() as uow:
            if chat is None:
                chat = await uow.chats.get(message.place)
            if chat is None or not chat.kind.takes_issues or not chat.active:
                return None
            issue = await self._add(uow, message, tag, chat)
            if issue is not None:
                self._events.filed(uow, issue, chat.kind)
                await self._send(uow, *await self._new_issue_messages(uow, issue, chat))
            return issue

    async def file_from_reply(self, caller: Caller, target: IncomingMessage) -> None:
        """`/issue` in reply to a message: its author or a specialist makes it an issue."""
        async with self._unit() as uow:
            chat = await uow.chats.get(target.place)
            if chat is None or not chat.kind.takes_issues:
                raise UsageError(errors_t.NOT_REGISTERED_HERE)
            if target.author.user_id != caller.person.user_id:
                await self._roles.require(uow, caller, Permission.FILE_FOR_OTHERS)
            tag = find_issue_tag(target.text, self._tags) or ""
            issue = await self._add(uow, target, tag, chat)
            if issue is None:
                existing = await uow.issues.find_by_message(
                    target.place.chat_id, target.message_id
                )
                number = existing.number if existing else 0
                await self._send(uow, reply_to(caller, t.already_filed(number)))
                return
            self._events.filed(uow, issue, chat.kind)
            await self._send(uow, *await self._new_issue_messages(uow, issue, chat))

    async def offer_appeal(self, caller: Caller, text: str) -> None:
        """/appeal текст in private: which building or topic is it about (buttons)."""
        if not caller.is_private or not text.strip():
            raise UsageError(errors_t.USAGE_APPEAL)
        async with self._unit() as uow:
            chats = [c for c in await uow.chats.all() if c.kind.takes_issues and c.active]
            if not chats:
                raise UsageError(errors_t.NO_CHATS_FOR_APPEAL)
            buttons = tuple(
                (Button(c.name, appeal_button_data(c.place.chat_id, c.place.thread_id)),)
                for c in chats
            )
            await self._send(uow, reply_to(caller, t.appeal_where(), buttons=buttons))

    async def file_private(
        self, message: IncomingMessage, about: ChatPlace, prompt_id: int
    ) -> Issue | None:
        """The resident chose the chat: the appeal becomes an issue that lives in private."""
        async with self._unit() as uow:
            chat = await uow.chats.get(about)
            if chat is None or not chat.kind.takes_issues or not chat.active:
                raise UsageError(errors_t.NOT_REGISTERED_HERE)
            issue = await self._add(uow, message, "", chat, about=about)
            if issue is None:
                return None
            self._events.filed(uow, issue, chat.kind)
            chosen = Outgoing(
                chat_id=message.place.chat_id,
                text=t.appeal_about(chat.name),
                target_message_id=prompt_id,
            )
            await self._send(uow, chosen, *await self._new_issue_messages(uow, issue, chat))
            return issue

    async def _add(
        self,
        uow: UnitOfWork,
        message: IncomingMessage,
        tag: str,
        chat: RegisteredChat,
        about: ChatPlace | None = None,
    ) -> Issue | None:
        """The issue, its category (the tag's, else the chat's, else the default) and its
        department (the tag's, else the category's, else the chat's)."""
        now = self._clock()
        await uow.users.remember(message.author, now)
        created = message.sent_at or now
        category = self._categories.for_tag(tag, chat.category)
        department = self._routing.department_for(
            tag, category.code if category else None, chat.department
        )
        first_response = category.first_response if category else self._first_response
        resolution = category.resolution if category else self._resolution
        return await uow.issues.add(
            place=message.place,
            message_id=message.message_id,
            author=message.author,
            text=message.text,
            tag=tag,
            attachments=message.attachments,
            created_at=created,
            response_due_at=self._calendar.add(created, first_response),
            resolve_due_at=self._calendar.add(created, resolution),
            category=category.code if category else None,
            category_name=category.name if category else None,
            about=about,
            department=department,
        )

    async def _new_issue_messages(
        self, uow: UnitOfWork, issue: Issue, chat: RegisteredChat
    ) -> list[Outgoing]:
        messages = [
            Outgoing(
                chat_id=issue.place.chat_id,
                thread_id=issue.place.thread_id,
                text=self._acknowledgement(issue),
                reply_to=issue.message_id,
                remember_as=MessageRef(RefKind.ACK, issue.number),
            )
        ]
        staff = await staff_chat_for(uow, issue.department)
        if staff is not None:
            transfer = bool(await departments(uow))
            messages.append(
                Outgoing(
                    chat_id=staff.place.chat_id,
                    thread_id=staff.place.thread_id,
                    text=t.staff_card(issue, chat.name, self._zone),
                    buttons=card_buttons(issue, transfer=transfer),
                    remember_as=MessageRef(RefKind.CARD, issue.number),
                )
            )
        return messages

    async def edit_text(self, message: IncomingMessage) -> None:
        """The author edited the original message: keep the old text in the history."""
        async with self._unit() as uow:
            place = message.place
            issue = await uow.issues.find_by_message(
                place.chat_id, message.message_id, for_update=True
            )
            if issue is None or issue.text == message.text:
                return
            now = self._clock()
            await uow.issues.add_text_version(TextVersion(issue.number, issue.text, now))
            updated = replace(issue, text=message.text, updated_at=now)
            await uow.issues.save(updated)
            await self._send(uow, *await self._card_update(uow, updated))

    # --- work on issues -------------------------------------------------------------------

    async def act(
        self,
        caller: Caller,
        action: IssueAction,
        number: int,
        *,
        due_date: date | None = None,
        answer: str | None = None,
        comment: str | None = None,
        question: str | None = None,
    ) -> Issue:
        asking = action is IssueAction.ASK
        async with self._unit() as uow:
            await self._roles.require(uow, caller, Permission.WORK_ISSUES)
            issue = await self._get(uow, number, for_update=True)
            await self._roles.require_issue(uow, caller, issue)
            plan = plan_transition(
                issue,
                action,
                caller.person,
                today=self.today(),
                due_date=due_date,
                answer=question if asking else answer,
            )
            now = self._clock()
            updated = replace(
                issue,
                status=plan.to_status,
                assignee=plan.assignee,
                due_date=plan.due_date,
                answer=plan.answer,
                updated_at=now,
                first_response_at=issue.first_response_at or now,
                closed_at=now if plan.to_status is IssueStatus.CLOSED else None,
                # Any specialist's transition answers the issue: its reminders stop.
                next_reminder_at=None,
                # A duplicate returned to work stands on its own again.
                merged_into=None if action is IssueAction.REOPEN else issue.merged_into,
            )
            updated = with_clock(self._calendar, issue, updated, now)
            await uow.issues.save(updated)
            chat = await uow.chats.get(issue.filed_for)
            self._events.acted(
                uow, action, updated, chat.kind if chat else None, caller.person.user_id
            )
            due = issue.response_due_at
            if issue.first_response_at is None and due is not None and now > due:
                self._events.late_first_response(uow, updated)
            note = {IssueAction.CLOSE: plan.answer, IssueAction.ASK: question}.get(action, comment)
            await uow.issues.add_transition(
                Transition(number, action, issue.status, plan.to_status, caller.person, now, note)
            )
            messages = [
                self._resident_message(updated, action, comment, question),
                *await self._card_update(uow, updated),
            ]
            if action is IssueAction.CLOSE:
                messages += await merged_answers(uow, updated)
            if caller.message_id is not None and caller.place != issue.place:
                messages.append(reply_to(caller, t.transition_done(number, action)))
            await self._send(uow, *messages)
            return updated

    def _resident_message(
        self, issue: Issue, action: IssueAction, comment: str | None, question: str | None
    ) -> Outgoing:
        if action is IssueAction.CLOSE:  # the author gets "Решено" / "Не решено"
            return closing_notice(issue)
        if action is IssueAction.ASK:
            text = t.question(issue, question or "")
            ref = MessageRef(RefKind.QUESTION, issue.number)
        else:
            text = t.resident_notice(issue, action, comment)
            ref = MessageRef(RefKind.NOTICE, issue.number)
        return Outgoing(
            chat_id=issue.place.chat_id,
            thread_id=issue.place.thread_id,
            text=text,
            reply_to=issue.message_id,
            remember_as=ref,
        )

    async def request_prompt(self, caller: Caller, number: int, action: IssueAction) -> None:
        """The «Закрыть», «На контроль» and «Уточнить» buttons: ask the specialist for the
        answer, the date or the question as a reply to a prompt."""
        async with self._unit() as uow:
            await self._roles.require(uow, caller, Permission.WORK_ISSUES)
            issue = await self._get(uow, number)
            await self._roles.require_issue(uow, caller, issue)
            today = self.today()
            plan_transition(issue, action, caller.person, today=today, due_date=today, answer="-")
            kind, text = {
                IssueAction.CLOSE: (RefKind.CLOSE_PROMPT, t.close_prompt),
                IssueAction.CONTROL: (RefKind.CONTROL_PROMPT, t.control_prompt),
                IssueAction.ASK: (RefKind.ASK_PROMPT, t.ask_prompt),
            }[action]
            prompt = reply_to(
                caller,
                text(number, caller.person),
                remember_as=MessageRef(kind, number),
                force_reply=True,
            )
            await self._send(uow, prompt)

    async def request_close(self, caller: Caller, number: int) -> None:
        await self.request_prompt(caller, number, IssueAction.CLOSE)

    async def number_from_reply(self, chat_id: int, message_id: int) -> int:
        """The issue a replied-to message belongs to: its original, acknowledgement or card."""
        async with self._uow_factory.reader() as uow:
            ref = await uow.refs.find(chat_id, message_id)
            if ref is not None:
                return ref.ref_id
            issue = await uow.issues.find_by_message(chat_id, message_id)
        if issue is None:
            raise UsageError(errors_t.no_issue_in_reply())
        return issue.number

    async def close_prompt_number(self, chat_id: int, message_id: int) -> int | None:
        ref = await self.prompt_for(chat_id, message_id)
        return ref.ref_id if ref is not None and ref.kind is RefKind.CLOSE_PROMPT else None

    async def prompt_for(self, chat_id: int, message_id: int) -> MessageRef | None:
        """The prompt (close, control, ask) a message is, if it is one."""
        async with self._uow_factory.reader() as uow:
            ref = await uow.refs.find(chat_id, message_id)
        return ref if ref is not None and ref.kind in PROMPTS else None

    # --- views ---------------------------------------------------------------------------

    async def show(self, caller: Caller, number: int) -> None:
        async with self._unit() as uow:
            role = await self._roles.role_in(uow, caller.person.user_id)
            entry = await uow.issues.history(number)
            if entry is None:
                raise NotFound(errors_t.issue_not_found(number))
            issue = entry.issue
            own = issue.author.user_id == caller.person.user_id
            if not (can(role, Permission.VIEW_ALL_ISSUES) or own or issue.place == caller.place):
                raise PermissionDenied(errors_t.not_your_chat_issue(number))
            if not own and issue.place != caller.place and can(role, Permission.WORK_ISSUES):
                await self._roles.require_issue(uow, caller, issue)
            name = await chat_name(uow, issue.filed_for)
            await self._send(uow, reply_to(caller, t.history(entry, name, self._zone)))

    async def list_open(self, caller: Caller) -> None:
        async with self._unit() as uow:
            role = await self._roles.role_in(uow, caller.person.user_id)
            chat = None if caller.is_private else await uow.chats.get(caller.place)
            if chat is not None and chat.kind.takes_issues:
                text = t.open_issues_in_chat(await uow.issues.list_open(caller.place))
            elif can(role, Permission.VIEW_ALL_ISSUES):
                names = {item.place: item.name for item in await uow.chats.all()}
                own_department = await self._roles.department_of(uow, caller.person.user_id)
                visible = [
                    issue
                    for issue in await uow.issues.list_open()
                    if may_work_on(role, own_department, issue)
                ]
                text = t.open_issues_grouped(visible, names)
            elif caller.is_private:
                own = await uow.issues.list_by_author(caller.person.user_id)
                text = t.own_filed_issues([issue for issue in own if issue.status.is_open])
            else:
                raise PermissionDenied(errors_t.PERMISSION_DENIED[Permission.VIEW_ALL_ISSUES])
            await self._send(uow, reply_to(caller, text))

    async def list_mine(self, caller: Caller) -> None:
        async with self._unit() as uow:
            await self._roles.require(uow, caller, Permission.WORK_ISSUES)
            issues = await uow.issues.list_assigned(caller.person.user_id)
            await self._send(uow, reply_to(caller, t.my_issues(issues)))

    # --- helpers -------------------------------------------------------------------------

    def _acknowledgement(self, issue: Issue) -> str:
        """№N, when the answer is due and, out of working time, when the office opens."""
        if issue.response_due_at is None:
            return t.acknowledgement(issue.number)
        timing = ack_timing(self._calendar, issue.created_at, issue.response_due_at)
        return sla_t.acknowledgement(
            issue.number, timing.answer_due, timing.opens_at, issue.created_at, self._zone
        )

    async def _get(self, uow: UnitOfWork, number: int, *, for_update: bool = False) -> Issue:
        issue = await uow.issues.get(number, for_update=for_update)
        if issue is None:
            raise NotFound(errors_t.issue_not_found(number))
        return issue

    async def _card_update(self, uow: UnitOfWork, issue: Issue) -> list[Outgoing]:
        return await card_update(uow, issue, self._zone)
