"""aiogram routers: parse the update, call one service, nothing else."""

from __future__ import annotations

from aiogram import Router

from handlers import (
    admin,
    announcements,
    errors,
    help,
    intake,
    moderation,
    moderation_members,
    reports,
    service_messages,
    sla,
    work,
)

# Order matters: membership changes and the moderation guard see messages before the desk's
# commands, and every command comes before the catch-all intake of tagged group messages. The
# announcement and poll dialogs run in private chats, which intake leaves alone.
MODULE_ROUTERS = (
    errors.router,
    service_messages.router,
    moderation_members.router,
    admin.router,
    help.router,
    moderation.router,
    work.router,
    sla.router,
    reports.router,
    intake.router,
    announcements.router,
)


def build_router() -> Router:
    """A fresh root with every module's router.

    Module routers are created once per process but an app can be built more than once (tests,
    the demo); aiogram refuses to attach a router twice, so the previous root lets go first.
    """
    root = Router(name="civicbot")
    for router in MODULE_ROUTERS:
        router._parent_router = None
    root.include_routers(*MODULE_ROUTERS)
    return root
