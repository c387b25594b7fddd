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
from bot.domain.links import on_person
from bot.domain.models import ChatPlace, Person, RegisteredChat, Role
from bot.domain.moderation import ChatModeration, ModEntry, ModKind, on_probation
from bot.domain.outgoing import (
    Button,
    MemberAction,
    MessageRef,
    Outgoing,
    RefKind,
    delete_message,
)
from bot.domain.spam import MessageFacts, should_check
from bot.domain.spam_judge import Judgement, Thresholds
from bot.services.moderation import ChatAdmins, ModerationBase
from bot.services.ports import Clock, UnitOfWorkFactory
from bot.services.roles import RoleService
from bot.services.spam_memory import SpamMemory
from bot.services.staff import to_staff
from bot.texts import moderation as t
from bot.texts import spam as spam_texts


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
        memory: SpamMemory,
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
        self._memory = memory
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
        probation = should_check(on_probation(member, facts.sent_at, settings))
        flooding = settings.antiflood and self._tracker(settings).observe(
            facts.chat_id, facts.user_id, facts.sent_at
        )
        judgement = None
        if settings.antispam:
            # Similarity to removed spam applies to everyone; the rest to probation only.
            duplicate = probation and self._duplicates.observe(facts)
            judge = await self._memory.judge()
            judgement = judge.judge(
                facts, probation=probation, thresholds=thresholds(settings), duplicate=duplicate
            )
        spam = judgement is not None and judgement.is_spam
        acting = flooding or spam
        if acting and facts.user_id in await self._chat_admins(facts.chat_id):
            acting = False
        if not acting:
            if probation:
                async with self._quiet() as uow:
                    await uow.moderation.count_message(facts.user_id)
            return False
        if judgement is not None and spam:
            await self._suspect(message, chat, judgement, watch=settings.spam_watch)
            return not settings.spam_watch
        await self._mute_flood(message, chat, settings)
        return False

    async def _suspect(
        self, message: GroupMessage, chat: RegisteredChat, judgement: Judgement, *, watch: bool
    ) -> None:
        """Remove suspected spam (delete, restrict everywhere) or, in "watch only" mode, just
        report it; either way the staff get a card with the signals and their scores."""
        signals = tuple((str(s.signal), float(s.value), s.fired) for s in judgement.scores)
        async with self._unit() as uow:
            now = self._clock()
            community = await uow.moderation.community()
            chats = tuple(dict.fromkeys((message.place.chat_id, *community)))
            entry = await self._record(
                uow,
                ModEntry(
                    ModKind.WATCH if watch else ModKind.SPAM,
                    message.place.chat_id,
                    message.author,
                    now,
                    reason=spam_texts.fired_names(signals),
                    text=message.facts.text,
                    thread_id=message.place.thread_id,
                    message_id=message.message_id,
                    chats=chats,
                    signals=signals,
                ),
            )
            first = spam_texts.NOT_SPAM if watch else t.RESTORE
            buttons = (
                (
                    Button(first, mod_button_data("undo", entry.id)),
                    Button(t.BAN, mod_button_data("ban", entry.id)),
                ),
            )
            user_id = message.author.user_id
            actions: list[Outgoing] = []
            if not watch:
                actions.append(delete_message(message.place.chat_id, message.message_id))
                linked = await uow.links.linked(user_id)
                actions += on_person(MemberAction.RESTRICT, chats, user_id, linked)
            await self._send(
                uow,
                *actions,
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
                *on_person(MemberAction.RESTRICT, (chat_id,), message.author.user_id, None, until),
                Outgoing(
                    chat_id=chat_id,
                    thread_id=message.place.thread_id,
                    text=t.flood_notice(message.author.name, settings.flood_mute),
                ),
            )


def thresholds(settings: ChatModeration) -> Thresholds:
    """The anti-spam thresholds in force in one chat."""
    return Thresholds(
        bayes=settings.spam_bayes / 100,
        similarity=settings.spam_similarity,
        emoji=settings.spam_emoji,
    )
