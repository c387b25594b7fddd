"""Method name -> handler table filled by the ``api_*`` modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import World

Handler = Callable[["World", dict[str, Any]], Any]
HANDLERS: dict[str, Handler] = {}


def api_method(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[name] = handler
        return handler

    return register
