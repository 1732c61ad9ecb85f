"""What the ``omsync`` command answers when the operator must fix something: one or two lines, exit 2.

A command raises `CommandError` where the cause is known (a missing file, an unknown scenario, a file
of another marketplace); `omsync_ops.cli.main` prints it without a traceback. Exit status 2 is
argparse's for a usage error: the same class of problem, so scripts see one status for bad input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

USAGE_EXIT = 2


class CommandError(Exception):
    """A problem the operator must fix: its message names the problem and the fix (exit status 2)."""


def report(error: CommandError) -> int:
    """Print ``error: …`` on stderr and return the exit status for bad input."""
    print(f"error: {error}", file=sys.stderr)
    return USAGE_EXIT


def reporting_errors(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Wrap a command so a `CommandError` becomes its message on stderr and exit status 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except CommandError as error:
            return report(error)

    return run
