"""aiogram routers: parse the update, call one service, nothing else."""

from __future__ import annotations

from aiogram import Router

from handlers import admin, announcements, errors, help, intake, service_messages, work


def build_router() -> Router:
    root = Router(name="civicbot")
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
