"""Engine set-up and schema migrations."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

if TYPE_CHECKING:
    from alembic.config import Config

from storage import inline_sqlite

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"


def sqlite_file(url: str) -> Path | None:
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix) and url != prefix + ":memory:":
        return Path(url.removeprefix(prefix))
    return None


def create_engine(url: str, busy_timeout: float = 30.0) -> AsyncEngine:
    """An async engine; for SQLite the file's folders are created and WAL is switched on."""
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url, connect_args={"timeout": busy_timeout}, json_serializer=json_text
        )
        _sqlite_events(engine, busy_timeout)
        _cancellable_aiosqlite(engine)
        return engine
    return create_async_engine(url, pool_pre_ping=True)


def create_inline_engine(
    url: str, busy_timeout: float = 30.0, checkpoint_every: int = inline_sqlite.CHECKPOINT_EVERY
) -> AsyncEngine | None:
    """For a SQLite file, an engine whose connections run SQLite on the loop's thread
    (storage.inline_sqlite), for the short transactions of updates; None for other URLs.

    It stands in for an `AsyncEngine` (and its connections for `AsyncConnection`s) for the
    calls units of work and repositories make."""
    path = sqlite_file(url)
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    sync_engine = sa_create_engine(
        f"sqlite:///{path}", creator=inline_sqlite.connector(str(path)), json_serializer=json_text
    )

    def pragmas(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        _sqlite_pragmas(dbapi_connection, record, busy_timeout, inline=True)

    event.listen(sync_engine, "connect", pragmas)
    event.listen(sync_engine, "begin", _inline_begin)
    checkpointer = inline_sqlite.Checkpointer(str(path), checkpoint_every)
    engine = inline_sqlite.InlineEngine(sync_engine, busy_timeout, checkpointer)
    return cast(AsyncEngine, engine)


def _sqlite_events(engine: AsyncEngine, busy_timeout: float = 30.0) -> None:
    def pragmas(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        _sqlite_pragmas(dbapi_connection, record, busy_timeout)

    event.listen(engine.sync_engine, "connect", pragmas)
    event.listen(engine.sync_engine, "begin", _sqlite_begin)


def _cancellable_aiosqlite(engine: AsyncEngine) -> None:
    """Make a cancelled query's connection let go of the database at once, and quietly.

    A unit cancelled mid-query (a lost lease stopping the sender, a timeout, a stop) has its
    connection invalidated by SQLAlchemy, which closes it without a rollback. The cancelled
    statement is still open in the connection's thread, so SQLite's close leaves the
    connection a zombie that keeps its transaction, and with it the write lock, until Python
    frees the cursor: every other writer waited out its busy timeout and failed "locked".
    A rollback queued at the invalidation runs right after the statement and ends it.

    A second cancellation during that close makes SQLAlchemy force-close through `stop()`,
    which aiosqlite added in 0.22.1 by renaming 0.21's `_stop_running`. Without it the close
    raised NotImplementedError, logged as an ERROR with two pages of traceback, and left the
    connection's thread running. 0.22 itself is held off (pyproject.toml says why).
    """
    if engine.dialect.dbapi is not None and not getattr(engine.dialect.dbapi, "has_stop", True):
        engine.dialect.has_terminate = True  # what SQLAlchemy sets when aiosqlite has stop()

    def stoppable(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        driver_connection = dbapi_connection.driver_connection
        if not hasattr(driver_connection, "stop"):
            # The stop is queued: the worker thread ends after the work queued before it,
            # so a graceful close already on its way still completes.
            driver_connection.stop = driver_connection._stop_running

    def roll_back(
        dbapi_connection: Any, _record: ConnectionPoolEntry, _exc: BaseException | None
    ) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # garbage collection's clean-up, outside the loop: nothing can be queued
        # Queued now, not awaited: a rollback awaited here could itself be cancelled, and a
        # task started now reaches the connection's queue before SQLAlchemy's close does.
        rollback = asyncio.ensure_future(dbapi_connection.driver_connection.rollback())
        _ROLLBACKS.add(rollback)
        rollback.add_done_callback(_rolled_back)

    event.listen(engine.sync_engine, "connect", stoppable)
    event.listen(engine.sync_engine, "invalidate", roll_back)


_ROLLBACKS: set[asyncio.Future[None]] = set()  # held until done: the loop keeps weak references


def _rolled_back(rollback: asyncio.Future[None]) -> None:
    _ROLLBACKS.discard(rollback)
    if not rollback.cancelled() and rollback.exception() is not None:
        log.debug("rollback of an invalidated connection: %r", rollback.exception())


_JSON = json.JSONEncoder(ensure_ascii=False)


def json_text(value: Any) -> str:
    """JSON columns on SQLite keep letters as they are: a Russian text escaped as \\uXXXX
    takes three times the bytes (an acknowledgement and a card are a page more per intake).
    One encoder serves every value (`json.dumps` with an option builds a new one each time)."""
    return _JSON.encode(value)


def is_locked(exc: BaseException) -> bool:
    """Did `exc` come from SQLite's write lock held elsewhere for longer than the busy timeout
    (a backup tool, a second process, a slow disk)?"""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, sqlite3.OperationalError):
            text = str(seen)
            return "locked" in text or "busy" in text
        seen = getattr(seen, "orig", None) or seen.__cause__ or seen.__context__
    return False


def _sqlite_pragmas(
    dbapi_connection: Any,
    _record: ConnectionPoolEntry,
    busy_timeout: float = 30.0,
    *,
    inline: bool = False,
) -> None:
    # The sqlite3 driver's own transaction handling breaks savepoints (RELEASE would commit);
    # SQLAlchemy's documented fix: the driver does nothing, and "begin" below emits BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets the outbox sender read while a handler writes; NORMAL sync is durable against
    # a killed process (only an OS crash can lose the last transaction).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # The inline driver must never block the event loop on a lock: it waits asynchronously.
    cursor.execute(f"PRAGMA busy_timeout={0 if inline else int(busy_timeout * 1000)}")
    if inline:
        # Its checkpoints run in a worker thread (storage.inline_sqlite.Checkpointer).
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


MIGRATION_LOCK = int.from_bytes(b"civicbot", "big")
"""The PostgreSQL advisory lock key a migration holds for its transaction."""

BEGIN_OPTION = "civicbot_begin"
"""Execution option naming how a unit's SQLite transaction begins: IMMEDIATE or DEFERRED."""


def _begin_statement(connection: Connection) -> str:
    # Writers begin IMMEDIATE: they take the write lock up front, so two writers queue on
    # busy_timeout instead of one failing when it upgrades a read transaction. Read-only units
    # begin DEFERRED and never take the write lock.
    return f"BEGIN {connection.get_execution_options().get(BEGIN_OPTION, 'IMMEDIATE')}"


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql(_begin_statement(connection))


def _inline_begin(connection: Connection) -> None:
    # Straight on the driver's cursor: every update begins, and the BEGIN through
    # SQLAlchemy's execution path cost more than the statement.
    inline_sqlite.on_cursor(connection, _begin_statement(connection))


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


async def upgrade(engine: AsyncEngine, revision: str = "heads") -> None:
    """Apply migrations up to `revision` in one transaction; raises if one fails.

    A start on a database already at head reads its version row and returns: alembic (about
    0.1 s of imports and 10 MB) is loaded only when there is a migration to run.
    """
    if revision == "heads" and await current_revisions(engine) == head_revisions():
        log.info("database schema is up to date")
        return
    from alembic import command

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two processes starting on one database take turns: the second waits here until
            # the first has committed, then alembic finds the schema at head and does nothing.
            # SQLite needs no lock: the transaction's BEGIN IMMEDIATE serialises them.
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
            )
        await connection.run_sync(run)
    log.info("database schema is up to date")


def head_revisions() -> set[str]:
    """The revisions no other migration revises, read from the migration files.

    The files are read, not imported, so this costs neither alembic nor SQLAlchemy DDL;
    a test checks the answer against alembic's own script directory.
    """
    declared = _declared_revisions()
    revised = {down for _, downs in declared for down in downs}
    return {revision for revision, _ in declared} - revised


# `revision = "0001_core"`, `down_revision = None`, or a tuple of revisions for a merge.
_CONSTANT = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")


@functools.cache
def _declared_revisions() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(revision, the revisions it revises) of each migration file.

    Matched as text rather than parsed: CPython 3.11's parser is not safe while another
    thread compiles (gh-106905: "AST constructor recursion depth mismatch"), and the bot
    parses this at start while its warm-up threads import modules. The files don't change
    while the process runs, so once is enough.
    """
    found = []
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        constants = dict(_CONSTANT.findall(path.read_text(encoding="utf-8")))
        revision = _QUOTED.findall(constants.get("revision", ""))
        if revision:
            downs = tuple(_QUOTED.findall(constants.get("down_revision", "")))
            found.append((revision[0], downs))
    return tuple(found)


async def current_revisions(engine: AsyncEngine) -> set[str]:
    """The revisions recorded in the database (alembic's version table); empty when new."""

    def read(connection: Connection) -> set[str]:
        if not inspect(connection).has_table(VERSION_TABLE):
            return set()
        rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
        return {row[0] for row in rows}

    async with engine.connect() as connection:
        return await connection.run_sync(read)


# --- start-up checks, backup and restore of a SQLite file ---------------------------------

SQLITE_HEADER = b"SQLite format 3\x00"


class StorageProblem(Exception):
    """A database file that cannot be used, worded as one line naming the file."""


def check_sqlite_file(path: Path, *, must_exist: bool) -> None:
    """Fail with one StorageProblem line unless `path` can serve as civicbot's database.

    A missing file needs a folder that exists (or can be made) and is writable; an existing one
    must be readable, writable with its folder (WAL keeps -wal and -shm files beside it), an
    SQLite database that is not damaged, and either empty or carrying civicbot's schema.
    """
    if not path.exists():
        if must_exist:
            raise StorageProblem(f"{path}: no such database file")
        _ensure_folder(path.parent)
        return
    if not path.is_file():
        raise StorageProblem(f"{path}: is not a file")
    if not os.access(path.parent, os.W_OK) or not os.access(path, os.R_OK | os.W_OK):
        raise StorageProblem(
            f"{path}: the file or its folder is read-only; SQLite needs to write both"
        )
    with path.open("rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    if header and header != SQLITE_HEADER:
        raise StorageProblem(f"{path}: is not an SQLite database")
    try:
        uri = f"file:{path}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=30)) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
            versions = (
                {row[0] for row in conn.execute(f"SELECT version_num FROM {VERSION_TABLE}")}
                if VERSION_TABLE in tables
                else set()
            )
    except sqlite3.DatabaseError as exc:
        if is_locked(exc):
            return  # a running bot (or a backup) holds it: busy, not damaged
        raise StorageProblem(
            f"{path}: the database is damaged ({exc}); restore a backup"
        ) from None
    if tables and not versions & known_revisions():
        raise StorageProblem(f"{path}: is an SQLite database but not civicbot's")


def _ensure_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise StorageProblem(f"{folder}: is a file, not a folder") from None
    except OSError as exc:
        raise StorageProblem(f"{folder}: cannot create the folder ({exc.strerror})") from None
    if not os.access(folder, os.W_OK):
        raise StorageProblem(f"{folder}: the folder is read-only")


def known_revisions() -> set[str]:
    """Every revision in the migration files: a database at any of them is civicbot's."""
    return {revision for revision, _ in _declared_revisions()}


def integrity(path: Path) -> tuple[list[str], set[str]]:
    """SQLite's integrity check (["ok"] when sound) and the schema revisions of a file."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        revisions: set[str] = set()
        if VERSION_TABLE in tables:
            revisions = {
                row[0] for row in conn.execute(f"SELECT version_num FROM {VERSION_TABLE}")
            }
    return problems, revisions


def backup(source: Path, target: Path) -> None:
    """A consistent copy of a live database through SQLite's online backup API: writers go on
    while it runs, and the copy is one committed state. Written beside `target`, then renamed."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with (
        contextlib.closing(sqlite3.connect(source, timeout=30)) as src,
        contextlib.closing(sqlite3.connect(partial)) as dst,
    ):
        src.backup(dst, pages=1024)
    os.replace(partial, target)


def restore(source: Path, target: Path) -> None:
    """Replace the database at `target` with the copy at `source` (through the backup API,
    so the target's WAL files stay consistent). The caller holds the instance lock."""
    with (
        contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
        contextlib.closing(sqlite3.connect(target, timeout=30)) as dst,
    ):
        src.backup(dst)


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


@contextlib.contextmanager
def instance_lock(database: Path, *, shared: bool = False) -> Iterator[None]:
    """An advisory lock beside the database. Running bots hold it `shared` for their lifetime
    (several processes may share one database: bot.cluster elects which does what); a
    restore holds it alone, so it is refused while any bot runs and a bot is refused while a
    restore runs. The kernel drops it when the process ends, however it ends."""
    import fcntl

    handle = lock_path(database).open("a+")
    try:
        try:
            fcntl.flock(handle, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            problem = (
                "a restore is writing this database"
                if shared
                else "a civicbot process is running on this database"
            )
            raise StorageProblem(f"{database}: {problem}") from None
        if not shared:
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
        yield
    finally:
        handle.close()
