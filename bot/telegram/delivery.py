"""Carries out what the outbox holds, keeping Telegram's limits, one operation at a time per chat.

Messages, edits, deletions and actions on members (restrict, ban, …) are all operations here:
they keep their chat's order and share its limits. Transient failures (5xx, network errors,
timeouts, 429) are retried with a capped back-off for as long as the operation is still
meaningful (`give_up_after` from when it became due); only Telegram's permanent refusals
(400, 403) fail one. A refusal the admins can fix is reported to the core's `DeliveryListener`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BufferedInputFile,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputPollOption,
    KeyboardButton,
    LinkPreviewOptions,
    Poll,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)

from bot.domain.outgoing import (
    MAYBE_SENT,
    NEW_MESSAGES,
    Attachment,
    AttachmentKind,
    OpKind,
    OutboxEntry,
    OutboxHead,
    Outgoing,
    PollSpec,
    Refusal,
    RefusalKind,
    TargetAction,
)
from bot.services.delivery_events import DeliveryListener, Doorbell
from bot.services.ports import Clock, UnitOfWorkFactory
from bot.services.telemetry import NoTelemetry, Telemetry
from bot.telegram.moderation import act_on_member, has_right
from bot.telegram.rate_limit import DepartureWindow, SendPlanner
from bot.telegram.session import no_retry, on_answer
from bot.telegram.waiting import wait_for_event

log = logging.getLogger(__name__)

LOOKAHEAD = timedelta(seconds=1)
RECENT = timedelta(minutes=1)
"""How far back a sender taking over counts the bot's sends: Telegram's longest window (20 a
minute into one group)."""
"""How far ahead of its slot a message may be claimed; it then waits for the slot."""
REFILL_AT = LOOKAHEAD / 2
"""While the sender is saturated, the next round waits until the messages already claimed
cover less than this much time, then claims up to LOOKAHEAD: a round claims about half a
second of messages (about 14 at 30/s) in one transaction, and the rounds keep at least this
much sending claimed ahead."""


FIRST_RETRY = timedelta(seconds=1)
"""The first retry after a transient failure; each next one waits twice as long, up to the cap."""


@dataclass
class _Outcome:
    entry: OutboxEntry
    message_id: int | None
    error: str | None
    result: dict[str, Any] | None
    future: asyncio.Future[bool]
    answered_at: float = field(default_factory=time.perf_counter)


@dataclass(frozen=True, slots=True)
class _Pick:
    """An entry chosen in a round: its reserved slot and the earliest moment it may leave."""

    entry_id: int
    chat_id: int
    leave_from: datetime
    slot: datetime


class _Answered:
    """Counts the first answer to a delivery's requests, once (see session.AnswerMiddleware)."""

    def __init__(self, dispatcher: OutboxDispatcher, pick: _Pick) -> None:
        self._dispatcher: OutboxDispatcher | None = dispatcher
        self._pick = pick

    def __call__(self) -> None:
        if self._dispatcher is not None:
            dispatcher, self._dispatcher = self._dispatcher, None
            dispatcher._count_answer(self._pick)


class _TargetNotSentYet(Exception):
    """An edit whose original message has not been delivered yet."""


