"""Telegram counts a message when it arrives, not when it was planned.

A request leaves later than its slot when the event loop or a round is slow, and travels for a
while; Telegram's windows count arrivals. These tests plan with the planner, let messages
leave late and arrive anywhere between departure and answer, and check the arrivals with the
same independent checker the planner's own tests use.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import deque
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.telegram.rate_limit import DepartureWindow, RateLimits, SendPlanner
from tests.domain.test_rate_limit import NOW, SECOND, violations

MS = timedelta(milliseconds=1)


def simulate(
    limits: RateLimits,
    messages: list[tuple[int, int]],
    seed: int,
    *,
    late_ms: int,
    rtt_ms: int,
    window: bool = True,
) -> list[tuple[int, datetime]]:
    """The dispatcher's way with one message in flight per chat, as discrete events.

    `messages` are (chat_id, created ms); each leaves up to `late_ms` after it may, is
    answered up to `rtt_ms` later and arrives at a random moment in between. Returns
    (chat_id, arrival) for every message.
    """
    rng = random.Random(seed)
    planner, departures = SendPlanner(limits), DepartureWindow(limits)
    order = itertools.count()
    events: list[tuple[datetime, int, str, int, datetime]] = []

    def push(at: datetime, kind: str, chat_id: int, slot: datetime = NOW) -> None:
        heapq.heappush(events, (at, next(order), kind, chat_id, slot))

    for chat_id, created_ms in messages:
        push(NOW + created_ms * MS, "created", chat_id)
    waiting: dict[int, deque[datetime]] = {}
    arrivals: list[tuple[int, datetime]] = []
    while events:
        at, _, kind, chat_id, slot = heapq.heappop(events)
        queue = waiting.setdefault(chat_id, deque())
        if kind == "created":
            queue.append(at)
            if len(queue) == 1:
                push(at, "ready", chat_id)
        elif kind == "ready":
            leave_from, slot = planner.reserve_departure(chat_id, at)
            push(max(leave_from, at) + rng.randint(0, late_ms) * MS, "try", chat_id, slot)
        elif kind == "try":
            hold = departures.hold(at) if window else timedelta(0)
            if hold > timedelta(0):
                push(at + hold, "try", chat_id, slot)
                continue
            departures.leave()
            rtt = rng.randint(0, rtt_ms) * MS
            arrivals.append((chat_id, at + rtt * rng.random()))
            push(at + rtt, "answered", chat_id, slot)
        else:
            departures.answered(at)
            planner.departed(chat_id, slot, at)
            queue.popleft()
            if queue:
                push(max(at, queue[0]), "ready", chat_id)
    return arrivals


LIMITS = st.builds(
    RateLimits,
    per_chat_interval=st.sampled_from([timedelta(0), SECOND / 3, SECOND]),
    group_per_minute=st.integers(1, 6),
    global_per_second=st.integers(1, 8),
    interactive_every=st.sampled_from([0, 2, 6]),
    in_flight_margin=st.sampled_from([timedelta(0), 25 * MS, 100 * MS]),
)
MESSAGES = st.lists(
    st.tuples(st.sampled_from([-1001, -1002, -1003, 11, 12, 13, 14]), st.integers(0, 4_000)),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(
    limits=LIMITS,
    messages=MESSAGES,
    seed=st.integers(0, 2**32),
    late_ms=st.sampled_from([0, 30, 400]),
    rtt_ms=st.sampled_from([0, 20, 300]),
)
def test_late_and_uneven_requests_still_arrive_within_the_limits(
    limits: RateLimits, messages: list[tuple[int, int]], seed: int, late_ms: int, rtt_ms: int
) -> None:
    arrivals = simulate(limits, messages, seed, late_ms=late_ms, rtt_ms=rtt_ms)
    assert len(arrivals) == len(messages)
    assert violations(arrivals, limits) == []


def test_without_the_departure_window_one_late_request_crowds_the_servers_second() -> None:
    """Why the window is there: slots alone keep the plan, not what the server counts."""
    limits = RateLimits(interactive_every=0)
    chats = [100 + i for i in range(90)]
    broken = [
        seed
        for seed in range(20)
        if violations(
            simulate(limits, [(c, 0) for c in chats], seed, late_ms=60, rtt_ms=0, window=False),
            limits,
        )
    ]
    assert broken  # and with the window, never:
    for seed in range(20):
        arrivals = simulate(limits, [(c, 0) for c in chats], seed, late_ms=60, rtt_ms=0)
        assert violations(arrivals, limits) == []


@settings(max_examples=200, deadline=None)
@given(
    chats=st.lists(st.sampled_from([-1001, -1002, 11, 12, 13]), min_size=1, max_size=80),
    margin_ms=st.sampled_from([10, 25, 100]),
    seed=st.integers(0, 2**32),
)
def test_slots_arriving_up_to_the_margin_late_keep_the_limits(
    chats: list[int], margin_ms: int, seed: int
) -> None:
    """The planner's own promise: the windows are planned wider by the margin."""
    rng = random.Random(seed)
    limits = RateLimits(in_flight_margin=margin_ms * MS, group_per_minute=3)
    planner = SendPlanner(limits)
    arrivals = [
        (chat_id, slot + rng.randint(0, margin_ms) * MS)
        for chat_id, slot in zip(chats, planner.plan(chats, NOW), strict=True)
    ]
    assert violations(arrivals, limits) == []


