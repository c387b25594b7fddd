"""Departments and organisations: which one an issue goes to, and names compared as people
write them («жкх» is «ЖКХ»).

A department exists once a staff chat is registered for it. An installation without one works
as a single desk: every issue belongs to no department and goes to the general staff chat.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

MAX_NAME = 100


def department_name(text: str) -> str:
    """A department's name as written, spaces collapsed ("" if there is none)."""
    return " ".join(text.split())[:MAX_NAME]


def same_department(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.casefold() == b.casefold()


def find_department(name: str, known: Iterable[str]) -> str | None:
    """The known department `name` means (its registered spelling), or None."""
    wanted = department_name(name).casefold()
    return next((item for item in known if item.casefold() == wanted), None)


@dataclass(frozen=True, slots=True)
class Routing:
    """Where new issues go: a tag's department first, then the category's, then the chat's."""

    tags: Mapping[str, str] = field(default_factory=dict)
    categories: Mapping[str, str] = field(default_factory=dict)

    def department_for(
        self, tag: str, category: str | None, chat_default: str | None
    ) -> str | None:
        by_tag = self.tags.get(tag.lower()) if tag else None
        if by_tag:
            return by_tag
        by_category = self.categories.get(category) if category else None
        return by_category or chat_default or None
