"""One person on two messengers: who they are in each chat, and what MAX can do to them."""

from __future__ import annotations

import pytest

from bot.domain.announcements import ballot_counts, next_ballot
from bot.domain.links import can_link, identity_in, is_code, member_action_on, on_person
from bot.domain.messengers import max_chat, max_user
from bot.domain.outgoing import MemberAction

TG_USER, TG_CHAT = 111, -100500
MAX_USER, MAX_CHAT = max_user(222), max_chat(-333)


@pytest.mark.parametrize(
    ("chat", "person", "linked", "expected"),
    [
        (TG_CHAT, TG_USER, None, TG_USER),
        (MAX_CHAT, TG_USER, None, None),
        (MAX_CHAT, TG_USER, MAX_USER, MAX_USER),
        (TG_CHAT, MAX_USER, TG_USER, TG_USER),
        (MAX_CHAT, MAX_USER, None, MAX_USER),
    ],
)
def test_identity_in_each_messenger(
    chat: int, person: int, linked: int | None, expected: int | None
) -> None:
    assert identity_in(chat, person, linked) == expected


@pytest.mark.parametrize(
    ("action", "on_max"),
    [
        (MemberAction.BAN, MemberAction.BAN),
        (MemberAction.KICK, MemberAction.KICK),
        (MemberAction.RESTRICT, MemberAction.KICK),  # no mute on MAX: removed instead
        (MemberAction.RELEASE, None),
        (MemberAction.UNBAN, None),
    ],
)
def test_what_max_can_do(action: MemberAction, on_max: MemberAction | None) -> None:
    assert member_action_on(TG_CHAT, action) is action
    assert member_action_on(MAX_CHAT, action) is on_max


def test_a_ban_reaches_the_linked_account_only_where_it_exists() -> None:
    ops = on_person(MemberAction.BAN, (TG_CHAT, MAX_CHAT), TG_USER, MAX_USER)
    assert [(o.chat_id, o.member.user_id) for o in ops if o.member] == [
        (TG_CHAT, TG_USER),
        (MAX_CHAT, MAX_USER),
    ]
    assert [
        o.chat_id for o in on_person(MemberAction.BAN, (TG_CHAT, MAX_CHAT), TG_USER, None)
    ] == [TG_CHAT]


def test_codes_and_pairs() -> None:
    assert is_code("012345") and not is_code("12345") and not is_code("12345a")
    assert can_link(TG_USER, MAX_USER) and not can_link(TG_USER, 999)


def test_button_ballots() -> None:
    assert next_ballot((0,), 1, multiple=False) == (1,)
    assert next_ballot((0, 2), 2, multiple=True) == (0,)
    counts = ballot_counts([(1,), (0, 1), ()], 3)
    assert counts.counts == (1, 2, 0) and counts.total == 2
