"""Fixtures: a running Bot API double, a town in it, and the bot against it."""

from __future__ import annotations

import asyncio
import copy
import io
from collections.abc import AsyncIterator, Sequence

import pytest

from bot.domain import spam_eval
from bot.domain.spam import SpamPolicy
from bot.domain.spam_eval import Example
from bot.domain.spam_judge import SpamJudge
from bot.fake_telegram import FakeTelegram
from bot.services import spam_memory
from tests.database import TestDatabase
from tests.e2e import harness
from tests.e2e.harness import TOKEN, InProcessBot, Town, make_settings

# How long a task left behind by a test may take to end once cancelled.
CANCEL_LIMIT = 30.0


@pytest.fixture(autouse=True)
async def _every_task_ends_when_cancelled() -> AsyncIterator[None]:
    """Torn down last: what the test left running is cancelled, as asyncio.run does at a real
    bot's exit. A task that ignores the cancellation would hang the real process at its stop
    (and this worker's event loop for ever), so it fails the test with its stack instead, and
    is let go of so that the loop can close."""
    yield
    me = asyncio.current_task()
    left = [task for task in asyncio.all_tasks() if task is not me and not task.done()]
    for task in left:
        task.cancel()
    if not left:
        return
    _, stuck = await asyncio.wait(left, timeout=CANCEL_LIMIT)
    if stuck:
        stacks = io.StringIO()
        for task in stuck:
            stacks.write(f"{task!r}\n")
            task.print_stack(file=stacks)
            asyncio.tasks._unregister_task(task)
        pytest.fail(f"{len(stuck)} task(s) ignored cancellation:\n{stacks.getvalue()}")


_TRAINED: dict[tuple[tuple[Example, ...], SpamPolicy, bool], SpamJudge] = {}
_train = spam_eval.train


def _trained_once(examples: Sequence[Example], policy: SpamPolicy, *, remember: bool) -> SpamJudge:
    """spam_eval.train, computed once per corpus and policy in this worker: each bot gets a
    copy of its own, which its learned examples then change."""
    key = (tuple(examples), policy, remember)
    if key not in _TRAINED:
        _TRAINED[key] = _train(examples, policy, remember=remember)
    return copy.deepcopy(_TRAINED[key])


@pytest.fixture(autouse=True)
def _anti_spam_trained_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every bot a test runs in its loop trains the anti-spam on the same shipped corpus at
    start, most of a second of CPU each time; training is deterministic, so the worker trains
    once and hands out copies. (A bot process trains for itself.)"""
    monkeypatch.setattr(spam_memory, "train", _trained_once)


@pytest.fixture(autouse=True)
async def _no_bot_outlives_its_test() -> AsyncIterator[None]:
    """Whatever path a test leaves by (an assertion, a timeout, a cancellation), every bot
    it started is ended before the next test, so none keeps polling a port or a database."""
    yield
    await harness.cleanup()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as server:
        try:
            yield server
        finally:  # the bots first, while the double still answers them
            await harness.cleanup()


@pytest.fixture
def town(fake: FakeTelegram) -> Town:
    return Town.create(fake)


@pytest.fixture
async def running(
    fake: FakeTelegram, town: Town, test_database: TestDatabase
) -> AsyncIterator[InProcessBot]:
    settings = make_settings(
        fake,
        test_database,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
    )
    bot = InProcessBot(settings)
    await bot.start(fake)
    yield bot
    await bot.stop()
