"""Moderation on MAX, as far as MAX allows: the newcomer check on `user_added` (no restrict:
the newcomer's messages are deleted until they press the button, and a timeout removes
them), the spam and flood guard (delete and remove), and /warn, /mute, /ban by reply (a mute
is a removal there, and says so). The rules are the services'; this only parses."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain.errors import UsageError
from bot.domain.models import Caller, Person
from bot.domain.spam import MessageFacts
from bot.services.moderation_commands import ModeratorService, Target
from bot.services.moderation_guard import GroupMessage, GuardService
from bot.services.moderation_newcomers import NewcomerService
from bot.services.scope import Scope
from bot.texts import moderation as t

from .updates import MaxMessageIn

log = logging.getLogger(__name__)

COMMANDS = frozenset({"warn", "mute", "ban"})


@dataclass(frozen=True, slots=True)
class MaxModeration:
    newcomers: NewcomerService
    guard: GuardService
    moderators: ModeratorService

    async def joined(self, chat_id: int, who: Person) -> None:
        await self.newcomers.joined(chat_id, who)

    async def screen(self, message: MaxMessageIn, scope: Scope) -> bool:
        """True when the message was removed (a newcomer not yet checked, spam, a flood)."""
        if not scope.moderated or scope.chat is None:
            return False
        incoming = message.incoming
        chat_id, user_id = incoming.place.chat_id, incoming.author.user_id
        if await self.newcomers.held(chat_id, user_id, incoming.message_id):
            return True
        facts = MessageFacts(
            chat_id=chat_id,
            user_id=user_id,
            sent_at=incoming.sent_at or datetime.now(UTC),
            text=incoming.text,
        )
        group = GroupMessage(incoming.place, incoming.message_id, incoming.author, facts)
        return await self.guard.observe(group, scope.chat, scope.role)

    async def command(self, name: str, message: MaxMessageIn, args: str) -> None:
        caller: Caller = message.caller
        author = message.reply_to_author
        usage = {"warn": t.USAGE_WARN, "ban": t.USAGE_BAN}.get(name, t.USAGE_BAN)
        if author is None:
            raise UsageError(usage)
        target = Target(author, message.reply_to_seq)
        if name == "warn":
            await self.moderators.warn(caller, target, args)
        elif name == "mute":
            await self.moderators.mute(caller, target, self.moderators.mute_default(), args)
        else:
            await self.moderators.ban(caller, target, args)

    async def button(self, action: str, ref: int, presser: Person) -> str | None:
        """A newcomer's «Я житель» (`mod:ok:<check>`) or street answer (`mod:q<i>:<check>`)."""
        if action == "ok":
            await self.newcomers.pressed(ref, presser)
            return None
        if action.startswith("q") and action[1:].isdigit():
            return await self.newcomers.answered(ref, presser, int(action[1:]))
        log.info("MAX: moderation button %r is not served on MAX", action)
        return None
