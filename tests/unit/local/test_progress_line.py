"""The progress line where the stream is not a terminal (a log file, CI): a line per phase, and the line again
while a long phase moves."""

from __future__ import annotations

import io
import time

from omsync_workshop.terminal import Progress


def test_off_a_terminal_a_long_phase_writes_its_line_again_only_when_its_count_moves() -> None:
    stream = io.StringIO()
    played = [0]
    with Progress(stream, log_line_seconds=0.05) as progress:
        progress.phase("playing round 1", lambda: f"{played[0]}/10 changes")
        time.sleep(0.3)  # nothing moves: no new line
        played[0] = 4
        time.sleep(0.3)
        progress.phase("comparing")
    lines = stream.getvalue().splitlines()
    assert [line.rsplit(" · ", 1)[0] for line in lines] == [
        "playing round 1: 0/10 changes",
        "playing round 1: 4/10 changes",
        "comparing",
    ]
    assert all(line.endswith(" s") for line in lines)
