"""Join the schema branches of reminders, reports, moderation and announcements

Revision ID: 0007_merge
Revises: 0003_reminders, 0004_reports, 0005_moderation, 0006_announcements
Create Date: 2026-11-25
"""

from __future__ import annotations

revision = "0007_merge"
down_revision = ("0003_reminders", "0004_reports", "0005_moderation", "0006_announcements")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
