"""The one fan-out to the administration: the staff chats, and the configured admins who
started the bot (Telegram lets a bot write only to people who wrote to it first)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from bot.domain.departments import same_department
from bot.domain.models import ChatKind, RegisteredChat
from bot.domain.outgoing import Outgoing
from bot.services.ports import UnitOfWork


async def to_staff(uow: UnitOfWork, message: Outgoing) -> list[Outgoing]:
    """`message` (its chat id aside) once for every staff chat, in that chat's topic."""
    return [
        replace(message, chat_id=staff.place.chat_id, thread_id=staff.place.thread_id)
        for staff in await uow.chats.by_kind(ChatKind.STAFF)
    ]


async def to_admins(uow: UnitOfWork, admins: Iterable[int], text: str) -> list[Outgoing]:
    """`text` for the staff chats and for every admin in `admins` who started the bot."""
    messages = await to_staff(uow, Outgoing(chat_id=0, text=text))
    for admin_id in sorted(admins):
        if await uow.users.has_started(admin_id):
            messages.append(Outgoing(chat_id=admin_id, text=text))
    return messages


async def departments(uow: UnitOfWork) -> list[str]:
    """The departments that have a staff chat, in registration order."""
    found: dict[str, str] = {}
    for staff in await uow.chats.by_kind(ChatKind.STAFF):
        if staff.department:
            found.setdefault(staff.department.casefold(), staff.department)
    return list(found.values())


async def staff_chat_for(uow: UnitOfWork, department: str | None) -> RegisteredChat | None:
    """The staff chat that gets `department`'s cards: its own, else the general one, else the
    first staff chat (None without any)."""
    return pick_staff_chat(await uow.chats.by_kind(ChatKind.STAFF), department)


def pick_staff_chat(
    staff: Sequence[RegisteredChat], department: str | None
) -> RegisteredChat | None:
    """`department`'s staff chat among `staff`: its own, else the general one, else the first."""
    own = [chat for chat in staff if department and same_department(chat.department, department)]
    general = [chat for chat in staff if chat.department is None]
    found = own or general or list(staff)
    return found[0] if found else None
