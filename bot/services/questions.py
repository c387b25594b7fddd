"""The resident's answer to a specialist's question: it joins the issue's history, reaches the
assignee, and restarts the issue's clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.domain.calendar import WorkCalendar
from bot.domain.models import IncomingMessage, Issue, IssueAction, IssueStatus, Transition
from bot.domain.outgoing import MessageRef, Outgoing, RefKind
from bot.domain.rules import may_answer
from bot.domain.sla import with_clock
from bot.services.base import Service
from bot.services.cards import card_update
from bot.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.staff import to_staff
from bot.texts import issues as t


class QuestionService(Service):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        calendar: WorkCalendar,
    ) -> None:
        super().__init__(uow_factory, clock, wake)
        self._calendar = calendar
        self._zone = calendar.schedule.timezone

    async def waiting_question(self, chat_id: int, message_id: int, user_id: int) -> int | None:
        """The issue whose question `message_id` is, if `user_id` may answer it now."""
        async with self._uow_factory.reader() as uow:
            ref = await uow.refs.find(chat_id, message_id)
            if ref is None or ref.kind is not RefKind.QUESTION:
                return None
            issue = await uow.issues.get(ref.ref_id)
        if issue is None or issue.author.user_id != user_id:
            return None
        return issue.number if issue.status is IssueStatus.AWAITING else None

    async def answer(self, message: IncomingMessage, number: int) -> bool:
        """The author's reply to the question; False if the issue no longer waits for it."""
        async with self._unit() as uow:
            issue = await uow.issues.get(number, for_update=True)
            if issue is None or not may_answer(issue, message.author):
                return False
            now = self._clock()
            reopened = replace(issue, status=IssueStatus.IN_PROGRESS, updated_at=now)
            updated = with_clock(self._calendar, issue, reopened, now)
            await uow.issues.save(updated)
            await uow.issues.add_transition(
                Transition(
                    number,
                    IssueAction.ANSWER,
                    issue.status,
                    updated.status,
                    message.author,
                    now,
                    message.text,
                )
            )
            thanks = Outgoing(
                chat_id=message.place.chat_id,
                thread_id=message.place.thread_id,
                text=t.answer_received(number),
                reply_to=message.message_id,
            )
            await self._send(
                uow,
                thanks,
                *await self._to_assignee(uow, updated, message.text),
                *await card_update(uow, updated, self._zone),
            )
            return True

    async def _to_assignee(self, uow: UnitOfWork, issue: Issue, text: str) -> list[Outgoing]:
        """The answer under the card in its staff chat, and in private to the assignee."""
        news = t.answer_for_staff(issue, text)
        located = await uow.refs.locate(MessageRef(RefKind.CARD, issue.number))
        if located is not None:
            messages = [Outgoing(chat_id=located[0], text=news, reply_to=located[1])]
        else:
            messages = await to_staff(uow, Outgoing(chat_id=0, text=news))
        assignee = issue.assignee
        if assignee is not None and await uow.users.has_started(assignee.user_id):
            messages.append(Outgoing(chat_id=assignee.user_id, text=news))
        return messages
