"""The update path's SQLite connections: SQLAlchemy run synchronously on the event loop's thread.

aiosqlite runs each call in a worker thread, and SQLAlchemy's asyncio layer reaches any driver
through a greenlet: every statement costs a greenlet spawn and several switches (execute,
fetch, close), which weigh more than the statement itself when the database is a local file
in WAL mode. The update path (`SqlUnitOfWorkFactory.update_unit`) uses `InlineEngine`
instead: a synchronous SQLAlchemy engine over the standard sqlite3 driver, whose connections
are used on the loop's thread, behind the few asynchronous methods the units of work and the
repositories call (`InlineConnection`). Its statements are small indexed reads and writes
that take microseconds.

The one thing SQLite may wait for is a lock held by another connection (the outbox sender, a
scheduled job, another process). Such a wait must not block the loop, so the connection's
busy timeout is zero and a statement that finds the database locked while beginning its
transaction (the BEGIN) is tried again after an asynchronous sleep, for up to `busy_timeout`
seconds. Inside a transaction SQLite reports a lock it cannot wait for anyway (a stale
snapshot), so the error is raised at once, as with the threaded driver.

Nor does the loop write the WAL back into the database file: SQLite's automatic checkpoint
runs inside the COMMIT that crosses its threshold (a thousand pages: every 25 or so intakes),
copying the pages and syncing the file, tens of milliseconds on the loop. The inline
connections turn it off (`wal_autocheckpoint=0`, see storage/db.py) and, every
`CHECKPOINT_EVERY` commits, a worker thread checkpoints on a connection of its own: a PASSIVE
pass copies the pages without stopping anyone, then a RESTART pass copies what was written
meanwhile and lets the next writer start the WAL from its beginning, so it does not grow.
While that second pass holds the write lock, an update's BEGIN waits asynchronously as for
any other lock. The threaded engine's connections keep SQLite's default.

The update path's few hot statements (the seen-check and the mark, the sender's moderation
record, the new issue, its number, its author, its outbox entries) are marked `prepared()`:
compiled once by SQLAlchemy, with its own parameter conversions, and run inside the
transaction SQLAlchemy began straight on the driver's cursor (`InlineConnection._on_cursor`),
which skips the execution context and result set-up that cost more than the statement. The
cursor events fire as they would (the statement counters see them), a driver's error is
raised as SQLAlchemy raises it, and the columns read back are converted as SQLAlchemy
converts them, in rows named by column (`PreparedResult`). Outside a transaction, and on
every other engine, the mark means nothing.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ParamSpec, Self, TypeVar, cast

from sqlalchemy import Dialect, Engine, Executable
from sqlalchemy.engine import Connection, CursorResult, RootTransaction, Transaction
from sqlalchemy.engine.interfaces import CoreExecuteOptionsParameter, _CoreAnyExecuteParams
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound, OperationalError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

RETRY_FIRST = 0.001
RETRY_MAX = 0.05
CHECKPOINT_EVERY = 100
"""Commits of the inline connections between two checkpoints run off the loop."""
CHECKPOINT_WAIT = 2.0
"""Seconds the checkpoint's RESTART pass waits for other connections' transactions."""

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


PREPARED = "civicbot_inline_prepared"
"""The execution option that marks a statement for `InlineConnection`'s prepared path."""

S = TypeVar("S", bound=Executable)


def prepared(statement: S) -> S:
    """Mark a statement built once and run often (see the module's note)."""
    return statement.execution_options(**{PREPARED: True})


@dataclass(frozen=True, slots=True)
class _Prepared:
    statement: Executable  # kept, so its id is not reused while the entry lives
    compiled: SQLCompiler
    sql: str
    order: tuple[str, ...]
    # The positions whose values SQLAlchemy would convert, each with its processor.
    steps: tuple[tuple[int, Callable[[Any], Any]], ...]
    # The columns read back, by name (None when nothing is), and those SQLAlchemy converts.
    row_type: Callable[..., Any] | None
    readers: tuple[tuple[int, Callable[[Any], Any]], ...]

    def row(self, parameters: Mapping[str, Any]) -> tuple[Any, ...]:
        values = self.compiled.construct_params(parameters, escape_names=False)
        row = [values[name] for name in self.order]
        for position, convert in self.steps:
            row[position] = convert(row[position])
        return tuple(row)


class PreparedResult:
    """A prepared statement's result: its rows, converted as SQLAlchemy converts them and
    named by column (attribute access and position; no `_mapping`), and its row count."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        if len(self._rows) != 1:
            raise NoResultFound("no row") if not self._rows else MultipleResultsFound("rows")
        return self._rows[0][0]

    def all(self) -> list[Any]:
        return list(self._rows)


def on_cursor(
    connection: Connection, sql: str, parameters: Any = (), *, many: bool = False
) -> tuple[list[Any], int]:
    """Run `sql` on the driver's cursor of an inline connection: its rows as the driver gives
    them, and its row count. The cursor events fire as they would through SQLAlchemy (the
    statement counters see them), and a driver's error is raised as SQLAlchemy raises it."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    events = connection._has_events or connection.engine._has_events
    if events:
        connection.dispatch.before_cursor_execute(connection, cursor, sql, parameters, None, many)
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
    except sqlite3.Error as exc:
        raise DBAPIError.instance(
            sql, parameters, exc, sqlite3.Error, dialect=connection.dialect, ismulti=many
        ) from exc
    finally:
        rowcount = cursor.rowcount
        cursor.close()
    if events:
        connection.dispatch.after_cursor_execute(connection, cursor, sql, parameters, None, many)
    return rows, rowcount