def test_the_margin_costs_its_share_of_the_global_rate() -> None:
    limits = RateLimits(interactive_every=0, in_flight_margin=25 * MS)
    slots = SendPlanner(limits).plan(list(range(1, 301)), NOW)
    rate = 299 / (max(slots) - NOW).total_seconds()
    assert rate == pytest.approx(30 / 1.025, rel=0.01)


@pytest.mark.parametrize("margin", [-MS, 1001 * MS])
def test_a_margin_outside_0_to_1_s_is_refused(margin: timedelta) -> None:
    with pytest.raises(ValueError, match="in_flight_margin"):
        RateLimits(in_flight_margin=margin)


# --- leaving as soon as the chat allows --------------------------------------------------------


def test_a_reply_in_a_quiet_chat_may_leave_at_once() -> None:
    planner = SendPlanner(RateLimits(in_flight_margin=25 * MS))
    leave_from, slot = planner.reserve_departure(5, NOW)
    assert leave_from == NOW < slot  # not at the next slot boundary


def test_leaving_early_never_comes_before_the_chats_own_limits() -> None:
    limits = RateLimits()
    planner = SendPlanner(limits)
    _, first = planner.reserve_departure(-7, NOW)
    answered = first + 40 * MS
    planner.departed(-7, first, answered)
    leave_from, slot = planner.reserve_departure(-7, first)
    assert leave_from == answered + limits.per_chat_interval  # from the real moment
    assert slot >= leave_from


def test_behind_a_busy_schedule_a_message_leaves_at_most_one_slot_early() -> None:
    limits = RateLimits(interactive_every=0)
    planner = SendPlanner(limits)
    planner.plan(list(range(1, 61)), NOW)
    leave_from, slot = planner.reserve_departure(999, NOW)
    assert slot - leave_from == timedelta(microseconds=-(-1_000_000 // 30))


# --- the departure window ------------------------------------------------------------------------


def test_requests_count_while_in_flight_and_for_a_second_after_their_answer() -> None:
    window = DepartureWindow(RateLimits(global_per_second=3))
    for _ in range(3):
        assert window.hold(NOW) == timedelta(0)
        window.leave()
    assert window.hold(NOW) > timedelta(0)  # all three still in flight
    window.answered(NOW + 100 * MS)
    window.answered(NOW + 300 * MS)
    assert window.hold(NOW + 400 * MS) == NOW + 1100 * MS - (NOW + 400 * MS)
    assert window.hold(NOW + 1100 * MS) == timedelta(0)  # the first answer is a second old
    window.leave()
    assert window.hold(NOW + 1100 * MS) == NOW + 1300 * MS - (NOW + 1100 * MS)
    assert window.in_flight == 2
