"""When may the next outgoing message go: a planner that keeps Telegram's send limits.

Pure bookkeeping over explicit timestamps; the outgoing-queue dispatcher owns the clock.

Limits kept (all windows half-open, so sends at t and t + window are in different windows):
* one chat: at least `per_chat_interval` (+ `in_flight_margin`) between two messages;
* one group (chat_id < 0): at most `group_per_minute` in any 60 s + `in_flight_margin`;
* everything: at most `global_per_second` in any 1 s + `in_flight_margin`.

Why the margin: Telegram counts a message when it arrives, and two requests sent in order may
arrive closer together than they left (the earlier one spent longer in the event loop, the
HTTP client or the network). Planning the windows (and a chat's interval) wider by the most one
request may lag behind another keeps the server's count within the limit; the cost is a global
rate of global_per_second / (1 s + margin).

How the global limit is kept: time is cut into slots of ceil((1 s + margin) / global_per_second),
and a reservation takes one whole free slot (its start is the send time). A half-open window of
1 s + margin holds at most `global_per_second` slot starts, so the global limit cannot be
broken by reservations, and slots for different chats interleave freely: a reservation takes
the first free slot at or after its chat's own earliest moment, wherever that falls among slots
reserved before. Messages that leave later than their slots, or travel unevenly, are
caught by `DepartureWindow`, which counts requests as they actually go and come back.

Fairness (the promise to interactive replies): every `interactive_every`-th slot is never
given to bulk reservations (`plan`, `reserve(..., bulk=True)`), so bulk traffic runs at
global_per_second * (1 - 1/interactive_every) (25/s by default) and an interactive
`reserve` is delayed by bulk traffic by at most `interactive_every` slots (0.2 s by default),
however long the announcements planned before it. The promise holds while interactive traffic
stays under global_per_second / interactive_every messages a second (5/s); replies also take
any free bulk slot, so without announcements they get the full 30/s.

Dispatcher contract:
* send each message at (not before) its slot, a chat's messages in slot order;
* `record_sent` only for messages that went around the planner (e.g. rebuilding the state from
  the sent log after a restart); a reserved message is already counted. Recorded sends are kept
  exactly when they are at least two slots (~67 ms) apart and not on reserved slots;
* after a 429: `pause_chat` (or `pause_all`), `release` the slots of that chat's pending
  messages (all pending messages after `pause_all`) and reserve them again in order;
* report when a reserved message actually left (`departed`), so the chat's own limits count
  from the real moment; with `reserve_departure` a message may leave up to a slot early, and
  the dispatcher then holds every departure to `DepartureWindow`.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right, insort
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_SECOND_US = 1_000_000
_GROUP_WINDOW_US = 60 * _SECOND_US
_FULL = (1 << 64) - 1
_ONE_SECOND = timedelta(seconds=1)


class _SlotSet:
    """Taken slot numbers with "first free at or after i" in O(log n): a 64-ary tree of
    bitmasks. Level 0 has a bit per slot; a bit at level l + 1 means "word of level l full".
    """

    def __init__(self) -> None:
        self._levels: list[dict[int, int]] = [{}]
        self._low_word = 0  # level-0 words below this one are forgotten

    def add(self, i: int) -> None:
        level = 0
        while True:
            if level == len(self._levels):
                self._levels.append({})
            words = self._levels[level]
            w = i >> 6
            mask = words.get(w, 0) | 1 << (i & 63)
            words[w] = mask
            if mask != _FULL:
                return
            level, i = level + 1, w

    def discard(self, i: int) -> None:
        self._unset(0, i)

    def next_free(self, i: int) -> int:
        level = 0
        while True:
            words = self._levels[level] if level < len(self._levels) else {}
            w = i >> 6
            free = ~words.get(w, 0) & (_FULL >> (i & 63) << (i & 63))
            if free:
                i = (w << 6) | ((free & -free).bit_length() - 1)
                break
            level, i = level + 1, w + 1
        while level:
            level -= 1
            free = ~self._levels[level].get(i, 0) & _FULL
            i = (i << 6) | ((free & -free).bit_length() - 1)
        return i

    def forget_below(self, i: int) -> None:
        """Drop whole level-0 words below slot i (amortized O(1) per word ever used)."""
        stop = i >> 6
        words = self._levels[0]
        if stop - self._low_word > len(words):
            old = [w for w in words if w < stop]
        else:
            old = [w for w in range(self._low_word, stop) if w in words]
        self._low_word = max(self._low_word, stop)
        for w in old:
            if words.pop(w) == _FULL:
                self._unset(1, w)

    def _unset(self, level: int, i: int) -> None:
        """Clear bit i of `level`, and the "full" bits above it that no longer hold."""
        while level < len(self._levels):
            words = self._levels[level]
            w, bit = i >> 6, 1 << (i & 63)
            mask = words.get(w, 0)
            if not mask & bit:
                return
            if mask == bit:
                del words[w]
            else:
                words[w] = mask & ~bit
            if mask != _FULL:
                return
            level, i = level + 1, w


@dataclass(frozen=True)
class RateLimits:
    per_chat_interval: timedelta = timedelta(seconds=1)
    group_per_minute: int = 20
    global_per_second: int = 30
    # Every n-th global slot is kept for interactive reservations; 0 gives bulk all slots.
    interactive_every: int = 6
    # The most one request may reach Telegram later than one sent after it; the 1 s and 60 s
    # windows are planned this much wider (see the module docstring).
    in_flight_margin: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        if self.per_chat_interval < timedelta(0):
            raise ValueError("per_chat_interval must not be negative")
        if not timedelta(0) <= self.in_flight_margin <= timedelta(seconds=1):
            raise ValueError("in_flight_margin must be between 0 and 1 s")
        if self.group_per_minute < 1 or self.global_per_second < 1:
            raise ValueError("group_per_minute and global_per_second must be at least 1")
        if self.interactive_every == 1 or self.interactive_every < 0:
            raise ValueError("interactive_every must be 0 (off) or at least 2")


@dataclass
class _Chat:
    sends: list[int] = field(default_factory=list)  # sorted µs, none older than the retention
    paused_until: int = 0


def _to_us(moment: datetime) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: the planner works in aware UTC datetimes")
    return (moment - _EPOCH) // _US


def _to_datetime(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


class SendPlanner:
    """Reserves send times per chat; O(log n) per operation, memory bounded by the last 60 s
    plus what is reserved ahead. `now` values are taken as a high-water mark: a `now` older
    than one seen before counts as that one.
    """

    def __init__(self, limits: RateLimits) -> None:
        self._limits = limits
        margin = limits.in_flight_margin // _US
        self._interval = limits.per_chat_interval // _US
        if self._interval:
            self._interval += margin
        self._group_window = _GROUP_WINDOW_US + margin
        self._retention = max(self._group_window, self._interval)
        self._slot = -(-(_SECOND_US + margin) // limits.global_per_second)
        self._every = limits.interactive_every
        self._interactive = _SlotSet()  # slots k with k % every == 0, indexed by k // every
        self._bulk = _SlotSet()  # the other slots, densely indexed (see _bulk_index)
        self._chats: dict[int, _Chat] = {}
        self._expiry: list[tuple[int, int]] = []  # (forget-after µs, chat_id), lazy
        self._now = 0
        self._paused_until = 0

    # --- public API -------------------------------------------------------------------------

    @property
    def limits(self) -> RateLimits:
        return self._limits

    @property
    def tracked_chats(self) -> int:
        """Chats with history or a pause still in memory (for metrics and memory checks)."""
        return len(self._chats)

    def earliest(self, chat_id: int, now: datetime, *, bulk: bool = False) -> datetime:
        """When a message to chat_id may go, without reserving it."""
        return _to_datetime(self._find(chat_id, self._advance(_to_us(now)), bulk) * self._slot)

    def first_free(self, now: datetime) -> datetime:
        """The first slot a reply to a chat with no recent message could take: how far ahead
        the global budget is already spoken for."""
        now_us = self._advance(_to_us(now))
        first = -(-max(now_us, self._paused_until) // self._slot)
        return _to_datetime(self._free_from(first, False) * self._slot)

    def reserve_departure(
        self, chat_id: int, now: datetime, *, bulk: bool = False
    ) -> tuple[datetime, datetime]:
        """`reserve`, and the earliest moment the message may leave: (leave_from, slot).

        A message may leave up to one slot before its slot, never before its chat's own
        limits allow: a reply in a quiet chat goes at once instead of at the next slot
        boundary. Only for a dispatcher that holds every departure to the global window of
        actual departures (`DepartureWindow`): early ones can crowd that window by one.
        """
        now_us = self._advance(_to_us(now))
        bound = self._bound(chat_id, now_us)
        slot = self._free_from(-(-bound // self._slot), bulk)
        self._take(slot)
        at = slot * self._slot
        self._remember(chat_id, at)
        return _to_datetime(max(bound, at - self._slot)), _to_datetime(at)

    def departed(self, chat_id: int, planned: datetime, actual: datetime) -> None:
        """A reserved message left at `actual` rather than at its slot `planned`: the chat's
        interval and group window count from the real moment. Its global slot stays taken."""
        planned_us, actual_us = _to_us(planned), _to_us(actual)
        chat = self._chats.get(chat_id)
        if chat is None or actual_us == planned_us:
            return
        i = bisect_left(chat.sends, planned_us)
        if i == len(chat.sends) or chat.sends[i] != planned_us:
            return
        del chat.sends[i]
        self._remember(chat_id, actual_us)

    def reserve(self, chat_id: int, now: datetime, *, bulk: bool = False) -> datetime:
        """Reserve the earliest slot at or after now for chat_id and return it."""
        slot = self._find(chat_id, self._advance(_to_us(now)), bulk)
        self._take(slot)
        at = slot * self._slot
        self._remember(chat_id, at)
        return _to_datetime(at)

    def plan(self, chat_ids: Sequence[int], now: datetime) -> list[datetime]:
        """Bulk slots for a batch: result[i] is the reserved slot of chat_ids[i]."""
        now_us = self._advance(_to_us(now))
        slots: list[datetime] = []
        for chat_id in chat_ids:
            slot = self._find(chat_id, now_us, True)
            self._take(slot)
            self._remember(chat_id, slot * self._slot)
            slots.append(_to_datetime(slot * self._slot))
        return slots

    def record_sent(self, chat_id: int, at: datetime) -> None:
        """Count a send that did not go through reserve/plan (see the module docstring)."""
        at_us = _to_us(at)
        self._advance(at_us)
        if at_us < self._now - self._retention:
            return
        chat = self._chats.get(chat_id)
        if chat is not None:
            i = bisect_left(chat.sends, at_us)
            if i < len(chat.sends) and chat.sends[i] == at_us:
                return
        slot, offset = divmod(at_us, self._slot)
        self._take(slot)
        if offset:
            self._take(slot + 1)
        self._remember(chat_id, at_us)

    def release(self, chat_id: int, at: datetime) -> None:
        """Give back a reserved slot whose message will not be sent at that time."""
        at_us = _to_us(at)
        chat = self._chats.get(chat_id)
        if chat is None:
            return
        i = bisect_left(chat.sends, at_us)
        if i == len(chat.sends) or chat.sends[i] != at_us:
            return
        del chat.sends[i]
        slot, offset = divmod(at_us, self._slot)
        if not offset:
            self._set_for(slot).discard(self._index(slot))

    def pause_chat(self, chat_id: int, until: datetime) -> None:
        """A 429 for this chat: nothing more to it before `until`."""
        until_us = _to_us(until)
        chat = self._chats.setdefault(chat_id, _Chat())
        if until_us > chat.paused_until:
            chat.paused_until = until_us
            heapq.heappush(self._expiry, (until_us, chat_id))

    def pause_all(self, until: datetime) -> None:
        """A global 429: nothing to anyone before `until`."""
        self._paused_until = max(self._paused_until, _to_us(until))

    # --- slots ------------------------------------------------------------------------------

    def _find(self, chat_id: int, now_us: int, bulk: bool) -> int:
        """The first free slot not before the chat's own earliest moment."""
        return self._free_from(-(-self._bound(chat_id, now_us) // self._slot), bulk)

    def _bound(self, chat_id: int, now_us: int) -> int:
        """The chat's own earliest moment: its interval, its group window, the pauses."""
        bound = max(now_us, self._paused_until)
        chat = self._chats.get(chat_id)
        if chat is not None:
            bound = max(bound, chat.paused_until)
            sends = chat.sends
            if sends:
                bound = max(bound, sends[-1] + self._interval)
                quota = self._limits.group_per_minute
                if chat_id < 0 and len(sends) >= quota:
                    bound = max(bound, sends[-quota] + self._group_window)
        return bound

    def _free_from(self, first: int, bulk: bool) -> int:
        """The first free slot at or after slot `first` that a reservation of its kind may use."""
        if not self._every:
            return self._bulk.next_free(first)
        every = self._every
        q, r = divmod(self._bulk.next_free(self._bulk_index(first)), every - 1)
        bulk_slot = q * every + r + 1
        if bulk:
            return bulk_slot
        return min(bulk_slot, self._interactive.next_free(-(-first // every)) * every)

    def _bulk_index(self, slot: int) -> int:
        """Dense index of the first bulk slot at or after `slot`."""
        q, r = divmod(slot, self._every)
        return q * (self._every - 1) + max(r - 1, 0)

    def _set_for(self, slot: int) -> _SlotSet:
        if self._every and slot % self._every == 0:
            return self._interactive
        return self._bulk

    def _index(self, slot: int) -> int:
        if not self._every:
            return slot
        return slot // self._every if slot % self._every == 0 else self._bulk_index(slot)

    def _take(self, slot: int) -> None:
        self._set_for(slot).add(self._index(slot))

    # --- per-chat history and forgetting ----------------------------------------------------

    def _remember(self, chat_id: int, at_us: int) -> None:
        chat = self._chats.setdefault(chat_id, _Chat())
        sends = chat.sends
        del sends[: bisect_left(sends, self._now - self._retention)]
        if not sends or at_us > sends[-1]:
            sends.append(at_us)
            heapq.heappush(self._expiry, (at_us + self._retention, chat_id))
        else:
            insort(sends, at_us)

    def _advance(self, now_us: int) -> int:
        """Move the high-water `now` and forget what no later reservation can depend on."""
        if now_us <= self._now:
            return self._now
        self._now = now_us
        cutoff_slot = (now_us - self._retention) // self._slot
        if self._every:
            self._interactive.forget_below(cutoff_slot // self._every)
            self._bulk.forget_below(self._bulk_index(cutoff_slot))
        else:
            self._bulk.forget_below(cutoff_slot)
        while self._expiry and self._expiry[0][0] <= now_us:
            _, chat_id = heapq.heappop(self._expiry)
            chat = self._chats.get(chat_id)
            if chat is None or chat.paused_until > now_us:
                continue
            if not chat.sends or chat.sends[-1] + self._retention <= now_us:
                del self._chats[chat_id]
        return now_us


class DepartureWindow:
    """The global limit over requests as they actually go, whatever their slots said.

    Telegram counts a message when it arrives, somewhere between the moment the request left
    and the moment its answer came back. A request therefore counts from its departure until
    one second after its answer: with no more than `global_per_second` of them counting at any
    departure, no second of arrivals can hold more, however late some left (a busy event loop,
    a slow round) or however unevenly they travelled. The planner's slots, a window of
    1 s + in_flight_margin apart, make this hold back almost nothing while answers come within
    the margin. Call `hold` and `leave` with no await between them, and `answered` once for
    every `leave`.
    """

    def __init__(self, limits: RateLimits) -> None:
        self._limit = limits.global_per_second
        self._in_flight = 0
        self._answered: list[datetime] = []  # sorted answer moments of the last second

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def hold(self, now: datetime) -> timedelta:
        """How long a request must still wait before it may leave; zero if it may go now."""
        answered = self._answered
        del answered[: bisect_right(answered, now - _ONE_SECOND)]
        counting = self._in_flight + len(answered)
        if counting < self._limit:
            return timedelta(0)
        if self._in_flight >= self._limit:
            return _ONE_SECOND / self._limit  # every one counting is in flight: look again
        return answered[counting - self._limit] + _ONE_SECOND - now

    def leave(self) -> None:
        self._in_flight += 1

    def answered(self, now: datetime) -> None:
        self._in_flight -= 1
        insort(self._answered, now)
