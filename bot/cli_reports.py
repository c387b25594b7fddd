"""`civicbot export` and `civicbot stats`: the bot's reports from the command line."""

from __future__ import annotations

import argparse
import html
import re
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.services.reports import ReportService


class ReportArgsError(Exception):
    """A bad date or period on the command line, worded as one line."""


def add_arguments(sub: argparse.ArgumentParser, *, export: bool) -> None:
    sub.add_argument(
        "--from",
        dest="first",
        metavar="YYYY-MM-DD",
        help="first day, local time (default: the first day of the current month)",
    )
    sub.add_argument(
        "--to", dest="last", metavar="YYYY-MM-DD", help="last day, included (default: today)"
    )
    if export:
        sub.add_argument(
            "--format", choices=["xlsx", "csv"], default="xlsx", help="(default: xlsx)"
        )
        sub.add_argument(
            "--out",
            type=Path,
            default=None,
            help="file to write (default: a name after the period in the working folder)",
        )


def parse_period(first: str | None, last: str | None) -> tuple[date | None, date | None]:
    def parse(value: str | None, flag: str) -> date | None:
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ReportArgsError(f"{flag}: {value!r} is not a date like 2026-01-31") from None

    start, end = parse(first, "--from"), parse(last, "--to")
    if start is not None and end is not None and start > end:
        raise ReportArgsError(f"--from {start} is after --to {end}")
    return start, end


class Progress:
    """Rows written per sheet on stderr: one rewritten line on a terminal, else every 10%."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._shown: dict[str, int] = {}

    def __call__(self, sheet: str, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if self._tty:
            end = "\n" if done >= total else ""
            self._stream.write(f"\r{sheet}: {done}/{total} ({percent}%){end}")
        elif percent // 10 > self._shown.get(sheet, -1) or done >= total:
            self._shown[sheet] = percent // 10
            self._stream.write(f"{sheet}: {done}/{total} ({percent}%)\n")
        self._stream.flush()


def _service(settings: Settings) -> tuple[AsyncEngine, ReportService]:
    from bot.app import build_services, utc_now
    from storage import db
    from storage.uow import SqlUnitOfWorkFactory

    engine = db.create_engine(settings.storage.database_url())
    services = build_services(settings, SqlUnitOfWorkFactory(engine), utc_now, lambda: None)
    assert services.reports is not None
    return engine, services.reports


async def run_stats(settings: Settings, first: date | None, last: date | None) -> str:
    from bot.texts import reports as t
    from storage import db

    engine, reports = _service(settings)
    try:
        await db.upgrade(engine)
        start, end = reports.period(first, last, t.USAGE_STATS)
        text = await reports.stats_text(start, end)
    finally:
        await engine.dispose()
    return html.unescape(re.sub(r"</?b>", "", text))


class NothingToExport(Exception):
    """No issue was received in the period: no file is written."""


async def run_export(
    settings: Settings, first: date | None, last: date | None, fmt: str, out: Path | None
) -> Path:
    from bot.services.reporting import export
    from bot.services.reports import export_basename
    from bot.texts import reports as t
    from storage import db

    engine, reports = _service(settings)
    try:
        await db.upgrade(engine)
        start, end = reports.period(first, last, t.USAGE_EXPORT)
        out = out or Path(f"{export_basename(start, end)}.{fmt}")
        ctx = await reports.export_context(start, end)
        progress = Progress()
        try:
            if fmt == "xlsx":
                file = await export.write_xlsx(ctx, out.stem, progress=progress)
            else:
                file = await export.write_csv(ctx, out.stem, progress=progress)
        except export.EmptyExport:
            raise NothingToExport(f"no issues were received from {start} to {end}") from None
    finally:
        await engine.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(file.content)
    return out
