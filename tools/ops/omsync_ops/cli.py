"""`omsync`: one entry point whose sub-commands live beside the code they drive.

Each command module exposes ``register(subparsers)`` and sets ``func`` on its parser, and names itself
in its distribution's ``omsync.commands`` entry points. The operator's commands come with this
distribution (omsync-ops); the workshop (omsync-workshop: demo, local, bench, scenario, sandbox) adds
its own only where it is installed, so an operator's install needs neither moto nor the sandboxes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

COMMAND_GROUP = "omsync.commands"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="omsync",
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="demo, local, bench, scenario and sandbox come with the omsync-workshop package.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for entry in sorted(entry_points(group=COMMAND_GROUP), key=lambda entry: entry.name):
        entry.load()(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command; its return value is the exit status."""
    args = build_parser().parse_args(argv)
    result = args.func(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
