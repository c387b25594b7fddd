"""`civicbot updates quarantine | replay ID`: the updates the bot could not parse.

A replay (after an upgrade that reads them) handles the update as the poller would, in one
unit of work; the messages it decides on go to the outbox, which the running bot (or the next
start) sends.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from aiogram.types import Update
from pydantic import ValidationError

from bot.config import Settings
from bot.services.quarantine import QuarantineService
from bot.telegram.polling import safe_error
from bot.texts.format import local_time
from storage import db

if TYPE_CHECKING:
    from bot.app import App

EXIT_NOT_FOUND = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser(
        "quarantine",
        help="list the updates set aside as unparseable",
        description="List the updates set aside as unparseable: id, kind, when, what was wrong.",
    )
    replay = actions.add_parser(
        "replay",
        help="handle one quarantined update again",
        description="Handle one quarantined update again, after an upgrade that can read it.",
    )
    replay.add_argument("update_id", type=int, metavar="ID")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import build_app

    app = build_app(settings)
    try:
        await db.upgrade(app.engine)
        quarantine = QuarantineService(app.uow_factory, app.clock, roles=app.services.roles)
        if args.action == "quarantine":
            return await _list(settings, quarantine)
        return await _replay(app, quarantine, args.update_id)
    finally:
        await app.bot.session.close()
        await app.uow_factory.dispose()
        await app.engine.dispose()


async def _list(settings: Settings, quarantine: QuarantineService) -> int:
    entries = await quarantine.listed()
    if not entries:
        print("no quarantined updates")
    zone = settings.work_time.zone
    for entry in entries:
        replayed = f"replayed {local_time(entry.replayed_at, zone)}" if entry.replayed_at else ""
        when = local_time(entry.quarantined_at, zone)
        print(f"{entry.update_id}\t{entry.kind}\t{when}\t{entry.error}\t{replayed}".rstrip())
    return 0


async def _replay(app: App, quarantine: QuarantineService, update_id: int) -> int:
    payload = await quarantine.payload(update_id)
    if payload is None:
        print(f"civicbot updates replay: no quarantined update {update_id}")
        return EXIT_NOT_FOUND
    try:
        update = Update.model_validate(json.loads(payload), context={"bot": app.bot})
    except ValidationError as exc:
        print(
            f"civicbot updates replay: update {update_id} still cannot be parsed: "
            f"{safe_error(exc)}"
        )
        return EXIT_NOT_FOUND
    await app.poller.handle(update)
    await quarantine.replayed(update_id)
    print(f"update {update_id} handled")
    return 0
