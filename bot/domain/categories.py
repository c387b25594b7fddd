"""Categories of issues, each with its own deadlines in working time and an optional topic of
the regional feedback platform (ПОС) for exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name: str
    first_response: timedelta
    resolution: timedelta
    pos_topic: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Categories:
    """The configured list; `default` (a code, or empty) applies when no tag names one."""

    items: tuple[Category, ...] = ()
    default: str = ""

    def get(self, code: str | None) -> Category | None:
        return next((item for item in self.items if item.code == code), None)

    def for_tag(self, tag: str, chat_default: str | None = None) -> Category | None:
        """The category a tag sets, else the chat's default, else the installation's default
        (None if there is none)."""
        found = next((item for item in self.items if tag.lower() in item.tags), None)
        return found or self.get(chat_default) or self.get(self.default)

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(tag for item in self.items for tag in item.tags)
