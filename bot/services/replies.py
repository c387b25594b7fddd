"""Answering the caller in the chat where the command was sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.domain.models import Caller
from bot.domain.outgoing import Button, MessageRef, Outgoing
from bot.services.base import Service
from bot.services.ports import Clock, UnitOfWorkFactory
from bot.texts import help as help_t

if TYPE_CHECKING:
    from bot.services.roles import RoleService


def reply_to(
    caller: Caller,
    text: str,
    *,
    buttons: tuple[tuple[Button, ...], ...] = (),
    remember_as: MessageRef | None = None,
    force_reply: bool = False,
) -> Outgoing:
    return Outgoing(
        chat_id=caller.chat_id,
        thread_id=caller.thread_id,
        text=text,
        reply_to=caller.message_id,
        buttons=buttons,
        remember_as=remember_as,
        force_reply=force_reply,
    )


class ReplyService(Service):
    """Answers that change nothing but must still go through the outbox: refusals, help."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        roles: RoleService,
        tags: tuple[str, ...],
    ) -> None:
        super().__init__(uow_factory, clock, wake)
        self._roles = roles
        self._tags = tags

    async def tell(self, caller: Caller, text: str) -> None:
        async with self._unit() as uow:
            await self._send(uow, reply_to(caller, text))

    async def help(self, caller: Caller) -> None:
        async with self._unit() as uow:
            role = await self._roles.role_in(uow, caller.person.user_id)
            if caller.is_private:
                await uow.users.remember(caller.person, self._clock(), started=True)
            await self._send(uow, reply_to(caller, help_t.help_text(role, self._tags)))
