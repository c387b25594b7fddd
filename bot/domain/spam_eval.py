"""Cross-validation of the anti-spam signals on labelled examples.

Pure domain code, used by `civicbot spam eval`, the benchmark and the tests. Each fold trains
a fresh `SpamJudge` on the other folds (their spam also stands for what moderators removed, so
the similarity signal is measured too) and judges the fold as messages from a newcomer on
probation.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from bot.domain.spam import MessageFacts, SpamPolicy
from bot.domain.spam_judge import Judgement, Score, Signal, SpamJudge, Thresholds

COMBINED: Final = "combined"
_SENT_AT: Final = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    is_spam: bool


@dataclass(slots=True)
class Tally:
    """Detection and false positives of one signal (or of the combination)."""

    spam: int = 0
    ham: int = 0
    caught: int = 0
    false_alarms: int = 0
    missed: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)

    @property
    def detection(self) -> float:
        return self.caught / self.spam if self.spam else 1.0

    @property
    def false_positive(self) -> float:
        return self.false_alarms / self.ham if self.ham else 0.0

    def count(self, example: Example, fired: bool) -> None:
        if example.is_spam:
            self.spam += 1
            self.caught += fired
            if not fired:
                self.missed.append(example.text)
        else:
            self.ham += 1
            self.false_alarms += fired
            if fired:
                self.flagged.append(example.text)


def folds(examples: Sequence[Example], k: int, seed: int = 13) -> list[list[Example]]:
    """`examples` shuffled (the same way for the same seed) and dealt into `k` folds."""
    if k < 2:
        raise ValueError("k-fold cross-validation needs k >= 2")
    shuffled = list(examples)
    random.Random(seed).shuffle(shuffled)
    return [shuffled[i::k] for i in range(k)]


def train(examples: Sequence[Example], policy: SpamPolicy, *, remember: bool) -> SpamJudge:
    judge = SpamJudge(policy=policy)
    for example in examples:
        judge.learn(example.text, example.is_spam, remember=remember and example.is_spam)
    return judge


def as_facts(text: str) -> MessageFacts:
    return MessageFacts(chat_id=1, user_id=7, sent_at=_SENT_AT, text=text)


def cross_validate(
    examples: Sequence[Example],
    *,
    k: int = 5,
    thresholds: Thresholds | None = None,
    policy: SpamPolicy | None = None,
    on_judged: Callable[[Example, Judgement], None] | None = None,
) -> dict[str, Tally]:
    """Tallies per signal (by name) and for the combination (`COMBINED`)."""
    thresholds = thresholds or Thresholds()
    policy = policy or SpamPolicy()
    tallies: dict[str, Tally] = {str(s): Tally() for s in Signal if s is not Signal.CAS}
    tallies[COMBINED] = Tally()
    dealt = folds(examples, k)
    for index, test in enumerate(dealt):
        rest = [e for i, fold in enumerate(dealt) if i != index for e in fold]
        judge = train(rest, policy, remember=True)
        for example in test:
            judgement = judge.judge(as_facts(example.text), probation=True, thresholds=thresholds)
            fired = {str(score.signal) for score in judgement.scores if _alone(score)}
            for name, tally in tallies.items():
                if name != COMBINED:
                    tally.count(example, name in fired)
            tallies[COMBINED].count(example, judgement.is_spam)
            if on_judged is not None:
                on_judged(example, judgement)
    return tallies


def _alone(score: Score) -> bool:
    """Whether the signal would remove the message by itself; the fixed rules only feed the
    classifier, and count here as they did when they decided alone."""
    return score.fired or (score.signal is Signal.RULES and score.value > 0)
