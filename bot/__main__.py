"""The `civicbot` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import ConfigError, Settings, describe_settings, load_settings

EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="civicbot", description="Telegram feedback desk for a town's group chats."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_config(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument(
            "--config", type=Path, default=None, help="TOML config file (default: config.toml)"
        )
        return sub

    with_config("run", "run the bot with long polling")
    with_config("check-config", "validate the config and print the effective settings")
    db_parser = with_config("db", "database maintenance")
    db_parser.add_argument("action", choices=["upgrade"], help="apply schema migrations")
    from bot import cli_updates

    cli_updates.add_arguments(with_config("updates", "updates the bot could not parse"))
    commands.add_parser("demo", help="play a scripted day against a local Telegram double")
    from bot.cli_reports import add_arguments

    add_arguments(
        with_config("export", "write the issues of a period as XLSX or CSV"), export=True
    )
    add_arguments(with_config("stats", "print the statistics of a period"), export=False)
    return parser


def _settings(path: Path | None) -> Settings:
    try:
        return load_settings(path)
    except ConfigError as exc:
        print(f"civicbot: config error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def _setup_logging(verbose: bool = True) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from bot.demo import run_demo

        _setup_logging(verbose=False)
        return asyncio.run(run_demo())
    settings = _settings(args.config)
    if args.command == "check-config":
        print(describe_settings(settings), end="")
        return 0
    if args.command in ("export", "stats"):
        return _reports(args, settings)
    if args.command == "updates":
        from bot import cli_updates

        _setup_logging(verbose=False)
        return asyncio.run(cli_updates.run(settings, args))
    _setup_logging()
    if args.command == "db":
        from storage import db

        async def upgrade() -> None:
            engine = db.create_engine(settings.storage.database_url())
            try:
                await db.upgrade(engine)
            finally:
                await engine.dispose()

        asyncio.run(upgrade())
        return 0
    from bot import app

    try:
        asyncio.run(app.run(settings))
    except ConfigError as exc:
        print(f"civicbot: config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    return 0


def _reports(args: argparse.Namespace, settings: Settings) -> int:
    from bot import cli_reports

    _setup_logging(verbose=False)
    try:
        first, last = cli_reports.parse_period(args.first, args.last)
        if args.command == "stats":
            print(asyncio.run(cli_reports.run_stats(settings, first, last)))
            return 0
        paths = asyncio.run(cli_reports.run_export(settings, first, last, args.format, args.out))
    except cli_reports.ReportArgsError as exc:
        print(f"civicbot {args.command}: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
