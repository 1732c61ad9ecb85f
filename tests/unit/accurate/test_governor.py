"""The governor's slot rules on a fake clock: spacing per slot, taking a busy slot ahead of time, bounded waits."""

from __future__ import annotations

import pytest

from omsync import deadline
from omsync.accurate.errors import Saturated
from omsync.accurate.governor import RESERVE_AHEAD_SECONDS, SPACING_SECONDS, Governor, MemorySlots, Taken
from omsync.errors import RetryableError


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class RecordingSlots(MemorySlots):
    """MemorySlots that remember when each take was asked, and for which start."""

    def __init__(self, clock: FakeClock, slots: int) -> None:
        super().__init__(slots)
        self.clock = clock
        self.takes: list[tuple[float, float, bool]] = []

    def take(self, slot: int, holder: str, start: float, spacing: float, lease: float) -> Taken:
        taken = super().take(slot, holder, start, spacing, lease)
        self.takes.append((self.clock.now, start, taken.ok))
        return taken


def governor(clock: FakeClock, store: MemorySlots, slots: int) -> Governor:
    return Governor(store, slots=slots, clock=clock.time, sleep=clock.sleep)


def test_a_busy_slot_is_taken_ahead_and_its_next_request_starts_one_spacing_after_the_last() -> None:
    clock = FakeClock()
    store = RecordingSlots(clock, slots=1)
    gate = governor(clock, store, slots=1)
    slot, holder = gate.acquire()
    first = clock.now
    clock.now += 0.2  # the request takes 200 ms
    gate.release(slot, holder, first)

    gate.acquire()

    assert clock.now == first + SPACING_SECONDS
    assert store.takes[-1] == (first + SPACING_SECONDS - RESERVE_AHEAD_SECONDS, first + SPACING_SECONDS, True)
    assert len(store.takes) == 2  # one write per request: no retries


def test_no_nine_requests_start_within_one_spacing() -> None:
    clock = FakeClock()
    gate = governor(clock, MemorySlots(8), slots=8)
    starts = []
    for _ in range(40):
        slot, holder = gate.acquire()
        starts.append(clock.now)
        clock.now += 0.05
        gate.release(slot, holder, starts[-1])

    assert all(later - earlier >= SPACING_SECONDS - 1e-9 for earlier, later in zip(starts, starts[8:], strict=False))
    assert starts[16] - starts[0] < 2 * SPACING_SECONDS + 0.01  # and no slot is left idle once free


def test_a_slot_held_by_another_holder_is_not_taken_until_released() -> None:
    clock = FakeClock()
    store = MemorySlots(1)
    other = governor(clock, store, slots=1)
    mine = governor(clock, store, slots=1)
    slot, holder = other.acquire()
    started = clock.now

    assert not store.take(0, "me", clock.now + SPACING_SECONDS, SPACING_SECONDS, 60.0).ok  # held
    other.release(slot, holder, started)
    mine.acquire()

    assert clock.now >= started + SPACING_SECONDS


class SleepLog(FakeClock):
    """A fake clock that also remembers each sleep asked for (seconds)."""

    def __init__(self) -> None:
        super().__init__()
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        super().sleep(seconds)


def busy_for(clock: SleepLog, seconds: float) -> Governor:
    """A one-slot governor whose slot just sent a request and may send the next in ``seconds``."""
    gate = Governor(MemorySlots(1), slots=1, spacing=seconds, clock=clock.time, sleep=clock.sleep)
    with gate.slot():
        pass
    clock.sleeps.clear()
    return gate


def test_outside_an_invocation_a_slot_ten_minutes_away_is_not_waited_for() -> None:
    clock = SleepLog()
    gate = busy_for(clock, 600)
    with pytest.raises(RetryableError):
        gate.acquire()
    assert all(wait <= 60 for wait in clock.sleeps), clock.sleeps


def test_inside_an_invocation_a_slot_past_the_deadline_is_not_waited_for_and_one_before_it_is() -> None:
    clock = SleepLog()
    gate = busy_for(clock, 10)
    with deadline.within(5, clock=clock.time), pytest.raises(Saturated):
        gate.acquire()
    assert clock.sleeps == []
    with deadline.within(20, clock=clock.time):
        gate.acquire()
    assert sum(clock.sleeps) == pytest.approx(10)  # the slot frees 10 s after its last request
