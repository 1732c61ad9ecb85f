"""``omsync sandbox ginee|accurate``: either sandbox alone on loopback."""

from __future__ import annotations

from typing import Any

from omsync_workshop.accurate import cli as accurate_cli
from omsync_workshop.ginee import cli as ginee_cli


def register(subparsers: Any) -> None:
    """Add ``sandbox`` with one sub-command per sandbox."""
    sandbox = subparsers.add_parser("sandbox", help="run a contract-faithful sandbox of a remote service")
    sandboxes = sandbox.add_subparsers(dest="sandbox", metavar="SERVICE", required=True)
    ginee_cli.register(sandboxes)
    accurate_cli.register(sandboxes)