def _read(row: tuple[Any, ...], readers: Sequence[tuple[int, Callable[[Any], Any]]]) -> Any:
    if not readers:
        return row
    values = list(row)
    for at, read in readers:
        values[at] = read(values[at])
    return values


def _prepare(statement: Executable, keys: Sequence[str], dialect: Dialect) -> _Prepared | None:
    """The statement compiled for `keys`, or None if it cannot take the prepared path."""
    if not isinstance(statement, ClauseElement):
        return None
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    if not isinstance(compiled, SQLCompiler) or not compiled.positional:
        return None
    if compiled.literal_execute_params or compiled.post_compile_params:
        return None
    columns = list(getattr(statement, "exported_columns", ()))
    readers: list[tuple[int, Callable[[Any], Any]]] = []
    for at, column in enumerate(columns):
        # A column read back that SQLAlchemy would convert (a moment, JSON): converted here.
        processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if processor is not None:
            readers.append((at, processor))
    # An unnamed column (a count) gets a name by its position (`_0`).
    names = [str(c.key) for c in columns]
    row_type = namedtuple("PreparedRow", names, rename=True) if columns else None
    order = tuple(compiled.positiontup or ())
    convert: dict[str, Callable[[Any], Any]] = {}
    for name, processor in compiled._bind_processors.items():
        if not callable(processor):
            return None  # a tuple's processors, one per element: not here
        convert[name] = processor
    steps = tuple((at, convert[name]) for at, name in enumerate(order) if name in convert)
    return _Prepared(statement, compiled, compiled.string, order, steps, row_type, tuple(readers))


def _locked(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc))
    return "locked" in text or "busy" in text


class Checkpointer:
    """Writes the WAL back into the database file in a worker thread, one pass at a time."""

    def __init__(self, path: str, every: int = CHECKPOINT_EVERY) -> None:
        self._path = path
        self._every = every
        self._commits = 0
        self._running: asyncio.Future[None] | None = None

    def committed(self) -> None:
        self._commits += 1
        if self._commits < self._every or self._running is not None:
            return
        self._commits = 0
        running = asyncio.get_running_loop().run_in_executor(None, self._checkpoint)
        running.add_done_callback(self._done)
        self._running = running

    async def settled(self) -> None:
        """Return once the pass in progress, if any, has ended (a benchmark charges its work
        to the commits that called for it)."""
        running = self._running
        if running is not None:
            await asyncio.wait([running])

    def _checkpoint(self) -> None:
        connection = sqlite3.connect(self._path, timeout=CHECKPOINT_WAIT)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
        finally:
            connection.close()

    def _done(self, future: asyncio.Future[None]) -> None:
        self._running = None
        if not future.cancelled() and future.exception() is not None:
            # A busy or locked database: the next pass, or another connection, does it.
            log.debug("WAL checkpoint skipped: %s", future.exception())


class InlineEngine:
    """Stands in for `AsyncEngine` on the update path: hands out `InlineConnection`s."""

    def __init__(
        self, sync_engine: Engine, busy_timeout: float, checkpointer: Checkpointer
    ) -> None:
        self.sync_engine = sync_engine
        self._busy_timeout = busy_timeout
        self._checkpointer = checkpointer
        self._prepared: dict[tuple[int, tuple[str, ...]], _Prepared | None] = {}

    def prepared(self, statement: Executable, keys: tuple[str, ...]) -> _Prepared | None:
        """The marked statement compiled for these parameter names, once."""
        key = (id(statement), keys)
        try:
            found = self._prepared[key]
        except KeyError:
            found = self._prepared[key] = _prepare(statement, keys, self.dialect)
        return found if found is None or found.statement is statement else None

    @property
    def dialect(self) -> Dialect:
        return self.sync_engine.dialect

    def connect(self) -> InlineConnection:
        """A connection; awaited or used with `async with`, as `AsyncEngine.connect()`."""
        return InlineConnection(self, self.sync_engine.connect())

    async def settled(self) -> None:
        """Return once the WAL checkpoint in progress in its worker thread, if any, has ended."""
        await self._checkpointer.settled()

    async def dispose(self) -> None:
        self.sync_engine.dispose()


