"""`civicbot webhook info | delete`: the webhook Telegram delivers the bot's updates to.

`delete` keeps the updates Telegram holds for the bot (the next getUpdates gets them) unless
`--drop-pending-updates` is given. A bot started in polling mode deletes a webhook left set
by itself; this command is for switching over by hand, or for checking Telegram's view
(`pending_update_count`, the last delivery error).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramUnauthorizedError

from bot.config import ConfigError, Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser(
        "info",
        help="show the webhook Telegram delivers to",
        description="Show the webhook: URL, updates waiting, the last delivery error.",
    )
    delete = actions.add_parser(
        "delete",
        help="delete the webhook (to poll again)",
        description="Delete the webhook, so getUpdates works again; the updates Telegram "
        "holds stay for it unless --drop-pending-updates is given.",
    )
    delete.add_argument(
        "--drop-pending-updates",
        action="store_true",
        help="also drop the updates Telegram holds for the bot",
    )


async def run(settings: Settings, args: argparse.Namespace) -> str:
    telegram = settings.telegram
    if telegram.token is None:
        raise ConfigError("telegram.token: is required but missing")
    session = AiohttpSession(
        api=TelegramAPIServer.from_base(telegram.api_base), timeout=telegram.request_timeout
    )
    bot = Bot(token=telegram.token.get_secret_value(), session=session)
    try:
        if args.action == "delete":
            await bot.delete_webhook(drop_pending_updates=args.drop_pending_updates)
            return "webhook deleted" + (
                "; pending updates dropped" if args.drop_pending_updates else ""
            )
        return await _info(bot)
    except TelegramUnauthorizedError:
        raise ConfigError("telegram.token: rejected by Telegram (401 Unauthorized)") from None
    finally:
        await session.close()


async def _info(bot: Bot) -> str:
    info = await bot.get_webhook_info()
    if not info.url:
        return f"no webhook (polling); {info.pending_update_count} updates waiting"
    lines = [f"url: {info.url}", f"pending updates: {info.pending_update_count}"]
    if info.max_connections:
        lines.append(f"max connections: {info.max_connections}")
    if info.allowed_updates:
        lines.append(f"allowed updates: {', '.join(info.allowed_updates)}")
    if info.last_error_date:
        when = info.last_error_date
        moment = when if isinstance(when, datetime) else datetime.fromtimestamp(when, UTC)
        lines.append(f"last error: {moment:%Y-%m-%d %H:%M:%S} UTC {info.last_error_message}")
    return "\n".join(lines)
