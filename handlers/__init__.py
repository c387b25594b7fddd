"""aiogram routers: parse the update, call one service, nothing else."""

from __future__ import annotations

from aiogram import Router

from handlers import admin, errors, help, intake, service_messages, sla, work


def build_router() -> Router:
    root = Router(name="civicbot")
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
