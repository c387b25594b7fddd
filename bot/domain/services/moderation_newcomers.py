"""Newcomer check: restrict on joining, release on the button, remove when time runs out.

The deadline is stored with the check, so a restart does not forget it: the sweep
(`expire_due`, run by the scheduler) removes everyone whose time has passed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.domain.errors import NotFound, PermissionDenied
from bot.domain.models import Person, RegisteredChat
from bot.domain.moderation import ModEntry, ModKind, OpKind, TelegramOp, mod_button_data
from bot.domain.outgoing import Button, MessageRef, Outgoing, RefKind
from bot.domain.ports import UnitOfWork
from bot.domain.services.moderation import ModerationBase
from bot.texts import moderation as t

SAME_JOIN = timedelta(minutes=1)
"""A join seen again within this time (chat_member, then the service message) is the same."""


class NewcomerService(ModerationBase):
    async def joined(self, chat_id: int, *people: Person) -> None:
        """People joined a chat (a chat_member update, or the service message that may
        list several)."""
        ops: list[TelegramOp] = []
        chat_admins = await self._gateway.chat_admins(chat_id)
        async with self._unit() as uow:
            chat = await self._moderated_chat(uow, chat_id)
            if chat is None:
                return
            for person in people:
                ops += await self._welcome(uow, chat, person, chat_admins)
        await self._apply(ops)

    async def _welcome(
        self, uow: UnitOfWork, chat: RegisteredChat, person: Person, chat_admins: frozenset[int]
    ) -> list[TelegramOp]:
        chat_id = chat.place.chat_id
        now = self._clock()
        await uow.moderation.note_join(person.user_id, now)
        if await uow.moderation.joined_since(chat_id, person.user_id, now - SAME_JOIN):
            return []  # the same join seen twice (chat_member and the service message)
        settings = await self._settings(uow, chat_id)
        _, _, rules = await uow.moderation.chat_settings(chat_id)
        if not settings.newcomer_check or await self._is_exempt(uow, person.user_id, chat_admins):
            await uow.moderation.add_check(chat_id, person, at=now, deadline=now, status="skipped")
            text = t.welcome_plain(person.name, chat.name, rules, self._tags)
            await self._send(uow, self._in_chat(chat, text))
            return []
        deadline = now + settings.newcomer_timeout
        check_id = await uow.moderation.add_check(chat_id, person, at=now, deadline=deadline)
        assert check_id is not None
        await self._record(
            uow, ModEntry(ModKind.NEWCOMER, chat_id, person, now, reason="проверка новичка")
        )
        text = t.welcome(person.name, chat.name, rules, self._tags, settings.newcomer_timeout)
        button = Button(t.I_AM_RESIDENT, mod_button_data("ok", check_id))
        await self._send(
            uow,
            replace(
                self._in_chat(chat, text),
                buttons=((button,),),
                remember_as=MessageRef(RefKind.WELCOME, check_id),
            ),
        )
        return [TelegramOp(OpKind.RESTRICT, chat_id, person.user_id)]

    async def join_requested(self, chat_id: int, person: Person, user_chat_id: int) -> None:
        """A join request: the check happens in private, before approval."""
        async with self._unit() as uow:
            chat = await self._moderated_chat(uow, chat_id)
            if chat is None:
                return
            settings = await self._settings(uow, chat_id)
            if not settings.newcomer_check:
                return  # the chat's administrators approve requests themselves
            now = self._clock()
            check_id = await uow.moderation.add_check(
                chat_id,
                person,
                at=now,
                deadline=now + settings.newcomer_timeout,
                via_request=True,
            )
            if check_id is None:
                return
            await uow.moderation.note_join(person.user_id, now)
            button = Button(t.I_AM_RESIDENT, mod_button_data("ok", check_id))
            await self._send(
                uow,
                Outgoing(
                    chat_id=user_chat_id,
                    text=t.join_request_check(chat.name, settings.newcomer_timeout),
                    buttons=((button,),),
                    remember_as=MessageRef(RefKind.WELCOME, check_id),
                ),
            )

    async def pressed(self, check_id: int, presser: Person) -> None:
        """ "Я житель, не бот": only the newcomer's own press counts."""
        ops: list[TelegramOp] = []
        async with self._unit() as uow:
            check = await uow.moderation.get_check(check_id)
            if check is None:
                raise NotFound(t.CHECK_DONE)
            if check.user.user_id != presser.user_id:
                raise PermissionDenied(t.NOT_YOUR_BUTTON)
            if not await uow.moderation.finish_check(check_id, "passed"):
                raise NotFound(t.CHECK_DONE)
            now = self._clock()
            for entry in await uow.moderation.active(presser.user_id, (ModKind.NEWCOMER,)):
                if entry.chat_id == check.chat_id:
                    await uow.moderation.mark_undone(entry.id, presser, now)
            await self._record(uow, ModEntry(ModKind.PASSED, check.chat_id, presser, now))
            chat = await uow.moderation.registered(check.chat_id)
            name = chat.name if chat else ""
            _, _, rules = await uow.moderation.chat_settings(check.chat_id)
            if check.via_request:
                text = t.join_request_passed(name)
                ops.append(TelegramOp(OpKind.APPROVE_JOIN, check.chat_id, presser.user_id))
            else:
                text = t.welcome_passed(presser.name, name, rules, self._tags)
                ops.append(TelegramOp(OpKind.UNRESTRICT, check.chat_id, presser.user_id))
            await self._send(
                uow,
                Outgoing(
                    chat_id=check.chat_id,
                    text=text,
                    edit_of=MessageRef(RefKind.WELCOME, check_id),
                ),
            )
        await self._apply(ops)

    async def expire_due(self) -> int:
        """Remove newcomers whose time ran out (ban then unban, so they may come back)."""
        ops: list[TelegramOp] = []
        async with self._quiet() as uow:
            now = self._clock()
            for check in await uow.moderation.due_checks(now):
                if not await uow.moderation.finish_check(check.id, "expired"):
                    continue
                await self._record(
                    uow,
                    ModEntry(
                        ModKind.KICKED, check.chat_id, check.user, now, reason="не нажал кнопку"
                    ),
                )
                if check.via_request:
                    ops.append(TelegramOp(OpKind.DECLINE_JOIN, check.chat_id, check.user.user_id))
                else:
                    ops.append(TelegramOp(OpKind.KICK, check.chat_id, check.user.user_id))
                located = await uow.refs.locate(MessageRef(RefKind.WELCOME, check.id))
                if located is not None:
                    chat_id, message_id = located
                    ops.append(TelegramOp(OpKind.DELETE, chat_id, message_id=message_id))
        await self._apply(ops)
        return sum(op.kind in (OpKind.KICK, OpKind.DECLINE_JOIN) for op in ops)

    @staticmethod
    def _in_chat(chat: RegisteredChat, text: str) -> Outgoing:
        return Outgoing(chat_id=chat.place.chat_id, thread_id=chat.place.thread_id, text=text)
