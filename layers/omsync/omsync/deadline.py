"""The time budget of the current invocation, so that every wait in omsync is bounded.

A worker function runs each invocation inside the budget Lambda's context gives (`invocation`: the
remaining time minus `SAFETY_MARGIN_SECONDS` for answering and recording).
Every wait — the Ginee client's retry sleep, the Accurate client's rate-limit backoff, the governor's wait
for a slot — goes through a `Waits`, which starts a wait only if it ends before the deadline. A wait that
would not (Ginee's ``Retry-After: 86400``, a governor saturated for longer than the invocation has left)
is not started: the caller raises its typed `omsync.errors.RetryableError` instead, and the batch shell
returns the connection's messages to the queue, where SQS's visibility timeout does the waiting for free.

Outside an invocation (the CLI, tools, tests) no deadline is set and defaults bound the waits: one wait at
most `DEFAULT_MAX_WAIT_SECONDS`, all waits of one operation at most `DEFAULT_TOTAL_WAIT_SECONDS`.

The budget lives in a `contextvars.ContextVar`, so concurrent invocations on threads of one process (the
local stack) each see their own. All durations are seconds (float).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final, Protocol

# Left for the handler after the last wait: give a lease back, record outcomes, answer SQS (seconds).
SAFETY_MARGIN_SECONDS: Final = 10.0
# Outside an invocation: the longest single wait, and the longest sum of waits of one operation (seconds).
DEFAULT_MAX_WAIT_SECONDS: Final = 60.0
DEFAULT_TOTAL_WAIT_SECONDS: Final = 180.0


class RemainingTime(Protocol):
    """The part of Lambda's context this module reads."""

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the invocation times out."""
        ...


@dataclass(frozen=True)
class Deadline:
    """A moment on ``clock``'s scale (seconds) after which nothing may still be waiting."""

    expires_at: float
    clock: Callable[[], float] = time.monotonic

    def remaining(self) -> float:
        """Seconds left before the deadline, never negative."""
        return max(0.0, self.expires_at - self.clock())


_current: ContextVar[Deadline | None] = ContextVar("omsync_deadline", default=None)


def current() -> Deadline | None:
    """The deadline of the invocation running in this context, or None outside one."""
    return _current.get()


def remaining() -> float | None:
    """Seconds left in this invocation's budget, or None outside an invocation."""
    deadline = _current.get()
    return None if deadline is None else deadline.remaining()


@contextmanager
def invocation(context: RemainingTime, margin: float = SAFETY_MARGIN_SECONDS) -> Iterator[Deadline]:
    """This invocation's budget for the body of a ``with`` block: Lambda's remaining time less ``margin``
    seconds. A worker's handler wraps its one call in it; after the block the previous budget is back."""
    with within(context.get_remaining_time_in_millis() / 1000 - margin) as deadline:
        yield deadline


@contextmanager
def within(seconds: float, clock: Callable[[], float] = time.monotonic) -> Iterator[Deadline]:
    """A budget of ``seconds`` (negative counts as zero) for the body of a ``with`` block; the previous one
    after it."""
    deadline = Deadline(clock() + max(0.0, seconds), clock)
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)


def request_timeout(seconds: float) -> float:
    """An HTTP timeout of at most ``seconds`` that also ends by the deadline (at least 0.1 s, so it is valid)."""
    left = remaining()
    return seconds if left is None else max(0.1, min(seconds, left))


def parse_retry_after(value: str | None, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> float | None:
    """Seconds to wait from an HTTP ``Retry-After`` header (delay-seconds or an HTTP-date), or None.

    None when the header is absent or unreadable (not a number, not a date, NaN or infinite); a negative
    delay or a date in the past is 0. The result is unbounded: the caller's `Waits` decides whether it fits.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # "-0000" means UTC without saying so
            when = when.replace(tzinfo=UTC)
        seconds = (when - now()).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


class Waits:
    """The waits of one operation (one call with its retries), each checked before it starts.

    `sleep` starts a wait only when it is allowed: inside an invocation it must end before the deadline;
    outside one it may last at most `DEFAULT_MAX_WAIT_SECONDS` and bring the operation's waits to at most
    `DEFAULT_TOTAL_WAIT_SECONDS`. ``waited`` is the seconds slept so far, ``refused`` the last wait that
    was not allowed (None if none was).
    """

    def __init__(self, sleep: Callable[[float], None]) -> None:
        self._sleep = sleep
        self.waited = 0.0
        self.refused: float | None = None

    def allows(self, seconds: float) -> bool:
        """Whether a wait of ``seconds`` may start now (a negative or zero wait always may)."""
        if seconds <= 0:
            return True
        left = remaining()
        if left is not None:
            return seconds <= left
        return seconds <= DEFAULT_MAX_WAIT_SECONDS and self.waited + seconds <= DEFAULT_TOTAL_WAIT_SECONDS

    def sleep(self, seconds: float) -> bool:
        """Sleep ``seconds`` and return True if `allows` says so; otherwise return False at once, unslept."""
        if not self.allows(seconds):
            self.refused = seconds
            return False
        if seconds > 0:
            self._sleep(seconds)
            self.waited += seconds
        return True
