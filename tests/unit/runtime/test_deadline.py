"""The invocation's time budget: which waits may start, and how Retry-After is read."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from omsync import deadline
from omsync.deadline import DEFAULT_MAX_WAIT_SECONDS, DEFAULT_TOTAL_WAIT_SECONDS, Waits, parse_retry_after

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: float = 50.0
    sleeps: list[float] = field(default_factory=list)

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class LambdaContextStub:
    remaining_ms: int

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 2.5 ", 2.5),
        ("86400", 86400.0),
        ("-5", 0.0),
        ("soon", None),
        ("", None),
        ("nan", None),
        ("inf", None),
        (None, None),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        (format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0),
        ("Sun, 01 Mar 2026 08:00:30 -0000", 30.0),
    ],
)
def test_retry_after_is_seconds_or_an_http_date_and_garbage_is_none(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=lambda: NOW) == seconds


def test_inside_an_invocation_a_wait_starts_only_if_it_ends_before_the_deadline() -> None:
    clock = Clock()
    waits = Waits(clock.sleep)
    with deadline.within(10, clock=clock.time):
        assert waits.sleep(4) and waits.sleep(6)
        assert not waits.sleep(0.5)  # the budget is spent: nothing more is slept
        assert waits.refused == 0.5
    assert clock.sleeps == [4, 6]


def test_outside_an_invocation_one_wait_and_all_waits_of_an_operation_are_capped() -> None:
    clock = Clock()
    waits = Waits(clock.sleep)
    assert deadline.remaining() is None
    assert not waits.sleep(DEFAULT_MAX_WAIT_SECONDS + 1)
    while waits.sleep(DEFAULT_MAX_WAIT_SECONDS):
        pass
    assert sum(clock.sleeps) == DEFAULT_TOTAL_WAIT_SECONDS
    assert max(clock.sleeps) == DEFAULT_MAX_WAIT_SECONDS


def test_an_invocations_budget_is_lambdas_remaining_time_less_the_margin_and_ends_with_it() -> None:
    with deadline.invocation(LambdaContextStub(remaining_ms=60_000)) as outer:
        left = deadline.remaining()
        assert left is not None and 49 < left <= 50
        with deadline.invocation(LambdaContextStub(remaining_ms=3_000)):
            assert deadline.remaining() == 0  # less than the margin left: no wait at all
        assert deadline.current() is outer
    assert deadline.current() is None


def test_each_thread_sees_its_own_invocation() -> None:
    seen: list[float | None] = []
    with deadline.within(30):
        thread = threading.Thread(target=lambda: seen.append(deadline.remaining()))
        thread.start()
        thread.join()
    assert seen == [None]


def test_an_http_timeout_never_outlasts_the_deadline() -> None:
    clock = Clock()
    assert deadline.request_timeout(30) == 30
    with deadline.within(12, clock=clock.time):
        assert deadline.request_timeout(30) == 12
        clock.now += 12
        assert deadline.request_timeout(30) == 0.1
