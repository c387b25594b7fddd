"""Polls across chats: one native poll per chat, votes recorded, closed together, tallied."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.announcements import (
    DeliveryStatus,
    PollCounts,
    PollRecord,
    PollStatus,
    PollTally,
    Targets,
    ballot_counts,
    button_poll_key,
    next_ballot,
    poll_copy_key,
    tally,
)
from bot.domain.buttons import poll_button_data, poll_vote_data
from bot.domain.errors import NotFound, UsageError
from bot.domain.messengers import has_native_polls
from bot.domain.models import Caller, Person
from bot.domain.outgoing import (
    Attachment,
    AttachmentKind,
    Button,
    Outgoing,
    PollSpec,
    TargetAction,
)
from bot.services.announcements import Authors, parse_batch
from bot.services.base import Service
from bot.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.replies import reply_to
from bot.texts import announcements as t

log = logging.getLogger(__name__)

ChartRenderer = Callable[[str, Sequence[str], Sequence[int]], bytes]
"""(question, options, totals) -> PNG bytes of a bar chart."""

RECENT_SHOWN = 10


@dataclass(frozen=True, slots=True)
class PollDraft:
    question: str
    options: tuple[str, ...]
    anonymous: bool
    multiple: bool
    targets: Targets
    closes_at: datetime
    share_results: bool


class PollService(Service):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        authors: Authors,
        zone: ZoneInfo,
        chart: ChartRenderer,
    ) -> None:
        super().__init__(uow_factory, clock, wake)
        self._authors = authors
        self._zone = zone
        self._chart = chart

    async def create(self, caller: Caller, draft: PollDraft) -> int:
        async with self._unit() as uow:
            await self._authors.require(uow, caller)
            now = self._clock()
            if draft.closes_at <= now:
                raise UsageError(t.PAST_WHEN)
            chats = draft.targets.select(await uow.chats.all())
            if not chats:
                raise UsageError(t.NO_TARGETS)
            record = PollRecord(
                id=0,
                author=caller.person,
                author_chat_id=caller.chat_id,
                question=draft.question,
                options=draft.options,
                anonymous=draft.anonymous,
                multiple=draft.multiple,
                targets=draft.targets,
                share_results=draft.share_results,
                status=PollStatus.OPEN,
                closes_at=draft.closes_at,
                created_at=now,
            )
            poll_id = await uow.polls.add(record)
            delivery_ids = [await uow.polls.add_delivery(poll_id, chat) for chat in chats]
            spec = PollSpec(draft.question, draft.options, draft.anonymous, draft.multiple)
            messages = [
                Outgoing(
                    chat_id=chat.place.chat_id,
                    thread_id=chat.place.thread_id,
                    text="",
                    poll=spec,
                    batch=f"poll:{poll_id}",
                )
                if has_native_polls(chat.place.chat_id)
                else _button_poll(replace(record, id=poll_id), chat.place.chat_id)
                for chat in chats
            ]
            ids = await uow.outbox.enqueue_batch(messages, not_before=now, created_at=now)
            await uow.polls.link_outbox(delivery_ids, ids)
            text = t.poll_queued(poll_id, len(chats), draft.closes_at, self._zone)
            await self._send(uow, reply_to(caller, text))
            return poll_id

    # --- votes ------------------------------------------------------------------------

    async def record_state(
        self, tg_poll_id: str, counts: Sequence[int], total: int, closed: bool
    ) -> None:
        """A `poll` update: the current anonymous counts of one sent poll."""
        async with self._unit() as uow:
            await uow.polls.record_counts(tg_poll_id, counts, total, closed, self._clock())

    async def record_answer(
        self, tg_poll_id: str, voter: Person, option_ids: Sequence[int]
    ) -> None:
        """A `poll_answer` update of a poll that is not anonymous (empty = vote retracted)."""
        async with self._unit() as uow:
            await uow.polls.record_vote(tg_poll_id, voter, option_ids, self._clock())

    async def vote_by_button(
        self, voter: Person, poll_id: int, chat_id: int, message_id: int, option: int
    ) -> str:
        """A press on an option of a poll shown as buttons: the person's one ballot replaced
        (or, with several answers allowed, the option toggled) and the totals shown live by
        editing the message. Returns the one-line notice for the voter."""
        async with self._unit() as uow:
            poll = await uow.polls.get(poll_id)
            if poll is None or poll.status is not PollStatus.OPEN:
                return t.VOTE_CLOSED
            if not 0 <= option < len(poll.options):
                raise UsageError(t.VOTE_CLOSED)
            key = button_poll_key(chat_id, message_id)
            ballots = await uow.polls.ballots(key)
            chosen = next_ballot(ballots.get(voter.user_id, ()), option, poll.multiple)
            ballots[voter.user_id] = chosen
            now = self._clock()
            await uow.polls.record_vote(key, voter, chosen, now)
            counts = ballot_counts(ballots.values(), len(poll.options))
            await uow.polls.record_counts(key, counts.counts, counts.total, False, now)
            await self._send(
                uow, _button_poll(poll, chat_id, counts, target_message_id=message_id)
            )
            return t.vote_taken(poll.options, chosen)

    # --- closing ----------------------------------------------------------------------

    async def sweep(self) -> None:
        """Close polls whose time has come; finish those whose stopPoll calls are done."""
        async with self._uow_factory.reader() as uow:
            due = await uow.polls.open_due(self._clock())
            closing = await uow.polls.closing()
        for poll in due:
            await self._start_closing(poll.id)
        for poll in closing:
            await self._finish_if_done(poll.id)

    async def close_now(self, caller: Caller, poll_id: int) -> None:
        async with self._unit() as uow:
            await self._authors.require(uow, caller)
            poll = await uow.polls.get(poll_id)
            if poll is None:
                raise NotFound(t.poll_not_found(poll_id))
            if poll.status is not PollStatus.OPEN:
                raise UsageError(t.poll_already_closed(poll_id))
            await self._send(uow, reply_to(caller, t.poll_closing(poll_id)))
        await self._start_closing(poll_id)

    async def _start_closing(self, poll_id: int) -> None:
        async with self._unit() as uow:
            if not await uow.polls.set_status(poll_id, PollStatus.CLOSING):
                return
            await uow.outbox.cancel_batch(f"poll:{poll_id}")
            sent = [
                d for d in await uow.polls.deliveries(poll_id) if d.status is DeliveryStatus.SENT
            ]
            poll = await uow.polls.get(poll_id)
            assert poll is not None
            counts = await uow.polls.counts([k for d in sent if (k := poll_copy_key(d))])
            messages = [
                Outgoing(
                    chat_id=d.place.chat_id,
                    text="",
                    target_message_id=d.message_id,
                    target_action=TargetAction.STOP_POLL,
                    batch=f"pollstop:{poll_id}",
                )
                if d.tg_poll_id or has_native_polls(d.place.chat_id)
                else _button_poll(
                    poll,
                    d.place.chat_id,
                    counts.get(poll_copy_key(d) or ""),
                    target_message_id=d.message_id,
                    closed=True,
                )
                for d in sent
            ]
            now = self._clock()
            await uow.outbox.enqueue_batch(messages, not_before=now, created_at=now)
        await self._finish_if_done(poll_id)

    async def on_batch_progress(self, batch: str | None) -> None:
        parsed = parse_batch(batch)
        if parsed is not None and parsed[0] in ("poll", "pollstop"):
            await self._finish_if_done(parsed[1])

    async def _finish_if_done(self, poll_id: int) -> None:
        batches = [f"poll:{poll_id}", f"pollstop:{poll_id}"]
        async with self._uow_factory.reader() as uow:
            poll = await uow.polls.get(poll_id)
            if poll is None or poll.status is not PollStatus.CLOSING:
                return
            if await uow.outbox.unfinished(batches):
                return
        async with self._unit() as uow:
            now = self._clock()
            if not await uow.polls.set_status(poll_id, PollStatus.CLOSED, closed_at=now):
                return
            for result in await uow.outbox.batch_results(f"pollstop:{poll_id}"):
                if result.get("poll_id") and result.get("counts") is not None:
                    await uow.polls.record_counts(
                        str(result["poll_id"]),
                        [int(c) for c in result["counts"]],
                        int(result.get("total") or 0),
                        True,
                        now,
                    )
            closed = replace(poll, status=PollStatus.CLOSED, closed_at=now)
            result_tally, voters = await self._tally(uow, closed)
            await self._publish(uow, closed, result_tally, voters)

    async def _tally(
        self, uow: UnitOfWork, poll: PollRecord
    ) -> tuple[PollTally, Sequence[tuple[str, Sequence[int]]]]:
        deliveries = await uow.polls.deliveries(poll.id)
        ids = [key for d in deliveries if (key := poll_copy_key(d))]
        counts: dict[str, PollCounts] = await uow.polls.counts(ids)
        voters = await uow.polls.voters(ids) if not poll.anonymous else []
        return tally(poll.options, deliveries, counts), voters

    async def _publish(
        self,
        uow: UnitOfWork,
        poll: PollRecord,
        result: PollTally,
        voters: Sequence[tuple[str, Sequence[int]]],
    ) -> None:
        png = self._chart(poll.question, poll.options, result.totals)
        chart = Attachment(AttachmentKind.PHOTO, filename=f"poll-{poll.id}.png", content=png)
        caption = t.poll_result_caption(poll, result)
        messages = [
            Outgoing(chat_id=poll.author_chat_id, text=caption, attachment=chart),
            Outgoing(chat_id=poll.author_chat_id, text=t.poll_breakdown(poll, result, voters)),
        ]
        await self._send(uow, *messages)
        if poll.share_results:
            shared = [
                Outgoing(
                    chat_id=d.place.chat_id,
                    thread_id=d.place.thread_id,
                    text=caption,
                    attachment=chart,
                    batch=f"pollres:{poll.id}",
                )
                for d in await uow.polls.deliveries(poll.id)
                if d.status is DeliveryStatus.SENT
            ]
            now = self._clock()
            await uow.outbox.enqueue_batch(shared, not_before=now, created_at=now)

    # --- listing ----------------------------------------------------------------------

    async def list(self, caller: Caller) -> None:
        async with self._unit() as uow:
            await self._authors.require(uow, caller)
            lines: list[str] = []
            buttons: list[tuple[Button, ...]] = []
            for poll in await uow.polls.recent(RECENT_SHOWN):
                result, _ = await self._tally(uow, poll)
                lines.append(t.poll_line(poll, result, self._zone))
                if poll.status is PollStatus.OPEN:
                    label = t.BUTTON_CLOSE_POLL.format(id=poll.id)
                    buttons.append((Button(label, poll_button_data("close", poll.id)),))
            await self._send(uow, reply_to(caller, t.polls_list(lines), buttons=tuple(buttons)))


def _button_poll(
    poll: PollRecord,
    chat_id: int,
    counts: PollCounts | None = None,
    *,
    target_message_id: int | None = None,
    closed: bool = False,
) -> Outgoing:
    """A poll as a message with one button per option, for a messenger without polls: sent
    (in the poll's batch), or its live totals edited in, or (closed) its buttons taken away."""
    shown = counts or PollCounts((0,) * len(poll.options), 0)
    text = t.button_poll(poll.question, poll.options, shown.counts, shown.total, closed=closed)
    buttons = (
        ()
        if closed
        else tuple(
            (Button(option[:128], poll_vote_data(poll.id, i)),)
            for i, option in enumerate(poll.options)
        )
    )
    if target_message_id is not None:
        batch = f"pollstop:{poll.id}" if closed else None
        return Outgoing(
            chat_id, text, buttons=buttons, target_message_id=target_message_id, batch=batch
        )
    return Outgoing(chat_id, text, buttons=buttons, batch=f"poll:{poll.id}")
