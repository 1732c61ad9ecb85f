"""Specification: Ctrl-C during `omsync demo` (SIGINT to its whole process group, as a terminal sends it)
ends the demo within seconds with one line, `interrupted`, exit status 130, no traceback, and no moto
process left behind: webhooks not yet sent are dropped rather than delivered first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# A shell that runs the test in the background ignores SIGINT, and children inherit that: the demo is
# started with Python's own Ctrl-C handler, as an interactive terminal would start it.
DEMO_AS_A_TERMINAL_RUNS_IT = (
    "import signal, sys\n"
    "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    "from omsync_ops.cli import main\n"
    "sys.exit(main(['demo']))\n"
)
STARTUP_SECONDS = 180
STOP_SECONDS = 60


def test_ctrl_c_while_the_demo_plays_ends_it_with_one_line_and_exit_130(tmp_path: Path) -> None:
    # Given the demo playing its scenario in a process group of its own
    demo = subprocess.Popen(
        [sys.executable, "-c", DEMO_AS_A_TERMINAL_RUNS_IT],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert demo.stderr is not None
    started = time.monotonic()
    progress = []
    try:
        for line in demo.stderr:
            progress.append(line)
            if line.startswith("playing") or time.monotonic() - started > STARTUP_SECONDS:
                break
        assert progress and progress[-1].startswith("playing"), progress

        # When Ctrl-C reaches the whole group
        os.killpg(demo.pid, signal.SIGINT)
        stopping = time.monotonic()
        out, err = demo.communicate(timeout=STOP_SECONDS)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()

    # Then it ends promptly, with one line and exit 130, and leaves no process of its group behind
    assert demo.returncode == 130, err
    assert time.monotonic() - stopping < STOP_SECONDS
    assert err.strip().splitlines()[-1] == "interrupted" and "Traceback" not in err, err
    assert out == ""
    assert not group_alive_after(demo.pid, seconds=5), "a process of the demo's group is still running"


def group_alive_after(group: int, seconds: float) -> bool:
    """Whether any process of ``group`` still runs ``seconds`` from now (a child may take a moment to exit)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        if time.monotonic() > deadline:
            return True
        time.sleep(0.1)
