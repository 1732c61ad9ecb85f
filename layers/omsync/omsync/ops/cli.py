"""`omsync`: one entry point whose sub-commands live beside the code they drive.

Each command module exposes ``register(subparsers)`` and sets ``func`` on its parser; this file only
collects them, so adding a command touches its own room and one line here.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Modules that add top-level commands (each: register(subparsers: argparse._SubParsersAction)).
COMMAND_MODULES: tuple[str, ...] = (
    "omsync.local.scenarios.cli",
    "omsync.local.cli",
    "omsync.ops.connections",
    "omsync.ops.mappings",
    "omsync.ops.settlements",
)
# Modules that add `omsync sandbox <name>` commands.
SANDBOX_MODULES: tuple[str, ...] = (
    "omsync.local.ginee.cli",
    "omsync.local.accurate.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="omsync", description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    if SANDBOX_MODULES:
        sandbox = commands.add_parser("sandbox", help="run a contract-faithful sandbox of a remote service")
        sandboxes = sandbox.add_subparsers(dest="sandbox", metavar="SERVICE", required=True)
        for name in SANDBOX_MODULES:
            importlib.import_module(name).register(sandboxes)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command; its return value is the exit status."""
    args = build_parser().parse_args(argv)
    result = args.func(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
