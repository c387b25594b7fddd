"""The closing notice to the resident carries the verdict buttons "Решено" / "Не решено"."""

from __future__ import annotations

from bot.domain.buttons import verdict_data
from bot.domain.models import Issue, IssueAction
from bot.domain.outgoing import Button, MessageRef, Outgoing, RefKind
from bot.texts import issues as issues_t
from bot.texts import sla as t


def verdict_buttons(number: int) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button(t.BUTTON_RESOLVED, verdict_data(True, number)),
            Button(t.BUTTON_NOT_RESOLVED, verdict_data(False, number)),
        ),
    )


def closing_notice(issue: Issue) -> Outgoing:
    """The closing notice to the resident, with the two verdict buttons under it."""
    return Outgoing(
        chat_id=issue.place.chat_id,
        thread_id=issue.place.thread_id,
        text=issues_t.resident_notice(issue, IssueAction.CLOSE, None) + t.verdict_question(),
        reply_to=issue.message_id,
        buttons=verdict_buttons(issue.number),
        remember_as=MessageRef(RefKind.CLOSE_NOTICE, issue.number),
    )