class InlineConnection:
    """Stands in for `AsyncConnection` on the update path: each call runs at once, on the
    loop's thread, on a synchronous `Connection`."""

    def __init__(self, engine: InlineEngine, connection: Connection) -> None:
        self.engine = engine
        self.sync_connection = connection
        self.sync_engine = engine.sync_engine

    @property
    def dialect(self) -> Dialect:
        return self.sync_connection.dialect

    async def _run(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`call`, waiting asynchronously while another connection holds the write lock and
        this one has not begun its transaction."""
        deadline = time.monotonic() + self.engine._busy_timeout
        delay = RETRY_FIRST
        while True:
            try:
                return call(*args, **kwargs)
            except OperationalError as exc:
                waiting = not self.sync_connection.in_transaction() and _locked(exc)
                if not waiting or time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX)

    async def execute(
        self,
        statement: Executable,
        parameters: _CoreAnyExecuteParams | None = None,
        *,
        execution_options: CoreExecuteOptionsParameter | None = None,
    ) -> CursorResult[Any]:
        if execution_options is None and statement.get_execution_options().get(PREPARED):
            many = isinstance(parameters, list)
            rows: Sequence[Mapping[str, Any]] = parameters if many else [parameters or {}]  # type: ignore[assignment,list-item]
            ready = self.engine.prepared(statement, tuple(rows[0])) if rows else None
            if ready is not None:
                converted = [ready.row(row) for row in rows] if many else ready.row(rows[0])
                if self.sync_connection.in_transaction():
                    return cast(CursorResult[Any], self._on_cursor(ready, converted, many))
        return await self._run(
            self.sync_connection.execute,
            statement,
            parameters,
            execution_options=execution_options,
        )

    def _on_cursor(self, ready: _Prepared, parameters: Any, many: bool) -> PreparedResult:
        """A prepared statement run on the driver's cursor, inside the transaction SQLAlchemy
        began: what `exec_driver_sql` does, less its execution context and result set-up,
        which cost more than the statement."""
        rows, rowcount = on_cursor(self.sync_connection, ready.sql, parameters, many=many)
        if rows and ready.row_type is not None:
            rows = [ready.row_type(*_read(row, ready.readers)) for row in rows]
        return PreparedResult(rows, rowcount)

    async def exec_driver_sql(
        self,
        statement: str,
        parameters: _CoreAnyExecuteParams | None = None,
        execution_options: CoreExecuteOptionsParameter | None = None,
    ) -> CursorResult[Any]:
        return await self._run(
            self.sync_connection.exec_driver_sql, statement, parameters, execution_options
        )

    async def scalar(
        self,
        statement: Executable,
        parameters: _CoreAnyExecuteParams | None = None,
        *,
        execution_options: CoreExecuteOptionsParameter | None = None,
    ) -> Any:
        result = await self.execute(statement, parameters, execution_options=execution_options)
        return result.scalar()

    async def scalars(
        self,
        statement: Executable,
        parameters: _CoreAnyExecuteParams | None = None,
        *,
        execution_options: CoreExecuteOptionsParameter | None = None,
    ) -> Any:
        result = await self.execute(statement, parameters, execution_options=execution_options)
        return result.scalars()

    async def run_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return fn(self.sync_connection, *args, **kwargs)

    def begin(self) -> InlineTransaction:
        return InlineTransaction(self)

    def begin_nested(self) -> InlineTransaction:
        return InlineTransaction(self, nested=True)

    def in_transaction(self) -> bool:
        return self.sync_connection.in_transaction()

    def in_nested_transaction(self) -> bool:
        return self.sync_connection.in_nested_transaction()

    async def commit(self) -> None:
        self.sync_connection.commit()
        self.engine._checkpointer.committed()

    async def rollback(self) -> None:
        self.sync_connection.rollback()

    async def execution_options(self, **options: Any) -> Self:
        self.sync_connection.execution_options(**options)
        return self

    def get_execution_options(self) -> Any:
        return self.sync_connection.get_execution_options()

    async def close(self) -> None:
        self.sync_connection.close()

    def __await__(self) -> Any:
        return self._started().__await__()

    async def _started(self) -> Self:
        return self

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class InlineTransaction:
    """Stands in for `AsyncTransaction`: awaited, it begins; as a context, it commits or
    rolls back at the end."""

    def __init__(self, connection: InlineConnection, *, nested: bool = False) -> None:
        self._connection = connection
        self._nested = nested
        self._transaction: Transaction | None = None

    @property
    def is_active(self) -> bool:
        return self._transaction is not None and self._transaction.is_active

    async def start(self) -> Self:
        sync = self._connection.sync_connection
        begin = sync.begin_nested if self._nested else sync.begin
        self._transaction = await self._connection._run(begin)
        return self

    def __await__(self) -> Any:
        return self.start().__await__()

    async def commit(self) -> None:
        assert self._transaction is not None, "the transaction was not begun"
        self._transaction.commit()
        if isinstance(self._transaction, RootTransaction):
            self._connection.engine._checkpointer.committed()

    async def rollback(self) -> None:
        assert self._transaction is not None, "the transaction was not begun"
        self._transaction.rollback()

    async def __aenter__(self) -> Self:
        if self._transaction is None:
            await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.is_active:
            return
        if exc_type is None:
            await self.commit()
        else:
            await self.rollback()


def connector(path: str) -> Callable[[], sqlite3.Connection]:
    """A `creator` for SQLAlchemy's sqlite dialect: connections used on the loop's thread
    (SQLAlchemy may close one from a finalizer elsewhere), never waiting on a lock."""

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(path, timeout=0, check_same_thread=False)

    return connect
