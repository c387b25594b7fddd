"""The installation's anti-spam memory: one classifier and one list of removed and restored
texts for every chat, rebuilt at start from the shipped corpus and the examples moderators
taught (stored in the database), and taught further by their decisions.

The corpus is trained in a worker thread on first use, so the bot starts polling at once; a
decision taught while that runs is kept and applied when it ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from bot.domain.spam import SpamPolicy
from bot.domain.spam_eval import Example, train
from bot.domain.spam_judge import SpamJudge, Thresholds
from bot.services.ports import Clock, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)


class SpammerLookup(Protocol):
    """A list of known spammer accounts (CAS-style), asked when someone joins.

    Implemented by an HTTP adapter (bot.cas); it answers False when the service cannot be
    reached, so a lookup never stands between a newcomer and the chat."""

    async def is_listed(self, user_id: int) -> bool: ...


class NoSpammerLookup:
    async def is_listed(self, user_id: int) -> bool:
        return False


class SpamMemory:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        corpus: Sequence[Example],
        policy: SpamPolicy,
        defaults: Thresholds,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._corpus = corpus
        self._policy = policy
        self.defaults = defaults
        self._judge: SpamJudge | None = None
        self._lock = asyncio.Lock()
        self._pending: list[tuple[str, bool]] = []

    async def warm_up(self) -> None:
        """Train now, at start, rather than on the first message."""
        await self.judge()

    async def judge(self) -> SpamJudge:
        """The trained judge (trained now if this is the first question)."""
        if self._judge is not None:
            return self._judge
        async with self._lock:
            if self._judge is None:
                async with self._uow_factory.reader() as uow:
                    learned = list(await uow.spam.examples())
                judge = await asyncio.to_thread(train, self._corpus, self._policy, remember=False)
                for text, is_spam in [*learned, *self._pending]:
                    self._learn(judge, text, is_spam)
                self._pending.clear()
                self._judge = judge
                log.info("anti-spam trained on %d shipped and %d learned examples",
                         len(self._corpus), len(learned))  # fmt: skip
        return self._judge

    def _learn(self, judge: SpamJudge, text: str, is_spam: bool) -> None:
        judge.learn(text, is_spam, cutoff=self.defaults.similarity)

    async def teach(
        self, uow: UnitOfWork, text: str, is_spam: bool, *, source: str, actor_id: int | None
    ) -> None:
        """Store a moderator's decision in `uow`; the judge learns it once that commits."""
        if not text.strip():
            return
        await uow.spam.add_examples(
            [(text, is_spam)], source=source, at=self._clock(), actor_id=actor_id
        )

        def learn() -> None:
            if self._judge is None:
                self._pending.append((text, is_spam))
            else:
                self._learn(self._judge, text, is_spam)

        uow.on_commit(learn)
