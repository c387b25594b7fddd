"""The staff card: its buttons follow the issue's status, and it is edited in place as the
status changes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.domain.buttons import issue_button_data
from bot.domain.models import ChatKind, Issue, IssueStatus
from bot.domain.outgoing import Button, MessageRef, Outgoing, RefKind
from bot.services.chat_names import chat_name
from bot.services.ports import UnitOfWork
from bot.texts import issues as t


def card_buttons(issue: Issue) -> tuple[tuple[Button, ...], ...]:
    """New: take it, or close, control, ask, contact, merge or categorise at once. In work
    (in progress, on control, waiting for the resident): close, control, ask, contact, merge,
    categorise. Closed: back to work."""

    def button(text: str, action: str) -> Button:
        return Button(text, issue_button_data(action, issue.number))

    if issue.status is IssueStatus.CLOSED:
        return ((button(t.BUTTON_REOPEN, "reopen"),),)
    if issue.status is IssueStatus.NEW:
        return (
            (button(t.BUTTON_TAKE, "take"), button(t.BUTTON_CLOSE, "close")),
            (button(t.BUTTON_CONTROL, "control"), button(t.BUTTON_ASK, "ask")),
            (button(t.BUTTON_CONTACT, "contact"), button(t.BUTTON_MERGE, "merge")),
            (button(t.BUTTON_CATEGORY, "category"),),
        )
    return (
        (button(t.BUTTON_CLOSE, "close"), button(t.BUTTON_CONTROL, "control")),
        (button(t.BUTTON_ASK, "ask"), button(t.BUTTON_CONTACT, "contact")),
        (button(t.BUTTON_MERGE, "merge"), button(t.BUTTON_CATEGORY, "category")),
    )


async def card_update(uow: UnitOfWork, issue: Issue, zone: ZoneInfo) -> list[Outgoing]:
    """The card edited in place (text and buttons), in the staff chat it was posted to."""
    ref = MessageRef(RefKind.CARD, issue.number)
    located = await uow.refs.locate(ref)
    if located is not None:
        chat_id = located[0]
    else:
        staff = await uow.chats.by_kind(ChatKind.STAFF)
        if not staff:
            return []
        chat_id = staff[0].place.chat_id
    merged = [item.number for item in await uow.issues.merged_with(issue.number)]
    text = t.staff_card(issue, await chat_name(uow, issue.filed_for), zone, merged)
    return [Outgoing(chat_id=chat_id, text=text, buttons=card_buttons(issue), edit_of=ref)]
