"""Categories: which one a tag sets, and deadlines counted again when it changes."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.categories import Categories, Category
from bot.domain.models import IssueStatus
from bot.domain.sla import recategorized
from tests.domain.test_sla import CALENDAR, at, issue

EMERGENCY = Category(
    "emergency", "Аварийная", timedelta(hours=1), timedelta(hours=9), "", ("#авария",)
)
ORDINARY = Category("ordinary", "Обычная", timedelta(hours=2), timedelta(hours=80))


def test_a_tag_sets_its_category_else_the_default() -> None:
    categories = Categories((EMERGENCY, ORDINARY), default="ordinary")
    assert categories.for_tag("#Авария") == EMERGENCY
    assert categories.for_tag("#проблема") == ORDINARY
    assert Categories((EMERGENCY,)).for_tag("#проблема") is None
    assert categories.tags == ("#авария",)


def test_a_new_category_counts_the_deadlines_again_from_filing() -> None:
    filed = issue(status=IssueStatus.NEW, next_reminder_at=at(2026, 3, 11, 12))
    now = at(2026, 3, 11, 10, 30)
    moved = recategorized(CALENDAR, filed, EMERGENCY, now)
    assert (moved.category, moved.category_name) == ("emergency", "Аварийная")
    assert moved.response_due_at == at(2026, 3, 11, 11)
    assert moved.next_reminder_at == at(2026, 3, 11, 11)
    assert moved.resolve_due_at == at(2026, 3, 12, 10)
    late = recategorized(CALENDAR, filed, EMERGENCY, at(2026, 3, 11, 15))
    assert late.next_reminder_at == at(2026, 3, 11, 15)  # already due: reminded at once
    taken = issue(status=IssueStatus.IN_PROGRESS, first_response_at=now, next_reminder_at=None)
    assert recategorized(CALENDAR, taken, EMERGENCY, now).next_reminder_at is None
