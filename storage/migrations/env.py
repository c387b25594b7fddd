"""Alembic environment: migrations run on a connection handed over by storage.db.upgrade."""

from __future__ import annotations

from alembic import context

from storage.tables import metadata

target_metadata = metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `civicbot db upgrade`, which opens the database")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=True,
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
