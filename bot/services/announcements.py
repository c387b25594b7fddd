"""Announcements: queued or scheduled to many chats, reported on, cancelled, edited, deleted."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.domain.announcements import (
    Announcement,
    AnnouncementStatus,
    DeliveryStatus,
    DeliverySummary,
    Media,
    Targets,
)
from bot.domain.buttons import announcement_button_data
from bot.domain.errors import NotFound, PermissionDenied, UsageError
from bot.domain.models import Caller, RegisteredChat, Role
from bot.domain.outgoing import (
    Attachment,
    Button,
    Outgoing,
    TargetAction,
)
from bot.domain.when import When
from bot.services.base import Service
from bot.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.replies import reply_to
from bot.services.roles import RoleService
from bot.texts import announcements as t

log = logging.getLogger(__name__)

RECENT_SHOWN = 10
PIN_PATIENCE = timedelta(minutes=1)
"""How long a report waits for pins still in flight; a pin a restart interrupted never comes."""


def batch_of(announcement_id: int) -> str:
    return f"ann:{announcement_id}"


def parse_batch(batch: str | None) -> tuple[str, int] | None:
    """("ann", 17) from "ann:17"; None for entries that belong to no batch."""
    if not batch:
        return None
    kind, _, number = batch.partition(":")
    return (kind, int(number)) if number.isdigit() else None


@dataclass(frozen=True, slots=True)
class AnnouncementDraft:
    text: str
    targets: Targets
    when: When
    pin: bool
    media: Media | None = None


class Authors:
    """Who may send announcements and polls: admins, and specialists if the config allows."""

    def __init__(self, roles: RoleService, allow_specialists: bool) -> None:
        self._roles = roles
        self._allow_specialists = allow_specialists

    async def require(self, uow: UnitOfWork, caller: Caller) -> None:
        role = await self._roles.role_in(uow, caller.person.user_id)
        if role is Role.ADMIN or (role is Role.SPECIALIST and self._allow_specialists):
            return
        raise PermissionDenied(t.SPECIALISTS_NOT_ALLOWED)


class AnnouncementService(Service):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        authors: Authors,
        zone: ZoneInfo,
    ) -> None:
        super().__init__(uow_factory, clock, wake)
        self._authors = authors
        self._zone = zone

    # --- creating ---------------------------------------------------------------------

    async def create(self, caller: Caller, draft: AnnouncementDraft) -> int:
        """Store the announcement and queue it (now or at its time) in one transaction."""
        async with self._unit() as uow:
            await self._authors.require(uow, caller)
            now = self._clock()
            chats = draft.targets.select(await uow.chats.all())
            if not chats:
                raise UsageError(t.NO_TARGETS)
            when = draft.when
            if when.at is not None and when.at <= now:
                raise UsageError(t.PAST_WHEN)
            if when.recurrence is not None:
                status = AnnouncementStatus.RECURRING
            elif when.at is not None:
                status = AnnouncementStatus.SCHEDULED
            else:
                status = AnnouncementStatus.SENDING
            announcement = Announcement(
                id=0,
                author=caller.person,
                author_chat_id=caller.chat_id,
                text=draft.text,
                targets=draft.targets,
                pin=draft.pin,
                status=status,
                created_at=now,
                media=draft.media,
                scheduled_at=when.at,
                recurrence=when.recurrence,
            )
            announcement = replace(announcement, id=await uow.announcements.add(announcement))
            if when.recurrence is not None:
                assert when.at is not None
                text = t.recurring_created(announcement.id, when.recurrence, when.at, self._zone)
            else:
                await self._queue(uow, announcement, chats)
                text = (
                    t.scheduled(announcement.id, len(chats), when.at, self._zone)
                    if when.at is not None
                    else t.queued(announcement.id, len(chats))
                )
            await self._send(uow, reply_to(caller, text))
            return announcement.id

    async def _queue(
        self, uow: UnitOfWork, announcement: Announcement, chats: Sequence[RegisteredChat]
    ) -> None:
        now = self._clock()
        delivery_ids = [
            await uow.announcements.add_delivery(announcement.id, chat) for chat in chats
        ]
        media = announcement.media
        attachment = Attachment(media.kind, file_id=media.file_id) if media else None
        messages = [
            Outgoing(
                chat_id=chat.place.chat_id,
                thread_id=chat.place.thread_id,
                text=announcement.text,
                attachment=attachment,
                batch=batch_of(announcement.id),
                pin=announcement.pin,
            )
            for chat, delivery_id in zip(chats, delivery_ids, strict=True)
        ]
        not_before = announcement.scheduled_at or now
        outbox_ids = await uow.outbox.enqueue_batch(
            messages, not_before=max(not_before, now), created_at=now
        )
        await uow.announcements.link_outbox(delivery_ids, outbox_ids)
        await uow.announcements.save(replace(announcement, queued_at=not_before))

    # --- delivery reports -------------------------------------------------------------

    async def on_batch_progress(self, batch: str | None) -> None:
        """The outbox finished an entry; report to the author once the whole batch is done."""
        parsed = parse_batch(batch)
        if parsed is not None and parsed[0] == "ann":
            await self._report_if_done(parsed[1])

    async def _report_if_done(self, announcement_id: int) -> None:
        async with self._uow_factory.reader() as uow:
            if await uow.outbox.unfinished([batch_of(announcement_id)]):
                return
        async with self._unit() as uow:
            announcement = await uow.announcements.get(announcement_id, for_update=True)
            if announcement is None or announcement.status not in (
                AnnouncementStatus.SENDING,
                AnnouncementStatus.SCHEDULED,
            ):
                return
            if await uow.outbox.unfinished([batch_of(announcement_id)]):
                return
            deliveries = await uow.announcements.deliveries(announcement_id)
            if any(d.status is DeliveryStatus.PENDING for d in deliveries):
                return
            unpinned = [
                d for d in deliveries if d.status is DeliveryStatus.SENT and d.pinned is None
            ]
            last_sent = max((d.sent_at for d in deliveries if d.sent_at), default=None)
            if (
                announcement.pin
                and unpinned
                and last_sent is not None
                and self._clock() - last_sent < PIN_PATIENCE
            ):
                return  # a pin is still on its way; its completion (or the sweep) calls again
            if not await uow.announcements.mark_reported(announcement_id, self._clock()):
                return
            done = replace(announcement, status=AnnouncementStatus.DONE, reported_at=self._clock())
            await uow.announcements.save(done)
            await self._send(
                uow, Outgoing(chat_id=announcement.author_chat_id, text=t.report(done, deliveries))
            )

    async def sweep(self) -> None:
        """Start due repetitions; report deliveries whose report a restart interrupted."""
        now = self._clock()
        async with self._uow_factory.reader() as uow:
            due = await uow.announcements.due_recurring(now)
            running = await uow.announcements.with_status(
                AnnouncementStatus.SENDING, AnnouncementStatus.SCHEDULED
            )
        for template in due:
            await self._repeat(template.id)
        for announcement in running:
            if announcement.scheduled_at is None or announcement.scheduled_at <= now:
                await self._report_if_done(announcement.id)

    async def _repeat(self, template_id: int) -> None:
        async with self._unit() as uow:
            template = await uow.announcements.get(template_id)
            now = self._clock()
            if (
                template is None
                or template.status is not AnnouncementStatus.RECURRING
                or template.recurrence is None
                or template.scheduled_at is None
                or template.scheduled_at > now
            ):
                return
            next_at = template.recurrence.next_after(now, self._zone).astimezone(now.tzinfo)
            # Claimed, not saved: of two sweeps that read the template, one queues it.
            if not await uow.announcements.claim_occurrence(
                template.id, template.scheduled_at, next_at
            ):
                return
            chats = template.targets.select(await uow.chats.all())
            if not chats:
                log.warning("recurring announcement %d has no target chats", template.id)
                return
            occurrence = replace(
                template,
                id=0,
                status=AnnouncementStatus.SENDING,
                created_at=now,
                scheduled_at=None,
                recurrence=None,
                parent_id=template.id,
                queued_at=None,
            )
            occurrence = replace(occurrence, id=await uow.announcements.add(occurrence))
            await self._queue(uow, occurrence, chats)

    # --- managing ---------------------------------------------------------------------

    async def list(self, caller: Caller) -> None:
        async with self._unit() as uow:
            await self._authors.require(uow, caller)
            recent = await uow.announcements.recent(RECENT_SHOWN * 3)
            shown = [
                a
                for a in recent
                if a.status is not AnnouncementStatus.RECURRING or a.parent_id is None
            ][:RECENT_SHOWN]
            lines: list[str] = []
            buttons: list[tuple[Button, ...]] = []
            for a in shown:
                summary = None
                if a.status in (AnnouncementStatus.SENDING, AnnouncementStatus.DONE):
                    summary = DeliverySummary.of(await uow.announcements.deliveries(a.id))
                lines.append(t.announcement_line(a, summary, self._zone))
                buttons += _buttons(a)
            await self._send(
                uow, reply_to(caller, t.announcements_list(lines), buttons=tuple(buttons))
            )

    async def cancel(self, caller: Caller, announcement_id: int) -> None:
        async with self._unit() as uow:
            await self._authors.require(uow, caller)
            a = await self._get(uow, announcement_id, for_update=True)
            if a.status is AnnouncementStatus.RECURRING:
                await uow.announcements.save(replace(a, status=AnnouncementStatus.STOPPED))
                await self._send(uow, reply_to(caller, t.stopped(a.id)))
                return
            if a.status is not AnnouncementStatus.SCHEDULED:
                raise UsageError(t.cannot_cancel(a.id))
            count = await uow.outbox.cancel_batch(batch_of(a.id))
            if count == 0:
                raise UsageError(t.cannot_cancel(a.id))
            status = AnnouncementStatus.CANCELLED
            if await uow.outbox.unfinished([batch_of(a.id)]):
                status = AnnouncementStatus.SENDING  # some copies were already on their way
            await uow.announcements.save(replace(a, status=status))
            await self._send(uow, reply_to(caller, t.cancelled(a.id, count)))

    async def edit(self, caller: Caller, announcement_id: int, text: str) -> None:
        """Replace the text (or caption) of every delivered copy."""
        async with self._unit() as uow:
            await self._authors.require(uow, caller)
            a = await self._get(uow, announcement_id, for_update=True)
            deliveries = await uow.announcements.deliveries(a.id)
            if any(d.status is DeliveryStatus.PENDING for d in deliveries):
                raise UsageError(t.still_sending(a.id))
            sent = [d for d in deliveries if d.status is DeliveryStatus.SENT]
            if not sent or a.status is AnnouncementStatus.DELETED:
                raise UsageError(t.nothing_sent(a.id))
            if a.media is not None and len(text) > 1024:
                raise UsageError(t.CAPTION_TOO_LONG)
            action = TargetAction.EDIT_CAPTION if a.media is not None else None
            messages = [
                Outgoing(
                    chat_id=d.place.chat_id,
                    text=text,
                    target_message_id=d.message_id,
                    target_action=action,
                    batch=f"anned:{a.id}",
                )
                for d in sent
            ]
            now = self._clock()
            await uow.outbox.enqueue_batch(messages, not_before=now, created_at=now)
            await uow.announcements.save(replace(a, text=text, edited_at=now))
            await self._send(uow, reply_to(caller, t.edit_queued(a.id, len(sent))))

    async def confirm_delete(self, caller: Caller, announcement_id: int) -> None:
        async with self._unit() as uow:
            await self._authors.require(uow, caller)
            a = await self._get(uow, announcement_id, for_update=True)
            sent = [
                d
                for d in await uow.announcements.deliveries(a.id)
                if d.status is DeliveryStatus.SENT
            ]
            if not sent or a.status is AnnouncementStatus.DELETED:
                raise UsageError(t.nothing_sent(a.id))
            yes = Button(
                t.BUTTON_DELETE_YES.format(id=a.id), announcement_button_data("delok", a.id)
            )
            await self._send(
                uow, reply_to(caller, t.delete_confirm(a.id, len(sent)), buttons=((yes,),))
            )

    async def delete(self, caller: Caller, announcement_id: int) -> None:
        async with self._unit() as uow:
            await self._authors.require(uow, caller)
            a = await self._get(uow, announcement_id, for_update=True)
            if a.status is AnnouncementStatus.DELETED:
                raise UsageError(t.nothing_sent(a.id))
            cancelled = await uow.outbox.cancel_batch(batch_of(a.id))
            sent = [
                d
                for d in await uow.announcements.deliveries(a.id)
                if d.status is DeliveryStatus.SENT
            ]
            if not sent and not cancelled:
                raise UsageError(t.nothing_sent(a.id))
            messages = [
                Outgoing(
                    chat_id=d.place.chat_id,
                    text="",
                    target_message_id=d.message_id,
                    target_action=TargetAction.DELETE,
                    batch=f"anndel:{a.id}",
                )
                for d in sent
            ]
            now = self._clock()
            await uow.outbox.enqueue_batch(messages, not_before=now, created_at=now)
            status = AnnouncementStatus.DELETED
            await uow.announcements.save(replace(a, status=status, deleted_at=now))
            await self._send(uow, reply_to(caller, t.delete_queued(a.id, len(sent))))

    async def _get(
        self, uow: UnitOfWork, announcement_id: int, *, for_update: bool = False
    ) -> Announcement:
        a = await uow.announcements.get(announcement_id, for_update=for_update)
        if a is None:
            raise NotFound(t.not_found(announcement_id))
        return a


def _buttons(a: Announcement) -> list[tuple[Button, ...]]:
    if a.status is AnnouncementStatus.SCHEDULED:
        return [
            (
                Button(
                    t.BUTTON_CANCEL_ANN.format(id=a.id), announcement_button_data("cancel", a.id)
                ),
            )
        ]
    if a.status is AnnouncementStatus.RECURRING:
        return [
            (Button(t.BUTTON_STOP_ANN.format(id=a.id), announcement_button_data("cancel", a.id)),)
        ]
    if a.status in (AnnouncementStatus.SENDING, AnnouncementStatus.DONE):
        return [
            (
                Button(t.BUTTON_EDIT_ANN.format(id=a.id), announcement_button_data("edit", a.id)),
                Button(t.BUTTON_DELETE_ANN.format(id=a.id), announcement_button_data("del", a.id)),
            )
        ]
    return []


__all__ = ["AnnouncementDraft", "AnnouncementService", "Authors", "DeliveryStatus"]
