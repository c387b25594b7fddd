"""Every button payload the core writes, in one place: `<prefix>:<field>:<field>`.

Services put these strings on buttons; the Telegram adapter's handlers read each back with
the aiogram `CallbackData` class of the same prefix in handlers/callbacks.py (the domain knows
no framework, so the classes cannot be used here). tests/test_buttons.py checks every pair:
same fields back, and under Telegram's 64 bytes.
"""

from __future__ import annotations


def issue_button_data(action: str, number: int) -> str:
    """`iss:<take|close|control|ask|contact|merge|category|transfer|reopen>:<number>`
    (IssueCallback)."""
    return f"iss:{action}:{number}"


def appeal_button_data(chat_id: int, thread_id: int) -> str:
    """`apl:<chat id>:<thread id>`: the chat a private appeal is about (AppealCallback)."""
    return f"apl:{chat_id}:{thread_id}"


def category_button_data(code: str, number: int) -> str:
    """`cat:<category code>:<number>`: a category chosen for an issue (CategoryCallback)."""
    return f"cat:{code}:{number}"


def transfer_button_data(number: int, chat_id: int, thread_id: int) -> str:
    """`trf:<number>:<staff chat id>:<thread id>`: the department (by its staff chat) an issue
    is handed to (TransferCallback)."""
    return f"trf:{number}:{chat_id}:{thread_id}"


def mod_button_data(action: str, ref_id: int) -> str:
    """`mod:<action>:<ref>` (ModCallback)."""
    return f"mod:{action}:{ref_id}"


def answer_button_data(check_id: int, index: int) -> str:
    """`mod:q<index>:<check>`: a newcomer's answer to the street question (ModCallback)."""
    return f"mod:q{index}:{check_id}"


def settings_button_data(code: str, op: str) -> str:
    """`mst:<setting code>:<t|+|->` (ModSettingsCallback)."""
    return f"mst:{code}:{op}"


def verdict_data(resolved: bool, number: int) -> str:
    """`vrd:<yes|no>:<number>`: the author's verdict on a closed issue (VerdictCallback)."""
    return f"vrd:{'yes' if resolved else 'no'}:{number}"


def announcement_button_data(action: str, announcement_id: int) -> str:
    """`an:<cancel|edit|del|delok>:<id>` (AnnouncementCallback)."""
    return f"an:{action}:{announcement_id}"


def poll_button_data(action: str, poll_id: int) -> str:
    """`pl:close:<id>` (PollCallback)."""
    return f"pl:{action}:{poll_id}"


def poll_vote_data(poll_id: int, option: int) -> str:
    """`pv:<poll id>:<option index>`: a vote in a poll shown as buttons (messengers without
    native polls)."""
    return f"pv:{poll_id}:{option}"
