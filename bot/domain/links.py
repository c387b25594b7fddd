"""One person on two messengers: the rules of `/link` and of acting on a person in a chat of
either messenger.

A person asks for a code on one messenger and sends it from the other within `CODE_TTL`; the
two accounts are then one person: one role, and one ban across the community's chats."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.domain.messengers import Messenger, messenger_of
from bot.domain.outgoing import MemberAction, Outgoing, member_op

CODE_TTL = timedelta(minutes=10)
RESTRICTS = frozenset({Messenger.TELEGRAM})
"""Messengers that can keep a member from writing; elsewhere a mute is a removal."""
CODE_DIGITS = 6


def is_code(text: str) -> bool:
    return len(text) == CODE_DIGITS and text.isdigit()


def can_link(asked_by: int, redeemed_by: int) -> bool:
    """A code links two accounts on different messengers, never two on the same one."""
    return messenger_of(asked_by) is not messenger_of(redeemed_by)


def split_pair(first: int, second: int) -> tuple[int, int]:
    """(the Telegram id, the MAX id) of two linked accounts, in either order."""
    if messenger_of(first) is Messenger.MAX:
        return second, first
    return first, second


def identity_in(chat_id: int, person_id: int, linked_id: int | None) -> int | None:
    """Who the person is in `chat_id`'s messenger: themselves, their linked account, or no
    one (an action on them there is not possible)."""
    for candidate in (person_id, linked_id):
        if candidate is not None and messenger_of(candidate) is messenger_of(chat_id):
            return candidate
    return None


_WITHOUT_RESTRICT: dict[MemberAction, MemberAction | None] = {
    MemberAction.RESTRICT: MemberAction.KICK,
    MemberAction.RELEASE: None,
    MemberAction.UNBAN: None,
    MemberAction.APPROVE_JOIN: None,
    MemberAction.DECLINE_JOIN: None,
}


def member_action_on(chat_id: int, action: MemberAction) -> MemberAction | None:
    """What `action` becomes in `chat_id`'s messenger. MAX can only remove a member (with a
    block for a ban): a mute there is a removal, and what lifts a restriction or a ban does
    not exist (None: nothing to do)."""
    if messenger_of(chat_id) in RESTRICTS:
        return action
    return _WITHOUT_RESTRICT.get(action, action)


def on_person(
    action: MemberAction,
    chats: Iterable[int],
    person_id: int,
    linked_id: int | None,
    until: datetime | None = None,
) -> list[Outgoing]:
    """`action` on one person in each of `chats`, as each chat's messenger can carry it out
    on the person's account there; chats where they have no known account are left out."""
    ops: list[Outgoing] = []
    for chat in chats:
        who = identity_in(chat, person_id, linked_id)
        done = member_action_on(chat, action)
        if who is not None and done is not None:
            ops.append(member_op(done, chat, who, until if done is action else None))
    return ops


def removes_instead_of_mute(chat_id: int) -> bool:
    return member_action_on(chat_id, MemberAction.RESTRICT) is MemberAction.KICK
