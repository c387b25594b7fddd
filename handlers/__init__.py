"""aiogram routers: parse the update, call one service, nothing else."""

from __future__ import annotations

from aiogram import Router

from handlers import admin, errors, help, intake, service_messages, sla, work


def build_router() -> Router:
    root = Router(name="civicbot")
    for module in (errors, service_messages, admin, help, work, sla, intake):
        # The module routers are singletons: a second app in one process (tests that start
        # the bot again) takes them over from the previous root.
        module.router._parent_router = None
    root.include_routers(
        errors.router,
        service_messages.router,
        admin.router,
        help.router,
        work.router,
        sla.router,
        intake.router,
    )
    return root
