"""What a workshop command shows while it runs: its report and one progress line, nothing else.

The local functions run in this process and write what Lambda would send to CloudWatch Logs: their JSON
log lines (and EMF metric lines where metrics are on), on stdout; Powertools and the libraries add
Python warnings. `functions_output_to(path)` sends all of it (stdout, stderr, warnings, for as long as the block runs) to
a log file and hands back the terminal's own stream, on which `Progress` keeps one line up to date:
rewritten in place on a terminal, one plain line per phase otherwise (a pipe, a CI log).
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Self, TextIO

LOG_DIR = Path(".omsync")
"""Beside the command's working directory, git-ignored."""
REFRESH_SECONDS = 0.5
LOG_LINE_SECONDS = 60.0
"""Where the stream is not a terminal (a log file, CI), the line is written again this often while it changes:
a 5,000-order chaos run's first round plays for tens of minutes inside one phase."""


def new_log_path(command: str, folder: Path = LOG_DIR) -> Path:
    """``.omsync/<command>-<local time>.log``; the folder is created."""
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{command}-{datetime.now():%Y%m%d-%H%M%S}.log"


@contextlib.contextmanager
def functions_output_to(path: Path) -> Iterator[TextIO]:
    """Within the block, stdout, stderr and every Python warning go to ``path``; yields the terminal (stderr).

    Warnings are shown each time they occur (``always``), so the log holds what ``-W default`` would show.
    """
    terminal = sys.stderr
    with (
        path.open("a", encoding="utf-8", buffering=1) as log,
        contextlib.redirect_stdout(log),
        contextlib.redirect_stderr(log),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("always")

        def to_log(
            message: Warning | str,
            category: type[Warning],
            filename: str,
            lineno: int,
            file: TextIO | None = None,
            line: str | None = None,
        ) -> None:
            log.write(warnings.formatwarning(message, category, filename, lineno, line))

        warnings.showwarning = to_log
        yield terminal


class Progress:
    """One line on ``stream`` saying what runs now, how far it is, and for how long; use as a context manager."""

    def __init__(self, stream: TextIO, log_line_seconds: float = LOG_LINE_SECONDS) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.log_line_seconds = log_line_seconds
        self.started = time.monotonic()
        self._phase = ""
        self._count: Callable[[], str] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._width = 0
        self._logged = ""
        """Not a terminal: the phase and count of the last line written."""

    def __enter__(self) -> Self:
        refresh = self._refresh if self.live else self._log_lines
        self._thread = threading.Thread(target=refresh, name="progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.live and self._width:
            self.stream.write("\r" + " " * self._width + "\r")  # the report starts on a clean line
            self.stream.flush()

    def phase(self, name: str, count: Callable[[], str] | None = None) -> None:
        """A new phase; ``count`` says how far it is (``"120/1204 changes"``), asked at each refresh."""
        with self._lock:
            self._phase, self._count = name, count
            if not self.live:
                self._log_line()

    def _line(self, count: str | None = None) -> str:
        if count is None:
            count = self._count() if self._count is not None else ""
        return f"{self._phase}{': ' + count if count else ''} · {time.monotonic() - self.started:.0f} s"

    def _log_lines(self) -> None:
        """Not a terminal: the line again, on a line of its own, every ``log_line_seconds`` if it changed
        (elapsed time aside)."""
        while not self._stop.wait(self.log_line_seconds):
            with self._lock:
                self._log_line(only_if_changed=True)

    def _log_line(self, *, only_if_changed: bool = False) -> None:
        count = self._count() if self._count is not None else ""
        state = f"{self._phase}\n{count}"
        if only_if_changed and state == self._logged:
            return
        self.stream.write(f"{self._line(count)}\n")
        self.stream.flush()
        self._logged = state

    def _refresh(self) -> None:
        while not self._stop.wait(REFRESH_SECONDS):
            with self._lock:
                line = self._line()
            self.stream.write("\r" + line.ljust(self._width))
            self.stream.flush()
            self._width = max(self._width, len(line))
