"""One warning per outage of a Telegram call, however many tries it takes to recover."""

from __future__ import annotations

import logging

from aiogram.exceptions import ClientDecodeError, TelegramAPIError

log = logging.getLogger(__name__)


def describe(exc: BaseException) -> str:
    """What went wrong, without the answer's body: an undecodable getUpdates answer carries
    residents' messages, and aiogram puts the whole body into the exception's text."""
    if isinstance(exc, ClientDecodeError):
        return f"undecodable answer ({type(exc.original).__name__})"
    if isinstance(exc, TelegramAPIError):
        return f"{type(exc).__name__}: {exc.message}"
    return f"{type(exc).__name__}: {exc}"[:200]


class Outage:
    """Capped exponential back-off for one call, warned about once until it works again."""

    def __init__(self, call: str, *, first: float = 1.0, cap: float = 60.0) -> None:
        self._call = call
        self._first = first
        self._cap = cap
        self.failures = 0

    def failed(self, exc: BaseException) -> float:
        """Record a failed try; the delay before the next one."""
        self.failures += 1
        delay = min(self._first * 2.0 ** (self.failures - 1), self._cap)
        if self.failures == 1:
            log.warning(
                "%s failed (%s); retrying with back-off up to %.0fs until it works again",
                self._call,
                describe(exc),
                self._cap,
            )
        else:
            log.debug("%s failed again (%s), try %d", self._call, describe(exc), self.failures)
        return delay

    def succeeded(self) -> None:
        if self.failures:
            log.warning("%s works again after %d failed tries", self._call, self.failures)
        self.failures = 0
