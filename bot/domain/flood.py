"""Time-window trackers: cross-chat duplicates and per-chat flood.

Both keep a bounded in-memory record, take the time from the message rather than a clock,
and never sleep. An earlier message counts as "within the window" of a later one when it was
sent less than `window` (`per`) before it; a message exactly `window` old is out.
They are not thread-safe; the bot calls them from one event loop.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict, deque
from datetime import datetime, timedelta
from hashlib import blake2b

from bot.domain.spam import MessageFacts, normalize_text

__all__ = ["DuplicateDetector", "FloodTracker"]


def _require_aware(at: datetime) -> None:
    if at.utcoffset() is None:
        raise ValueError("timestamps must be timezone-aware")


class DuplicateDetector:
    """Notices the same text posted by the same user in several chats within `window`.

    Texts are compared after `normalize_text` (case, whitespace, punctuation and look-alike
    letters do not matter) and only when the normalized text has at least `min_length`
    characters, so "Спасибо!" in two chats is fine. The record holds digests, not texts, and
    at most `max_entries` observations: old ones are dropped by time, and under load the
    oldest go first.
    """

    def __init__(
        self,
        window: timedelta,
        min_chats: int = 2,
        min_length: int = 20,
        *,
        max_entries: int = 10_000,
    ) -> None:
        if window <= timedelta(0):
            raise ValueError("window must be positive")
        if min_chats < 2:
            raise ValueError("min_chats must be at least 2")
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._window = window
        self._min_chats = min_chats
        self._min_length = min_length
        self._max_entries = max_entries
        # (user_id, digest of the normalized text) -> chat_id -> when last seen there
        self._seen: dict[tuple[int, bytes], dict[int, datetime]] = {}
        # every observation in arrival order, for eviction
        self._log: deque[tuple[datetime, tuple[int, bytes], int]] = deque()

    def __len__(self) -> int:
        return len(self._log)

    def observe(self, facts: MessageFacts) -> bool:
        """Record the message; True when its text from this user was already seen in other
        chats within the window, making `min_chats` chats in all (this one included).

        Every further copy returns True as well; the first copy, posted before the others,
        returned False.
        """
        normalized = normalize_text(facts.text)
        if len(normalized) < self._min_length:
            return False
        at = facts.sent_at
        self._evict_older_than(at - self._window)
        key = (facts.user_id, blake2b(normalized.encode(), digest_size=16).digest())
        chats = self._seen.setdefault(key, {})
        chats[facts.chat_id] = max(at, chats.get(facts.chat_id, at))
        self._log.append((at, key, facts.chat_id))
        while len(self._log) > self._max_entries:
            self._forget(*self._log.popleft())
        recent = sum(1 for seen in chats.values() if abs(at - seen) < self._window)
        return recent >= self._min_chats

    def _evict_older_than(self, cutoff: datetime) -> None:
        while self._log and self._log[0][0] <= cutoff:
            self._forget(*self._log.popleft())

    def _forget(self, at: datetime, key: tuple[int, bytes], chat_id: int) -> None:
        chats = self._seen.get(key)
        if chats is None or chats.get(chat_id) != at:
            return  # a later copy in the same chat refreshed the record
        del chats[chat_id]
        if not chats:
            del self._seen[key]


class FloodTracker:
    """Notices a user sending more than `max_messages` messages within `per` in one chat.

    A sliding window per (chat, user). When it fires, that user's window starts empty again,
    so one burst gives one True; a user who keeps flooding fires again only after another
    `max_messages + 1` messages within `per`. Users idle for `per` are forgotten, and at most
    `max_tracked` (chat, user) pairs are kept, least recently active dropped first.
    """

    def __init__(self, max_messages: int, per: timedelta, *, max_tracked: int = 10_000) -> None:
        if max_messages < 1:
            raise ValueError("max_messages must be at least 1")
        if per <= timedelta(0):
            raise ValueError("per must be positive")
        if max_tracked < 1:
            raise ValueError("max_tracked must be at least 1")
        self._max_messages = max_messages
        self._per = per
        self._max_tracked = max_tracked
        # (chat_id, user_id) -> sorted send times within the window, least recently active first
        self._recent: OrderedDict[tuple[int, int], list[datetime]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._recent)

    def observe(self, chat_id: int, user_id: int, at: datetime) -> bool:
        """Record a message; True when it takes the user over the limit."""
        _require_aware(at)
        key = (chat_id, user_id)
        times = self._recent.pop(key, [])
        bisect.insort(times, at)
        del times[: bisect.bisect_right(times, times[-1] - self._per)]
        flooding = len(times) > self._max_messages
        if not flooding:
            self._recent[key] = times
        self._evict(at)
        return flooding

    def _evict(self, now: datetime) -> None:
        idle_before = now - self._per
        while self._recent:
            oldest = next(iter(self._recent.values()))
            if len(self._recent) <= self._max_tracked and oldest[-1] > idle_before:
                break
            self._recent.popitem(last=False)
