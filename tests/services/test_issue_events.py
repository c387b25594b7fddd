"""Issue events: one INFO line per action, after the commit, with ids and no text."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.domain.models import ChatKind, ChatPlace, Issue, IssueAction, IssueStatus, Person
from bot.services.issue_events import IssueEvents

ANNA = Person(1, "Анна Жительница")


class Unit:
    """Holds the after-commit callbacks, as a unit of work does."""

    def __init__(self) -> None:
        self.callbacks: list[Callable[[], None]] = []

    def on_commit(self, callback: Callable[[], None]) -> None:
        self.callbacks.append(callback)

    def commit(self) -> None:
        for callback in self.callbacks:
            callback()


def issue() -> Issue:
    return Issue(
        number=7,
        place=ChatPlace(-100, 0),
        message_id=5,
        author=ANNA,
        text="#проблема течёт кран",
        tag="#проблема",
        status=IssueStatus.IN_PROGRESS,
        created_at=datetime(2026, 3, 11, tzinfo=UTC),
        updated_at=datetime(2026, 3, 11, tzinfo=UTC),
    )


@pytest.mark.parametrize("action", list(IssueAction))
def test_every_action_is_logged_after_the_commit_with_ids_only(
    action: IssueAction, caplog: pytest.LogCaptureFixture
) -> None:
    unit = Unit()
    with caplog.at_level(logging.INFO, logger="bot.services.issue_events"):
        IssueEvents().acted(unit, action, issue(), ChatKind.BUILDING, 501)  # type: ignore[arg-type]
        assert caplog.messages == []  # nothing before the commit
        unit.commit()
    [line] = caplog.messages
    assert line.startswith("issue 7 ") and "user 501" in line and "(building)" in line
    assert "кран" not in line and ANNA.name not in line
