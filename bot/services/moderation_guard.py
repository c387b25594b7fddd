"""Anti-spam and anti-flood on every message in the residents' chats.

Cheap for the common case: one lookup of the sender's probation record and the role; the
chat's administrators are asked from Telegram only when the bot is about to act.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.domain.buttons import mod_button_data
from bot.domain.flood import DuplicateDetector, FloodTracker
from bot.domain.models import ChatPlace, Person, RegisteredChat, Role
from bot.domain.moderation import ChatModeration, ModEntry, ModKind, on_probation
from bot.domain.outgoing import (
    Button,
    MemberAction,
    MessageRef,
    Outgoing,
    RefKind,
    delete_message,
    member_op,
)
from bot.domain.spam import MessageFacts, SpamPolicy, SpamVerdict, check_message, should_check
from bot.services.moderation import ChatAdmins, ModerationBase
from bot.services.ports import Clock, UnitOfWorkFactory
from bot.services.roles import RoleService
from bot.services.staff import to_staff
from bot.texts import moderation as t


@dataclass(frozen=True, slots=True)
class GroupMessage:
    place: ChatPlace
    message_id: int
    author: Person
    facts: MessageFacts


class GuardService(ModerationBase):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        roles: RoleService,
        chat_admins: ChatAdmins,
        defaults: ChatModeration,
        specialists_moderate: bool,
        tags: tuple[str, ...],
        zone: ZoneInfo,
        policy: SpamPolicy,
        duplicate_window: timedelta,
        duplicate_min_chats: int,
    ) -> None:
        super().__init__(
            uow_factory,
            clock,
            wake,
            roles=roles,
            chat_admins=chat_admins,
            defaults=defaults,
            specialists_moderate=specialists_moderate,
            tags=tags,
            zone=zone,
        )
        self._policy = policy
        self._duplicates = DuplicateDetector(duplicate_window, min_chats=duplicate_min_chats)
        self._flood: dict[tuple[int, int], FloodTracker] = {}

    def _tracker(self, settings: ChatModeration) -> FloodTracker:
        key = (settings.flood_messages, settings.flood_seconds)
        if key not in self._flood:
            self._flood[key] = FloodTracker(key[0], timedelta(seconds=key[1]))
        return self._flood[key]

    async def observe(self, message: GroupMessage, chat: RegisteredChat, role: Role) -> bool:
        """Check one message in a moderated chat, sent by someone with `role` (both resolved
        once for the update); True when the bot removed it (nothing else should handle it)."""
        facts = message.facts
        if role is not Role.RESIDENT:
            return False
        async with self._uow_factory.reader() as uow:
            settings = await self._settings(uow, facts.chat_id)
            member = await uow.moderation.member(facts.user_id)
        probation = on_probation(member, facts.sent_at, settings)
        flooding = settings.antiflood and self._tracker(settings).observe(
            facts.chat_id, facts.user_id, facts.sent_at
        )
        verdict = None
        if settings.antispam and should_check(probation):
            duplicate = self._duplicates.observe(facts)
            verdict = check_message(facts, self._policy, duplicate=duplicate)
        acting = flooding or (verdict is not None and verdict.is_spam)
        if acting and facts.user_id in await self._chat_admins(facts.chat_id):
            acting = False
        if not acting:
            if probation:
                async with self._quiet() as uow:
                    await uow.moderation.count_message(facts.user_id)
            return False
        if verdict is not None and verdict.is_spam:
            await self._remove_spam(message, chat, verdict)
            return True
        await self._mute_flood(message, chat, settings)
        return False

    async def _remove_spam(
        self, message: GroupMessage, chat: RegisteredChat, verdict: SpamVerdict
    ) -> None:
        async with self._unit() as uow:
            now = self._clock()
            community = await uow.moderation.community()
            chats = tuple(dict.fromkeys((message.place.chat_id, *community)))
            entry = await self._record(
                uow,
                ModEntry(
                    ModKind.SPAM,
                    message.place.chat_id,
                    message.author,
                    now,
                    reason=t.spam_reason(verdict.reasons),
                    text=message.facts.text,
                    thread_id=message.place.thread_id,
                    message_id=message.message_id,
                    chats=chats,
                ),
            )
            buttons = (
                (
                    Button(t.RESTORE, mod_button_data("undo", entry.id)),
                    Button(t.BAN, mod_button_data("ban", entry.id)),
                ),
            )
            user_id = message.author.user_id
            await self._send(
                uow,
                delete_message(message.place.chat_id, message.message_id),
                *(member_op(MemberAction.RESTRICT, c, user_id) for c in chats),
                *await to_staff(
                    uow,
                    Outgoing(
                        chat_id=0,
                        text=t.spam_card(entry, chat.name, self._zone),
                        buttons=buttons,
                        remember_as=MessageRef(RefKind.MOD_CARD, entry.id),
                    ),
                ),
            )

    async def _mute_flood(
        self, message: GroupMessage, chat: RegisteredChat, settings: ChatModeration
    ) -> None:
        chat_id = message.place.chat_id
        async with self._quiet() as uow:
            now = self._clock()
            until = now + settings.flood_mute
            await self._record(
                uow,
                ModEntry(
                    ModKind.FLOOD,
                    chat_id,
                    message.author,
                    now,
                    reason=f"больше {settings.flood_messages} сообщений "
                    f"за {settings.flood_seconds} с",
                    thread_id=message.place.thread_id,
                    until=until,
                ),
            )
            await self._send(
                uow,
                member_op(MemberAction.RESTRICT, chat_id, message.author.user_id, until),
                Outgoing(
                    chat_id=chat_id,
                    thread_id=message.place.thread_id,
                    text=t.flood_notice(message.author.name, settings.flood_mute),
                ),
            )
