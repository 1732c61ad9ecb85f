"""Quieting the garbage collector for a timed run, and putting it back."""

from __future__ import annotations

import gc

from omsync_workshop import heap


def test_quiet_freezes_the_living_and_raises_the_thresholds_and_restore_undoes_both() -> None:
    before = gc.get_threshold()

    previous = heap.quiet()
    frozen = gc.get_freeze_count()
    thresholds = gc.get_threshold()
    heap.restore(previous)

    assert previous == before
    assert frozen > 0
    assert thresholds == heap.TIMED_THRESHOLDS
    assert (gc.get_freeze_count(), gc.get_threshold()) == (0, before)
