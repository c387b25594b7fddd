"""The send-rate planner: every schedule it produces keeps Telegram's limits.

`violations` is an independent checker over a plain list of (chat_id, time) sends; the bench
script uses it too.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.telegram.rate_limit import RateLimits, SendPlanner, _SlotSet

NOW = datetime(2025, 3, 3, 9, 0, 0, 123456, tzinfo=UTC)
SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)
DEFAULT = RateLimits()
# One global slot; with the defaults a reply waits at most `interactive_every` of them.
SLOT = timedelta(microseconds=-(-1_000_000 // DEFAULT.global_per_second))
REPLY_BOUND = SLOT * DEFAULT.interactive_every


def violations(sends: Iterable[tuple[int, datetime]], limits: RateLimits) -> list[str]:
    """Every broken limit in a list of sends; windows are half-open: [t, t + window)."""
    by_chat: dict[int, list[datetime]] = defaultdict(list)
    everything: list[datetime] = []
    for chat_id, at in sends:
        by_chat[chat_id].append(at)
        everything.append(at)
    found: list[str] = []
    for chat_id, times in by_chat.items():
        times.sort()
        for a, b in zip(times, times[1:], strict=False):
            if b - a < limits.per_chat_interval:
                found.append(f"chat {chat_id}: {a} and {b} closer than the interval")
        quota = limits.group_per_minute
        if chat_id < 0:
            for a, b in zip(times, times[quota:], strict=False):
                if b - a < MINUTE:
                    found.append(f"group {chat_id}: {quota + 1} sends within a minute from {a}")
    everything.sort()
    quota = limits.global_per_second
    for a, b in zip(everything, everything[quota:], strict=False):
        if b - a < SECOND:
            found.append(f"global: {quota + 1} sends within a second from {a}")
    return found


# --- the checker itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sends", "broken"),
    [
        ([(1, NOW), (1, NOW + SECOND)], 0),
        ([(1, NOW), (1, NOW + SECOND / 2)], 1),
        ([(-1, NOW + i * SECOND) for i in range(20)] + [(-1, NOW + MINUTE)], 0),
        ([(-1, NOW + i * SECOND) for i in range(21)], 1),
        ([(i, NOW + i * SECOND / 30) for i in range(30)] + [(99, NOW + SECOND)], 0),
        ([(i, NOW + i * SECOND / 31) for i in range(31)], 1),
    ],
)
def test_checker(sends: list[tuple[int, datetime]], broken: int) -> None:
    assert len(violations(sends, DEFAULT)) == broken


# --- single limits, table-driven ------------------------------------------------------------


@pytest.mark.parametrize("call", ["earliest", "reserve", "record_sent", "pause_chat", "pause_all"])
def test_naive_datetimes_are_refused(call: str) -> None:
    planner = SendPlanner(DEFAULT)
    naive = datetime(2025, 3, 3, 9, 0)  # noqa: DTZ001 - the point of the test
    args: tuple[object, ...] = (naive,) if call == "pause_all" else (1, naive)
    with pytest.raises(ValueError, match="naive"):
        getattr(planner, call)(*args)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"group_per_minute": 0}, "at least 1"),
        ({"global_per_second": 0}, "at least 1"),
        ({"interactive_every": 1}, "interactive_every"),
        ({"per_chat_interval": -SECOND}, "negative"),
    ],
)
def test_bad_limits_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RateLimits(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("chat_id", "count", "min_span"),
    [
        (5, 3, 2 * SECOND),  # private chat: 1 s apart
        (-100, 20, 19 * SECOND),  # group, within the minute quota: still 1 s apart
        (-100, 21, MINUTE),  # the 21st waits for the window
        (-100, 41, 2 * MINUTE),
    ],
)
def test_one_chat_spacing(chat_id: int, count: int, min_span: timedelta) -> None:
    planner = SendPlanner(DEFAULT)
    slots = [planner.reserve(chat_id, NOW) for _ in range(count)]
    assert slots == sorted(slots)
    assert slots[0] - NOW <= SLOT
    assert min_span <= slots[-1] - slots[0] < min_span + SECOND
    assert violations([(chat_id, t) for t in slots], DEFAULT) == []


def test_25_messages_into_one_group_take_a_minute() -> None:
    planner = SendPlanner(DEFAULT)
    slots = planner.plan([-100] * 25, NOW)
    assert slots[20] >= slots[0] + MINUTE
    assert slots[-1] - slots[0] >= MINUTE
    assert violations([(-100, t) for t in slots], DEFAULT) == []


def test_35_groups_one_message_each_go_within_two_seconds() -> None:
    planner = SendPlanner(DEFAULT)
    chats = [-1000 - i for i in range(35)]
    slots = planner.plan(chats, NOW)
    assert max(slots) - NOW < 2 * SECOND
    assert len(set(slots)) == 35
    assert violations(zip(chats, slots, strict=True), DEFAULT) == []


def test_reserve_takes_the_slot_earliest_reports() -> None:
    planner = SendPlanner(DEFAULT)
    for chat_id in [1, -2, 1, 1, -2]:
        expected = planner.earliest(chat_id, NOW)
        assert planner.earliest(chat_id, NOW) == expected  # a query reserves nothing
        assert planner.reserve(chat_id, NOW) == expected


# --- 429 pauses -----------------------------------------------------------------------------


def test_pause_of_one_chat_delays_that_chat_only() -> None:
    planner = SendPlanner(DEFAULT)
    until = NOW + 30 * SECOND
    planner.pause_chat(-7, until)
    assert planner.reserve(-7, NOW) >= until
    assert planner.reserve(-7, NOW) >= until + SECOND
    assert planner.reserve(-8, NOW) - NOW <= SLOT
    assert planner.reserve(9, NOW) - NOW <= 2 * SLOT


def test_pause_all_delays_everyone() -> None:
    planner = SendPlanner(DEFAULT)
    until = NOW + 12 * SECOND
    planner.pause_all(until)
    slots = [planner.reserve(c, NOW) for c in (1, -2, 3)] + planner.plan([4, -5], NOW)
    assert all(until <= t < until + SECOND for t in slots)


def test_pause_expires() -> None:
    planner = SendPlanner(DEFAULT)
    planner.pause_chat(1, NOW + 5 * SECOND)
    later = NOW + 10 * SECOND
    assert planner.reserve(1, later) - later <= SLOT


def test_replanning_after_a_global_429_reuses_the_released_slots() -> None:
    planner = SendPlanner(DEFAULT)
    chats = list(range(1, 101))
    first = planner.plan(chats, NOW)
    pause_at, until = NOW + SECOND, NOW + 3 * SECOND
    planner.pause_all(until)
    pending = [(c, t) for c, t in zip(chats, first, strict=True) if t >= pause_at]
    for chat_id, at in pending:
        planner.release(chat_id, at)
    again = planner.plan([c for c, _ in pending], pause_at)
    assert min(again) >= until
    # The released slots are free again: the re-plan takes as long as the original tail.
    assert max(again) - until <= max(first) - pending[0][1] + SECOND
    sent = [(c, t) for c, t in zip(chats, first, strict=True) if t < pause_at]
    assert violations(sent + list(zip([c for c, _ in pending], again, strict=True)), DEFAULT) == []


def test_releasing_a_chats_slots_lets_its_messages_keep_their_order() -> None:
    planner = SendPlanner(DEFAULT)
    slots = [planner.reserve(-3, NOW) for _ in range(5)]
    until = NOW + 2 * SECOND
    planner.pause_chat(-3, until)
    for at in slots[1:]:
        planner.release(-3, at)
    again = [planner.reserve(-3, NOW) for _ in slots[1:]]
    assert again[0] - until <= SLOT
    assert violations([(-3, slots[0])] + [(-3, t) for t in again], DEFAULT) == []


# --- fairness: an announcement does not starve replies ----------------------------------------


def test_reply_after_a_1000_chat_announcement_waits_at_most_a_few_slots() -> None:
    planner = SendPlanner(DEFAULT)
    announcement = planner.plan(list(range(10_000, 11_000)), NOW)
    end = max(announcement)
    sends = list(zip(range(10_000, 11_000), announcement, strict=True))
    for offset in (0, 0.5, 7, 19.9, 33):
        now = NOW + offset * SECOND
        reply = planner.reserve(-5 - int(offset * 10), now)
        assert now <= reply <= now + REPLY_BOUND, offset
        assert reply < end  # interleaved, not queued behind the announcement
        sends.append((-5 - int(offset * 10), reply))
    assert violations(sends, DEFAULT) == []


def test_bulk_uses_the_rest_of_the_global_budget() -> None:
    for every, rate in [(6, 25), (0, 30)]:
        limits = RateLimits(interactive_every=every)
        slots = SendPlanner(limits).plan(list(range(1, 1001)), NOW)
        assert max(slots) - NOW == pytest.approx(1000 / rate * SECOND, abs=SECOND / 10)


def test_replies_get_the_whole_budget_without_announcements() -> None:
    planner = SendPlanner(DEFAULT)
    slots = [planner.reserve(c, NOW) for c in range(1, 61)]
    assert max(slots) - NOW < 2 * SECOND + SLOT
    assert violations(zip(range(1, 61), slots, strict=True), DEFAULT) == []


# --- record_sent, memory ----------------------------------------------------------------------


def test_recorded_sends_count_for_the_chat_and_a_reserved_one_is_not_counted_twice() -> None:
    planner = SendPlanner(DEFAULT)
    sent = [NOW + i * 1.5 * SECOND for i in range(20)]
    for at in sent:
        planner.record_sent(-9, at)
    slot = planner.reserve(-9, sent[-1])
    assert slot >= sent[0] + MINUTE
    planner.record_sent(-9, slot)  # the dispatcher reporting a reserved send: no-op
    after = planner.reserve(-9, slot)
    assert after >= sent[1] + MINUTE
    assert violations([(-9, t) for t in [*sent, slot, after]], DEFAULT) == []


def test_a_recorded_send_off_the_slot_grid_holds_both_neighbouring_slots() -> None:
    limits = RateLimits(global_per_second=1, interactive_every=0)  # slots on whole seconds
    whole = NOW.replace(microsecond=0)
    planner = SendPlanner(limits)
    planner.record_sent(1, whole + SECOND / 2)
    other = planner.reserve(2, whole + SECOND / 2)
    assert other == whole + 2 * SECOND
    same = planner.reserve(1, whole + SECOND / 2)
    assert same == whole + 3 * SECOND


def test_the_chat_interval_counts_from_the_recorded_moment_not_its_slot() -> None:
    limits = RateLimits(global_per_second=2, interactive_every=0)  # slots on half seconds
    whole = NOW.replace(microsecond=0)
    planner = SendPlanner(limits)
    planner.record_sent(3, whole + timedelta(microseconds=1))
    assert planner.earliest(3, whole) == whole + 1.5 * SECOND


def test_memory_is_bounded() -> None:
    planner = SendPlanner(DEFAULT)
    slots = planner.plan(list(range(1, 1001)), NOW)
    planner.pause_chat(-1, NOW + 10 * SECOND)
    assert planner.tracked_chats == 1001
    later = max(slots) + 2 * MINUTE
    planner.reserve(5000, later)
    assert planner.tracked_chats == 1
    assert sum(len(level) for s in (planner._bulk, planner._interactive) for level in s._levels)
    assert all(
        len(level) <= 2 for s in (planner._bulk, planner._interactive) for level in s._levels
    )


def test_stale_now_counts_as_the_latest_one_seen() -> None:
    planner = SendPlanner(DEFAULT)
    planner.reserve(1, NOW + MINUTE)
    assert planner.reserve(2, NOW) >= NOW + MINUTE


# --- properties -------------------------------------------------------------------------------

CHATS = st.sampled_from([-1001, -1002, -1003, -1004, 11, 12, 13])
OPS = st.lists(
    st.tuples(
        st.sampled_from(["reserve", "bulk", "plan", "pause", "pause_all", "release", "record"]),
        st.lists(CHATS, min_size=1, max_size=6),
        st.one_of(st.just(0), st.integers(0, 3_000), st.integers(0, 90_000)),  # advance, ms
        st.integers(0, 20_000),  # pause length, ms
    ),
    max_size=80,
)
LIMITS = st.builds(
    RateLimits,
    per_chat_interval=st.sampled_from([timedelta(0), SECOND / 3, SECOND, 3 * SECOND]),
    group_per_minute=st.integers(1, 6),
    global_per_second=st.integers(1, 8),
    interactive_every=st.sampled_from([0, 2, 3, 6]),
)


@settings(max_examples=300, deadline=None)
@given(limits=LIMITS, ops=OPS, seed=st.integers(0, 2**32))
def test_any_sequence_of_calls_yields_a_schedule_within_the_limits(
    limits: RateLimits, ops: list[tuple[str, list[int], int, int]], seed: int
) -> None:
    rng = random.Random(seed)
    planner = SendPlanner(limits)
    sends: list[tuple[int, datetime]] = []
    paused: dict[int, datetime] = defaultdict(lambda: NOW)
    now = NOW
    for kind, chats, advance_ms, pause_ms in ops:
        now += timedelta(milliseconds=advance_ms)
        chat_id = chats[0]
        if kind in ("reserve", "bulk"):
            bulk = kind == "bulk"
            expected = planner.earliest(chat_id, now, bulk=bulk)
            got = planner.reserve(chat_id, now, bulk=bulk)
            assert got == expected
            new = [(chat_id, got)]
        elif kind == "plan":
            new = list(zip(chats, planner.plan(chats, now), strict=True))
        elif kind == "record":
            new = [(chat_id, planner.earliest(chat_id, now))]
            planner.record_sent(chat_id, new[0][1])
        elif kind == "pause":
            paused[chat_id] = max(paused[chat_id], now + timedelta(milliseconds=pause_ms))
            planner.pause_chat(chat_id, now + timedelta(milliseconds=pause_ms))
            new = []
        elif kind == "pause_all":
            for c in [-1001, -1002, -1003, -1004, 11, 12, 13]:
                paused[c] = max(paused[c], now + timedelta(milliseconds=pause_ms))
            planner.pause_all(now + timedelta(milliseconds=pause_ms))
            new = []
        else:  # release a message not sent yet
            pending = [s for s in sends if s[1] > now]
            if pending:
                victim = rng.choice(pending)
                sends.remove(victim)
                planner.release(*victim)
            new = []
        for c, at in new:
            assert at >= now
            assert at >= paused[c]
        sends.extend(new)
    assert violations(sends, limits) == []


@settings(max_examples=200, deadline=None)
@given(
    history=st.lists(st.tuples(CHATS, st.integers(0, 120_000)), max_size=60),
    later=st.lists(st.tuples(CHATS, st.integers(0, 5_000), st.booleans()), max_size=60),
    per_second=st.sampled_from([1, 2, 5]),
)
def test_recorded_history_off_the_slot_grid_is_respected(
    history: list[tuple[int, int]], later: list[tuple[int, int, bool]], per_second: int
) -> None:
    """State rebuilt with record_sent from a valid log (sends two slots apart) stays valid."""
    limits = RateLimits(global_per_second=per_second, group_per_minute=3)
    two_slots = 2 * timedelta(microseconds=-(-1_000_000 // limits.global_per_second))
    log: list[tuple[int, datetime]] = []
    for chat_id, ms in sorted(history, key=lambda h: h[1]):
        candidate = (chat_id, NOW + timedelta(milliseconds=ms, microseconds=ms % 977))
        if log and candidate[1] - log[-1][1] < two_slots:
            continue
        if violations([*log, candidate], limits) == []:
            log.append(candidate)
    planner = SendPlanner(limits)
    for chat_id, at in log:
        planner.record_sent(chat_id, at)
    now = max((at for _, at in log), default=NOW)
    sends = list(log)
    for chat_id, advance_ms, bulk in later:
        now += timedelta(milliseconds=advance_ms)
        sends.append((chat_id, planner.reserve(chat_id, now, bulk=bulk)))
    assert violations(sends, limits) == []


@settings(max_examples=200, deadline=None)
@given(
    ops=st.lists(
        st.tuples(st.sampled_from(["add", "discard", "forget"]), st.integers(0, 9_000)),
        max_size=400,
    ),
    probes=st.lists(st.integers(0, 9_000), max_size=20),
)
def test_slot_set_matches_a_plain_set(ops: list[tuple[str, int]], probes: list[int]) -> None:
    slots, model, low = _SlotSet(), set(), 0
    for kind, i in ops:
        if kind == "add" and i >= low:
            slots.add(i)
            model.add(i)
        elif kind == "discard":
            slots.discard(i)
            model.discard(i)
        elif kind == "forget" and i >= low:
            low = i >> 6 << 6
            slots.forget_below(i)
            model = {m for m in model if m >= low}
    for i in probes:
        start = max(i, low)
        expected = start
        while expected in model:
            expected += 1
        assert slots.next_free(start) == expected


def test_slot_set_full_runs() -> None:
    slots = _SlotSet()
    for i in range(64**2 + 5):
        slots.add(i)
    assert slots.next_free(0) == 64**2 + 5
    slots.discard(64 * 40 + 3)
    assert slots.next_free(7) == 64 * 40 + 3
    slots.forget_below(64 * 41)
    assert slots.next_free(64 * 41) == 64**2 + 5
