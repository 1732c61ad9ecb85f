"""`omsync sandbox accurate`: run the Accurate sandbox in the foreground."""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

from omsync_workshop.accurate.server import AccurateSandbox
from omsync_workshop.arguments import port_number


def register(subparsers: Any) -> None:
    """Add the ``accurate`` sandbox command."""
    parser: argparse.ArgumentParser = subparsers.add_parser("accurate", help="Accurate Online sandbox with real books")
    parser.add_argument("--port", type=port_number, default=8686)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault dice")
    parser.add_argument("--faults", help="JSON file: latency_ms, error_rate, timeout_after_commit_rate, …")
    parser.add_argument("--api-token")
    parser.add_argument("--signature-secret")
    parser.add_argument("--client-id")
    parser.add_argument("--client-secret")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    if (args.api_token is None) != (args.signature_secret is None):
        print("--api-token and --signature-secret go together")
        return 2
    sandbox = AccurateSandbox(
        port=args.port,
        seed=args.seed,
        faults=args.faults,
        api_token=args.api_token,
        signature_secret=args.signature_secret,
        client_id=args.client_id,
        client_secret=args.client_secret,
        host=args.host,
    )
    print(f"Accurate sandbox on {sandbox.base_url} (account and data host)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        sandbox.serve_forever()
    return 0
