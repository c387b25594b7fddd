"""aiogram routers: parse the update, call one service, nothing else."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject

from handlers import (
    admin,
    announcements,
    appeals,
    contacts,
    errors,
    guard,
    help,
    intake,
    moderation,
    moderation_members,
    reports,
    service_messages,
    sla,
    transfers,
    work,
)
from handlers.filters import (
    CommandOrReply,
    CommandReplyOrPrivate,
    IsCommand,
    PrivateChat,
    ServiceMessage,
    ServiceOrCommand,
)

# Order matters: membership changes and the moderation guard see messages before the desk's
# commands, and every command comes before the catch-all intake of tagged group messages. The
# announcement and poll dialogs run in private chats, which intake leaves alone.
#
# Each router is scoped at its level (commands only, a group chat, a moderated chat, private
# or registered, ...), so a message leaves a router that cannot take it after one check; the
# scope itself (registration, role) is resolved once per update by handlers.scope. Neighbours
# that share a scope are grouped under one router carrying it (service messages, commands,
# private chats), and the groups on either side of the guard under one more, so an ordinary
# group message passes each side with one check: it visits two groups, the guard and intake,
# nothing else. The error handlers come last: they answer
# errors only, and no message reaches them after intake took it.
SERVICE = (service_messages.router, moderation_members.router)
COMMANDS_BEFORE_GUARD = (admin.router, help.router, moderation.router)
COMMANDS_AFTER_GUARD = (work.router, transfers.router, sla.router, reports.router)
PRIVATE = (contacts.router, appeals.router)
MODULE_ROUTERS = (
    *SERVICE,
    *COMMANDS_BEFORE_GUARD,
    guard.router,
    *COMMANDS_AFTER_GUARD,
    *PRIVATE,
    intake.router,
    announcements.router,
    errors.router,
)


def build_routers() -> tuple[Router, ...]:
    """Fresh top-level routers holding every module's router, in MODULE_ROUTERS order, for the
    dispatcher to include directly (a root router between them would be one more level that
    every update walks through).

    Module routers are created once per process but an app can be built more than once (tests,
    the demo); aiogram refuses to attach a router twice, so the previous parent lets go first.
    """
    for router in MODULE_ROUTERS:
        router._parent_router = None
        _inline_magic_filters(router)
    service = Router(name="service_messages")
    service.message.filter(ServiceMessage())
    service.include_routers(*SERVICE)
    before = Router(name="commands_before_guard")
    before.message.filter(IsCommand())
    before.include_routers(*COMMANDS_BEFORE_GUARD)
    # An ordinary group message is neither: it passes both groups with one check.
    early = Router(name="before_guard")
    early.message.filter(ServiceOrCommand())
    early.include_routers(service, before)
    after = Router(name="commands_after_guard")
    after.message.filter(CommandOrReply())
    after.include_routers(*COMMANDS_AFTER_GUARD)
    private = Router(name="private_chats")
    private.message.filter(PrivateChat())
    private.include_routers(*PRIVATE)
    late = Router(name="after_guard")
    late.message.filter(CommandReplyOrPrivate())
    late.include_routers(after, private)
    return (
        early,
        guard.router,
        late,
        intake.router,
        announcements.router,
        errors.router,
    )


def _inline_magic_filters(router: Router) -> None:
    """Check `F...` filters on the loop instead of in a worker thread.

    aiogram runs every filter that is not a coroutine function in `asyncio.to_thread`, and a
    magic filter is a plain callable: with two dozen of them on the way of a group message,
    the thread hand-overs cost more than all the rest of its handling. Resolving a magic
    filter is a few attribute reads, so it runs inline.
    """
    for observer in router.observers.values():
        for item in observer._handler.filters or ():
            _inline(item)
        for handler in observer.handlers:
            for item in handler.filters or ():
                _inline(item)


def _inline(item: FilterObject) -> None:
    if item.magic is None or item.awaitable:
        return
    resolve = item.callback

    async def resolved(*args: Any, **kwargs: Any) -> Any:
        return resolve(*args, **kwargs)

    item.callback = resolved
    item.awaitable = True
