"""Python's garbage collector for a timed local run: the whole world's long-lived state in one heap.

In AWS each function runs in a small process of its own and the services run elsewhere. Locally one
process holds the workers, Ginee's orders and Accurate's growing books, and moto's process holds every
message and item: hundreds of thousands of long-lived objects. With CPython's default thresholds the
collector rescans them again and again (a full flash-sale drain spent about a sixth of its time paused
in collections, every thread waiting). `quiet()` collects once, freezes what is alive (`gc.freeze`:
later collections skip it) and collects the young generations less often; `restore()` undoes both.
Garbage is still freed by reference counting at once; only cycles wait longer.
"""

from __future__ import annotations

import gc

TIMED_THRESHOLDS = (10_000, 10, 100)
"""Young collections every 10,000 net allocations (default 700); full ones a hundred times rarer."""


def quiet() -> tuple[int, int, int]:
    """Collect, freeze the survivors and raise the thresholds; returns the thresholds to restore."""
    previous = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*TIMED_THRESHOLDS)
    return previous


def restore(previous: tuple[int, int, int]) -> None:
    """Unfreeze and put the thresholds back."""
    gc.unfreeze()
    gc.set_threshold(*previous)
