"""The update being handled, so its effects commit at most once.

The poller sets the key; `Service._unit` records it in the same transaction as the effects,
and a redelivered update finds it recorded and changes nothing.
"""

from __future__ import annotations

from contextvars import ContextVar

current_update: ContextVar[int | None] = ContextVar("current_update", default=None)


class AlreadyHandled(Exception):
    """The current update's effects were committed before (a redelivery)."""
