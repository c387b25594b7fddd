"""Departments and organisations: staff chats per department, a chat's default department and
category, department grants of specialists, and the department each issue belongs to

Revision ID: 0018_departments
Revises: 0017_max_links
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_departments"
down_revision = "0017_max_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        batch.add_column(sa.Column("department", sa.String(100), nullable=True))
        batch.add_column(sa.Column("category", sa.String(16), nullable=True))
    with op.batch_alter_table("specialist_grants") as batch:
        batch.add_column(sa.Column("department", sa.String(100), nullable=True))
    with op.batch_alter_table("issues") as batch:
        batch.add_column(sa.Column("department", sa.String(100), nullable=True))
    op.create_index("ix_issues_status_department", "issues", ["status", "department"])


def downgrade() -> None:
    op.drop_index("ix_issues_status_department", table_name="issues")
    with op.batch_alter_table("issues") as batch:
        batch.drop_column("department")
    with op.batch_alter_table("specialist_grants") as batch:
        batch.drop_column("department")
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("category")
        batch.drop_column("department")
