"""aiogram routers: parse the update, call one service, nothing else."""

from __future__ import annotations

from aiogram import Router

from handlers import admin, errors, help, intake, service_messages, work
from handlers import moderation as moderation_handlers
from handlers import moderation_members as member_handlers


def build_router() -> Router:
    root = Router(name="civicbot")
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
