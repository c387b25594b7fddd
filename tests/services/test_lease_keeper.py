"""LeaseKeeper: one process does the work, the others stand by and take over when it dies,
is refused its renewal, or stops. Lease expiry is driven by a clock the test moves; the
keepers' beat is a short configured lease (0.6 s, so every 0.2 s)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.models import ChatKind, ChatPlace, RegisteredChat
from bot.services.leases import LeaseKeeper
from storage.uow import SqlUnitOfWorkFactory

NAME = "leader:telegram:123"
LEASE = timedelta(seconds=0.6)
WAIT = 30.0  # generous: the events come within a few beats on an idle machine


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class Worker:
    """The work: records when it runs, and runs until its lease is lost."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.ended = asyncio.Event()
        self.runs = 0

    async def __call__(self, lost: asyncio.Event) -> None:
        self.runs += 1
        self.ended.clear()
        self.started.set()
        try:
            await lost.wait()
        finally:
            self.started.clear()
            self.ended.set()


def keeper(factory: SqlUnitOfWorkFactory, clock: Clock, holder: str) -> LeaseKeeper:
    return LeaseKeeper(factory, clock, NAME, holder, LEASE, what="jobs")


async def test_the_second_stands_by_and_takes_over_when_the_holder_dies(
    uow_factory: SqlUnitOfWorkFactory, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    # A process that held the lease and was killed: its row stays until it runs out.
    async with uow_factory() as uow:
        assert await uow.leases.acquire(NAME, "killed", clock.now, clock.now + LEASE)
        await uow.commit()
    caplog.set_level(logging.INFO, logger="bot.services.leases")
    stop, work = asyncio.Event(), Worker()
    second = keeper(uow_factory, clock, "second")
    task = asyncio.create_task(second.hold(stop, work))
    try:
        # Several beats pass: it stands by, says so once, and does not work.
        for _ in range(4):
            await asyncio.sleep(LEASE.total_seconds() / 3)
        assert work.runs == 0
        standing_by = [r.getMessage() for r in caplog.records if "stands by" in r.getMessage()]
        assert len(standing_by) == 1
        assert "killed" in standing_by[0]
        # The dead holder's lease runs out: the next beat takes it.
        clock.now += LEASE + timedelta(milliseconds=1)
        await asyncio.wait_for(work.started.wait(), WAIT)
        assert second.held.is_set()
        async with uow_factory.reader() as uow:
            current = await uow.leases.holder(NAME)
        assert current is not None and current.holder == "second"
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)
    assert work.ended.is_set()
    async with uow_factory.reader() as uow:  # given up at the stop: the next takes it at once
        assert await uow.leases.holder(NAME) is None


async def test_only_one_of_two_works_and_a_clean_stop_hands_over(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    clock = Clock()
    stops = asyncio.Event(), asyncio.Event()
    works = Worker(), Worker()
    keepers = keeper(uow_factory, clock, "a"), keeper(uow_factory, clock, "b")
    runs = zip(keepers, stops, works, strict=True)
    tasks = [asyncio.create_task(k.hold(s, w)) for k, s, w in runs]
    try:
        await asyncio.wait_for(
            asyncio.wait(
                [asyncio.create_task(w.started.wait()) for w in works],
                return_when=asyncio.FIRST_COMPLETED,
            ),
            WAIT,
        )
        first = 0 if works[0].started.is_set() else 1
        other = 1 - first
        for _ in range(4):  # renewals keep it; the other never starts
            clock.now += LEASE / 3
            await asyncio.sleep(LEASE.total_seconds() / 3)
            assert not works[other].started.is_set()
        stops[first].set()
        await asyncio.wait_for(tasks[first], WAIT)
        # The clock stands still: the other takes over because the lease was given up.
        await asyncio.wait_for(works[other].started.wait(), WAIT)
        assert works[first].ended.is_set()
    finally:
        for stop in stops:
            stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), WAIT)


