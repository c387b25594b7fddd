"""One INFO line and one count per issue event, once its unit of work is committed.

The line carries ids only: never the issue's text, nor a resident's name.
"""

from __future__ import annotations

import logging

from bot.domain.models import ChatKind, Issue, IssueAction
from bot.services.ports import UnitOfWork
from bot.services.telemetry import NoTelemetry, Telemetry

log = logging.getLogger(__name__)

# Every action has its word: a missing one would fail the unit of work it is logged in.
PAST = {
    IssueAction.TAKE: "taken",
    IssueAction.CONTROL: "controlled",
    IssueAction.CLOSE: "closed",
    IssueAction.REOPEN: "reopened",
    IssueAction.ASK: "asked",
    IssueAction.ANSWER: "answered",
    IssueAction.CONTACT: "contacted",
    IssueAction.MERGE: "merged",
    IssueAction.CATEGORY: "recategorised",
    IssueAction.TRANSFER: "transferred",
}


class IssueEvents:
    def __init__(self, telemetry: Telemetry | None = None) -> None:
        self._telemetry = telemetry or NoTelemetry()

    def filed(self, uow: UnitOfWork, issue: Issue, kind: ChatKind | None) -> None:
        self._after(uow, "filed", issue, kind, issue.author.user_id)

    def acted(
        self, uow: UnitOfWork, action: IssueAction, issue: Issue, kind: ChatKind | None, by: int
    ) -> None:
        self._after(uow, PAST[action], issue, kind, by)

    def transferred(self, uow: UnitOfWork, issue: Issue, kind: ChatKind | None, by: int) -> None:
        """Handed over to another department (the line names no department: ids only)."""
        self._after(uow, PAST[IssueAction.TRANSFER], issue, kind, by)

    def late_first_response(self, uow: UnitOfWork, issue: Issue) -> None:
        uow.on_commit(self._telemetry.sla_breach)

    def _after(
        self, uow: UnitOfWork, event: str, issue: Issue, kind: ChatKind | None, by: int
    ) -> None:
        chat_kind = kind.value if kind is not None else "unknown"

        def record() -> None:
            log.info(
                "issue %d %s: chat %d thread %s (%s), user %d, status %s",
                issue.number,
                event,
                issue.place.chat_id,
                issue.place.thread_id if issue.place.thread_id is not None else "-",
                chat_kind,
                by,
                issue.status.value,
            )
            self._telemetry.issue_event(event, chat_kind)

        uow.on_commit(record)
