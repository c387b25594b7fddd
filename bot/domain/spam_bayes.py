"""A small naive Bayes classifier over word stems, stem pairs, character n-grams and the
message's traits, that learns one example at a time.

Pure domain code: the counts live in memory; the examples they come from (the shipped corpus
and the moderators' decisions, which are stored in the database) are fed in by a service.

Why written here rather than taken from a library: scikit-learn with SciPy and NumPy adds
well over 100 MB to the install, and the job needs only counting, a logarithm and learning
one message at a time; this file does it in well under a millisecond per message.

Each token is counted once per message (binary multinomial NB, which suits short texts), with
add-one smoothing. Tokens seen in neither class are skipped, so an unknown word neither
helps nor hurts. Character n-grams outnumber words several times over, so each kind of token
has a weight. The weighted sum of log-likelihood ratios is divided by the square root of the
weights counted, so a long legitimate message does not pile up evidence just by being long;
the result is squashed into a probability.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from bot.domain.spam import normalize_text
from bot.domain.spam_features import Features

STEM: Final = 6  # the first letters of a word stand for its forms (заработок, заработка)
CHAR_N: Final = 4
# Weights of the kinds of tokens in the sum of log-likelihood ratios.
WEIGHTS: Final = {"w": 1.0, "b": 1.0, "c": 1.0, "#": 3.0}
_ALPHA: Final = 0.1


def tokens(normalized: str, traits: Features | None = None) -> frozenset[str]:
    """The tokens of a message already passed through `normalize_text`."""
    words = normalized.split()
    stems = [w[:STEM] for w in words]
    out = {"w" + s for s in stems}
    out.update(f"b{a} {b}" for a, b in zip(stems, stems[1:], strict=False))
    for word in words:
        padded = f" {word} "
        out.update("c" + padded[i : i + CHAR_N] for i in range(len(padded) - CHAR_N + 1))
    if traits is not None:
        out.update(traits.tokens())
    return frozenset(out)


def message_tokens(text: str, traits: Features | None = None) -> frozenset[str]:
    return tokens(normalize_text(text), traits)


@dataclass(slots=True)
class NaiveBayes:
    """Counts of tokens in spam and in legitimate messages; `learn` adds one example."""

    spam: Counter[str] = field(default_factory=Counter)
    ham: Counter[str] = field(default_factory=Counter)
    spam_docs: int = 0
    ham_docs: int = 0
    _spam_total: int = 0
    _ham_total: int = 0
    _vocabulary: set[str] = field(default_factory=set)

    def learn(self, message: Iterable[str], is_spam: bool) -> None:
        counts = self.spam if is_spam else self.ham
        added = 0
        for token in message:
            counts[token] += 1
            self._vocabulary.add(token)
            added += 1
        if is_spam:
            self.spam_docs += 1
            self._spam_total += added
        else:
            self.ham_docs += 1
            self._ham_total += added

    def log_odds(self, message: Iterable[str]) -> float:
        """Length-normalised log-odds that the message is spam, with equal prior odds: how
        often spam comes differs from chat to chat, and the threshold is where that belongs."""
        if not self.spam_docs or not self.ham_docs:
            return 0.0
        size = _ALPHA * len(self._vocabulary)
        spam_norm = math.log(self._spam_total + size)
        ham_norm = math.log(self._ham_total + size)
        score = weights = 0.0
        for token in message:
            in_spam = self.spam.get(token, 0)
            in_ham = self.ham.get(token, 0)
            if not in_spam and not in_ham:
                continue
            ratio = math.log(in_spam + _ALPHA) - spam_norm - math.log(in_ham + _ALPHA) + ham_norm
            weight = WEIGHTS[token[0]]
            score += weight * ratio
            weights += weight
        return score / math.sqrt(weights) if weights else 0.0

    def probability(self, message: Iterable[str]) -> float:
        score = max(-50.0, min(50.0, self.log_odds(message)))
        return 1.0 / (1.0 + math.exp(-score))