async def test_a_holder_refused_its_renewal_stops_working(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    clock = Clock()
    stop, work = asyncio.Event(), Worker()
    first = keeper(uow_factory, clock, "paused")
    task = asyncio.create_task(first.hold(stop, work))
    try:
        await asyncio.wait_for(work.started.wait(), WAIT)
        # Its lease ran out while it could not renew (a long pause), and another took it.
        clock.now += 2 * LEASE
        async with uow_factory() as uow:
            assert await uow.leases.acquire(NAME, "other", clock.now, clock.now + 10 * LEASE)
            await uow.commit()
        await asyncio.wait_for(work.ended.wait(), WAIT)
        assert not first.held.is_set()
        for _ in range(3):  # and it does not take it back while the other renews
            await asyncio.sleep(LEASE.total_seconds() / 3)
            assert not work.started.is_set()
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)
    async with uow_factory.reader() as uow:  # its stop does not give up the other's lease
        current = await uow.leases.holder(NAME)
    assert current is not None and current.holder == "other"


async def test_a_restart_on_the_same_host_takes_its_dead_predecessors_lease_at_once(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    """A bot restarted after a crash (systemd, a container's restart policy) need not wait for
    the lease its killed predecessor held: that process is gone from this host."""
    import subprocess
    import sys

    from bot.services.leases import _here

    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = f"{_here()}:{int(finished.stdout)}:0badf00d"
    clock = Clock()
    async with uow_factory() as uow:
        assert await uow.leases.acquire(NAME, dead, clock.now, clock.now + 100 * LEASE)
        await uow.commit()
    stop, work = asyncio.Event(), Worker()
    task = asyncio.create_task(keeper(uow_factory, clock, "restarted").hold(stop, work))
    try:
        await asyncio.wait_for(work.started.wait(), WAIT)  # the clock never moved
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)


async def test_the_leader_cancelled_while_its_sender_winds_down_ends_cancelled() -> None:
    """A stop that cancels the leader while it waits for its sender to end must end the
    leader. Swallowed there, the lease keeper would lead again, and the process (or a test's
    event loop) would never finish."""
    from bot.cluster import SenderControl, lead

    sending = asyncio.Event()
    winding_down = asyncio.Event()

    async def run() -> None:
        sending.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            winding_down.set()
            await asyncio.sleep(0.5)  # a send in flight finishing after its cancellation

    async def stand_down() -> None:
        return None

    lost = asyncio.Event()
    leader = asyncio.create_task(lead(lost, SenderControl(run, lambda: None, stand_down), None))
    await asyncio.wait_for(sending.wait(), 10)
    lost.set()
    await asyncio.wait_for(winding_down.wait(), 10)
    leader.cancel()  # while the leader waits for the sender
    await asyncio.wait({leader}, timeout=10)
    assert leader.cancelled()


async def test_a_process_taking_the_lease_reads_what_the_other_registered_meanwhile(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    """Two processes on one database, each with its own cache: the one standing by read the
    registrations before the other registered a chat; once it takes the lease over, the new
    chat is there for its work (on SQLite nothing else would tell it for a minute)."""
    clock = Clock()
    standby = SqlUnitOfWorkFactory(uow_factory.engine)  # the other process's own cache
    async with standby.reader() as uow:
        assert await uow.chats.all() == []  # cached: no chat yet
    async with uow_factory() as uow:  # meanwhile the working process registers one
        await uow.chats.save(
            RegisteredChat(ChatPlace(-1001, 0), ChatKind.BUILDING, "Дом 5", 9, clock.now)
        )
        await uow.commit()
    seen: list[list[str]] = []

    async def work(lost: asyncio.Event) -> None:
        async with standby.reader() as uow:
            seen.append([chat.name for chat in await uow.chats.all()])
        await lost.wait()

    stop = asyncio.Event()
    task = asyncio.create_task(keeper(standby, clock, "standby").hold(stop, work))
    try:
        for _ in range(200):
            if seen:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)
    assert seen == [["Дом 5"]]
