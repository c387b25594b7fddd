"""Telegram's flood limits on outgoing messages, as the double enforces them.

Telegram does not publish exact algorithms; the documented guidance is "about 1 message per
second into one chat (short bursts are tolerated), no more than 20 messages per minute into
one group, about 30 messages per second overall". Exceeding them yields 429 with
``retry_after``. Every chat, private or group, is a token bucket (rate 1/s, small burst); a
group is also a sliding 60-second window; the global limit is a sliding 1-second window.
Windows are half-open as the server sees them: a send at t leaves the 1 s window at t + 1.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .models import ApiError


@dataclass(frozen=True)
class RateLimits:
    group_per_minute: int = 20
    private_per_second: float = 1.0
    private_burst: int = 3
    global_per_second: int = 30
    group_per_second: float = 1.0
    group_burst: int = 3


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


class RateLimiter:
    def __init__(self, limits: RateLimits | None, clock: Callable[[], float]) -> None:
        self.limits = limits
        self._clock = clock
        self._groups: dict[int, deque[float]] = {}
        self._buckets: dict[int, tuple[float, float]] = {}  # chat -> (tokens, at)
        self._global: deque[float] = deque()

    def check(self, chat_id: int, is_group: bool, count: int = 1) -> None:
        """Raise 429 if ``count`` more messages into ``chat_id`` would break a limit."""
        limits = self.limits
        if limits is None:
            return
        now = self._clock()
        _trim(self._global, now - 1.0)
        if len(self._global) + count > limits.global_per_second:
            raise too_many_requests(_wait(self._global, count, limits.global_per_second, 1.0, now))
        if is_group:
            window = self._groups.setdefault(chat_id, deque())
            _trim(window, now - 60.0)
            if len(window) + count > limits.group_per_minute:
                raise too_many_requests(_wait(window, count, limits.group_per_minute, 60.0, now))
        rate, _ = _bucket(limits, is_group)
        tokens = self._tokens(chat_id, now, limits, is_group)
        if tokens + 1e-9 < count:
            raise too_many_requests(max(1, math.ceil((count - tokens) / rate)))

    def record(self, chat_id: int, is_group: bool, count: int = 1) -> None:
        if self.limits is None:
            return
        now = self._clock()
        self._global.extend([now] * count)
        if is_group:
            self._groups.setdefault(chat_id, deque()).extend([now] * count)
        tokens = self._tokens(chat_id, now, self.limits, is_group)
        self._buckets[chat_id] = (tokens - count, now)

    def _tokens(self, chat_id: int, now: float, limits: RateLimits, is_group: bool) -> float:
        rate, burst = _bucket(limits, is_group)
        tokens, at = self._buckets.get(chat_id, (float(burst), now))
        return min(float(burst), tokens + (now - at) * rate)


def _bucket(limits: RateLimits, is_group: bool) -> tuple[float, int]:
    """One chat's "about 1 message a second, short bursts tolerated": (rate, burst)."""
    if is_group:
        return limits.group_per_second, limits.group_burst
    return limits.private_per_second, limits.private_burst


def _trim(window: deque[float], horizon: float) -> None:
    while window and window[0] <= horizon:
        window.popleft()


def _wait(window: deque[float], count: int, limit: int, span: float, now: float) -> int:
    """Seconds until ``count`` more entries fit into the sliding window."""
    index = min(len(window) + count - limit - 1, len(window) - 1)
    if index < 0:
        return 1
    return max(1, math.ceil(window[index] + span - now))
