"""Anti-spam rules for members on probation.

Pure domain code. A handler turns a Telegram message into `MessageFacts`, asks
`should_check` whether the sender is still on probation and, if so, calls `check_message`
with the deployment's `SpamPolicy`. On probation a member may not post links (except to
allowed domains), @mentions, channel forwards or contact cards, and the text is matched
against stop words and patterns. Established members are trusted: their messages are not
checked at all (flood limits apply to everyone, see `bot.domain.flood`).

Text is compared after `normalize_text`, which undoes the usual obfuscations of Russian
spam: Latin and Greek look-alike letters inside Cyrillic words ("зaработок"), digits used as
letters ("ка3ино"), words spelled out letter by letter ("к а з и н о", "к.а.з.и.н.о"),
invisible characters and stress marks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final
from urllib.parse import urlsplit

# --- Defaults (a deployment overrides them from config) -------------------------------------
#
# Stop words are stems: each word of an entry matches a word of the text that starts with it,
# so "заработк" covers "заработка", "заработком". Words residents use about their building
# ("работа", "деньги", "оплата", "счёт", "доход", "заработало", "ставка", "подписи") are left
# out on purpose; phrases and patterns catch their spam uses instead.
DEFAULT_STOP_WORDS: Final[tuple[str, ...]] = (
    # easy money and work from home
    "заработок", "заработк", "пассивн доход", "доп доход", "дополнительн доход",
    "стабильн доход", "без вложен", "работ на дому", "работа из дома", "удаленн работ",
    "подработк", "свободн график", "финансов свобод", "схем заработ",
    "трейдинг", "форекс", "forex",
    # crypto
    "крипт", "биткоин", "биткойн", "bitcoin", "btc", "usdt", "p2p", "эфириум", "nft",
    # betting and gambling
    "ставк на спорт", "букмекер", "каппер", "1xbet", "1хбет", "фрибет", "казино", "casino",
    "фриспин", "джекпот", "игров автомат",
    # loans and debts
    "займ без", "микрозайм", "без отказ", "плох ки", "плох кредитн", "банкротств физ",
    "списан долг",
    # dating and adult
    "интим", "эскорт", "без обязательств", "секс", "sex", "onlyfans", "фото 18",
    # channel promotion
    "подпис на канал", "подпиш на канал", "подписывайтесь", "переход по ссылк",
    "ссылк в профил", "ссылк в опис", "в профиле ссылк", "накрутк", "промокод",
    # snake oil
    "приворот", "гадани", "снят порч", "похуде",
)  # fmt: skip

# Regular expressions, matched case-insensitively against `fold_text(text)`: casefolded,
# look-alike letters undone, punctuation kept.
_MONEY = (
    r"(?:т\.?\s?р\b\.?|тыс\w*\.?(?:\s?(?:р\b\.?|руб\w*\.?))?|к\b|руб\w*\.?|р\b\.?|₽|\$|usd\w*"
    r"|долл\w*|евро|€)"
)
DEFAULT_PATTERNS: Final[tuple[str, ...]] = (
    # "от 3000 руб в день", "1200 р/день", "5 тыс.р за сутки"
    rf"\d[\d\s.,]*\s*{_MONEY}\s*(?:в|за|/)\s*(?:день|сутки|недел\w*|час)\b",
    # "от 3000 в день"
    rf"\bот\s*\d[\d\s.,]*\s*(?:{_MONEY}\s*)?(?:в|за|/)\s*(?:день|сутки|недел\w*)\b",
    # "доход от 50 000", "заработок до 100к"
    r"\b(?:доход\w*|заработ(?:ок|к\w*|ать|ай|аешь)|зп|платим)\s*(?:от|до)\s*\d",
    # "пишите в лс", "напишите мне в личку", "подробности в личных сообщениях"
    r"\b(?:пиш\w*|напиш\w*|обращ\w*|стучи\w*|жду|ждем|подробн\w*|детали)\s*(?:мне\s*)?"
    r"(?:\+\s*)?в\s*(?:лс\b|л\.\s?с\b|личк\w*|личн\w*\s+сообщ|личн(?:ые|ых)\b(?!\s+каб)|директ|dm\b)",
    # "ставь + в лс", "пиши «+»"
    r"\b(?:став\w*|пиш\w*|жми\w*|кида\w*)\s*[«\"'“]?\+",
    # "набираем людей в команду"
    r"\bнабира\w*\s+(?:в\s+)?(?:людей|сотрудник\w*|команд\w*|партн[её]р\w*|помощник\w*)",
    # "арбитраж" of crypto or traffic, not the court
    r"\bарбитраж(?!\w*\s+суд)\w*",
    # t.me spelled with spaces or Cyrillic letters: "t . me/", "т.ме/"
    r"(?<!\w)[tт]\s*[.,]\s*(?:me|ме)\s*/",
    # "продаю справки / дипломы / права"
    r"\b(?:продаю|продам|продаем|купить)\s+(?:\w+\s+)?(?:справк|диплом|больничн|медкниж|прав\b)",
    # "работа удалённо" offered, not "работаю удалённо"
    r"\bработ[аы]\s+(?:на\s+)?удал[её]н\w*",
)
DEFAULT_ALLOWED_DOMAINS: Final[tuple[str, ...]] = ("gosuslugi.ru", "kamgov.ru")


# --- Facts and verdicts ---------------------------------------------------------------------


class SpamReason(StrEnum):
    LINK = "link"
    MENTION = "mention"
    CHANNEL_FORWARD = "channel_forward"
    CONTACT = "contact"
    STOP_WORD = "stop_word"
    PATTERN = "pattern"
    CROSS_CHAT_DUPLICATE = "cross_chat_duplicate"


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageFacts:
    """What the rules need from a message, extracted by the handler.

    `urls` come from `url`/`text_link` entities (`check_message` also finds bare domains in
    `text` itself); `mentions` are usernames from `mention` entities, with or without "@";
    `forward_channel` is the username of the channel a forward came from, if it has one.
    """

    chat_id: int
    user_id: int
    sent_at: datetime
    text: str = ""
    urls: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    forwarded_from_channel: bool = False
    forward_channel: str | None = None
    has_contact: bool = False

    def __post_init__(self) -> None:
        if self.sent_at.utcoffset() is None:
            raise ValueError("MessageFacts.sent_at must be timezone-aware")


@dataclass(frozen=True, slots=True)
class SpamHit:
    """One broken rule; `detail` is machine-readable (a stop word, a domain, a pattern index),
    never a quote of the message, so it can be logged."""

    reason: SpamReason
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SpamVerdict:
    hits: tuple[SpamHit, ...] = ()

    @property
    def is_spam(self) -> bool:
        return bool(self.hits)

    @property
    def reasons(self) -> tuple[SpamReason, ...]:
        return tuple(dict.fromkeys(hit.reason for hit in self.hits))

    def describe(self) -> str:
        """Compact form for logs and moderator notes: "link:t.me,stop_word:казино"."""
        return ",".join(f"{h.reason}:{h.detail}" if h.detail else str(h.reason) for h in self.hits)


CLEAN: Final = SpamVerdict()


def should_check(on_probation: bool) -> bool:
    """Content rules run only for members on probation; established members are trusted."""
    return on_probation


# --- Normalization --------------------------------------------------------------------------

_LOOKALIKES: Final = str.maketrans(
    "abcehkmnoprtuxyαβεηκμορτυχ",
    "авсенкмпоргтихуавенкмортух",
)
_DIGIT_LOOKALIKES: Final = {"0": "о", "3": "з", "4": "ч", "6": "б"}
_CYRILLIC: Final = re.compile(r"[\u0400-\u04ff]")
# Invisible formatting characters and combining marks (stress marks, soft hyphens, ZWSP).
_INVISIBLE: Final = re.compile(
    "[\u00ad\u0300-\u036f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
)
_NON_ALNUM: Final = re.compile(r"[\W_]+")
_ALNUM_RUN: Final = re.compile(r"[^\W_]+")
_MIN_SPELLED_OUT = 4


# Small capitals and other letters NFKC leaves alone, mapped to the Cyrillic letter they
# imitate («Пᴏддᴇᴧьнᴀя ʙᴀᴧюᴛᴀ»); Latin ones go through `_LOOKALIKES` afterwards.
_SMALL_CAPITALS: Final = str.maketrans(
    "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢᴧᴨᴩᴦᴫᴎᴙᴈɜᴣ",
    "авсденгнijкlмnорrsтuvwуzлпрглияззз",
)
_REPEATS: Final = re.compile(r"([^\W\d_])\1{2,}")
# "@" in or at the end of a Cyrillic word stands for "а" ("з@работок", "н@ дому"); "$"
# inside a word for "s" ("ca$ino"). E-mail addresses and @mentions stay as they are.
_SYMBOL_LETTERS: Final = re.compile(
    r"(?<=[а-яё])@(?=[а-яё]|[^\w.@]|$)|(?<=[^\W\d_])\$(?=[^\W\d_])"
)


def _canonical(text: str) -> str:
    previous = None
    while text != previous:
        previous = text
        text = unicodedata.normalize("NFKC", text).casefold().translate(_SMALL_CAPITALS)
        text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).replace("ё", "е")
    text = _SYMBOL_LETTERS.sub(lambda m: "а" if m.group() == "@" else "s", text)
    return _REPEATS.sub(r"\1", text)


def _fold_token(token: str) -> str:
    """Turn look-alike Latin letters and digits of a Cyrillic word into Cyrillic letters.

    Words without Cyrillic letters ("usdt", "1xbet") are left alone. A digit counts as a
    letter between two letters ("ка3ино") or at the edge of a long word ("3аработок"), so
    "100руб" and "3р" keep their digits.
    """
    if not _CYRILLIC.search(token):
        return token
    chars = list(token.translate(_LOOKALIKES))
    letters = sum(c.isalpha() for c in chars)
    changed = True
    while changed:
        changed = False
        for i, char in enumerate(chars):
            letter = _DIGIT_LOOKALIKES.get(char)
            if letter is None:
                continue
            before = i > 0 and chars[i - 1].isalpha()
            after = i + 1 < len(chars) and chars[i + 1].isalpha()
            at_edge = (i == 0 and after) or (i == len(chars) - 1 and before)
            if (before and after) or (at_edge and letters >= _MIN_SPELLED_OUT):
                chars[i] = letter
                letters += 1
                changed = True
    return "".join(chars)


def _join_spelled_out(tokens: list[str]) -> list[str]:
    joined: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if len(run) >= _MIN_SPELLED_OUT:
            joined.append("".join(run))
        else:
            joined.extend(run)
        run = []
        if token:
            joined.append(token)
    return joined


def normalize_text(text: str) -> str:
    """Words of `text`, lowercased and de-obfuscated, joined by single spaces.

    Punctuation and emoji are dropped. Idempotent: normalize_text(normalize_text(t)) equals
    normalize_text(t).
    """
    return _normalized(_canonical(text))


def fold_text(text: str) -> str:
    """`text` lowercased with look-alike letters undone but punctuation kept (for patterns)."""
    return _folded(_canonical(text))


def normalize_and_fold(text: str) -> tuple[str, str]:
    """`normalize_text(text)` and `fold_text(text)` at the cost of one clean-up."""
    canonical = _canonical(text)
    return _normalized(canonical), _folded(canonical)


def _normalized(canonical: str) -> str:
    tokens = _join_spelled_out(_NON_ALNUM.sub(" ", canonical).split())
    return " ".join(_fold_token(token) for token in tokens)


def _folded(canonical: str) -> str:
    folded = _ALNUM_RUN.sub(lambda m: _fold_token(m.group()), canonical)
    return " ".join(folded.split())


# --- Links and mentions ---------------------------------------------------------------------

_TLDS: Final = (
    "ru|su|com|net|org|info|biz|pro|io|me|co|cc|ly|gl|gg|to|tk|ml|ga|cf|gq|xyz|top|site|"
    "online|store|shop|club|link|live|life|space|website|tech|fun|app|dev|page|ink|ua|by|kz|"
    "uz|us|uk|de|tv|рф|рус|онлайн|сайт"
)
_LABEL: Final = r"[a-z0-9а-яё](?:[a-z0-9а-яё-]*[a-z0-9а-яё])?"
_LINK: Final = re.compile(
    rf"(?<![\w@.\-/])(?:(?:https?|tg)://\S+|(?:{_LABEL}\.)+(?:{_TLDS})(?![\w\-])(?:/\S*)?)",
    re.IGNORECASE,
)
_MENTION: Final = re.compile(r"(?<![\w@])@([a-z][a-z0-9_]{3,31})\b", re.IGNORECASE)


def find_links(text: str) -> tuple[str, ...]:
    """Links written in the text: URLs with a scheme and bare domains such as "t.me/x"."""
    return tuple(m.group() for m in _LINK.finditer(text))


def find_mentions(text: str) -> tuple[str, ...]:
    """@usernames written in the text, without the "@"."""
    return tuple(m.group(1) for m in _MENTION.finditer(text))


def _canonical_host(host: str) -> str:
    host = host.strip().strip(".").casefold()
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _link_target(url: str) -> str:
    """The host a link leads to, or "<scheme>:" for non-web links such as tg://."""
    candidate = url.strip()
    if "://" not in candidate:
        candidate = "http://" + candidate
    try:
        parts = urlsplit(candidate)
        host = parts.hostname
    except ValueError:
        return "invalid:"
    if parts.scheme.casefold() not in ("http", "https"):
        return f"{parts.scheme.casefold()}:"
    return _canonical_host(host or "")


