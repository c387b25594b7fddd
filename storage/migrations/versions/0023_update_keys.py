"""Updates keyed by the bot that received them: (bot_id, update_id)

One installation may run two bots on one database (two Telegram tokens, or Telegram beside
MAX), and each bot numbers its updates on its own: keyed by the id alone, the second bot's
update 7 was skipped as "handled before" once the first bot's update 7 was. The handled
marks (`processed_updates`), the quarantine and the webhook inbox are keyed by
(bot_id, update_id). `bot_id` is the Telegram bot's id (its token's prefix); 0 for MAX
(whose keys lie in a range of their own) and for the rows written before this revision,
which every bot still takes for its own.

`ux_mod_checks_pending` keeps one pending newcomer check per member and chat, so two
processes handling one join insert one (INSERT … ON CONFLICT DO NOTHING); of pending
duplicates left from before, all but the newest are expired.

Revision ID: 0023_update_keys
Revises: 0022_leases
Create Date: 2026-12-01
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import op

revision = "0023_update_keys"
down_revision = "0022_leases"
branch_labels = None
depends_on = None

TABLES = ("processed_updates", "quarantined_updates", "webhook_inbox")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("bot_id", sa.BigInteger(), nullable=False, server_default="0")
            )
        _rekey(table, ("bot_id", "update_id"))
    op.execute(
        "UPDATE mod_checks SET status = 'expired' WHERE status = 'pending' AND EXISTS ("
        "SELECT 1 FROM mod_checks AS newer WHERE newer.status = 'pending'"
        " AND newer.chat_id = mod_checks.chat_id AND newer.user_id = mod_checks.user_id"
        " AND newer.id > mod_checks.id)"
    )
    op.create_index(
        "ux_mod_checks_pending",
        "mod_checks",
        ["chat_id", "user_id"],
        unique=True,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ux_mod_checks_pending", table_name="mod_checks")
    for table in TABLES:
        # A row per update id again: of a collision, the lowest bot's row stays.
        op.execute(
            f"DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM {table} AS other "
            f"WHERE other.update_id = {table}.update_id AND other.bot_id < {table}.bot_id)"
        )
        _rekey(table, ("update_id",))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("bot_id")


def _rekey(table: str, columns: tuple[str, ...]) -> None:
    """Make `columns` the table's primary key (named as PostgreSQL names one by default)."""
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot alter a primary key: batch mode copies the table into a new one. The
        # copy is declared with the old key's column flag and the new key's constraint, which
        # SQLAlchemy warns of and resolves to the constraint, the key wanted here; the warning
        # would reach every upgraded installation's stderr.
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore",
                message=".*not matching locally specified columns",
                category=sa.exc.SAWarning,
            )
            with op.batch_alter_table(table, schema=None, recreate="always") as batch_op:
                batch_op.create_primary_key(f"{table}_pkey", list(columns))
        return
    op.drop_constraint(f"{table}_pkey", table, type_="primary")
    op.create_primary_key(f"{table}_pkey", table, list(columns))
