"""What the announcement and poll services need from storage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from bot.domain.announcements import (
    Announcement,
    AnnouncementStatus,
    Delivery,
    PollCounts,
    PollRecord,
    PollStatus,
)
from bot.domain.models import Person, RegisteredChat


class AnnouncementRepository(Protocol):
    async def add(self, announcement: Announcement) -> int: ...
    async def get(self, announcement_id: int, *, for_update: bool = False) -> Announcement | None:
        """The announcement; with `for_update` locked until the unit ends (it will be saved)."""

    async def save(self, announcement: Announcement) -> None: ...
    async def claim_occurrence(
        self, announcement_id: int, due_at: datetime, next_at: datetime
    ) -> bool:
        """Move a recurring announcement's next time from `due_at` to `next_at`; False if it
        was not at `due_at` any more (another sweep claimed that occurrence)."""

    async def mark_reported(self, announcement_id: int, at: datetime) -> bool:
        """Set reported_at and status done unless already reported; False if it was."""

    async def add_delivery(self, announcement_id: int, chat: RegisteredChat) -> int: ...
    async def link_outbox(
        self, delivery_ids: Sequence[int], outbox_ids: Sequence[int]
    ) -> None: ...

    async def deliveries(self, announcement_id: int) -> Sequence[Delivery]: ...
    async def recent(self, limit: int) -> Sequence[Announcement]: ...
    async def with_status(self, *statuses: AnnouncementStatus) -> Sequence[Announcement]: ...
    async def due_recurring(self, now: datetime) -> Sequence[Announcement]: ...
    async def log(self, start: datetime, end: datetime) -> Sequence[dict[str, Any]]: ...


class PollRepository(Protocol):
    async def add(self, poll: PollRecord) -> int: ...
    async def get(self, poll_id: int) -> PollRecord | None: ...
    async def set_status(
        self, poll_id: int, status: PollStatus, closed_at: datetime | None = None
    ) -> bool:
        """Move an open poll to `status`; False if it was not open any more."""

    async def add_delivery(self, poll_id: int, chat: RegisteredChat) -> int: ...
    async def link_outbox(
        self, delivery_ids: Sequence[int], outbox_ids: Sequence[int]
    ) -> None: ...

    async def deliveries(self, poll_id: int) -> Sequence[Delivery]: ...
    async def record_counts(
        self, tg_poll_id: str, counts: Sequence[int], total: int, closed: bool, at: datetime
    ) -> None: ...
    async def counts(self, tg_poll_ids: Sequence[str]) -> dict[str, PollCounts]: ...
    async def record_vote(
        self, tg_poll_id: str, person: Person, option_ids: Sequence[int], at: datetime
    ) -> None: ...
    async def ballots(self, copy_key: str) -> dict[int, tuple[int, ...]]:
        """Everyone's current choice in one copy of a poll shown as buttons, by user id."""

    async def voters(self, tg_poll_ids: Sequence[str]) -> Sequence[tuple[str, Sequence[int]]]:
        """(voter name, chosen option indexes) for polls that are not anonymous."""

    async def recent(self, limit: int) -> Sequence[PollRecord]: ...
    async def open_due(self, now: datetime) -> Sequence[PollRecord]: ...
    async def closing(self) -> Sequence[PollRecord]: ...
