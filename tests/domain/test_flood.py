from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.flood import DuplicateDetector, FloodTracker
from bot.domain.spam import MessageFacts

T0 = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)
ADVERT = "Продаём дрова с доставкой по городу, недорого"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def post(text: str, chat_id: int, seconds: float, user_id: int = 7) -> MessageFacts:
    return MessageFacts(chat_id=chat_id, user_id=user_id, sent_at=at(seconds), text=text)


# --- DuplicateDetector ----------------------------------------------------------------------


def test_same_text_in_a_second_chat_within_the_window() -> None:
    detector = DuplicateDetector(timedelta(minutes=5))
    assert not detector.observe(post(ADVERT, chat_id=1, seconds=0))
    assert detector.observe(post(ADVERT, chat_id=2, seconds=60))
    assert detector.observe(post(ADVERT, chat_id=3, seconds=120))


def test_copies_differing_in_case_punctuation_and_look_alikes_are_the_same() -> None:
    detector = DuplicateDetector(timedelta(minutes=5))
    assert not detector.observe(post(ADVERT, chat_id=1, seconds=0))
    obfuscated = "ПРОДАЁМ   дрoва с дoставкoй по городу!!! Недорого."  # Latin o
    assert detector.observe(post(obfuscated, chat_id=2, seconds=30))


def test_outside_the_window_is_not_a_duplicate() -> None:
    detector = DuplicateDetector(timedelta(minutes=5))
    assert not detector.observe(post(ADVERT, chat_id=1, seconds=0))
    assert not detector.observe(post(ADVERT, chat_id=2, seconds=300))  # exactly 5 min: out
    assert detector.observe(post(ADVERT, chat_id=3, seconds=599))


def test_other_user_same_chat_and_short_texts_do_not_count() -> None:
    detector = DuplicateDetector(timedelta(minutes=5))
    assert not detector.observe(post(ADVERT, chat_id=1, seconds=0, user_id=7))
    assert not detector.observe(post(ADVERT, chat_id=2, seconds=1, user_id=8))
    assert not detector.observe(post(ADVERT, chat_id=1, seconds=2, user_id=7))
    assert not detector.observe(post("Спасибо!", chat_id=1, seconds=3))
    assert not detector.observe(post("Спасибо!", chat_id=2, seconds=4))
    assert not detector.observe(post("", chat_id=3, seconds=5))


def test_min_chats() -> None:
    detector = DuplicateDetector(timedelta(minutes=5), min_chats=3)
    assert not detector.observe(post(ADVERT, chat_id=1, seconds=0))
    assert not detector.observe(post(ADVERT, chat_id=2, seconds=10))
    assert not detector.observe(post(ADVERT, chat_id=2, seconds=20))
    assert detector.observe(post(ADVERT, chat_id=3, seconds=30))


def test_record_is_evicted_by_time() -> None:
    detector = DuplicateDetector(timedelta(minutes=1))
    for i in range(50):
        detector.observe(post(f"{ADVERT} номер {i}", chat_id=i, seconds=i))
    assert len(detector) == 50
    detector.observe(post(ADVERT, chat_id=1, seconds=3600))
    assert len(detector) == 1


def test_record_is_bounded_under_load() -> None:
    detector = DuplicateDetector(timedelta(hours=1), max_entries=100)
    for i in range(1000):
        detector.observe(post(f"{ADVERT} номер {i}", chat_id=i % 7, seconds=i / 100))
        assert len(detector) <= 100
    # the oldest went first; the most recent copies are still matched
    assert detector.observe(post(f"{ADVERT} номер 999", chat_id=100, seconds=11))
    assert not detector.observe(post(f"{ADVERT} номер 0", chat_id=100, seconds=11))


def test_invalid_detector_settings() -> None:
    with pytest.raises(ValueError, match="window"):
        DuplicateDetector(timedelta(0))
    with pytest.raises(ValueError, match="min_chats"):
        DuplicateDetector(timedelta(minutes=1), min_chats=1)


# --- FloodTracker ---------------------------------------------------------------------------


