"""How the core and a messenger adapter's sender signal each other, without knowing each other.

Services ring the `Doorbell` after committing operations to the outbox; the sender waits on it.
The sender reports back what the core must act on through a `DeliveryListener`. Both are
built before the sender, so nothing is patched onto it afterwards.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from bot.domain.outgoing import Refusal
from bot.services.announcements import AnnouncementService
from bot.services.chats import ChatService
from bot.services.moderation_desk import ModerationDesk
from bot.services.polls import PollService


class Doorbell:
    def __init__(self) -> None:
        self.news = asyncio.Event()  # something new was queued: worth a round at once
        self.any = asyncio.Event()  # any reason to look at the queue again

    def ring(self) -> None:
        self.news.set()
        self.any.set()


class DeliveryListener(Protocol):
    async def chat_migrated(self, old_chat_id: int, new_chat_id: int) -> None:
        """The messenger moved a chat to a new id (a group became a supergroup)."""

    async def refused(self, refusal: Refusal) -> None:
        """An operation was refused for good in a way the admins can fix."""

    async def batch_done(self, batch: str) -> None:
        """The last operation of a batch (an announcement, a poll's closing) was carried out."""


class DeliveryEvents:
    """The core's answers to what the sender reports."""

    def __init__(
        self,
        chats: ChatService,
        desk: ModerationDesk,
        announcements: AnnouncementService,
        polls: PollService,
    ) -> None:
        self._chats = chats
        self._desk = desk
        self._announcements = announcements
        self._polls = polls

    async def chat_migrated(self, old_chat_id: int, new_chat_id: int) -> None:
        await self._chats.migrate(old_chat_id, new_chat_id)

    async def refused(self, refusal: Refusal) -> None:
        await self._desk.refused(refusal)

    async def batch_done(self, batch: str) -> None:
        await self._announcements.on_batch_progress(batch)
        await self._polls.on_batch_progress(batch)
