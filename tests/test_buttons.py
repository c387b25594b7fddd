"""Every payload the core writes is read back by its CallbackData class, and fits 64 bytes."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.filters.callback_data import CallbackData

from bot.domain import buttons
from bot.services.dialogs.common import wizard_button
from handlers.callbacks import (
    AnnouncementCallback,
    AppealCallback,
    CategoryCallback,
    IssueCallback,
    ModCallback,
    ModSettingsCallback,
    PollCallback,
    TransferCallback,
    VerdictCallback,
    WizardCallback,
)

BIG = 2_147_483_647_000  # chat, thread and message ids larger than any we will see
TOP = 2**31 - 1  # the largest issue number or announcement/poll id (INTEGER columns)

CASES: list[tuple[str, type[CallbackData], dict[str, Any]]] = [
    (buttons.issue_button_data("reopen", TOP), IssueCallback, {"action": "reopen", "number": TOP}),
    (
        buttons.issue_button_data("control", TOP),
        IssueCallback,
        {"action": "control", "number": TOP},
    ),
    (buttons.issue_button_data("ask", TOP), IssueCallback, {"action": "ask", "number": TOP}),
    (
        buttons.appeal_button_data(-1002147483647000, BIG),
        AppealCallback,
        {"chat_id": -1002147483647000, "thread_id": BIG},
    ),
    (
        buttons.category_button_data("emergency", TOP),
        CategoryCallback,
        {"code": "emergency", "number": TOP},
    ),
    (
        buttons.issue_button_data("transfer", TOP),
        IssueCallback,
        {"action": "transfer", "number": TOP},
    ),
    (
        buttons.transfer_button_data(TOP, -1002147483647000, BIG),
        TransferCallback,
        {"number": TOP, "chat_id": -1002147483647000, "thread_id": BIG},
    ),
    (buttons.mod_button_data("rwarn", BIG), ModCallback, {"action": "rwarn", "ref": BIG}),
    (buttons.answer_button_data(BIG, 3), ModCallback, {"action": "q3", "ref": BIG}),
    (buttons.settings_button_data("pm", "+"), ModSettingsCallback, {"code": "pm", "op": "+"}),
    (buttons.verdict_data(False, TOP), VerdictCallback, {"answer": "no", "number": TOP}),
    (
        buttons.announcement_button_data("delok", TOP),
        AnnouncementCallback,
        {"action": "delok", "id": TOP},
    ),
    (buttons.poll_button_data("close", TOP), PollCallback, {"action": "close", "id": TOP}),
    (wizard_button("cancel"), WizardCallback, {"action": "cancel", "value": ""}),
    (wizard_button("t", "buildings"), WizardCallback, {"action": "t", "value": "buildings"}),
    (wizard_button("ch", 999), WizardCallback, {"action": "ch", "value": "999"}),
]


@pytest.mark.parametrize(("data", "kind", "fields"), CASES, ids=[c[0] for c in CASES])
def test_each_payload_is_read_back_by_its_class(
    data: str, kind: type[CallbackData], fields: dict[str, Any]
) -> None:
    assert len(data.encode()) < 64
    parsed = kind.unpack(data)
    assert parsed.model_dump() == fields
    assert parsed.pack() == data


def test_prefixes_are_unique() -> None:
    classes = {kind for _, kind, _ in CASES}
    prefixes = [kind.__prefix__ for kind in classes]
    assert len(prefixes) == len(set(prefixes))


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (buttons.issue_button_data("close", TOP + 1), IssueCallback),
        (buttons.verdict_data(True, TOP + 1), VerdictCallback),
        (buttons.poll_button_data("close", TOP + 1), PollCallback),
        (buttons.announcement_button_data("delok", -(TOP + 2)), AnnouncementCallback),
    ],
)
def test_a_forged_number_beyond_the_column_does_not_unpack(
    data: str, kind: type[CallbackData]
) -> None:
    with pytest.raises(ValueError):
        kind.unpack(data)