def _username(name: str) -> str:
    return name.strip().lstrip("@").casefold()


# --- Policy and check -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpamPolicy:
    """Stop words, patterns and allow-lists; everything is compiled once, at construction.

    `allowed_domains` also allows their subdomains; `allowed_usernames` are accounts and
    channels that may be mentioned or forwarded from (the administration's channel).
    An invalid pattern or an empty stop word raises ValueError naming it.
    """

    stop_words: tuple[str, ...] = DEFAULT_STOP_WORDS
    patterns: tuple[str, ...] = DEFAULT_PATTERNS
    allowed_domains: tuple[str, ...] = DEFAULT_ALLOWED_DOMAINS
    allowed_usernames: tuple[str, ...] = ()
    _stop_matcher: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _compiled: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)
    _domains: frozenset[str] = field(init=False, repr=False, compare=False)
    _usernames: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_stop_matcher", _compile_stop_words(self.stop_words))
        object.__setattr__(self, "_compiled", tuple(_compile_pattern(p) for p in self.patterns))
        domains = frozenset(_canonical_host(d) for d in self.allowed_domains)
        object.__setattr__(self, "_domains", domains)
        usernames = frozenset(_username(u) for u in self.allowed_usernames)
        object.__setattr__(self, "_usernames", usernames)

    def domain_allowed(self, host: str) -> bool:
        return any(host == d or host.endswith("." + d) for d in self._domains)

    def username_allowed(self, username: str) -> bool:
        return _username(username) in self._usernames

    def stop_words_in(self, normalized: str) -> list[str]:
        if self._stop_matcher is None:
            return []
        found = (m.lastgroup for m in self._stop_matcher.finditer(normalized))
        return list(dict.fromkeys(self.stop_words[int(g[1:])] for g in found if g))

    def patterns_in(self, folded: str) -> list[int]:
        return [i for i, pattern in enumerate(self._compiled) if pattern.search(folded)]


