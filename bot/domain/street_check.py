"""The local-knowledge newcomer check: "На какой улице ваш дом?" with four streets to choose.

Paid humans pass a plain button; a stranger does not know which street a building stands on.
The three wrong streets are the same for every newcomer of one chat (chosen by the chat), so
comparing the choices of several joins tells nothing; their order is shuffled per newcomer.
Pure functions: no randomness from the clock or the process, so tests are stable.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable

from bot.domain.errors import UsageError

CHOICES = 4
MAX_STREET = 40

# Plausible streets of Palana (Kamchatka) to top the choices up when the town has too few
# registered chats with a street of their own.
BUILTIN_STREETS: tuple[str, ...] = (
    "Обухова",
    "Поротова",
    "Космонавтов",
    "Чубарова",
    "Бекерева",
    "Школьная",
    "Набережная",
    "Гагарина",
    "Лесная",
    "Молодёжная",
    "Победы",
    "Ленина",
)

_PREFIX = re.compile(r"^(?:улица\b|ул\.|ул\b)\s*", re.IGNORECASE)
_VALID = re.compile(r"^[0-9A-Za-zА-Яа-яЁё][0-9A-Za-zА-Яа-яЁё .\-]*$")


def street_key(street: str) -> str:
    """How two spellings of one street compare: case, "ё" and spaces do not matter."""
    return " ".join(street.casefold().replace("ё", "е").split())


def parse_street(text: str, usage: str) -> str:
    """The argument of /setstreet: "Ленина", "ул. Ленина", "улица 50 лет Октября".

    Raises UsageError(usage) for anything that is not a plausible street name."""
    street = " ".join(_PREFIX.sub("", " ".join(text.split())).split())
    if not 2 <= len(street) <= MAX_STREET or _VALID.match(street) is None:
        raise UsageError(usage)
    if not any(ch.isalpha() for ch in street):
        raise UsageError(usage)
    return street


def street_choices(
    street: str, other_streets: Iterable[str], *, chat_id: int, user_id: int
) -> tuple[str, ...]:
    """The chat's street and three others, in an order fixed for this newcomer.

    Wrong streets come first from the other registered chats, then from BUILTIN_STREETS;
    never the chat's own street in another spelling, never one street twice."""
    seen = {street_key(street)}
    wrong: list[str] = []
    for pool in (sorted(set(other_streets)), list(BUILTIN_STREETS)):
        fresh = []
        for candidate in pool:
            if street_key(candidate) not in seen:
                seen.add(street_key(candidate))
                fresh.append(candidate)
        random.Random(f"streets:{chat_id}:{street_key(street)}").shuffle(fresh)
        wrong += fresh[: CHOICES - 1 - len(wrong)]
    choices = [street, *wrong]
    random.Random(f"order:{chat_id}:{user_id}").shuffle(choices)
    return tuple(choices)


def is_right_answer(choices: tuple[str, ...], answer: str, index: int) -> bool:
    """Whether the pressed choice (by its index, as in the button) is the chat's street."""
    return 0 <= index < len(choices) and street_key(choices[index]) == street_key(answer)


ANSWER_ACTIONS = frozenset(f"q{index}" for index in range(CHOICES))
