"""Newcomer check: restrict on joining, release on the button (or the right answer to the
street question), remove when time runs out or the answer is wrong.

A wrong street removes the newcomer at once, like the timeout (ban then unban, so they may
join again and answer again): a second try on four choices would give a guesser even odds.

The deadline is stored with the check, so a restart does not forget it: the sweep
(`expire_due`, run by the scheduler) removes everyone whose time has passed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.domain.buttons import answer_button_data, mod_button_data
from bot.domain.errors import NotFound, PermissionDenied
from bot.domain.links import on_person, removes_instead_of_mute
from bot.domain.messengers import Messenger, messenger_of
from bot.domain.models import Person, RegisteredChat
from bot.domain.moderation import ChatModeration, ModEntry, ModKind, NewcomerCheck
from bot.domain.outgoing import (
    Button,
    MemberAction,
    MessageRef,
    OpKind,
    Outgoing,
    RefKind,
    delete_message,
    member_op,
)
from bot.domain.street_check import is_right_answer, street_choices
from bot.services.moderation import ModerationBase
from bot.services.ports import UnitOfWork
from bot.services.spam_memory import SpammerLookup
from bot.services.staff import to_staff
from bot.texts import moderation as t
from bot.texts import spam as spam_texts

SAME_JOIN = timedelta(minutes=1)
"""A join seen again within this time (chat_member, then the service message) is the same."""


class NewcomerService(ModerationBase):
    def __init__(self, *args: Any, lookup: SpammerLookup, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lookup = lookup

    async def joined(self, chat_id: int, *people: Person) -> None:
        """People joined a chat (a chat_member update, or the service message that may
        list several). Accounts on the list of known spammers are banned at once."""
        chat_admins = await self._chat_admins(chat_id)
        # The list of known spammers (CAS) holds Telegram accounts only.
        listed = {
            p.user_id
            for p in people
            if messenger_of(p.user_id) is Messenger.TELEGRAM
            and await self._lookup.is_listed(p.user_id)
        }
        async with self._unit() as uow:
            chat = await self._moderated_chat(uow, chat_id)
            if chat is None:
                return
            for person in people:
                if person.user_id in listed and not await self._is_exempt(
                    uow, person.user_id, chat_admins
                ):
                    await self._ban_listed(uow, chat, person)
                else:
                    await self._welcome(uow, chat, person, chat_admins)

    async def _ban_listed(self, uow: UnitOfWork, chat: RegisteredChat, person: Person) -> None:
        chat_id = chat.place.chat_id
        chats = tuple(dict.fromkeys((chat_id, *await uow.moderation.community())))
        entry = ModEntry(
            ModKind.BAN,
            chat_id,
            person,
            self._clock(),
            reason=spam_texts.CAS_REASON,
            chats=chats,
            signals=(("cas", 1.0, True),),
        )
        await self._record(uow, entry)
        card = Outgoing(
            chat_id=0, text=spam_texts.cas_card(person.name, person.user_id, chat.name)
        )
        await self._send(
            uow,
            *on_person(
                MemberAction.BAN, chats, person.user_id, await uow.links.linked(person.user_id)
            ),
            *await to_staff(uow, card),
        )

    async def _welcome(
        self, uow: UnitOfWork, chat: RegisteredChat, person: Person, chat_admins: frozenset[int]
    ) -> None:
        chat_id = chat.place.chat_id
        now = self._clock()
        await uow.moderation.note_join(person.user_id, now)
        if await uow.moderation.joined_since(chat_id, person.user_id, now - SAME_JOIN):
            return  # the same join seen twice (chat_member and the service message)
        settings = await self._settings(uow, chat_id)
        _, _, rules = await uow.moderation.chat_settings(chat_id)
        if not settings.newcomer_check or await self._is_exempt(uow, person.user_id, chat_admins):
            await uow.moderation.add_check(chat_id, person, at=now, deadline=now, status="skipped")
            text = t.welcome_plain(person.name, chat.name, rules, self._tags)
            await self._send(uow, self._in_chat(chat, text))
            return
        deadline = now + settings.newcomer_timeout
        choices, answer = await self._question(uow, chat_id, person.user_id, settings)
        check_id = await uow.moderation.add_check(
            chat_id, person, at=now, deadline=deadline, choices=choices, answer=answer
        )
        assert check_id is not None
        reason = t.REASON_CHECK_QUESTION if choices else t.REASON_CHECK_BUTTON
        await self._record(uow, ModEntry(ModKind.NEWCOMER, chat_id, person, now, reason=reason))
        timeout = settings.newcomer_timeout
        if choices:
            text = t.welcome_question(person.name, chat.name, rules, self._tags, timeout)
        else:
            text = t.welcome(person.name, chat.name, rules, self._tags, timeout)
        # Where members cannot be restricted (MAX), the newcomer's messages are deleted until
        # they pass instead (`held`).
        hold = (
            []
            if removes_instead_of_mute(chat_id)
            else [member_op(MemberAction.RESTRICT, chat_id, person.user_id)]
        )
        await self._send(
            uow,
            *hold,
            replace(
                self._in_chat(chat, text),
                buttons=_check_buttons(check_id, choices),
                remember_as=MessageRef(RefKind.WELCOME, check_id),
            ),
        )

    async def _question(
        self, uow: UnitOfWork, chat_id: int, user_id: int, settings: ChatModeration
    ) -> tuple[tuple[str, ...], str | None]:
        """The street question's choices and answer; none (the button) where the chat has no
        street set or the question is off."""
        if not settings.newcomer_question:
            return (), None
        street = await uow.moderation.street(chat_id)
        if street is None:
            return (), None
        others = await uow.moderation.other_streets(chat_id)
        return street_choices(street, others, chat_id=chat_id, user_id=user_id), street

    async def join_requested(self, chat_id: int, person: Person, user_chat_id: int) -> None:
        """A join request: the check happens in private, before approval; a known spammer
        is banned instead."""
        listed = await self._lookup.is_listed(person.user_id)
        async with self._unit() as uow:
            chat = await self._moderated_chat(uow, chat_id)
            if chat is None:
                return
            if listed:
                await self._ban_listed(uow, chat, person)
                return
            settings = await self._settings(uow, chat_id)
            if not settings.newcomer_check:
                return  # the chat's administrators approve requests themselves
            now = self._clock()
            choices, answer = await self._question(uow, chat_id, person.user_id, settings)
            check_id = await uow.moderation.add_check(
                chat_id,
                person,
                at=now,
                deadline=now + settings.newcomer_timeout,
                via_request=True,
                choices=choices,
                answer=answer,
            )
            if check_id is None:
                return
            await uow.moderation.note_join(person.user_id, now)
            timeout = settings.newcomer_timeout
            await self._send(
                uow,
                Outgoing(
                    chat_id=user_chat_id,
                    text=(
                        t.join_request_question(chat.name, timeout)
                        if choices
                        else t.join_request_check(chat.name, timeout)
                    ),
                    buttons=_check_buttons(check_id, choices),
                    remember_as=MessageRef(RefKind.WELCOME, check_id),
                ),
            )

    async def held(self, chat_id: int, user_id: int, message_id: int) -> bool:
        """A message from a newcomer who has not passed the check, in a chat whose members
        cannot be restricted (MAX): deleted; True if so (nothing else should handle it)."""
        if not removes_instead_of_mute(chat_id):
            return False
        async with self._uow_factory.reader() as uow:
            check = await uow.moderation.pending_check(chat_id, user_id)
        if check is None:
            return False
        async with self._quiet() as uow:
            await self._send(uow, delete_message(chat_id, message_id))
        return True

    async def pressed(self, check_id: int, presser: Person) -> None:
        """ "Я житель, не бот": only the newcomer's own press counts."""
        async with self._unit() as uow:
            check = await self._own_check(uow, check_id, presser)
            if check.is_question:
                raise PermissionDenied(t.ANSWER_THE_QUESTION)
            await self._pass(uow, check, presser)

    async def answered(self, check_id: int, presser: Person, index: int) -> str | None:
        """A street pressed under the question: the right one releases the newcomer like the
        button; a wrong one removes them (or declines the join request) at once.

        Returns what to tell the presser, if anything."""
        reply: str | None = None
        async with self._unit() as uow:
            check = await self._own_check(uow, check_id, presser)
            if not check.is_question:
                raise NotFound(t.CHECK_DONE)
            assert check.answer is not None
            if is_right_answer(check.choices, check.answer, index):
                await self._pass(uow, check, presser)
            else:
                if not await uow.moderation.finish_check(check_id, "failed"):
                    raise NotFound(t.CHECK_DONE)
                chosen = check.choices[index] if 0 <= index < len(check.choices) else "?"
                await self._send(
                    uow,
                    *await self._remove(uow, check, t.REASON_WRONG_STREET, f"ответ: {chosen}"),
                )
                if check.via_request:
                    reply = t.WRONG_STREET_REQUEST
                    chat = await uow.moderation.registered(check.chat_id)
                    await self._send(
                        uow,
                        Outgoing(
                            chat_id=check.chat_id,
                            text=t.join_request_failed(chat.name if chat else ""),
                            edit_of=MessageRef(RefKind.WELCOME, check_id),
                        ),
                    )
                else:
                    reply = t.WRONG_STREET
        return reply

    async def _own_check(self, uow: UnitOfWork, check_id: int, presser: Person) -> NewcomerCheck:
        check = await uow.moderation.get_check(check_id)
        if check is None:
            raise NotFound(t.CHECK_DONE)
        if check.user.user_id != presser.user_id:
            raise PermissionDenied(t.NOT_YOUR_BUTTON)
        return check

    async def _pass(self, uow: UnitOfWork, check: NewcomerCheck, presser: Person) -> None:
        """Release the newcomer (or approve the request) and thank them under the welcome."""
        if not await uow.moderation.finish_check(check.id, "passed"):
            raise NotFound(t.CHECK_DONE)
        now = self._clock()
        for entry in await uow.moderation.active(presser.user_id, (ModKind.NEWCOMER,)):
            if entry.chat_id == check.chat_id:
                await uow.moderation.mark_undone(entry.id, presser, now)
        reason = t.REASON_RIGHT_STREET if check.is_question else ""
        await self._record(
            uow, ModEntry(ModKind.PASSED, check.chat_id, presser, now, reason=reason)
        )
        chat = await uow.moderation.registered(check.chat_id)
        name = chat.name if chat else ""
        _, _, rules = await uow.moderation.chat_settings(check.chat_id)
        if check.via_request:
            text = t.join_request_passed(name)
            action = MemberAction.APPROVE_JOIN
        else:
            text = t.welcome_passed(presser.name, name, rules, self._tags)
            action = MemberAction.RELEASE
        await self._send(
            uow,
            *on_person(action, (check.chat_id,), presser.user_id, None),
            Outgoing(
                chat_id=check.chat_id, text=text, edit_of=MessageRef(RefKind.WELCOME, check.id)
            ),
        )

    async def _remove(
        self, uow: UnitOfWork, check: NewcomerCheck, reason: str, text: str = ""
    ) -> list[Outgoing]:
        """Record the failed check and remove the newcomer (they may come back); a welcome in
        the group is deleted, a private one stays for the caller to edit."""
        now = self._clock()
        await self._record(
            uow,
            ModEntry(ModKind.KICKED, check.chat_id, check.user, now, reason=reason, text=text),
        )
        if check.via_request:
            return [member_op(MemberAction.DECLINE_JOIN, check.chat_id, check.user.user_id)]
        ops = [member_op(MemberAction.KICK, check.chat_id, check.user.user_id)]
        located = await uow.refs.locate(MessageRef(RefKind.WELCOME, check.id))
        if located is not None:
            ops.append(delete_message(*located))
        return ops

    async def expire_due(self) -> int:
        """Remove newcomers whose time ran out (ban then unban, so they may come back)."""
        ops: list[Outgoing] = []
        async with self._quiet() as uow:
            now = self._clock()
            for check in await uow.moderation.due_checks(now):
                if not await uow.moderation.finish_check(check.id, "expired"):
                    continue
                reason = t.REASON_NO_ANSWER if check.is_question else t.REASON_NO_PRESS
                removal = await self._remove(uow, check, reason)
                if check.via_request:
                    # The private message is deleted like a welcome in the group.
                    located = await uow.refs.locate(MessageRef(RefKind.WELCOME, check.id))
                    if located is not None:
                        removal.append(delete_message(*located))
                await self._send(uow, *removal)
                ops += removal
        return sum(op.kind in (OpKind.KICK, OpKind.DECLINE_JOIN) for op in ops)

    @staticmethod
    def _in_chat(chat: RegisteredChat, text: str) -> Outgoing:
        return Outgoing(chat_id=chat.place.chat_id, thread_id=chat.place.thread_id, text=text)


def _check_buttons(check_id: int, choices: tuple[str, ...]) -> tuple[tuple[Button, ...], ...]:
    """The button, or the streets two to a row."""
    if not choices:
        return ((Button(t.I_AM_RESIDENT, mod_button_data("ok", check_id)),),)
    buttons = [Button(street, answer_button_data(check_id, i)) for i, street in enumerate(choices)]
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
