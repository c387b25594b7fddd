"""`/link`: one person's accounts on Telegram and MAX made one, with a one-time code asked
for in a private chat on one messenger and sent from the other."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from bot.domain.errors import UsageError
from bot.domain.links import CODE_DIGITS, CODE_TTL, can_link, is_code, split_pair
from bot.domain.messengers import Messenger, messenger_of
from bot.domain.models import Caller
from bot.services.base import Service
from bot.services.ports import Clock, UnitOfWorkFactory
from bot.services.replies import reply_to
from bot.texts import links as t


def _other(user_id: int) -> Messenger:
    mine = messenger_of(user_id)
    return Messenger.MAX if mine is Messenger.TELEGRAM else Messenger.TELEGRAM


def random_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


class LinkService(Service):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        codes: Callable[[], str] = random_code,
    ) -> None:
        super().__init__(uow_factory, clock, wake)
        self._codes = codes

    async def command(self, caller: Caller, argument: str) -> None:
        """`/link` asks for a code; `/link КОД` redeems one."""
        argument = argument.strip()
        if not argument:
            await self.ask(caller)
        elif is_code(argument):
            await self.redeem(caller, argument)
        else:
            raise UsageError(t.USAGE_LINK)

    async def ask(self, caller: Caller) -> None:
        if not caller.is_private:
            raise UsageError(t.PRIVATE_ONLY)
        user_id = caller.person.user_id
        code = self._codes()
        async with self._unit() as uow:
            await uow.links.add_code(code, user_id, self._clock() + CODE_TTL)
            await self._send(uow, reply_to(caller, t.code_issued(code, _other(user_id))))

    async def redeem(self, caller: Caller, code: str) -> None:
        user_id = caller.person.user_id
        async with self._unit() as uow:
            now = self._clock()
            asked_by = await uow.links.take_code(code, now)
            if asked_by is None:
                raise UsageError(t.BAD_CODE)
            if not can_link(asked_by, user_id):
                raise UsageError(t.SAME_MESSENGER)
            await uow.links.link(*split_pair(asked_by, user_id), now)
            there = Caller(caller.person, asked_by, is_private=True)
            await self._send(
                uow,
                reply_to(caller, t.linked(_other(user_id))),
                reply_to(there, t.linked(messenger_of(user_id))),
            )
