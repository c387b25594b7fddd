"""Countable traits of a message that spam shares across waves: emoji, links, mentions, phone
numbers, money figures and shouting.

Pure domain code. `features` counts them once per message; the classifier
(`bot.domain.spam_bayes`) sees them as extra tokens, so their weight is learned from the
corpus and from moderators' decisions rather than fixed by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from bot.domain.spam import find_links, find_mentions, fold_text

# Pictographs, dingbats, flags, keycaps and the symbols emoji are built from.
_EMOJI: Final = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2190-\u21ff\u2300-\u23ff"
    "\u3030\u303d\u3297\u3299\u00a9\u00ae\u203c\u2049\u2122\u2139]"
)
# Russian numbers as people write them: +7 914 123-45-67, 8(41543)3-12-34, 89141234567.
_PHONE: Final = re.compile(
    r"(?<!\d)(?:\+\s?7|8)[\s(.-]*\d{3,5}[\s).-]*\d{1,3}[\s.-]*\d{2}[\s.-]*\d{2}(?!\d)"
)
_MONEY: Final = re.compile(
    r"\d[\d\s.,]*\s*(?:к\b|т\.?\s?р\b|тыс\w*|руб\w*|р\b|₽|\$|usd\w*|usdt|долл\w*|евро|€)"
    r"|(?:₽|\$|€)\s*\d",
)
_LETTER: Final = re.compile(r"[^\W\d_]")
_MIN_LETTERS_FOR_CAPS = 12


@dataclass(frozen=True, slots=True)
class Features:
    emoji: int = 0
    links: int = 0
    mentions: int = 0
    phones: int = 0
    money: int = 0
    caps_share: float = 0.0  # capital letters among letters (0 for short texts)
    length: int = 0

    def tokens(self) -> tuple[str, ...]:
        """The traits as pseudo-words for the classifier, bucketed so counts generalise."""
        out = [f"#emoji:{_bucket(self.emoji, (0, 1, 3, 6))}"]
        out += [f"#links:{_bucket(self.links, (0, 1, 2))}"]
        out += [f"#mentions:{_bucket(self.mentions, (0, 1, 2))}"]
        if self.phones:
            out.append("#phone")
        if self.money:
            out.append("#money")
        if self.caps_share >= 0.5:
            out.append("#caps")
        out.append(f"#len:{_bucket(self.length, (0, 40, 120, 300))}")
        return tuple(out)


def _bucket(value: int, edges: tuple[int, ...]) -> int:
    """The largest edge not above `value`."""
    return max(edge for edge in edges if edge <= value) if value >= edges[0] else edges[0]


def count_emoji(text: str) -> int:
    return len(_EMOJI.findall(text))


def caps_share(text: str) -> float:
    letters: list[str] = _LETTER.findall(text)
    if len(letters) < _MIN_LETTERS_FOR_CAPS:
        return 0.0
    return sum(c.isupper() for c in letters) / len(letters)


def features(
    text: str,
    *,
    urls: tuple[str, ...] = (),
    mentions: tuple[str, ...] = (),
    folded: str | None = None,
) -> Features:
    """Count the traits of `text`; `urls` and `mentions` are the ones the messenger marked,
    `folded` is `fold_text(text)` when the caller has it already."""
    folded = fold_text(text) if folded is None else folded
    links = len(set(urls) | set(find_links(text)))
    named = {m.lstrip("@").casefold() for m in mentions} | {
        m.casefold() for m in find_mentions(text)
    }
    return Features(
        emoji=count_emoji(text),
        links=links,
        mentions=len(named),
        phones=len(_PHONE.findall(text)),
        money=len(_MONEY.findall(folded)),
        caps_share=round(caps_share(text), 2),
        length=len(text),
    )
