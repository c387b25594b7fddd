"""aiogram routers: parse the update, call one service, nothing else."""

from __future__ import annotations

import sys

from aiogram import Router

from handlers import admin, errors, help, intake, service_messages, work
from handlers import moderation as moderation_handlers
from handlers import moderation_members as member_handlers


def build_router() -> Router:
    root = Router(name="civicbot")
    _detach_all()
    root.include_routers(
        errors.router,
        service_messages.router,
        member_handlers.router,
        admin.router,
        help.router,
        moderation_handlers.router,
        work.router,
        intake.router,
    )
    return root


def _detach_all() -> None:
    """Module routers are singletons; a second app in one process (an in-process restart in
    tests) must take them over from the first one's root router."""
    for name, module in list(sys.modules.items()):
        router = getattr(module, "router", None) if name.startswith("handlers.") else None
        if isinstance(router, Router):
            router._parent_router = None
