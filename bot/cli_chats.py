"""`civicbot chats`: the registered chats with the ids the config needs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.domain.models import RegisteredChat

if TYPE_CHECKING:
    from bot.config import Settings

HEADER = ("chat_id", "thread_id", "kind", "active", "name", "org", "departments")


async def run_chats(settings: Settings) -> str:
    from storage import db
    from storage.uow import SqlUnitOfWorkFactory

    engine = db.create_engine(settings.storage.database_url())
    try:
        await db.upgrade(engine)
        async with SqlUnitOfWorkFactory(engine).reader() as uow:
            chats = await uow.chats.all()
    finally:
        await engine.dispose()
    return table(chats)


def table(chats: Sequence[RegisteredChat]) -> str:
    """One row per chat, tab-separated columns padded for reading. `departments` is the
    department a staff chat serves, or a residents' chat's default department (empty: the
    general staff chat)."""
    if not chats:
        return "no chats are registered yet: send /register in a chat (see civicbot --help)"
    rows = [HEADER] + [
        (
            str(chat.place.chat_id),
            str(chat.place.thread_id),
            chat.kind.value,
            "yes" if chat.active else "no",
            chat.name,
            chat.org or "",
            chat.department or "",
        )
        for chat in sorted(chats, key=lambda c: (c.kind.value, c.place.chat_id, c.place.thread_id))
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
