"""One person on two messengers: MAX accounts linked to Telegram identities, and the one-time
codes of `/link`

Revision ID: 0017_max_links
Revises: 0016_faults
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_max_links"
down_revision = "0016_faults"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_links",
        sa.Column("telegram_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("max_id", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "link_codes",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_link_codes_user", "link_codes", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_link_codes_user", table_name="link_codes")
    op.drop_table("link_codes")
    op.drop_table("person_links")
