"""The staff card: its buttons follow the issue's status, and it is edited in place as the
status changes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.domain.buttons import issue_button_data
from bot.domain.models import Issue, IssueStatus
from bot.domain.outgoing import Button, MessageRef, Outgoing, RefKind
from bot.services.chat_names import chat_name
from bot.services.ports import UnitOfWork
from bot.services.staff import departments, staff_chat_for
from bot.texts import issues as t


def card_buttons(issue: Issue, *, transfer: bool = False) -> tuple[tuple[Button, ...], ...]:
    """New: take it, or close, control, ask, contact, merge or categorise at once. In work
    (in progress, on control, waiting for the resident): close, control, ask, contact, merge,
    categorise. Closed: back to work. With departments (`transfer`), an open issue's card
    also hands it over («Передать»)."""

    def button(text: str, action: str) -> Button:
        return Button(text, issue_button_data(action, issue.number))

    if issue.status is IssueStatus.CLOSED:
        return ((button(t.BUTTON_REOPEN, "reopen"),),)
    if issue.status is IssueStatus.NEW:
        last: tuple[Button, ...] = (button(t.BUTTON_CATEGORY, "category"),)
        if transfer:
            last += (button(t.BUTTON_TRANSFER, "transfer"),)
        return (
            (button(t.BUTTON_TAKE, "take"), button(t.BUTTON_CLOSE, "close")),
            (button(t.BUTTON_CONTROL, "control"), button(t.BUTTON_ASK, "ask")),
            (button(t.BUTTON_CONTACT, "contact"), button(t.BUTTON_MERGE, "merge")),
            last,
        )
    rows: tuple[tuple[Button, ...], ...] = (
        (button(t.BUTTON_CLOSE, "close"), button(t.BUTTON_CONTROL, "control")),
        (button(t.BUTTON_ASK, "ask"), button(t.BUTTON_CONTACT, "contact")),
        (button(t.BUTTON_MERGE, "merge"), button(t.BUTTON_CATEGORY, "category")),
    )
    if transfer:
        rows += ((button(t.BUTTON_TRANSFER, "transfer"),),)
    return rows


async def card_update(uow: UnitOfWork, issue: Issue, zone: ZoneInfo) -> list[Outgoing]:
    """The card edited in place (text and buttons), in the staff chat it was posted to."""
    ref = MessageRef(RefKind.CARD, issue.number)
    located = await uow.refs.locate(ref)
    if located is not None:
        chat_id = located[0]
    else:
        staff = await staff_chat_for(uow, issue.department)
        if staff is None:
            return []
        chat_id = staff.place.chat_id
    merged = [item.number for item in await uow.issues.merged_with(issue.number)]
    text = t.staff_card(issue, await chat_name(uow, issue.filed_for), zone, merged)
    buttons = card_buttons(issue, transfer=bool(await departments(uow)))
    return [Outgoing(chat_id=chat_id, text=text, buttons=buttons, edit_of=ref)]
