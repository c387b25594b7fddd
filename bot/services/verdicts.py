"""The resident's verdict on a closure: "Решено" keeps it closed, "Не решено" reopens it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.errors import NotFound
from bot.domain.models import (
    Issue,
    IssueAction,
    IssueStatus,
    Person,
    Transition,
)
from bot.domain.outgoing import MessageRef, Outgoing, RefKind
from bot.domain.sla import NOT_RESOLVED, RESOLVED, offers_way_out, verdict_applies
from bot.services.base import Service
from bot.services.cards import card_buttons
from bot.services.chat_names import chat_name
from bot.services.issue_events import IssueEvents
from bot.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.staff import departments, staff_chat_for
from bot.texts import errors as errors_t
from bot.texts import issues as issues_t
from bot.texts import sla as t

VERDICT_COMMENT = "автор обращения: «Не решено»"


class VerdictOutcome(StrEnum):
    RESOLVED = "resolved"
    REOPENED = "reopened"
    NOT_AUTHOR = "not_author"
    ALREADY = "already"
    NOT_CLOSED = "not_closed"


class VerdictService(Service):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        zone: ZoneInfo,
        pos_url: str = "",
        offer_after: int = 2,
        events: IssueEvents | None = None,
    ) -> None:
        super().__init__(uow_factory, clock, wake)
        self._zone = zone
        self._pos_url = pos_url
        self._offer_after = offer_after
        self._events = events or IssueEvents()

    async def judge(self, person: Person, number: int, resolved: bool) -> VerdictOutcome:
        """Only the author's press counts; anyone else is answered politely, nothing changes."""
        async with self._unit() as uow:
            issue = await uow.issues.get(number, for_update=True)
            if issue is None:
                raise NotFound(errors_t.issue_not_found(number))
            if issue.author.user_id != person.user_id:
                return VerdictOutcome.NOT_AUTHOR
            if issue.status is not IssueStatus.CLOSED:
                return VerdictOutcome.NOT_CLOSED
            if not verdict_applies(issue):
                return VerdictOutcome.ALREADY
            now = self._clock()
            text = issues_t.resident_notice(issue, IssueAction.CLOSE, None)
            text += t.verdict_given(resolved)
            if resolved:
                edit = Outgoing(issue.place.chat_id, text, edit_of=_notice(number))
                await uow.issues.save(replace(issue, verdict=RESOLVED, verdict_at=now))
                await self._send(uow, edit)
                return VerdictOutcome.RESOLVED
            times = issue.not_resolved_count + 1
            way_out = bool(self._pos_url) and offers_way_out(times, self._offer_after)
            if way_out:
                text += t.way_out(self._pos_url)
            reopened = replace(
                issue,
                status=IssueStatus.IN_PROGRESS,
                closed_at=None,
                updated_at=now,
                verdict=NOT_RESOLVED,
                verdict_at=now,
                not_resolved_count=times,
            )
            await uow.issues.save(reopened)
            await uow.issues.add_transition(
                Transition(
                    number,
                    IssueAction.REOPEN,
                    IssueStatus.CLOSED,
                    IssueStatus.IN_PROGRESS,
                    person,
                    now,
                    VERDICT_COMMENT,
                )
            )
            chat = await uow.chats.get(issue.filed_for)
            kind = chat.kind if chat else None
            self._events.acted(uow, IssueAction.REOPEN, reopened, kind, person.user_id)
            news = await self._staff_news(uow, reopened)
            if way_out:
                staff = await staff_chat_for(uow, issue.department)
                if staff is not None:
                    place = staff.place
                    alert = Outgoing(place.chat_id, t.way_out_alert(number, times))
                    news.append(replace(alert, thread_id=place.thread_id))
            edit = Outgoing(issue.place.chat_id, text, edit_of=_notice(number))
            await self._send(uow, edit, *news)
            return VerdictOutcome.REOPENED

    async def _staff_news(self, uow: UnitOfWork, issue: Issue) -> list[Outgoing]:
        name = await chat_name(uow, issue.filed_for)
        alert = t.not_resolved_alert(issue, name)
        staff = await staff_chat_for(uow, issue.department)
        messages = (
            [Outgoing(staff.place.chat_id, alert, thread_id=staff.place.thread_id)]
            if staff is not None
            else []
        )
        assignee = issue.assignee
        if assignee is not None and await uow.users.has_started(assignee.user_id):
            messages.append(Outgoing(chat_id=assignee.user_id, text=alert))
        card = MessageRef(RefKind.CARD, issue.number)
        located = await uow.refs.locate(card)
        if located is not None:
            text = issues_t.staff_card(issue, name, self._zone)
            buttons = card_buttons(issue, transfer=bool(await departments(uow)))
            messages.append(Outgoing(located[0], text, buttons=buttons, edit_of=card))
        return messages


def _notice(number: int) -> MessageRef:
    return MessageRef(RefKind.CLOSE_NOTICE, number)
