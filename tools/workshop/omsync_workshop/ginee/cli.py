"""``omsync sandbox ginee``: run the Ginee sandbox on loopback until Ctrl-C."""

from __future__ import annotations

import argparse
import threading
from typing import Any

from omsync_workshop.arguments import port_number
from omsync_workshop.ginee.server import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, GineeSandbox


def register(subparsers: Any) -> None:
    """Add ``ginee`` to ``omsync sandbox``."""
    parser: argparse.ArgumentParser = subparsers.add_parser("ginee", help="Ginee OMS Open API sandbox")
    parser.add_argument("--port", type=port_number, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--access-key", default=DEFAULT_ACCESS_KEY)
    parser.add_argument("--secret-key", default=DEFAULT_SECRET_KEY)
    parser.add_argument("--scenario", help="preload a scenario's shops, products, stock and orders")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    sandbox = GineeSandbox(
        port=args.port, seed=args.seed, access_key=args.access_key, secret_key=args.secret_key, scenario=args.scenario
    ).start()
    print(f"Ginee sandbox on {sandbox.base_url} (access key {sandbox.access_key}); Ctrl-C to stop", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0
