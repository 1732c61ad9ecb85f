"""moto's server in a process of its own, so AWS's emulation does not share the workers' interpreter lock.

In AWS, SQS and DynamoDB run on other machines than the Lambda functions; locally they are emulated by
moto, which is CPU-bound Python. Run in the same process as the functions, every moto request competes
with the workers for one interpreter lock. `MotoProcess` starts
``python -m omsync_workshop.moto_process --patches LEVEL``: the child patches its moto to that level
(`omsync_workshop.moto_patches`: ``fidelity`` by default, ``speed`` for `omsync bench` and `make demo`,
``none`` for moto as released), starts `ThreadedMotoServer` on 127.0.0.1 on a free port, prints its endpoint on stdout,
and serves until its stdin closes (the parent stopped, or died); it ignores Ctrl-C, which is its parent's to handle.

One command travels on stdin: ``freeze`` quiets the child's garbage collector for a timed run
(`omsync_workshop.gc_tuning.quiet`: collect, freeze what is alive, collect less often), answering ``frozen``. A
bench sends it once the world is loaded, so that tens of thousands of stored messages and items are not
rescanned, with every request waiting, while the drain is timed.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from types import TracebackType
from typing import IO, Self

from omsync_workshop.moto_patches import PatchLevel, level_from_environment

START_TIMEOUT_SECONDS = 60.0


class MotoProcess:
    """A moto server in a child process; `endpoint` once started.

    ``patches`` defaults to ``OMSYNC_MOTO_PATCHES``, else ``fidelity``.
    """

    def __init__(self, patches: PatchLevel | None = None) -> None:
        self.patches = patches if patches is not None else level_from_environment()
        self.endpoint = ""
        self._child: subprocess.Popen[str] | None = None

    def start(self) -> Self:
        child = subprocess.Popen(
            [sys.executable, "-m", "omsync_workshop.moto_process", "--patches", self.patches.value],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._child = child
        line = _read_line(child.stdout, START_TIMEOUT_SECONDS)
        if not line.startswith("http://"):
            self.stop()
            raise RuntimeError(f"moto's server did not start in its own process (it said {line!r})")
        self.endpoint = line.strip()
        return self

    def freeze_heap(self) -> None:
        """Quiet the child's garbage collector for a timed run (`omsync_workshop.gc_tuning.quiet`)."""
        child = self._child
        if child is None or child.stdin is None:
            raise RuntimeError("moto's process is not running")
        child.stdin.write("freeze\n")
        child.stdin.flush()
        answer = _read_line(child.stdout, START_TIMEOUT_SECONDS)
        if answer.strip() != "frozen":
            raise RuntimeError(f"moto's process did not freeze its heap (it said {answer!r})")

    def stop(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def _read_line(stream: IO[str] | None, timeout: float) -> str:
    """The child's first line, or "" when it says nothing within ``timeout`` seconds (or exits)."""
    if stream is None:
        return ""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else ""


def serve(patches: PatchLevel) -> None:
    """The child: serve moto, patched to ``patches``, until stdin closes."""
    from moto.server import ThreadedMotoServer

    from omsync_workshop import gc_tuning, moto_patches
    from omsync_workshop.aws import quiet_moto_logs

    quiet_moto_logs()
    moto_patches.install(patches)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    print(f"http://{host}:{port}", flush=True)
    try:
        for line in sys.stdin:
            if line.strip() == "freeze":
                gc_tuning.quiet()
                print("frozen", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    # Ctrl-C in a terminal reaches the whole process group; the parent stops this server (by closing
    # stdin) after the pollers that still call it, so the child must not stop first, nor print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parser = argparse.ArgumentParser(prog="python -m omsync_workshop.moto_process")
    parser.add_argument("--patches", type=PatchLevel, choices=list(PatchLevel), default=PatchLevel.FIDELITY)
    serve(parser.parse_args().patches)
