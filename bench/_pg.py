"""A scratch PostgreSQL database for a benchmark: created empty, dropped at the end.

The server comes from `CIVICBOT_BENCH_DATABASE_URL` (default `postgresql+asyncpg://civicbot:
civicbot@127.0.0.1:5432/postgres`, a local server with a role `civicbot`); the database named in
it is only used to connect, the role needs CREATEDB. Each
benchmark database is named `<prefix>_<label>_<pid>`, the prefix from
`CIVICBOT_BENCH_DATABASE_PREFIX` (default `civicbot_bench`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import make_url, text  # noqa: E402

from storage import db  # noqa: E402

ENV = "CIVICBOT_BENCH_DATABASE_URL"
DEFAULT_URL = "postgresql+asyncpg://civicbot:civicbot@127.0.0.1:5432/postgres"


def server_url() -> str:
    return os.environ.get(ENV) or DEFAULT_URL


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def asyncpg_dsn(url: str) -> str:
    """The same URL as asyncpg's own `connect` takes it (no `+asyncpg`)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def admin(server: str, sql: str) -> None:
    """Run `sql` outside a transaction (CREATE or DROP DATABASE) on the server's database."""
    engine = db.create_engine(server)
    try:
        async with engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


@asynccontextmanager
async def scratch_database(label: str) -> AsyncIterator[str]:
    """Yield the URL of a new, empty database (not migrated), dropped afterwards."""
    server = server_url()
    prefix = os.environ.get("CIVICBOT_BENCH_DATABASE_PREFIX") or "civicbot_bench"
    name = f"{prefix}_{label}_{os.getpid()}"
    try:
        await admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin(server, f'CREATE DATABASE "{name}"')
    except OSError as exc:
        shown = make_url(server).render_as_string(hide_password=True)
        raise SystemExit(f"no PostgreSQL server at {shown} ({exc}); set {ENV}") from None
    try:
        yield with_database(server, name)
    finally:
        await admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def copy_rows(
    url: str, table: str, columns: Sequence[str], records: Iterable[Sequence[object]]
) -> int:
    """COPY `records` into `table` through asyncpg, in one transaction; the rows copied.

    The table's indexes other than its primary key and unique constraints are dropped first
    and created again, exactly as they were (`pg_indexes.indexdef`), after the rows are in:
    one sorted build per index instead of a million inserts into each.
    """
    import asyncpg

    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute("SET maintenance_work_mem = '256MB'")
        async with connection.transaction():
            indexes = await connection.fetch(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.schemaname = current_schema() AND i.tablename = $1 AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                table,
            )
            for name, _ in indexes:
                await connection.execute(f'DROP INDEX "{name}"')
            status = await connection.copy_records_to_table(
                table, records=records, columns=list(columns)
            )
            for _, definition in indexes:
                await connection.execute(definition)
    finally:
        await connection.close()
    return int(status.split()[-1])


async def after_bulk_load(url: str, tables: Sequence[str]) -> None:
    """Bring serial columns past the copied rows and refresh the planner's statistics, as
    autovacuum would a little later."""
    import asyncpg

    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        for table in tables:
            for (column,) in await connection.fetch(
                "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                "WHERE c.relname = $1 AND a.attnum > 0 AND NOT a.attisdropped "
                "AND pg_get_serial_sequence($1, a.attname) IS NOT NULL",
                table,
            ):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                    f"coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
                )
            await connection.execute(f"VACUUM ANALYZE {table}")
    finally:
        await connection.close()
