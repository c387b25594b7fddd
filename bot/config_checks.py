"""`civicbot check-config` warnings: settings that are valid but almost certainly a mistake.

Each is one "warning: …" line; none stops the bot, so check-config still exits 0.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from bot.config import ENV_PREFIX, Settings, setting_source

PLACEHOLDER_MARK = "REPLACE"
"""The example config's token says REPLACE-WITH-THE-TOKEN-FROM-BOTFATHER."""

NETWORK_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "ceph", "glusterfs", "afs"}
)
"""File systems whose locking SQLite cannot trust (https://sqlite.org/useovernet.html)."""


def config_warnings(settings: Settings, config_path: Path | None) -> list[str]:
    warnings: list[str] = []
    token = settings.telegram.token
    if token is not None and PLACEHOLDER_MARK in token.get_secret_value().upper():
        source = setting_source("telegram.token", config_path)
        warnings.append(
            f"{source}: telegram.token is the example's placeholder; "
            "put the token from @BotFather there"
        )
    if not settings.roles.admins:
        source = setting_source("roles.admins", config_path)
        warnings.append(
            f"{source}: roles.admins is empty: nobody can /register a chat or grant roles; "
            "add your Telegram user id (write to @userinfobot to learn it)"
        )
    warnings.extend(_unknown_environment())
    if settings.storage.url:
        return warnings
    path = settings.storage.path
    fstype = filesystem_type(path)
    if fstype in NETWORK_FILESYSTEMS:
        source = setting_source("storage.path", config_path)
        warnings.append(
            f"{source}: storage.path {path} is on a network file system ({fstype}); "
            "SQLite's locking is unreliable there, keep the database on a local disk"
        )
    if staff_chats(path) == 0:
        warnings.append(
            f"{path}: no staff chat is registered: issues have nowhere to go; "
            "send /register staff in the specialists' group"
        )
    return warnings


def _unknown_environment() -> list[str]:
    """CIVICBOT_ variables that name no setting: pydantic-settings ignores them silently."""
    sections = set(Settings.model_fields)
    found = []
    for name in sorted(os.environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX):
            continue
        section, _, key = upper.removeprefix(ENV_PREFIX).lower().partition("__")
        if section not in sections:
            found.append(f"environment {name}: names no setting; it is ignored")
            continue
        model = Settings.model_fields[section].annotation
        fields = getattr(model, "model_fields", {})
        if key and key not in fields:
            found.append(f"environment {name}: {section} has no setting {key!r}; it is ignored")
    return found


def filesystem_type(path: Path) -> str | None:
    """The type of the file system holding `path` (or its nearest existing folder), from
    /proc/mounts; None where that file does not exist."""
    target = path.absolute()
    while not target.exists() and target != target.parent:
        target = target.parent
    target = target.resolve()
    best: tuple[int, str] | None = None
    try:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        inside = target == Path(point) or Path(point) in target.parents
        if inside and (best is None or len(point) > best[0]):
            best = (len(point), parts[2])
    return best[1] if best else None


def staff_chats(path: Path) -> int | None:
    """How many staff chats the database knows; None when that cannot be read (no file yet,
    not migrated): the warning is then skipped rather than guessed."""
    if not path.is_file():
        return None
    with contextlib.suppress(sqlite3.Error):
        uri = f"file:{path}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as connection:
            row = connection.execute("SELECT count(*) FROM chats WHERE kind = 'staff'").fetchone()
            return int(row[0])
    return None
