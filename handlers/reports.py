"""/digest, /stats and /export: parse the dates, call the report service."""

from __future__ import annotations

from datetime import date

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.domain.errors import UsageError
from bot.domain.models import Caller
from bot.services.reports import CSV, XLSX, ReportService
from bot.texts import reports as t
from handlers import args
from handlers.adapters import caller_from
from handlers.filters import IsCommand

router = Router(name=__name__)
router.message.filter(F.from_user, IsCommand())


def _caller(message: Message) -> Caller:
    caller = caller_from(message)
    assert caller is not None  # the router only admits messages with a sender
    return caller


def _dates(text: str | None, usage: str) -> tuple[date | None, date | None]:
    words = (text or "").split()
    if len(words) > 2:
        raise UsageError(usage)
    dates = [args.parse_date(word, usage) for word in words]
    return (dates[0] if dates else None), (dates[1] if len(dates) > 1 else None)


@router.message(Command("digest"))
async def cmd_digest(message: Message, command: CommandObject, reports: ReportService) -> None:
    await reports.send_digest_now(_caller(message))


@router.message(Command("stats"))
async def cmd_stats(message: Message, command: CommandObject, reports: ReportService) -> None:
    first, last = _dates(command.args, t.USAGE_STATS)
    await reports.stats(_caller(message), first, last)


@router.message(Command("export"))
async def cmd_export(message: Message, command: CommandObject, reports: ReportService) -> None:
    words = (command.args or "").split()
    formats = [word.lower() for word in words if word.lower() in (XLSX, CSV)]
    if len(formats) > 1:
        raise UsageError(t.USAGE_EXPORT)
    dates = " ".join(word for word in words if word.lower() not in (XLSX, CSV))
    first, last = _dates(dates, t.USAGE_EXPORT)
    await reports.export(_caller(message), first, last, formats[0] if formats else XLSX)
