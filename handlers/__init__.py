"""aiogram routers: parse the update, call one service, nothing else."""

from __future__ import annotations

from aiogram import Router

from handlers import admin, announcements, errors, help, intake, service_messages, work


def _release(*modules: Router) -> None:
    """Module routers are singletons; let a second Dispatcher in one process (a bot restarted
    inside a test) take them over. aiogram has no public way to detach a router."""
    for module in modules:
        module._parent_router = None


def build_router() -> Router:
    root = Router(name="civicbot")
    _release(errors.router, service_messages.router, admin.router, help.router, work.router)
    _release(intake.router, announcements.router)
    root.include_routers(
        errors.router,
        service_messages.router,
        admin.router,
        help.router,
        work.router,
        intake.router,
    )
    root.include_router(announcements.router)
    return root
