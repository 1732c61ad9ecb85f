"""The governor's slot rules on a fake clock: spacing per slot, and taking a busy slot ahead of time."""

from __future__ import annotations

from omsync.accurate.governor import RESERVE_AHEAD_SECONDS, SPACING_SECONDS, Governor, MemorySlots, Taken


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
