"""Personal contact with the resident: their phone shared with consent, the specialist's link
to them, and the contacts the specialists record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from zoneinfo import ZoneInfo

from bot.domain.errors import NotFound, UsageError
from bot.domain.models import Caller, IssueAction, Permission, Transition
from bot.domain.outgoing import Outgoing
from bot.services.base import Service
from bot.services.cards import card_update
from bot.services.ports import Clock, UnitOfWorkFactory
from bot.services.replies import reply_to
from bot.services.roles import RoleService
from bot.texts import contacts as t
from bot.texts import errors as errors_t


class ContactService(Service):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        roles: RoleService,
        zone: ZoneInfo,
        operator: str,
    ) -> None:
        super().__init__(uow_factory, clock, wake)
        self._roles = roles
        self._zone = zone
        self._operator = operator

    # --- the resident ------------------------------------------------------------------------

    async def offer_phone(self, caller: Caller) -> None:
        """/phone: the consent text with the button that shares the caller's own number."""
        if not caller.is_private:
            raise UsageError(t.PHONE_ONLY_PRIVATE)
        async with self._unit() as uow:
            offer = replace(
                reply_to(caller, t.consent(self._operator)),
                contact_request=t.BUTTON_SHARE_PHONE,
            )
            await self._send(uow, offer)

    async def save_phone(self, caller: Caller, phone: str, owner_id: int | None) -> None:
        """A contact sent with the button: kept only if it is the sender's own number."""
        async with self._unit() as uow:
            if owner_id != caller.person.user_id:
                await self._send(uow, reply_to(caller, t.PHONE_NOT_YOURS))
                return
            now = self._clock()
            await uow.users.remember(caller.person, now, started=True)
            await uow.users.set_phone(caller.person.user_id, phone.strip()[:32], now)
            await self._send(uow, replace(reply_to(caller, t.PHONE_SAVED), remove_keyboard=True))

    async def forget_phone(self, caller: Caller) -> None:
        async with self._unit() as uow:
            forgot = await uow.users.set_phone(caller.person.user_id, None, None)
            await self._send(uow, reply_to(caller, t.PHONE_DELETED if forgot else t.PHONE_NONE))

    # --- the specialist ----------------------------------------------------------------------

    async def show_contact(self, caller: Caller, number: int) -> None:
        """«Связаться»: the link to the resident's profile and, in private, their phone."""
        async with self._unit() as uow:
            await self._roles.require(uow, caller, Permission.WORK_ISSUES)
            issue = await uow.issues.get(number)
            if issue is None:
                raise NotFound(errors_t.issue_not_found(number))
            await self._roles.require_issue(uow, caller, issue)
            author = issue.author
            if await uow.users.has_started(caller.person.user_id):
                phone = await uow.users.phone(author.user_id)
                card = t.contact_card(issue, phone)
                messages = [Outgoing(chat_id=caller.person.user_id, text=card)]
                if not caller.is_private:
                    messages.append(reply_to(caller, t.contact_sent_privately(number)))
            else:
                text = t.contact_card(issue, None) + t.contact_in_chat_hint()
                messages = [reply_to(caller, text)]
            await self._send(uow, *messages)

    async def record_contact(self, caller: Caller, number: int, comment: str) -> None:
        """/contacted N комментарий: the contact joins the history and the issue's count."""
        async with self._unit() as uow:
            await self._roles.require(uow, caller, Permission.WORK_ISSUES)
            issue = await uow.issues.get(number, for_update=True)
            if issue is None:
                raise NotFound(errors_t.issue_not_found(number))
            await self._roles.require_issue(uow, caller, issue)
            now = self._clock()
            updated = replace(issue, contacts=issue.contacts + 1, updated_at=now)
            await uow.issues.save(updated)
            step = Transition(
                number,
                IssueAction.CONTACT,
                issue.status,
                issue.status,
                caller.person,
                now,
                comment,
            )
            await uow.issues.add_transition(step)
            await self._send(
                uow,
                reply_to(caller, t.contacted_done(number)),
                *await card_update(uow, updated, self._zone),
            )
