"""The database a test runs on, chosen by one environment variable.

Unset, every test gets a fresh SQLite file in its temporary folder (the embedded default):
a copy of a file migrated once per test worker, as on PostgreSQL (migrating each test's file
cost a second or more a test).
Set ``CIVICBOT_TEST_DATABASE_URL`` to a PostgreSQL server's URL, for example
``postgresql+asyncpg://civicbot:civicbot@127.0.0.1:5432/postgres``, and every test gets its
own database on that server instead: created empty, or copied (``CREATE DATABASE … TEMPLATE``)
from a template that was migrated once per test worker, which is much faster than migrating.
The role in the URL needs CREATEDB. `.ci/run` runs the suites both ways.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import db

ENV = "CIVICBOT_TEST_DATABASE_URL"
# Names unique to this test process (several runs may share one server: two checkouts, two
# developers), so one run never drops or copies another's template. They name the host and the
# process, so a later run can drop what a killed one left behind (`_drop_left_behind`).
_HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]
_RUN = f"{_HOST}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
_LEFT_BEHIND = re.compile(
    rf"^civicbot_(?:test|template)_{_HOST}_(\d+)_[0-9a-f]{{6}}(?:_[0-9a-f]{{12}})?$"
)
_migrated_templates: set[str] = set()
_sqlite_template: Path | None = None


def server_url() -> str | None:
    """The PostgreSQL server under test, or None for SQLite."""
    return os.environ.get(ENV) or None


def on_postgres() -> bool:
    return server_url() is not None


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def _admin(sql: str) -> list[str]:
    """Run `sql` outside a transaction (CREATE/DROP DATABASE); the first column of its rows."""
    server = server_url()
    assert server is not None
    engine = db.create_engine(server)
    try:
        async with engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            result = await connection.execute(text(sql))
            return [str(row[0]) for row in result.all()] if result.returns_rows else []
    finally:
        await engine.dispose()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _drop_left_behind() -> None:
    """Drop the databases of earlier runs on this host whose process is gone (a killed test
    worker never reaches its teardown)."""
    names = await _admin("SELECT datname FROM pg_database WHERE datname LIKE 'civicbot%'")
    for name in names:
        match = _LEFT_BEHIND.match(name)
        if match and not _alive(int(match.group(1))):
            await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _template() -> str:
    """This worker's migrated template database (made on first use)."""
    server = server_url()
    assert server is not None
    name = f"civicbot_template_{_RUN}"
    if name not in _migrated_templates:
        await _drop_left_behind()
        await _admin(f'CREATE DATABASE "{name}"')
        engine = db.create_engine(_with_database(server, name))
        try:
            await db.upgrade(engine)
        finally:
            await engine.dispose()
        _migrated_templates.add(name)
    return name


async def _sqlite_template_file() -> Path:
    """This worker's migrated SQLite file (made on first use), copied for each test: a file
    SQLite closed cleanly, its write-ahead log checkpointed into it and removed."""
    global _sqlite_template
    if _sqlite_template is None:
        folder = Path(tempfile.mkdtemp(prefix=f"civicbot_template_{_RUN}_"))
        path = folder / "template.db"
        engine = db.create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await db.upgrade(engine)
        finally:
            await engine.dispose()
        leftovers = [p.name for p in folder.iterdir() if p != path]
        assert not leftovers, f"the template was not closed cleanly: {leftovers}"
        if _sqlite_template is None:
            _sqlite_template = path
        else:  # another test's coroutine made one meanwhile
            shutil.rmtree(folder, ignore_errors=True)
    return _sqlite_template


async def drop_templates() -> None:
    """Drop this process's templates (at the end of the session)."""
    global _sqlite_template
    if _sqlite_template is not None:
        shutil.rmtree(_sqlite_template.parent, ignore_errors=True)
        _sqlite_template = None
    while _migrated_templates:
        name = _migrated_templates.pop()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class TestDatabase:
    """One test's database: `url` for settings and engines, `drop()` when done."""

    __test__ = False  # a helper, not a test class for pytest to collect

    def __init__(self, url: str, name: str | None) -> None:
        self.url = url
        self._name = name

    @property
    def is_postgres(self) -> bool:
        return self._name is not None

    @property
    def path(self) -> Path:
        """The SQLite file (for the SQLite-only tests of the file itself)."""
        path = db.sqlite_file(self.url)
        assert path is not None, f"{self.url} is not a SQLite file"
        return path

    async def drop(self) -> None:
        if self._name is not None:
            await _admin(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)')


async def fresh_database(
    folder: Path, *, migrated: bool, file_name: str = "civicbot.db"
) -> TestDatabase:
    """A database nobody else uses: migrated to head, or empty (for tests of migrations and
    of the bot's own first start). On SQLite it is `folder/data/<file_name>`: migrated, a copy
    of this worker's migrated file; empty, not created yet (the bot or `migrated_engine`
    creates and migrates it)."""
    server = server_url()
    if server is None:
        path = folder / "data" / file_name
        if migrated:
            original = await _sqlite_template_file()
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(original, path)
        return TestDatabase(f"sqlite+aiosqlite:///{path}", None)
    name = f"civicbot_test_{_RUN}_{uuid.uuid4().hex[:12]}"
    if migrated:
        template = await _template()
        await _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    else:
        await _admin(f'CREATE DATABASE "{name}"')
    return TestDatabase(_with_database(server, name), name)


async def migrated_engine(database: TestDatabase) -> AsyncEngine:
    """An engine on the test's database, migrated to head (already so when it was made
    migrated: then this only reads the version row)."""
    engine = db.create_engine(database.url)
    if not database.is_postgres:
        await db.upgrade(engine)
    return engine


NewDatabase = Callable[..., Awaitable[TestDatabase]]
"""The `new_database` fixture: `await new_database(migrated=False, file_name="x.db")`."""
