"""The street question: choices, their order, answer checking and /setstreet parsing."""

from __future__ import annotations

import pytest

from bot.domain.buttons import answer_button_data
from bot.domain.errors import UsageError
from bot.domain.moderation import SETTING_CODES, ChatModeration, change_setting
from bot.domain.street_check import (
    ANSWER_ACTIONS,
    BUILTIN_STREETS,
    CHOICES,
    is_right_answer,
    parse_street,
    street_choices,
    street_key,
)

USAGE = "usage"


def test_choices_hold_the_street_and_three_distinct_others() -> None:
    choices = street_choices("Ленина", ["Мира", "Садовая"], chat_id=-1001, user_id=7)
    assert len(choices) == CHOICES
    assert "Ленина" in choices
    assert len({street_key(c) for c in choices}) == CHOICES
    # Other chats' streets come before the built-in ones.
    assert {"Мира", "Садовая"} <= set(choices)


def test_choices_are_topped_up_from_the_builtin_list() -> None:
    choices = street_choices("Ленина", [], chat_id=-1001, user_id=7)
    wrong = [c for c in choices if c != "Ленина"]
    assert len(wrong) == 3
    assert all(c in BUILTIN_STREETS for c in wrong)


def test_the_chat_street_never_appears_twice_in_another_spelling() -> None:
    # "Ленина" is in the built-in list; another chat on the same street spells it differently.
    choices = street_choices("ленина", ["ЛЕНИНА", "Мира"], chat_id=-1001, user_id=7)
    assert [street_key(c) for c in choices].count("ленина") == 1
    choices = street_choices("Молодежная", [], chat_id=-1001, user_id=7)
    assert [street_key(c) for c in choices].count("молодежная") == 1  # "Молодёжная" built in


def test_order_is_stable_per_newcomer_and_varies_between_newcomers() -> None:
    first = street_choices("Ленина", ["Мира"], chat_id=-1001, user_id=7)
    assert street_choices("Ленина", ["Мира"], chat_id=-1001, user_id=7) == first
    orders = {street_choices("Ленина", ["Мира"], chat_id=-1001, user_id=u) for u in range(30)}
    assert len(orders) > 1
    # The right street does not always sit in one place.
    assert len({order.index("Ленина") for order in orders}) > 1


def test_wrong_streets_are_the_same_for_every_newcomer_of_a_chat() -> None:
    """Joining again and comparing choices must not single the right street out."""
    others = ["Мира", "Садовая", "Полевая", "Северная", "Тундровая"]
    sets = {
        frozenset(street_choices("Ленина", others, chat_id=-1001, user_id=u)) for u in range(20)
    }
    assert len(sets) == 1


def test_answer_checking_by_index() -> None:
    choices = street_choices("Ленина", ["Мира"], chat_id=-1001, user_id=7)
    right = choices.index("Ленина")
    assert is_right_answer(choices, "Ленина", right)
    assert is_right_answer(choices, "ЛЕНИНА", right)
    for index in range(CHOICES):
        if index != right:
            assert not is_right_answer(choices, "Ленина", index)
    assert not is_right_answer(choices, "Ленина", CHOICES)
    assert not is_right_answer(choices, "Ленина", -1)
    assert not is_right_answer((), "Ленина", 0)


def test_answer_buttons_fit_telegram_and_parse_back() -> None:
    data = answer_button_data(2_147_483_647, 3)
    assert len(data.encode()) < 64
    prefix, action, ref = data.split(":")
    assert (prefix, action, int(ref)) == ("mod", "q3", 2_147_483_647)
    assert action in ANSWER_ACTIONS


@pytest.mark.parametrize(
    ("text", "street"),
    [
        ("Ленина", "Ленина"),
        ("  ул.  Ленина ", "Ленина"),
        ("улица Обухова", "Обухова"),
        ("ул.Поротова", "Поротова"),
        ("Улитина", "Улитина"),
        ("50 лет Октября", "50 лет Октября"),
        ("Чубарова-Северная", "Чубарова-Северная"),
    ],
)
def test_setstreet_accepts_street_names(text: str, street: str) -> None:
    assert parse_street(text, USAGE) == street


@pytest.mark.parametrize("text", ["", "  ", "5", "<b>Ленина</b>", "Л" * 41, "ул.", "12-14"])
def test_setstreet_refuses_anything_else(text: str) -> None:
    with pytest.raises(UsageError) as error:
        parse_street(text, USAGE)
    assert error.value.message == USAGE


def test_question_switch_is_off_by_default_and_toggles() -> None:
    assert ChatModeration().newcomer_question is False
    assert SETTING_CODES["nq"] == "newcomer_question"
    assert change_setting(ChatModeration(), "newcomer_question", "t") is True
    on = ChatModeration().with_overrides({"newcomer_question": True})
    assert on.newcomer_question is True
