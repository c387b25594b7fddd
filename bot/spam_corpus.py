"""The labelled corpus shipped with the package (bot/data/spam): one message a line."""

from __future__ import annotations

from importlib import resources

from bot.domain.spam_eval import Example


def _lines(name: str) -> list[str]:
    text = resources.files("bot").joinpath("data", "spam", name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def shipped_corpus() -> tuple[Example, ...]:
    spam = [Example(line, True) for line in _lines("spam.txt")]
    return (*spam, *(Example(line, False) for line in _lines("ham.txt")))
