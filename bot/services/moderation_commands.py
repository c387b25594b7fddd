"""Moderator commands and undo: /warn /unwarn /mute /unmute /ban /unban /del, card buttons.

Each command deletes itself and leaves a short public notice. Bans and spam restrictions
apply in every registered residents' chat; warnings count across chats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.domain.errors import NotFound, UsageError
from bot.domain.links import on_person, removes_instead_of_mute
from bot.domain.models import Caller, Person, RegisteredChat
from bot.domain.moderation import MUTES, SUSPECTED, ModEntry, ModKind, undo_ops
from bot.domain.outgoing import (
    MemberAction,
    MessageRef,
    Outgoing,
    RefKind,
    delete_message,
    member_op,
)
from bot.services.moderation import ModerationBase
from bot.services.ports import UnitOfWork
from bot.services.spam_memory import SpamMemory
from bot.texts import moderation as t
from bot.texts import spam as spam_texts


@dataclass(frozen=True, slots=True)
class Target:
    """The member a command is about, from the message it replies to."""

    person: Person
    message_id: int | None = None
    text: str = ""


class ModeratorService(ModerationBase):
    def __init__(self, *args: Any, memory: SpamMemory, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._memory = memory

    # --- helpers ----------------------------------------------------------------------------

    async def _command_chat(self, uow: UnitOfWork, caller: Caller) -> RegisteredChat:
        await self._require_moderator(uow, caller)
        chat = await self._moderated_chat(uow, caller.chat_id)
        if chat is None or caller.is_private:
            raise UsageError(t.NOT_MODERATED_HERE)
        return chat

    def _notice(self, caller: Caller, text: str) -> Outgoing:
        return Outgoing(chat_id=caller.chat_id, thread_id=caller.thread_id, text=text)

    def _cleanup(self, caller: Caller) -> list[Outgoing]:
        """The command's own message goes: moderation leaves only its short notice."""
        if caller.message_id is None:
            return []
        return [delete_message(caller.chat_id, caller.message_id)]

    def _entry(self, kind: ModKind, caller: Caller, target: Target, **fields: object) -> ModEntry:
        return ModEntry(
            kind,
            caller.chat_id,
            target.person,
            self._clock(),
            actor=caller.person,
            thread_id=caller.thread_id,
            **fields,  # type: ignore[arg-type]
        )

    # --- warnings ---------------------------------------------------------------------------

    async def warn(self, caller: Caller, target: Target, reason: str) -> None:
        admins = await self._chat_admins(caller.chat_id)
        ops = self._cleanup(caller)
        async with self._unit() as uow:
            await self._command_chat(uow, caller)
            await self._require_target(uow, target.person, admins)
            text, more = await self._warn(uow, caller, target, reason)
            await self._send(uow, *ops, *more, self._notice(caller, text))

    async def _warn(
        self, uow: UnitOfWork, caller: Caller, target: Target, reason: str
    ) -> tuple[str, list[Outgoing]]:
        """Record a warning; the one that reaches the limit mutes (warnings count everywhere)."""
        settings = await self._settings(uow, caller.chat_id)
        await self._record(uow, self._entry(ModKind.WARN, caller, target, reason=reason))
        active = await uow.moderation.active(target.person.user_id, (ModKind.WARN,))
        name = target.person.name
        if len(active) < settings.max_warnings:
            return t.warned(name, len(active), settings.max_warnings, reason), []
        await uow.moderation.settle([entry.id for entry in active])
        until = self._clock() + settings.warn_mute
        mute_reason = f"{settings.max_warnings} предупр."
        await self._record(
            uow, self._entry(ModKind.MUTE, caller, target, reason=mute_reason, until=until)
        )
        if removes_instead_of_mute(caller.chat_id):
            text = t.warned_and_removed(name, settings.max_warnings, reason)
        else:
            text = t.warned_and_muted(name, settings.max_warnings, settings.warn_mute, reason)
        ops = on_person(
            MemberAction.RESTRICT, (caller.chat_id,), target.person.user_id, None, until
        )
        return text, ops

    async def unwarn(self, caller: Caller, target: Target) -> None:
        ops = self._cleanup(caller)
        async with self._unit() as uow:
            await self._command_chat(uow, caller)
            active = await uow.moderation.active(target.person.user_id, (ModKind.WARN,))
            if not active:
                raise UsageError(t.no_warnings(target.person.name))
            now = self._clock()
            await uow.moderation.mark_undone(active[0].id, caller.person, now)
            await self._record(uow, self._entry(ModKind.UNWARN, caller, target))
            await self._send(
                uow, *ops, self._notice(caller, t.unwarned(target.person.name, len(active) - 1))
            )

    # --- mutes ------------------------------------------------------------------------------

    def mute_default(self) -> timedelta:
        return self._defaults.mute_default

    async def mute(self, caller: Caller, target: Target, length: timedelta, reason: str) -> None:
        admins = await self._chat_admins(caller.chat_id)
        ops = self._cleanup(caller)
        async with self._unit() as uow:
            await self._command_chat(uow, caller)
            await self._require_target(uow, target.person, admins)
            until = self._clock() + length
            await self._record(
                uow, self._entry(ModKind.MUTE, caller, target, reason=reason, until=until)
            )
            if removes_instead_of_mute(caller.chat_id):
                text = t.removed_instead_of_mute(target.person.name, reason)
            else:
                text = t.muted(target.person.name, length, reason)
            ops += on_person(
                MemberAction.RESTRICT, (caller.chat_id,), target.person.user_id, None, until
            )
            await self._send(uow, *ops, self._notice(caller, text))

    async def unmute(self, caller: Caller, target: Target) -> None:
        ops = self._cleanup(caller)
        async with self._unit() as uow:
            await self._command_chat(uow, caller)
            now = self._clock()
            for entry in await uow.moderation.active(target.person.user_id, MUTES):
                if caller.chat_id in entry.applies_to():
                    await uow.moderation.mark_undone(entry.id, caller.person, now)
            await self._record(uow, self._entry(ModKind.UNMUTE, caller, target))
            await self._send(
                uow,
                *ops,
                member_op(MemberAction.RELEASE, caller.chat_id, target.person.user_id),
                self._notice(caller, t.unmuted(target.person.name)),
            )

    # --- bans -------------------------------------------------------------------------------

    async def ban(self, caller: Caller, target: Target, reason: str) -> None:
        admins = await self._chat_admins(caller.chat_id)
        ops = self._cleanup(caller)
        async with self._unit() as uow:
            await self._command_chat(uow, caller)
            await self._require_target(uow, target.person, admins)
            ops += await self._ban(uow, caller, target, reason)
            await self._send(uow, *ops, self._notice(caller, t.banned(target.person.name, reason)))

    async def _ban(
        self, uow: UnitOfWork, caller: Caller, target: Target, reason: str
    ) -> list[Outgoing]:
        chats = tuple(dict.fromkeys((caller.chat_id, *await uow.moderation.community())))
        await self._record(
            uow, self._entry(ModKind.BAN, caller, target, reason=reason, chats=chats)
        )
        linked = await uow.links.linked(target.person.user_id)
        return on_person(MemberAction.BAN, chats, target.person.user_id, linked)

    async def unban(self, caller: Caller, target: Target) -> None:
        ops = self._cleanup(caller)
        async with self._unit() as uow:
            await self._command_chat(uow, caller)
            bans = await uow.moderation.active(target.person.user_id, (ModKind.BAN,))
            if not bans:
                raise UsageError(t.NOT_BANNED)
            now = self._clock()
            chats: dict[int, None] = {}
            for entry in bans:
                await uow.moderation.mark_undone(entry.id, caller.person, now)
                chats.update(dict.fromkeys(entry.applies_to()))
            name = bans[0].target.name
            person = Person(target.person.user_id, name)
            await self._record(
                uow, self._entry(ModKind.UNBAN, caller, Target(person), chats=tuple(chats))
            )
            ops += [member_op(MemberAction.UNBAN, chat, person.user_id) for chat in chats]
            await self._send(uow, *ops, self._notice(caller, t.unbanned(name)))

    # --- deleting ---------------------------------------------------------------------------

    async def delete(self, caller: Caller, target: Target, reason: str) -> None:
        if target.message_id is None:
            raise UsageError(t.USAGE_DEL)
        await self._delete(caller, target, reason, t.deleted(reason), as_spam=False)

    async def mark_spam(self, caller: Caller, target: Target) -> None:
        """/spam in reply: delete the message and teach every chat that its text is spam."""
        if target.message_id is None or not target.text.strip():
            raise UsageError(spam_texts.USAGE_SPAM)
        await self._delete(caller, target, "спам", spam_texts.MARKED_SPAM, as_spam=True)

    async def _delete(
        self, caller: Caller, target: Target, reason: str, notice: str, *, as_spam: bool
    ) -> None:
        assert target.message_id is not None
        admins = await self._chat_admins(caller.chat_id)
        ops = self._cleanup(caller)
        async with self._unit() as uow:
            await self._command_chat(uow, caller)
            await self._require_target(uow, target.person, admins)
            await self._record(
                uow,
                self._entry(
                    ModKind.DELETE,
                    caller,
                    target,
                    reason=reason,
                    text=target.text,
                    message_id=target.message_id,
                ),
            )
            if as_spam:
                await self._memory.teach(
                    uow, target.text, True, source="spam", actor_id=caller.person.user_id
                )
            await self._send(
                uow,
                *ops,
                delete_message(caller.chat_id, target.message_id),
                self._notice(caller, notice),
            )

    # --- undo and card buttons --------------------------------------------------------------

    async def undo(self, caller: Caller, entry_id: int) -> None:
        """Reverse an audit-log entry: unrestrict, unban, withdraw a warning, re-post a text."""
        async with self._unit() as uow:
            await self._require_moderator(uow, caller)
            entry = await uow.moderation.get_action(entry_id)
            if entry is None or not entry.undoable:
                raise NotFound(t.NOTHING_TO_UNDO)
            now = self._clock()
            if not await uow.moderation.mark_undone(entry.id, caller.person, now):
                raise NotFound(t.NOTHING_TO_UNDO)
            kind = ModKind.RESTORE if entry.text else ModKind.UNDO
            await self._record(
                uow,
                ModEntry(
                    kind,
                    entry.chat_id,
                    entry.target,
                    now,
                    actor=caller.person,
                    reason=f"отмена #{entry.id}",
                    chats=entry.chats,
                ),
            )
            messages: list[Outgoing] = undo_ops(entry)
            if entry.text and entry.kind in (ModKind.SPAM, ModKind.DELETE):
                messages.append(
                    Outgoing(
                        chat_id=entry.chat_id,
                        thread_id=entry.thread_id,
                        text=t.restored_message(entry.target.name, entry.text),
                    )
                )
            if entry.kind in SUSPECTED:
                # The bot was wrong: every chat learns the text is fine.
                await self._memory.teach(
                    uow, entry.text, False, source="restore", actor_id=caller.person.user_id
                )
                await uow.moderation.trust(entry.target.user_id)
                outcome = (
                    spam_texts.not_spam_by(caller.person.name)
                    if entry.kind is ModKind.WATCH
                    else t.restored_by(caller.person.name)
                )
                messages += await self._card_outcome(uow, entry, outcome)
            messages.append(
                Outgoing(
                    chat_id=caller.chat_id,
                    thread_id=caller.thread_id,
                    text=t.undone(entry.id, caller.person.name),
                )
            )
            await self._send(uow, *messages)

    async def ban_from_card(self, caller: Caller, entry_id: int) -> None:
        """ "Забанить" on a spam card: the author is banned in every chat of the community."""
        async with self._unit() as uow:
            await self._require_moderator(uow, caller)
            entry = await uow.moderation.get_action(entry_id)
            if entry is None:
                raise NotFound(t.NOTHING_TO_UNDO)
            if await uow.moderation.active(entry.target.user_id, (ModKind.BAN,)):
                raise NotFound(t.banned(entry.target.name, ""))
            place = Caller(caller.person, entry.chat_id, entry.thread_id)
            ops = await self._ban(uow, place, Target(entry.target), entry.reason)
            if entry.kind is ModKind.WATCH and entry.message_id is not None:
                ops.append(delete_message(entry.chat_id, entry.message_id))
            # A moderator confirmed it: every chat learns the text is spam.
            await self._memory.teach(
                uow, entry.text, True, source="ban", actor_id=caller.person.user_id
            )
            await self._send(
                uow,
                *ops,
                *await self._card_outcome(uow, entry, t.banned_by(caller.person.name)),
            )

    async def _card_outcome(
        self, uow: UnitOfWork, entry: ModEntry, outcome: str
    ) -> list[Outgoing]:
        chat = await uow.moderation.registered(entry.chat_id)
        name = chat.name if chat else str(entry.chat_id)
        located = await uow.refs.locate(MessageRef(RefKind.MOD_CARD, entry.id))
        if located is None:
            return []
        return [
            Outgoing(
                chat_id=located[0],
                text=t.spam_card_done(entry, name, self._zone, outcome),
                edit_of=MessageRef(RefKind.MOD_CARD, entry.id),
            )
        ]

    # --- residents' reports -----------------------------------------------------------------

    async def on_report(self, caller: Caller, report_id: int, action: str) -> None:
        """A button on a report card: "rdel" delete, "rwarn" warn the author, "rno" dismiss."""
        admins: frozenset[int] = frozenset()
        async with self._uow_factory.reader() as uow:
            report = await uow.moderation.get_report(report_id)
        if report is None:
            raise NotFound(t.NOTHING_TO_UNDO)
        if action != "rno":
            admins = await self._chat_admins(report.chat_id)
        async with self._unit() as uow:
            await self._require_moderator(uow, caller)
            if action != "rno":
                await self._require_target(uow, report.author, admins)
            status = {"rdel": "deleted", "rwarn": "warned"}.get(action, "dismissed")
            if not await uow.moderation.close_report(report_id, status):
                raise NotFound(t.NOTHING_TO_UNDO)
            place = Caller(caller.person, report.chat_id, report.thread_id)
            target = Target(report.author, report.message_id, report.text)
            messages: list[Outgoing] = []
            if status == "deleted":
                await self._record(
                    uow,
                    self._entry(
                        ModKind.DELETE,
                        place,
                        target,
                        reason="жалоба жителей",
                        text=report.text,
                        message_id=report.message_id,
                    ),
                )
                messages.append(delete_message(report.chat_id, report.message_id))
                messages.append(self._notice(place, t.deleted("жалоба жителей")))
            elif status == "warned":
                text, more = await self._warn(uow, place, target, "жалоба жителей")
                messages += more
                messages.append(self._notice(place, text))
            chat = await uow.moderation.registered(report.chat_id)
            card = t.report_card(report, chat.name if chat else "", None)
            messages.append(
                Outgoing(
                    chat_id=caller.chat_id,
                    text=t.report_closed(card, t.REPORT_OUTCOMES[status], caller.person.name),
                    edit_of=MessageRef(RefKind.REPORT_CARD, report_id),
                )
            )
            await self._send(uow, *messages)