def test_fires_on_the_message_over_the_limit() -> None:
    tracker = FloodTracker(max_messages=3, per=timedelta(seconds=10))
    assert [tracker.observe(1, 7, at(s)) for s in (0, 1, 2, 3)] == [False, False, False, True]


def test_messages_spread_out_do_not_fire() -> None:
    tracker = FloodTracker(max_messages=3, per=timedelta(seconds=10))
    assert not any(tracker.observe(1, 7, at(s)) for s in range(0, 100, 4))


def test_window_is_sliding_and_half_open() -> None:
    tracker = FloodTracker(max_messages=2, per=timedelta(seconds=10))
    assert not tracker.observe(1, 7, at(0))
    assert not tracker.observe(1, 7, at(5))
    assert not tracker.observe(1, 7, at(10))  # the message at 0 is exactly 10 s old: out
    assert tracker.observe(1, 7, at(14))  # 5, 10, 14


def test_one_burst_fires_once_then_the_window_restarts() -> None:
    tracker = FloodTracker(max_messages=3, per=timedelta(seconds=10))
    fired = [tracker.observe(1, 7, at(s / 10)) for s in range(12)]
    assert fired == [False, False, False, True, False, False, False, True] + [False] * 3 + [True]


def test_chats_and_users_are_counted_separately() -> None:
    tracker = FloodTracker(max_messages=2, per=timedelta(seconds=10))
    results = [
        tracker.observe(chat, user, at(0)) for chat in (1, 2) for user in (7, 8) for _ in (1, 2)
    ]
    assert not any(results)
    assert tracker.observe(2, 8, at(1))


def test_idle_users_are_forgotten() -> None:
    tracker = FloodTracker(max_messages=5, per=timedelta(seconds=10))
    for user in range(100):
        tracker.observe(1, user, at(user / 100))
    assert len(tracker) == 100
    tracker.observe(1, 1000, at(60))
    assert len(tracker) == 1


def test_tracked_pairs_are_bounded() -> None:
    tracker = FloodTracker(max_messages=5, per=timedelta(hours=1), max_tracked=50)
    for user in range(500):
        tracker.observe(1, user, at(user))
        assert len(tracker) <= 50


def test_invalid_tracker_input() -> None:
    with pytest.raises(ValueError, match="max_messages"):
        FloodTracker(max_messages=0, per=timedelta(seconds=1))
    with pytest.raises(ValueError, match="per"):
        FloodTracker(max_messages=1, per=timedelta(0))
    with pytest.raises(ValueError, match="timezone-aware"):
        FloodTracker(1, timedelta(seconds=1)).observe(1, 1, datetime(2025, 1, 1))  # noqa: DTZ001


GAPS = st.lists(st.integers(min_value=0, max_value=20_000), max_size=60)  # milliseconds


@given(st.integers(min_value=1, max_value=10), GAPS)
def test_never_fires_at_or_below_the_limit(limit: int, gaps: list[int]) -> None:
    tracker = FloodTracker(limit, timedelta(seconds=5))
    times = [T0 + timedelta(milliseconds=sum(gaps[: i + 1])) for i in range(len(gaps))]
    assert not any(tracker.observe(1, 7, t) for t in times[:limit])


@given(st.integers(min_value=1, max_value=6), GAPS)
def test_agrees_with_a_naive_sliding_window(limit: int, gaps: list[int]) -> None:
    per = timedelta(seconds=5)
    tracker = FloodTracker(limit, per)
    since_reset: list[datetime] = []
    now = T0
    for gap in gaps:
        now += timedelta(milliseconds=gap)
        since_reset.append(now)
        expected = sum(1 for t in since_reset if now - t < per) > limit
        if expected:
            since_reset.clear()
        assert tracker.observe(1, 7, now) == expected


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 50), st.integers(0, 3_000))))
def test_memory_stays_bounded(events: list[tuple[int, int, int]]) -> None:
    tracker = FloodTracker(3, timedelta(seconds=2), max_tracked=20)
    now = T0
    for chat, user, gap in events:
        now += timedelta(milliseconds=gap)
        tracker.observe(chat, user, now)
        assert len(tracker) <= 20