@dataclass
class DeliveryStats:
    """The queue's own cost: time during which any of its database work or planning runs.

    Overlapping sections of concurrent deliveries count once (the union of their intervals),
    so `busy` is wall time the queue kept the process busy; Telegram round trips and the
    waits the planner asks for are outside every section. `planned` keeps (chat_id, slot)
    of every reservation when `keep_plan` is on (benchmarks).
    """

    messages: int = 0
    busy: float = 0.0
    # Per new message: seconds from Telegram's answer to the commit of the "sent" mark (the
    # window in which a crash could have sent it twice, were it sent again), and from the
    # commit of the attempt to Telegram's answer (in which a crash leaves it "maybe sent").
    answer_to_commit: deque[float] = field(default_factory=lambda: deque(maxlen=10_000))
    attempt_to_answer: deque[float] = field(default_factory=lambda: deque(maxlen=10_000))
    maybe_sent: int = 0
    cpu: float = 0.0  # CPU time of this thread inside the sections
    keep_plan: bool = False
    planned: list[tuple[int, datetime]] = field(default_factory=list)
    _depth: int = 0
    _since: float = 0.0
    _cpu_since: float = 0.0

    def enter(self) -> None:
        if self._depth == 0:
            self._since = time.perf_counter()
            self._cpu_since = time.thread_time()
        self._depth += 1

    def exit(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.busy += time.perf_counter() - self._since
            self.cpu += time.thread_time() - self._cpu_since

    def windows(self) -> str:
        """The crash windows of the last new messages, for the log at a stop."""

        def ms(values: deque[float]) -> str:
            if not values:
                return "none"
            ordered = sorted(values)
            median, top = ordered[len(ordered) // 2], ordered[-1]
            return f"median {median * 1000:.1f} ms, max {top * 1000:.1f} ms"

        return (
            f"{len(self.answer_to_commit)} new messages; from the attempt's commit to "
            f"Telegram's answer {ms(self.attempt_to_answer)}; from the answer to the sent "
            f"mark's commit {ms(self.answer_to_commit)}; maybe sent: {self.maybe_sent}"
        )

    @property
    def cpu_per_message(self) -> float:
        return self.cpu / self.messages if self.messages else 0.0

    @property
    def overhead_per_message(self) -> float:
        return self.busy / self.messages if self.messages else 0.0


_DONE_ALREADY = (
    "message is not modified",
    "message to delete not found",
    "poll has already been closed",
    "user_already_participant",
    "hide_requester_missing",
)
"""Refusals that mean the change is already in place: the entry is done, not failed."""


class OutboxDispatcher:
    """Delivers stored messages. Safe to run beside another process: entries are claimed."""

    def __init__(
        self,
        bot: Bot,
        uow_factory: UnitOfWorkFactory,
        planner: SendPlanner,
        clock: Clock,
        *,
        poll_interval: float = 5.0,
        lease: timedelta = timedelta(minutes=2),
        give_up_after: timedelta = timedelta(hours=24),
        retry_cap: timedelta = timedelta(minutes=5),
        max_attempts: int = 8,
        concurrency: int = 64,
        min_round_gap: float = 0.25,
        news_gap: float = 0.1,
        doorbell: Doorbell | None = None,
        listener: DeliveryListener | None = None,
        telemetry: Telemetry | None = None,
        bot_id: int | None = None,
    ) -> None:
        self._bot = bot
        # Only this bot's entries: another token's process on the same database sends its own.
        self._bot_id = bot_id
        self._telemetry: Telemetry = telemetry or NoTelemetry()
        self._uow_factory = uow_factory
        self._planner = planner
        self._clock = clock
        self._poll_interval = poll_interval
        self._lease = lease
        self._give_up_after = give_up_after
        self._retry_cap = retry_cap
        # Only for failures that are not Telegram's (a bug, an edit of a message never sent):
        # those would otherwise hold their chat's queue for the whole give-up age.
        self._max_attempts = max_attempts
        self._concurrency = concurrency
        self._min_round_gap = min_round_gap
        self._news_gap = min(news_gap, min_round_gap)
        self._outcomes: list[_Outcome] = []
        # Rounds and outcome writes take turns here rather than in SQLite's busy handler,
        # whose sleeps (milliseconds) would otherwise dominate the queue's own cost.
        self._db_turn = asyncio.Lock()
        self._recording = False
        self._doorbell = doorbell or Doorbell()
        self._wake = self._doorbell.any
        self._news = self._doorbell.news
        self._listener = listener
        self._departures = DepartureWindow(planner.limits)
        self._busy_chats: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        self.stats = DeliveryStats()
        # Sends under way (request made, outcome not yet recorded), for `settled`.
        self._sending: set[asyncio.Future[None]] = set()

    def wake(self) -> None:
        """Something was queued: look at once, unless the sender is saturated anyway."""
        self._doorbell.ring()

    async def settled(self, timeout: float = 5.0) -> None:
        """Wait until the sends under way now have their outcomes (message ids) recorded.

        A reply to a message the bot has just sent can arrive before the sender has stored
        that message's id; the poller waits here before handling such a reply, and before a
        chat migration, which moves the stored ids to the new chat.
        """
        pending = [future for future in self._sending if not future.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    async def run(self) -> None:
        """Rounds: claim what may go within LOOKAHEAD, in one transaction.

        When something new is queued and the sender has room, a round starts at once, or
        `news_gap` after the last round that news started if that was more recent: a reply in
        a quiet chat leaves as soon as it is committed, and a burst of replies is claimed a
        few at a time. Other reasons to look again (a message finished, so its chat's next one
        may go; the timer) wait until `min_round_gap` after the last round, so they join one
        round. While the global budget is spoken for beyond REFILL_AT, every round waits:
        nothing new could leave sooner, and what arrives meanwhile is claimed together.
        """
        last_news = -self._news_gap
        locked = False
        while not self._stopping:
            self._wake.clear()
            self._news.clear()
            started = time.monotonic()
            try:
                delay = await self._round()
            except Exception as exc:
                if not self._uow_factory.is_locked(exc):
                    log.exception("outbox round failed")
                elif not locked:
                    log.warning("outbox waits: the database is locked by another connection")
                locked = self._uow_factory.is_locked(exc)
                delay = self._poll_interval
            else:
                locked = False
            if self._stopping:
                break
            await wait_for_event(self._wake, max(delay, 0.001))
            await self._join_wake_ups(started, last_news)
            await self._while_saturated()
            if self._news.is_set():
                last_news = time.monotonic()

    async def _join_wake_ups(self, started: float, last_news: float) -> None:
        """Wait out the gap after the last round (started at `started`): for news, only
        `news_gap` after the last round news started; for anything else `min_round_gap`."""
        while not self._stopping:
            now = time.monotonic()
            if self._news.is_set():
                gap = last_news + self._news_gap - now
                if gap <= 0:
                    return
                await asyncio.sleep(gap)
            else:
                gap = started + self._min_round_gap - now
                if gap <= 0:
                    return
                await wait_for_event(self._news, gap)

    async def _while_saturated(self) -> None:
        while not self._stopping:
            now = self._clock()
            ahead = self._planner.first_free(now) - now - REFILL_AT
            if ahead <= timedelta(0):
                return
            await asyncio.sleep(ahead.total_seconds())

    async def stop(self, grace: float = 10.0) -> None:
        """Stop taking new entries and let messages being sent finish."""
        self._stopping = True
        self._wake.set()
        self._news.set()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=grace)
        log.info("outbox: %s", self.stats.windows())

    def resume(self) -> None:
        """Take entries again after `stand_down` (before `run` is started again)."""
        self._stopping = False

    async def take_over(self) -> None:
        """This process has just become the bot's one sender: what a sender that died had
        claimed may go at once (an entry it had begun to send stays "maybe sent"), and what
        the other sender sent within the last minute counts against Telegram's limits here,
        as if this process had sent it (a takeover within a second of the death sent more
        than 30 messages in that second otherwise)."""
        now = self._clock()
        async with self._db_turn, self._uow_factory() as uow:
            released = await uow.outbox.release_claims(now, bot_id=self._bot_id)
            recent = await uow.outbox.recent_sends(now - RECENT, bot_id=self._bot_id)
            await uow.commit()
        for chat_id, at in recent:
            self._planner.record_sent(chat_id, at)
        if released:
            log.info("outbox: took over %d entries another sender had claimed", released)

    async def stand_down(self, grace: float) -> None:
        """Another process is to send now: stop, give the sends under way `grace` seconds,
        then cancel what is left, so nothing of this process leaves after the hand-over (an
        entry cut short after its attempt mark stays "maybe sent", one before it is sent by
        the next sender)."""
        await self.stop(grace)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=1.0)
        self._busy_chats.clear()

    async def _round(self) -> float:
        self.stats.enter()
        try:
            return await self._plan_round()
        finally:
            self.stats.exit()

    async def _plan_round(self) -> float:
        """Choose, claim and load in one transaction: a round costs the same few statements
        whether it claims one entry or many. Seconds until the next round is worth it."""
        now = self._clock()
        async with self._db_turn, self._uow_factory() as uow:
            heads = await uow.outbox.due_heads(
                now, limit=4 * self._concurrency, bot_id=self._bot_id
            )
            chosen, next_in = self._choose(heads, now)
            if not chosen:
                due_at = await uow.outbox.next_due_at(bot_id=self._bot_id)
                if due_at is not None:
                    next_in = min(next_in, max((due_at - now).total_seconds(), 0.01))
                return next_in
            # The lease covers the wait for the slot and the request.
            lease_until = max(pick.slot for pick in chosen) + self._lease
            got = await uow.outbox.claim_many([p.entry_id for p in chosen], now, lease_until)
            entries = {entry.id: entry for entry in await uow.outbox.load(sorted(got))}
            await uow.commit()
        for pick in chosen:
            entry = entries.get(pick.entry_id)
            if entry is None:  # another sender has it
                self._planner.release(pick.chat_id, pick.slot)
                continue
            if self.stats.keep_plan:
                self.stats.planned.append((pick.chat_id, pick.slot))
            self._busy_chats.add(pick.chat_id)
            task = asyncio.create_task(self._deliver(entry, pick))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return next_in

    def _choose(self, heads: Sequence[OutboxHead], now: datetime) -> tuple[list[_Pick], float]:
        """Reserve slots for the heads that may go within LOOKAHEAD, one per chat (that keeps
        each chat's order); and when to look again for the others."""
        next_in = self._poll_interval
        seen: set[int] = set()
        chosen: list[_Pick] = []
        for head in heads:
            chat_id = head.chat_id
            if chat_id in self._busy_chats or chat_id in seen:
                continue
            if len(self._tasks) + len(chosen) >= self._concurrency:
                next_in = self._min_round_gap  # and a finished message wakes the loop
                break
            seen.add(chat_id)
            slot = self._planner.earliest(chat_id, now, bulk=head.bulk)
            if slot > now + LOOKAHEAD:
                # Look again once it may be claimed with others: REFILL_AT before its slot.
                next_in = min(next_in, (slot - now - REFILL_AT).total_seconds())
                continue
            leave_from, slot = self._planner.reserve_departure(chat_id, now, bulk=head.bulk)
            chosen.append(_Pick(head.id, chat_id, leave_from, slot))
        return chosen, next_in

    async def _deliver(self, entry: OutboxEntry, pick: _Pick) -> None:
        chat_id = entry.message.chat_id
        answered: _Answered | None = None
        try:
            await self._leave(pick)
            answered = _Answered(self, pick)
            token = on_answer.set(answered)
            sending = asyncio.get_running_loop().create_future()
            self._sending.add(sending)
            try:
                await self._deliver_once(entry)
            finally:
                on_answer.reset(token)
                sending.set_result(None)
                self._sending.discard(sending)
        except Exception:
            log.exception("outbox entry %d: unexpected failure", entry.id)
            await self._retry_or_fail(entry, "internal error")
        finally:
            if answered is not None:
                answered()  # if no request reported its answer (none made, or no middleware)
            self._busy_chats.discard(chat_id)
            self._wake.set()

    def _count_answer(self, pick: _Pick) -> None:
        """Telegram saw the request at the latest now: the global window and the chat's own
        limits count from here."""
        now = self._clock()
        self._departures.answered(now)
        self._planner.departed(pick.chat_id, pick.slot, now)

    async def _leave(self, pick: _Pick) -> None:
        """Wait until the message may leave, and while the requests counting in the global
        window (in flight, or answered within the last second) leave no room."""
        while True:
            now = self._clock()
            wait = max(pick.leave_from - now, self._departures.hold(now))
            if wait <= timedelta(0):
                break
            await asyncio.sleep(wait.total_seconds())
        self._departures.leave()

    async def _mark_attempted(self, entry: OutboxEntry) -> float:
        """Commit the attempt just before a new message's request leaves; its moment."""

        async def mark() -> None:
            async with self._db_turn, self._uow_factory() as uow:
                await uow.outbox.mark_attempted(entry.id, self._clock())
                await uow.commit()

        await self._through_locks(mark)
        return time.perf_counter()

    async def _through_locks(self, write: Callable[[], Awaitable[None]]) -> None:
        """One of the sender's own writes (an attempt, an outcome, a retry), tried again while
        another connection holds the database's write lock. Given up, it would leave the
        entry claimed until its lease ran out, and a message already sent, or one whose
        failure was known, "maybe sent" for good."""
        delay, warned = 0.05, False
        while True:
            try:
                await write()
                return
            except Exception as exc:
                if not self._uow_factory.is_locked(exc):
                    raise
                if not warned:
                    log.warning("outbox waits to record a send: the database is locked")
                    warned = True
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def _deliver_once(self, entry: OutboxEntry) -> None:
        chat_id = entry.message.chat_id
        new_message = entry.message.kind in NEW_MESSAGES
        if new_message and entry.maybe_sent:
            # A crash cut its send short: Telegram may have posted it. The Bot API has no
            # idempotency key and no way to read a chat back, so the two cannot be told
            # apart; a resident must not get the same message twice, so it is not sent again.
            log.warning("outbox entry %d to chat %d: %s", entry.id, chat_id, MAYBE_SENT)
            self.stats.maybe_sent += 1
            await self._finish(entry, None, MAYBE_SENT)
            return
        token = no_retry.set(True)
        result: dict[str, Any] = {}
        try:
            attempted = await self._mark_attempted(entry) if new_message else None
            message_id = await self._counted_send(entry.message, result)
            if attempted is not None:
                self.stats.attempt_to_answer.append(time.perf_counter() - attempted)
        except TelegramRetryAfter as exc:
            log.warning("429 for chat %d: retry after %ds", chat_id, exc.retry_after)
            await self._retry_transient(entry, "429", timedelta(seconds=exc.retry_after))
        except TelegramMigrateToChat as exc:
            log.info("chat %d migrated to %d", chat_id, exc.migrate_to_chat_id)
            if self._listener is not None:
                await self._listener.chat_migrated(chat_id, exc.migrate_to_chat_id)
            await self._reschedule(entry, timedelta(0), "migrated")
        except _TargetNotSentYet:
            await self._retry_or_fail(entry, "the message to edit was not sent")
        except TelegramBadRequest as exc:
            await self._refused(entry, exc.message)
        except (TelegramForbiddenError, TelegramNotFound) as exc:
            log.warning("outbox entry %d to chat %d: %s", entry.id, chat_id, exc.message)
            await self._finish(entry, None, exc.message)
            if isinstance(exc, TelegramForbiddenError):
                await self._report(Refusal(chat_id, RefusalKind.FORBIDDEN, detail=exc.message))
        except TelegramEntityTooLarge as exc:
            await self._finish(entry, None, exc.message)
        except (TelegramServerError, TelegramNetworkError) as exc:
            await self._retry_transient(entry, f"{type(exc).__name__}: {exc.message}")
        else:
            await self._finish(entry, message_id, None, result)
        finally:
            no_retry.reset(token)

    async def _counted_send(self, message: Outgoing, result: dict[str, Any]) -> int | None:
        """`_send`, its outcome counted for the metrics."""
        try:
            message_id = await self._send(message, result)
        except Exception as exc:
            outcome = _send_outcome(exc)
            if outcome is not None:
                self._telemetry.send_result(outcome)
            raise
        self._telemetry.send_result("ok")
        if message.kind in MODERATION_OPS:
            self._telemetry.moderation_action(message.kind.value)
        return message_id

    async def _refused(self, entry: OutboxEntry, error: str) -> None:
        """A 400: done already, or failed; a missing administrator right is reported."""
        if any(reason in error.lower() for reason in _DONE_ALREADY):
            await self._finish(entry, None, None)
            return
        message = entry.message
        log.warning("outbox entry %d (%s) refused: %s", entry.id, message.kind, error)
        await self._finish(entry, None, error)
        right = message.needs_right
        if right is None:
            return
        # "not enough rights" names the cause; other refusals ("message can't be deleted")
        # may mean a missing right or something else, which the bot's own rights tell apart.
        if "not enough rights" in error or not await has_right(self._bot, message.chat_id, right):
            await self._report(Refusal(message.chat_id, RefusalKind.MISSING_RIGHT, right, error))

    async def _report(self, refusal: Refusal) -> None:
        if self._listener is None:
            return
        try:
            await self._listener.refused(refusal)
        except Exception:
            log.exception("outbox refusal report failed for chat %d", refusal.chat_id)

    async def _send(self, message: Outgoing, result: dict[str, Any]) -> int | None:
        """Carry out one entry; what Telegram answered beyond the message id goes to `result`."""
        if message.member is not None:
            await act_on_member(self._bot, message.chat_id, message.member)
            return None
        markup = _markup(message)
        if message.edit_of is not None or message.target_message_id is not None:
            located: tuple[int, int] | None = None
            if message.target_message_id is not None:
                located = (message.chat_id, message.target_message_id)
            elif message.edit_of is not None:
                async with self._uow_factory() as uow:
                    located = await uow.refs.locate(message.edit_of)
            if located is None:
                raise _TargetNotSentYet
            chat_id, message_id = located
            if message.target_action is not None:
                await self._act_on(message, message.target_action, chat_id, message_id, result)
                return message_id
            await self._bot.edit_message_text(
                chat_id=chat_id,
                message_id=message_id,
                text=message.text,
                reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
            return message_id
        reply = (
            ReplyParameters(message_id=message.reply_to, allow_sending_without_reply=True)
            if message.reply_to
            else None
        )
        if message.poll is not None:
            return await self._send_poll(message, message.poll, reply, result)
        if message.attachment is not None:
            return await self._send_attachment(message, message.attachment, reply, markup)
        sent = await self._bot.send_message(
            chat_id=message.chat_id,
            text=message.text,
            message_thread_id=message.thread_id or None,
            reply_parameters=reply,
            reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        return sent.message_id

    async def _send_attachment(
        self,
        message: Outgoing,
        attachment: Attachment,
        reply: ReplyParameters | None,
        markup: Markup,
    ) -> int:
        file: str | BufferedInputFile
        if attachment.content is not None:
            file = BufferedInputFile(attachment.content, filename=attachment.filename)
        else:
            assert attachment.file_id is not None
            file = attachment.file_id
        common: dict[str, Any] = {
            "chat_id": message.chat_id,
            "caption": message.text or None,
            "message_thread_id": message.thread_id or None,
            "reply_parameters": reply,
            "reply_markup": markup,
        }
        if attachment.kind is AttachmentKind.PHOTO:
            sent = await self._bot.send_photo(photo=file, **common)
        else:
            sent = await self._bot.send_document(document=file, **common)
        return sent.message_id

    async def _act_on(
        self,
        message: Outgoing,
        action: TargetAction,
        chat_id: int,
        message_id: int,
        result: dict[str, Any],
    ) -> None:
        if action is TargetAction.DELETE:
            await self._bot.delete_message(chat_id=chat_id, message_id=message_id)
        elif action is TargetAction.EDIT_CAPTION:
            await self._bot.edit_message_caption(
                chat_id=chat_id, message_id=message_id, caption=message.text
            )
        elif action is TargetAction.STOP_POLL:
            poll = await self._bot.stop_poll(chat_id=chat_id, message_id=message_id)
            result.update(poll_result(poll))

    async def _send_poll(
        self,
        message: Outgoing,
        poll: PollSpec,
        reply: ReplyParameters | None,
        result: dict[str, Any],
    ) -> int:
        sent = await self._bot.send_poll(
            chat_id=message.chat_id,
            question=poll.question,
            options=[InputPollOption(text=option) for option in poll.options],
            is_anonymous=poll.is_anonymous,
            allows_multiple_answers=poll.allows_multiple_answers,
            message_thread_id=message.thread_id or None,
            reply_parameters=reply,
        )
        if sent.poll is not None:
            result["poll_id"] = sent.poll.id
        return sent.message_id

    async def _pin(self, entry: OutboxEntry, message_id: int, result: dict[str, Any]) -> bool:
        """Pin a delivered message; the outcome is kept with the entry for the report.

        True if the entry's batch has no open entry left."""
        try:
            await self._bot.pin_chat_message(
                chat_id=entry.message.chat_id, message_id=message_id, disable_notification=True
            )
            result["pinned"] = True
        except (TelegramBadRequest, TelegramForbiddenError, TelegramNotFound) as exc:
            result["pinned"] = False
            result["pin_error"] = exc.message
        except (TelegramServerError, TelegramNetworkError, TelegramRetryAfter) as exc:
            result["pinned"] = False
            result["pin_error"] = f"{type(exc).__name__}: {exc.message}"
        batch = entry.message.batch
        async with self._uow_factory() as uow:
            await uow.outbox.set_result(entry.id, result)
            done = batch is not None and not await uow.outbox.unfinished([batch])
            await uow.commit()
        return done

    async def _finish(
        self,
        entry: OutboxEntry,
        message_id: int | None,
        error: str | None,
        result: dict[str, Any] | None = None,
    ) -> None:
        # Marking the entry sent is the first thing after Telegram's answer: the time between
        # the two is the only moment a killed process can send a message twice.
        batch = entry.message.batch
        batch_done = await self._record(entry, message_id, error, result)
        if error is None and entry.message.pin and message_id is not None:
            # A report waits for the pins too: the last pin of a finished batch completes it.
            batch_done = await self._pin(entry, message_id, dict(result or {}))
        if batch_done and batch is not None and self._listener is not None:
            try:
                await self._listener.batch_done(batch)
            except Exception:
                log.exception("outbox batch report failed for %s", batch)

    async def _record(
        self,
        entry: OutboxEntry,
        message_id: int | None,
        error: str | None,
        result: dict[str, Any] | None,
    ) -> bool:
        """Store the outcome at once; True if it was the last open entry of its batch.

        Outcomes that arrive while a transaction is being written join the next one (a group
        commit with no added delay): one message waits for nothing, many share a commit.
        """
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._outcomes.append(_Outcome(entry, message_id, error, result, future))
        if not self._recording:
            self._recording = True
            try:
                while self._outcomes:
                    group, self._outcomes = self._outcomes, []
                    await self._write_outcomes(group)
            except BaseException:
                # The error leaves from here; this outcome's future holds it too, and an
                # exception never retrieved is logged from the garbage collector, at any time.
                if future.done() and not future.cancelled():
                    future.exception()
                raise
            finally:
                self._recording = False
        return await future

    async def _write_outcomes(self, group: list[_Outcome]) -> None:
        self.stats.enter()
        done: set[int] = set()

        async def write() -> None:
            async with self._db_turn, self._uow_factory() as uow:
                now = self._clock()
                for o in group:
                    if o.error is None:
                        await uow.outbox.mark_sent(o.entry.id, now, o.message_id, o.result or None)
                        ref = o.entry.message.remember_as
                        if ref is not None and o.message_id is not None:
                            await uow.refs.record(o.entry.message.chat_id, o.message_id, ref)
                    else:
                        await uow.outbox.mark_failed(o.entry.id, o.error)
                last_of: dict[str, _Outcome] = {}
                for o in group:
                    if o.entry.message.batch is not None:
                        last_of[o.entry.message.batch] = o
                done.clear()
                for batch, o in last_of.items():
                    if not await uow.outbox.unfinished([batch]):
                        done.add(id(o))
                await uow.commit()

        try:
            await self._through_locks(write)
        except BaseException as exc:
            for o in group:
                if not o.future.done():
                    o.future.set_exception(exc)
            raise
        finally:
            self.stats.exit()
        self.stats.messages += len(group)
        committed = time.perf_counter()
        for o in group:
            if o.error is None and o.entry.message.kind in NEW_MESSAGES:
                self.stats.answer_to_commit.append(committed - o.answered_at)
            o.future.set_result(id(o) in done)

    async def _retry_or_fail(self, entry: OutboxEntry, error: str) -> None:
        """A failure that is not Telegram's: retried a few times, then failed."""
        attempts = entry.attempts + 1
        if attempts >= self._max_attempts:
            log.error("outbox entry %d failed after %d attempts: %s", entry.id, attempts, error)
            await self._finish(entry, None, error)
            return
        await self._reschedule(entry, self._backoff(attempts), error)

    async def _retry_transient(
        self, entry: OutboxEntry, error: str, delay: timedelta | None = None
    ) -> None:
        """Telegram unreachable or busy: try again later, while the entry is still meaningful.

        `delay` is Telegram's own (429); otherwise the back-off doubles up to the cap."""
        now = self._clock()
        due_at = entry.due_at or now
        if now - due_at >= self._give_up_after:
            log.error("outbox entry %d given up after %s: %s", entry.id, now - due_at, error)
            await self._finish(entry, None, f"gave up after {now - due_at}: {error}")
            return
        await self._reschedule(entry, delay or self._backoff(entry.attempts), error)

    def _backoff(self, attempts: int) -> timedelta:
        """1 s, 2 s, 4 s, … after the 1st, 2nd, 3rd attempt, never more than the cap."""
        if attempts > 30:
            return self._retry_cap
        return min(FIRST_RETRY * (1 << max(attempts - 1, 0)), self._retry_cap)

    async def _reschedule(self, entry: OutboxEntry, delay: timedelta, error: str) -> None:
        """Try again after `delay`; the chat waits too, so no later message overtakes this one."""
        until = self._clock() + delay
        self._planner.pause_chat(entry.message.chat_id, until)

        async def write() -> None:
            async with self._uow_factory() as uow:
                await uow.outbox.retry_later(entry.id, until, error)
                await uow.commit()

        await self._through_locks(write)


MODERATION_OPS = frozenset(
    {
        OpKind.DELETE,
        OpKind.RESTRICT,
        OpKind.RELEASE,
        OpKind.BAN,
        OpKind.UNBAN,
        OpKind.KICK,
        OpKind.APPROVE_JOIN,
        OpKind.DECLINE_JOIN,
    }
)


def _send_outcome(exc: Exception) -> str | None:
    """The metrics' name for a failed call; None when no call was made."""
    if isinstance(exc, _TargetNotSentYet):
        return None
    if isinstance(exc, TelegramRetryAfter):
        return "429"
    if isinstance(exc, TelegramServerError):
        return "5xx"
    if isinstance(exc, TelegramForbiddenError):
        return "403"
    if isinstance(exc, TelegramNotFound):
        return "404"
    if isinstance(exc, TelegramBadRequest | TelegramEntityTooLarge | TelegramMigrateToChat):
        return "400"
    if isinstance(exc, TelegramNetworkError):
        return "network"
    return "other"


def poll_result(poll: Poll) -> dict[str, Any]:
    """A poll's state as stored with the entry: its id, counts per option, voters."""
    return {
        "poll_id": poll.id,
        "counts": [option.voter_count for option in poll.options],
        "total": poll.total_voter_count,
        "closed": poll.is_closed,
    }


Markup = InlineKeyboardMarkup | ForceReply | ReplyKeyboardMarkup | ReplyKeyboardRemove | None


def _markup(message: Outgoing) -> Markup:
    """The keyboard an operation carries: inline buttons, a forced reply, the button that
    shares the user's own phone number, or the removal of that button."""
    if message.buttons:
        return InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=b.text, callback_data=b.data) for b in row]
                for row in message.buttons
            ]
        )
    if message.force_reply:
        return ForceReply(force_reply=True, selective=True)
    if message.contact_request is not None:
        button = KeyboardButton(text=message.contact_request, request_contact=True)
        return ReplyKeyboardMarkup(
            keyboard=[[button]], resize_keyboard=True, one_time_keyboard=True
        )
    if message.remove_keyboard:
        return ReplyKeyboardRemove(remove_keyboard=True)
    return None
