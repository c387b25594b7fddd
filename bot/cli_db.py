"""`civicbot db …` and the database checks every command makes before it opens the file."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
from pathlib import Path

from bot.config import Settings, setting_source
from storage import db


class CliError(Exception):
    """A failure worded as one line for the operator; the command exits 2."""


def add_arguments(sub: argparse.ArgumentParser) -> None:
    actions = sub.add_subparsers(dest="action", required=True, metavar="ACTION")
    # --config may also follow the action (`civicbot db upgrade --config FILE`).
    config = argparse.ArgumentParser(add_help=False)
    config.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="TOML config file")
    actions.add_parser(
        "upgrade",
        parents=[config],
        help="apply schema migrations (creates the database and its folder if missing)",
        description="Apply the schema migrations. The bot does this itself at start; run it "
        "by hand after installing a new version, before starting the bot.",
    )
    actions.add_parser(
        "check",
        parents=[config],
        help="integrity check and schema revision",
        description="Run SQLite's integrity check and report the schema revision; "
        "exit 2 if the file is damaged. Safe while the bot runs.",
    )
    backup = actions.add_parser(
        "backup",
        parents=[config],
        help="online, consistent copy of the database",
        description="Copy the database with SQLite's online backup API. Safe while the bot "
        "runs: the copy is one committed state. An existing FILE is replaced.",
    )
    backup.add_argument("file", type=Path, metavar="FILE", help="where to write the copy")
    restore = actions.add_parser(
        "restore",
        parents=[config],
        help="replace the database with a backup (the bot must be stopped)",
        description="Replace the database with the copy in FILE, after checking that FILE "
        "is a sound civicbot database. Refused while a bot runs on the database.",
    )
    restore.add_argument("file", type=Path, metavar="FILE", help="the backup to restore")


def database_file(
    settings: Settings, config_path: Path | None, *, must_exist: bool
) -> Path | None:
    """The SQLite file the settings name, checked (None for another database's URL)."""
    path = db.sqlite_file(settings.storage.database_url())
    if path is None:
        return None
    try:
        db.check_sqlite_file(path, must_exist=must_exist)
    except db.StorageProblem as exc:
        key = "storage.url" if settings.storage.url else "storage.path"
        raise CliError(f"{exc} ({key} from {setting_source(key, config_path)})") from None
    return path


def run(args: argparse.Namespace, settings: Settings, config_path: Path | None) -> str:
    """Carry out one `db` action; returns what to print."""
    path = database_file(settings, config_path, must_exist=args.action in ("check", "backup"))
    if args.action == "upgrade":
        asyncio.run(_upgrade(settings))
        return "database schema is up to date"
    if path is None:
        raise CliError(f"db {args.action}: only for an SQLite database (storage.path)")
    if args.action == "check":
        return check(path)
    if args.action == "backup":
        try:
            args.file.parent.mkdir(parents=True, exist_ok=True)
            db.backup(path, args.file)
        except (OSError, sqlite3.Error) as exc:
            raise CliError(f"{args.file}: cannot write the backup ({exc})") from None
        return f"backed up {path} to {args.file}"
    return restore(args.file, path)


async def _upgrade(settings: Settings) -> None:
    engine = db.create_engine(settings.storage.database_url())
    try:
        await db.upgrade(engine)
    finally:
        await engine.dispose()


def check(path: Path) -> str:
    problems, revisions = db.integrity(path)
    if problems != ["ok"]:
        raise CliError(f"{path}: integrity check failed: {'; '.join(problems[:3])}")
    heads = db.head_revisions()
    if not revisions:
        state = "no schema yet (run civicbot db upgrade)"
    elif revisions == heads:
        state = f"schema revision {', '.join(sorted(revisions))} (current)"
    else:
        state = (
            f"schema revision {', '.join(sorted(revisions))}, this version expects "
            f"{', '.join(sorted(heads))} (run civicbot db upgrade)"
        )
    return f"{path}: integrity ok, {state}"


def restore(source: Path, target: Path) -> str:
    try:
        db.check_sqlite_file(source, must_exist=True)
    except db.StorageProblem as exc:
        raise CliError(f"backup {exc}") from None
    problems, revisions = db.integrity(source)
    if problems != ["ok"] or not revisions:
        raise CliError(f"{source}: not a sound civicbot backup (run civicbot db check on it)")
    try:
        with db.instance_lock(target):
            db.restore(source, target)
    except db.StorageProblem as exc:
        raise CliError(f"{exc}; stop it before restoring") from None
    return f"restored {target} from {source}; start the bot (it upgrades the schema if needed)"
