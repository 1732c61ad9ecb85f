"""Specification: `omsync local up` shows the operator's lines only, sends the functions' output to the log
file it names, and stops on Ctrl-C (SIGINT to the whole process group, as a terminal sends it) with one
line, exit status 0 and no traceback, its SQS pollers stopped before moto's process."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

STARTUP_SECONDS = 120


def lines_of(stream: IO[str], into: queue.Queue[str | None]) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


def test_local_up_keeps_the_terminal_quiet_and_stops_on_ctrl_c_with_one_line(tmp_path: Path) -> None:
    # Given `omsync local up` in a process group of its own, as a terminal runs it
    up = subprocess.Popen(
        [sys.executable, "-m", "omsync_ops.cli", "local", "up"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert up.stdout is not None and up.stderr is not None
    stdout: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=lines_of, args=(up.stdout, stdout), daemon=True).start()
    before: list[str] = []
    try:
        while not any(line.strip().startswith("export ") for line in before):
            line = stdout.get(timeout=STARTUP_SECONDS)
            assert line is not None, "".join(before) + up.stderr.read()
            before.append(line)

        # When Ctrl-C reaches every process of the group
        os.killpg(up.pid, signal.SIGINT)
        # Not communicate(): it would read stdout too, racing the reader thread for the last lines.
        up.wait(timeout=60)
        err = up.stderr.read()
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
            up.wait()
    after = []
    while (line := stdout.get(timeout=5)) is not None:
        after.append(line)
    out = "".join(before + after)

    # Then it says "stopping" once and exits 0, with no traceback and no JSON line on the terminal
    assert up.returncode == 0, out + err
    assert "Traceback" not in out + err and "KeyboardInterrupt" not in out + err, out + err
    assert [line for line in (out + err).splitlines() if line.lstrip().startswith("{")] == [], out + err
    assert out.count("stopping") == 1, out
    assert "Ctrl-C to stop." in out

    # And the log file it names exists and holds no failure of a poller that outlived moto
    named = [line.split(": ", 1)[1].strip() for line in out.splitlines() if line.startswith("the functions' logs: ")]
    assert len(named) == 1, out
    log = (tmp_path / named[0]).read_text(encoding="utf-8")
    assert "poller failed" not in log and "Traceback" not in log, log