def _compile_stop_words(words: Iterable[str]) -> re.Pattern[str] | None:
    alternatives = []
    for index, word in enumerate(words):
        stems = normalize_text(word).split()
        if not stems:
            raise ValueError(f"stop word {word!r} has no letters or digits")
        phrase = " ".join(re.escape(stem) + "[^ ]*" for stem in stems)
        alternatives.append(f"(?P<w{index}>{phrase})")
    if not alternatives:
        return None
    return re.compile(r"(?<![^ ])(?:" + "|".join(alternatives) + ")")


def _compile_pattern(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"invalid spam pattern {pattern!r}: {exc}") from exc


def check_message(
    facts: MessageFacts, policy: SpamPolicy, *, duplicate: bool = False
) -> SpamVerdict:
    """Every rule `facts` break under `policy`; call only when `should_check` says so.

    `duplicate` is the answer of `DuplicateDetector.observe` for the same message, so that a
    cross-chat copy shows up in the same verdict.
    """
    hits = address_hits(facts, policy)
    if facts.forwarded_from_channel and not (
        facts.forward_channel and policy.username_allowed(facts.forward_channel)
    ):
        hits.append(SpamHit(SpamReason.CHANNEL_FORWARD, _username(facts.forward_channel or "")))
    if facts.has_contact:
        hits.append(SpamHit(SpamReason.CONTACT))
    if facts.text:
        hits += text_hits(policy, *normalize_and_fold(facts.text))
    if duplicate:
        hits.append(SpamHit(SpamReason.CROSS_CHAT_DUPLICATE))
    return SpamVerdict(tuple(hits)) if hits else CLEAN


def address_hits(facts: MessageFacts, policy: SpamPolicy) -> list[SpamHit]:
    """Links to domains and @mentions of accounts `policy` does not allow."""
    targets = (_link_target(u) for u in (*facts.urls, *find_links(facts.text)))
    hits = [
        SpamHit(SpamReason.LINK, t) for t in dict.fromkeys(targets) if not policy.domain_allowed(t)
    ]
    mentions = dict.fromkeys(_username(m) for m in (*facts.mentions, *find_mentions(facts.text)))
    hits += (
        SpamHit(SpamReason.MENTION, m) for m in mentions if m and not policy.username_allowed(m)
    )
    return hits


def text_hits(policy: SpamPolicy, normalized: str, folded: str) -> list[SpamHit]:
    """The stop words and patterns found in a text already cleaned up."""
    hits = [SpamHit(SpamReason.STOP_WORD, w) for w in policy.stop_words_in(normalized)]
    hits += (SpamHit(SpamReason.PATTERN, f"#{i}") for i in policy.patterns_in(folded))
    return hits
