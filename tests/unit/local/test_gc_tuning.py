"""Quieting the garbage collector for a timed run, and putting it back."""

from __future__ import annotations

import gc

from omsync_workshop import gc_tuning


def test_quiet_freezes_the_living_and_raises_the_thresholds_and_restore_undoes_both() -> None:
    before = gc.get_threshold()

    previous = gc_tuning.quiet()
    frozen = gc.get_freeze_count()
    thresholds = gc.get_threshold()
    gc_tuning.restore(previous)

    assert previous == before
    assert frozen > 0
    assert thresholds == gc_tuning.TIMED_THRESHOLDS
    assert (gc.get_freeze_count(), gc.get_threshold()) == (0, before)
