"""The `civicbot` command line.

Every failure an operator can cause (a bad setting, an unusable database file, Ctrl+C) ends as
one line on stderr and exit 2; a traceback means a bug. Ctrl+C before the bot is up is one
of them ("civicbot: interrupted"); once it runs, Ctrl+C stops it cleanly, exit 0.
"""

from __future__ import annotations

import os
import signal
import sys


def _interrupted_while_loading(_signum: int, _frame: object) -> None:
    sys.stderr.write("civicbot: interrupted\n")
    os._exit(2)


# Ctrl+C while the modules below load (a second or more on a slow machine) ends quietly too;
# main() hands SIGINT back to Python's KeyboardInterrupt once it is inside its `try`.
if __name__ == "__main__" or sys.argv[0].endswith("civicbot"):
    signal.signal(signal.SIGINT, _interrupted_while_loading)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import sqlite3  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

if TYPE_CHECKING:
    from bot.config import Settings

EXIT_CONFIG = 2
EXIT_INTERRUPTED = 2


def _version() -> str:
    try:
        return metadata.version("civicbot")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="civicbot", description="Telegram feedback desk for a town's group chats."
    )
    parser.add_argument("--version", action="version", version=f"civicbot {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_config(name: str, help_text: str, description: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=description)
        sub.add_argument(
            "--config",
            type=Path,
            default=None,
            help="TOML config file (default: config.toml in the working folder; "
            "CIVICBOT_* environment variables override it)",
        )
        return sub

    run = with_config(
        "run",
        "run the bot (long polling, or a webhook)",
        "Run the bot until SIGINT/SIGTERM. Applies pending schema migrations first. "
        "Only one bot may run on a database at a time.",
    )
    run.add_argument(
        "--webhook",
        action="store_true",
        help='take updates on the webhook of [telegram] (as mode = "webhook" does), not by '
        "long polling",
    )
    from bot import cli_webhook

    cli_webhook.add_arguments(
        with_config(
            "webhook",
            "show or delete the Telegram webhook",
            "Show the webhook Telegram delivers to (info), or delete it (delete); a start in "
            "polling mode deletes it too.",
        )
    )
    with_config(
        "check-config",
        "validate the config and print the effective settings",
        "Validate the config and print the effective settings (token masked). "
        'Settings that are valid but likely a mistake print "warning: …" lines on stderr; '
        "exit 0 unless the config is invalid (exit 2).",
    )
    from bot import cli_db

    cli_db.add_arguments(
        with_config(
            "db",
            "database maintenance",
            "Database maintenance: upgrade, check, backup and restore of the SQLite file.",
        )  # fmt: skip
    )
    config = commands.add_parser(
        "config", help="configuration helpers", description="Configuration helpers."
    )
    config_actions = config.add_subparsers(dest="action", required=True, metavar="ACTION")
    config_actions.add_parser(
        "example",
        help="print the commented example config",
        description="Print the commented example config: civicbot config example > config.toml",
    )
    from bot import cli_updates

    cli_updates.add_arguments(
        with_config(
            "updates",
            "updates the bot could not parse",
            "List the updates set aside as unparseable, or handle one again after an upgrade.",
        )
    )
    from bot import cli_spam

    cli_spam.add_arguments(
        with_config(
            "spam",
            "measure the anti-spam and teach it examples",
            "Measure the anti-spam with cross-validation (eval) or import labelled examples "
            "(add --spam|--ham FILE).",
        )
    )
    with_config(
        "chats",
        "list the registered chats with their ids",
        "List the registered chats: chat id, topic (thread) id, kind, name, organisation and "
        "departments; the ids are what [digest] chat_ids needs.",
    )
    demo = commands.add_parser(
        "demo",
        help="play a scripted day against a local Telegram double",
        description="Play a scripted working day against a Telegram double on 127.0.0.1 and "
        "print it in time order; nothing reaches Telegram. Without --keep nothing is left "
        "behind.",
    )
    demo.add_argument(
        "--keep",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep the day's database, config.toml and files in DIR, for civicbot stats/export "
        "--config DIR/config.toml (default: a temporary folder, removed)",
    )
    demo.add_argument(
        "--max", action="store_true", help="play the day on MAX, against a local MAX double"
    )
    from bot.cli_reports import add_arguments

    add_arguments(
        with_config(
            "export",
            "write the issues of a period as XLSX (with a summary) or CSV",
            "Write the issues of a period, one row each with its text and answers, as one XLSX "
            "file (with a summary sheet by department and category) or one CSV file (default "
            "period: the current month). Exit 1 if no issue was received in the period.",
        ),
        export=True,
    )
    add_arguments(
        with_config(
            "stats",
            "print the statistics of a period",
            "Print the statistics of a period (default: the current month).",
        ),
        export=False,
    )
    return parser


def _setup_logging(verbose: bool = True, settings: Settings | None = None) -> None:
    from bot.logs import setup_logging

    if settings is None:
        setup_logging("INFO" if verbose else "WARNING")
        return
    level = settings.logging.level if verbose else "WARNING"
    setup_logging(level, settings.logging.format)


def _fail(message: str, code: int = EXIT_CONFIG) -> int:
    print(f"civicbot: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    # Everything, imports included, runs inside this try: Ctrl+C at any moment of the start
    # ends as one line.
    try:
        # Run as a command, Ctrl+C until the bot's own handlers take over (the first thing its
        # loop does) is the loading handler above: one line, exit 2, wherever it lands, even
        # inside a library that would turn a KeyboardInterrupt into an error of its own.
        return _main(_parser().parse_args(argv))
    except KeyboardInterrupt:
        # One Ctrl+C is the answer; a late second delivery must not cut the line short. The
        # bot is not up yet, so nothing is in flight: exit at once rather than wait for the
        # interpreter's shutdown (joining a worker thread there, a KeyboardInterrupt could
        # still end the process by the signal instead of exit 2).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _fail("interrupted", EXIT_INTERRUPTED)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)
    except Exception as exc:
        message = _one_line(exc)
        if message is None:
            raise
        return _fail(message)


def _one_line(exc: Exception) -> str | None:
    """The operator's line for an expected failure; None for a bug (its traceback is shown)."""
    from bot.cli_db import CliError
    from bot.cli_reports import ReportArgsError
    from bot.config import ConfigError

    if isinstance(exc, ConfigError):
        return f"config error: {exc}"
    if isinstance(exc, CliError | ReportArgsError):
        return str(exc)
    # A database that fails after the start-up checks passed (a disk that fills, a server
    # that refuses); sqlalchemy is imported only when such an error is being handled.
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError | sqlite3.Error):
        return f"database error: {getattr(exc, 'orig', None) or exc}"
    if isinstance(exc, OSError):
        return f"{exc.filename or 'error'}: {exc.strerror or exc}"
    return None


def _main(args: argparse.Namespace) -> int:
    if args.command == "demo":
        _setup_logging(verbose=False)
        if args.max:
            from bot.demo_max import run_max_demo

            return asyncio.run(run_max_demo())
        from bot.demo import run_demo

        return asyncio.run(run_demo(keep=args.keep))
    if args.command == "config":
        from importlib import resources

        print(resources.files("bot").joinpath("config.example.toml").read_text("utf-8"), end="")
        return 0
    from bot.config import describe_settings, load_settings

    settings = load_settings(args.config)
    if args.command == "check-config":
        from bot.config_checks import config_warnings

        print(describe_settings(settings), end="")
        for warning in config_warnings(settings, args.config):
            print(f"warning: {warning}", file=sys.stderr)
        return 0
    from bot import cli_db

    if args.command in ("export", "stats"):
        cli_db.database_file(settings, args.config, must_exist=True)
        return _reports(args, settings)
    if args.command == "chats":
        from bot.cli_chats import run_chats

        cli_db.database_file(settings, args.config, must_exist=True)
        _setup_logging(verbose=False)
        print(asyncio.run(run_chats(settings)))
        return 0
    if args.command == "updates":
        from bot import cli_updates

        cli_db.database_file(settings, args.config, must_exist=True)
        _setup_logging(verbose=False)
        return asyncio.run(cli_updates.run(settings, args))
    if args.command == "spam":
        from bot import cli_spam

        _setup_logging(verbose=False)
        print(asyncio.run(cli_spam.run(settings, args, args.config)))
        return 0
    if args.command == "db":
        _setup_logging(verbose=False)
        print(cli_db.run(args, settings, args.config))
        return 0
    if args.command == "webhook":
        from bot import cli_webhook

        _setup_logging(verbose=False)
        print(asyncio.run(cli_webhook.run(settings, args)))
        return 0
    if getattr(args, "webhook", False):
        from bot.config import in_webhook_mode

        settings = in_webhook_mode(settings)
    path = cli_db.database_file(settings, args.config, must_exist=False)
    _setup_logging(settings=settings)
    return _run(settings, path)


def _run(settings: Settings, path: Path | None) -> int:
    import contextlib

    from bot import app
    from bot.cli_db import CliError
    from storage import db

    # Shared: several processes may run on one database; a restore waits for all to stop.
    lock: Any = (
        db.instance_lock(path, shared=True) if path is not None else contextlib.nullcontext()
    )
    try:
        with lock:
            asyncio.run(app.run(settings))
    except db.StorageProblem as exc:
        raise CliError(str(exc)) from None
    return 0


def _reports(args: argparse.Namespace, settings: Settings) -> int:
    from bot import cli_reports

    _setup_logging(verbose=False)
    try:
        first, last = cli_reports.parse_period(args.first, args.last)
        if args.command == "stats":
            print(asyncio.run(cli_reports.run_stats(settings, first, last)))
            return 0
        path = asyncio.run(cli_reports.run_export(settings, first, last, args.format, args.out))
    except cli_reports.ReportArgsError as exc:
        print(f"civicbot {args.command}: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except cli_reports.NothingToExport as exc:
        print(f"civicbot {args.command}: {exc}; no file written", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
