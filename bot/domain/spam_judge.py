"""The anti-spam decision: which signals fire for a message, with their scores.

Pure domain code. Signals:
- `similar`: the text is close to spam moderators already removed anywhere in the community.
  It applies to everyone, long-time members included (hijacked accounts are common).
- `bayes`: the classifier's probability (words, character n-grams, the message's traits and
  the stop-word and pattern rules of `bot.domain.spam` as tokens);
- `emoji`: many emoji, the mark of ads, where the classifier leans to spam at all;
- `forward` / `contact`: a channel forward or a contact card;
- `duplicate`: the same text in several chats within minutes.
All but `similar` apply to members on probation only. A text close to one moderators
restored («Вернуть») is not flagged by its similarity or by the classifier.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final

from rapidfuzz import fuzz, process

from bot.domain.spam import (
    MessageFacts,
    SpamPolicy,
    SpamReason,
    address_hits,
    normalize_and_fold,
    normalize_text,
    text_hits,
)
from bot.domain.spam_bayes import NaiveBayes, tokens
from bot.domain.spam_features import Features, features

_RULE_TOKENS: Final = {
    SpamReason.LINK: "#r:link",
    SpamReason.MENTION: "#r:mention",
    SpamReason.STOP_WORD: "#r:stop",
    SpamReason.PATTERN: "#r:pattern",
}
DEFAULT_SIMILARITY: Final = 85
EMOJI_LEANING: Final = 0.2  # the classifier's probability from which many emoji decide
MAX_CHARS: Final = 1000  # longer messages are judged on their beginning
MIN_SIMILAR_CHARS: Final = 25  # shorter texts ("всем привет") are alike by chance
MAX_KNOWN: Final = 5000  # the most recent texts kept for the similarity check
_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)


class Signal(StrEnum):
    SIMILAR = "similar"
    BAYES = "bayes"
    EMOJI = "emoji"
    FORWARD = "forward"
    CONTACT = "contact"
    DUPLICATE = "duplicate"
    RULES = "rules"  # stop words, patterns, links: evidence for the classifier
    CAS = "cas"  # a known spammer account, checked on joining


@dataclass(frozen=True, slots=True)
class Thresholds:
    bayes: float = 0.93  # the classifier's probability from which a message is spam
    similarity: int = DEFAULT_SIMILARITY  # 0..100, how close to removed spam a text must be
    emoji: int = 4  # this many emoji or more is spam (0: off)


@dataclass(frozen=True, slots=True)
class Score:
    signal: Signal
    value: float  # a probability, a similarity in %, a count
    fired: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Judgement:
    scores: tuple[Score, ...] = ()

    @property
    def is_spam(self) -> bool:
        return any(score.fired for score in self.scores)

    @property
    def fired(self) -> tuple[Score, ...]:
        return tuple(score for score in self.scores if score.fired)


class KnownTexts:
    """Normalised texts to compare a message with; the oldest go when `limit` is reached.

    `fuzz.ratio` cannot reach a cutoff c between texts whose lengths differ by more than the
    factor c / (200 - c), so only texts of a length in that range are compared.
    """

    def __init__(self, limit: int = MAX_KNOWN) -> None:
        self._limit = limit
        self._texts: dict[str, None] = {}  # in the order they came
        self._by_length: list[tuple[int, str]] = []

    def __len__(self) -> int:
        return len(self._texts)

    def add(self, normalized: str) -> None:
        if len(normalized) < MIN_SIMILAR_CHARS or normalized in self._texts:
            return
        self._texts[normalized] = None
        insort(self._by_length, (len(normalized), normalized))
        if len(self._texts) > self._limit:
            self._remove(next(iter(self._texts)))

    def _remove(self, text: str) -> None:
        del self._texts[text]
        self._by_length.pop(bisect_left(self._by_length, (len(text), text)))

    def discard(self, normalized: str, cutoff: int) -> None:
        """Forget texts at least `cutoff` % alike to `normalized`."""
        for text in self._candidates(normalized, cutoff):
            if fuzz.ratio(text, normalized) >= cutoff:
                self._remove(text)

    def _candidates(self, normalized: str, cutoff: int) -> list[str]:
        size = len(normalized)
        factor = max(cutoff, 1) / (200 - max(cutoff, 1))
        low = bisect_left(self._by_length, (int(size * factor),))
        high = bisect_right(self._by_length, (int(size / factor) + 1,))
        return [text for _, text in self._by_length[low:high]]

    def closest(self, normalized: str, cutoff: int) -> float:
        """Similarity in % (0..100) of the closest known text, 0 below `cutoff`."""
        if len(normalized) < MIN_SIMILAR_CHARS or not self._texts:
            return 0.0
        best = process.extractOne(
            normalized, self._candidates(normalized, cutoff), scorer=fuzz.ratio,
            score_cutoff=cutoff,
        )  # fmt: skip
        return float(best[1]) if best else 0.0


@dataclass(frozen=True, slots=True)
class Prepared:
    """A message cleaned up once for every signal."""

    facts: MessageFacts
    normalized: str
    folded: str
    traits: Features

    @classmethod
    def of(cls, facts: MessageFacts) -> Prepared:
        text = facts.text[:MAX_CHARS]
        normalized, folded = normalize_and_fold(text)
        traits = features(text, urls=facts.urls, mentions=facts.mentions, folded=folded)
        return cls(facts, normalized, folded, traits)


@dataclass(slots=True)
class SpamJudge:
    """The community's memory of spam: the classifier and the texts moderators removed or
    restored. One per installation, shared by every chat."""

    policy: SpamPolicy = field(default_factory=SpamPolicy)
    model: NaiveBayes = field(default_factory=NaiveBayes)
    removed: KnownTexts = field(default_factory=KnownTexts)
    restored: KnownTexts = field(default_factory=KnownTexts)

    def message_tokens(self, message: Prepared) -> frozenset[str]:
        hits = address_hits(message.facts, self.policy)
        hits += text_hits(self.policy, message.normalized, message.folded)
        extra = {_RULE_TOKENS[hit.reason] for hit in hits}
        return tokens(message.normalized, message.traits) | extra

    def rule_hits(self, message: Prepared) -> int:
        """How many of the fixed rules of `bot.domain.spam` the text breaks."""
        hits = address_hits(message.facts, self.policy)
        return len(hits) + len(text_hits(self.policy, message.normalized, message.folded))

    def learn(
        self, text: str, is_spam: bool, *, remember: bool = True, cutoff: int = DEFAULT_SIMILARITY
    ) -> None:
        """One labelled example. `remember` also keeps the text for the similarity check
        (moderators' decisions; the shipped corpus only trains the classifier); a restored
        text makes removed ones at least `cutoff` % alike to it be forgotten."""
        message = Prepared.of(_facts(text))
        self.model.learn(self.message_tokens(message), is_spam)
        if not remember:
            return
        if is_spam:
            self.removed.add(message.normalized)
        else:
            self.restored.add(message.normalized)
            self.removed.discard(message.normalized, cutoff)

    def judge(
        self,
        facts: MessageFacts,
        *,
        probation: bool,
        thresholds: Thresholds,
        duplicate: bool = False,
    ) -> Judgement:
        cutoff = thresholds.similarity
        if not probation:
            # Only the similarity to removed spam applies: most messages of a chat come here,
            # so the text is cleaned up only if there are texts to compare it with.
            if not self.removed and not self.restored:
                return Judgement()
            normalized = normalize_text(facts.text[:MAX_CHARS])
            if self.restored.closest(normalized, cutoff):
                return Judgement()
            similar = self.removed.closest(normalized, cutoff)
            return Judgement((Score(Signal.SIMILAR, round(similar), True),) if similar else ())
        message = Prepared.of(facts)
        if self.restored.closest(message.normalized, cutoff):
            return Judgement()
        similar = self.removed.closest(message.normalized, cutoff)
        scores = [Score(Signal.SIMILAR, round(similar), bool(similar))]
        probability = self.model.probability(self.message_tokens(message))
        scores.append(Score(Signal.BAYES, round(probability, 3), probability >= thresholds.bayes))
        emoji = message.traits.emoji
        # Greetings are full of emoji too: many emoji decide only where the words lean spam.
        many = 0 < thresholds.emoji <= emoji and probability >= EMOJI_LEANING
        scores.append(Score(Signal.EMOJI, emoji, many))
        scores.append(Score(Signal.RULES, self.rule_hits(message), False))
        if facts.forwarded_from_channel and not (
            facts.forward_channel and self.policy.username_allowed(facts.forward_channel)
        ):
            scores.append(Score(Signal.FORWARD, 1, True, facts.forward_channel or ""))
        if facts.has_contact:
            scores.append(Score(Signal.CONTACT, 1, True))
        if duplicate:
            scores.append(Score(Signal.DUPLICATE, 1, True))
        return Judgement(tuple(scores))


def _facts(text: str) -> MessageFacts:
    return MessageFacts(chat_id=0, user_id=0, sent_at=_EPOCH, text=text)
