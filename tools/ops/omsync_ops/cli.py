"""`omsync`: one entry point whose sub-commands live beside the code they drive.

Each command module exposes ``register(subparsers)`` and sets ``func`` on its parser, and names itself
in its distribution's ``omsync.commands`` entry points. The operator's commands come with this
distribution (omsync-ops); the workshop (omsync-workshop: demo, local, bench, scenario, sandbox) adds
its own only where it is installed, so an operator's install needs neither moto nor the sandboxes.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from importlib.util import find_spec

from omsync_ops.errors import CommandError, report

COMMAND_GROUP = "omsync.commands"
# What a shell reports for a command ended by SIGPIPE (128 + 13), so `set -o pipefail` scripts see it.
SIGPIPE_EXIT = 141
# The workshop's commands, named here only to say where they come from when it is not installed.
WORKSHOP_COMMANDS = frozenset({"demo", "local", "bench", "chaos", "scenario", "sandbox"})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="omsync",
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="demo, local, bench, chaos, scenario and sandbox come with the omsync-workshop package.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for entry in sorted(entry_points(group=COMMAND_GROUP), key=lambda entry: entry.name):
        entry.load()(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command; its return value is the exit status.

    A `CommandError` (bad input the operator must fix) is one line on stderr and exit status 2; Ctrl-C that
    a command does not handle itself is one line, ``interrupted``, and exit status 130 (as a shell reports it).
    """
    words = list(sys.argv[1:] if argv is None else argv)
    if words and words[0] in WORKSHOP_COMMANDS and find_spec("omsync_workshop") is None:
        print(
            f"omsync: error: `omsync {words[0]}` comes with the omsync-workshop package: "
            "pip install ./tools/workshop, or run `make venv` in a checkout",
            file=sys.stderr,
        )
        return 2
    args = build_parser().parse_args(words)
    try:
        result = args.func(args)
        # Flushed here, not at exit, so a reader that went away (`| head`) is met inside this try.
        sys.stdout.flush()
    except CommandError as error:
        return report(error)
    except BrokenPipeError:
        return _reader_gone()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return int(result or 0)


def _reader_gone() -> int:
    """The reader of stdout closed the pipe: stop quietly, as `yes | head` does (Python's signal docs).

    stdout is pointed at /dev/null so the interpreter's last flush at exit cannot raise again.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is no file (a test's StringIO)
        pass
    return SIGPIPE_EXIT


if __name__ == "__main__":
    sys.exit(main())
