"""`omsync stock init|compare --connection ID`: Accurate's stock beside Ginee's, and made equal to it.

- ``compare [--store S | --warehouse W] [--post] [--json]``: per mapped warehouse and SKU, Ginee's available
  stock beside Accurate's and the value of each difference (at Ginee's average purchase price). A dry run
  by default; ``--post`` posts the Item Adjustments that make Accurate equal Ginee (posting the same
  differences twice books them once). Exit 0 when nothing differs (or after posting), 1 when differences
  remain unposted.
- ``init``: a new connection's opening stock: per mapped warehouse, once, the Item Adjustments that bring
  Accurate to Ginee's stock and cost (Items missing in Accurate created first). Running it again changes
  nothing. Prints the time taken.

A progress bar goes to stderr while Ginee's inventory is read, when stderr is a terminal.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from omsync.accurate.errors import AccurateError
from omsync.errors import OnHold, PermanentError, RetryableError
from omsync.ledger.connections import ConnectionRepository
from omsync_ops.errors import CommandError, reporting_errors
from omsync_ops.stacks import add_stack_options, use_stack

if TYPE_CHECKING:
    from omsync.sync.context import ConnectionContext
    from omsync.sync.stock import StockLine

DIFFERENCES_EXIT = 1
BAR_WIDTH = 30


def _progress(done: int, total: int) -> None:
    if not sys.stderr.isatty() or total == 0:
        return
    filled = BAR_WIDTH * done // total
    end = "\n" if done == total else ""
    print(f"\r  reading stock [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total}", end=end, file=sys.stderr)


def _context(args: argparse.Namespace) -> ConnectionContext:
    use_stack(args)
    if ConnectionRepository().get(args.connection) is None:
        raise CommandError(f"no connection {args.connection}")
    # Imported here: the worker modules read the functions' environment once, checked just above.
    from omsync.sync.context import context_for

    ctx = context_for(args.connection)
    if ctx.mapping is None:
        raise CommandError(f"connection {args.connection} has no mapping: run `omsync mapping apply` first")
    return ctx


def _line_json(line: StockLine) -> dict[str, Any]:
    return {
        "ginee_warehouse": line.ginee_warehouse,
        "warehouse": line.warehouse,
        "sku": line.sku,
        "ginee": str(line.ginee),
        "awaiting_invoice": str(line.awaiting_invoice),
        "accurate": str(line.accurate),
        "difference": str(line.difference),
        "value": None if line.value is None else str(line.value),
    }


def compare(args: argparse.Namespace) -> int:
    """Show (and with ``--post``, adjust) the differences between Ginee's and Accurate's stock."""
    from omsync.sync.stock import adjust_to_ginee, compare_stock, mapped_warehouses

    ctx = _context(args)
    assert ctx.mapping is not None
    try:
        warehouses = mapped_warehouses(ctx.mapping, store=args.store, warehouse=args.warehouse)
        lines = compare_stock(ctx, warehouses, _progress)
        differing = [line for line in lines if line.difference != 0]
        posted = (
            adjust_to_ginee(ctx, differing, label="SC", trans_date=datetime.now(UTC).date())
            if args.post and differing
            else []
        )
    except (AccurateError, RetryableError, OnHold, PermanentError) as error:
        raise CommandError(f"stock compare stopped: {error}") from None
    if args.json:
        print(json.dumps({"differences": [_line_json(line) for line in differing], "posted": posted}, indent=2))
    else:
        print(f"{len(lines)} SKU(s) in {len(warehouses)} warehouse(s); {len(differing)} differ")
        for line in differing:
            value = "-" if line.value is None else f"{line.value:,}"
            print(
                f"  {line.warehouse:<16} {line.sku:<24} Ginee {line.ginee:>8}  Accurate {line.accurate:>8}  "
                f"difference {line.difference:>+8}  value {value}"
            )
        for number in posted:
            print(f"  posted Item Adjustment {number}")
    return 0 if not differing or posted else DIFFERENCES_EXIT


def init(args: argparse.Namespace) -> int:
    """Bring Accurate's opening stock to Ginee's, once per warehouse."""
    from omsync.sync.stock import adjust_to_ginee, compare_stock, mapped_warehouses

    ctx = _context(args)
    assert ctx.mapping is not None
    started = time.monotonic()
    try:
        warehouses = mapped_warehouses(ctx.mapping)
        lines = compare_stock(ctx, warehouses, _progress)
        posted = adjust_to_ginee(ctx, lines, label="INIT", trans_date=datetime.now(UTC).date(), opening=True)
    except (AccurateError, RetryableError, OnHold, PermanentError) as error:
        raise CommandError(f"stock init stopped: {error}; run it again, nothing is booked twice") from None
    seconds = time.monotonic() - started
    if args.json:
        print(json.dumps({"skus": len(lines), "adjustments": posted, "seconds": round(seconds, 1)}))
    else:
        print(f"{len(lines)} SKU(s) in {len(warehouses)} warehouse(s): {len(posted)} Item Adjustment(s)")
        for number in posted:
            print(f"  {number}")
        print(f"done in {seconds:.1f} s")
    return 0


def register(subparsers: Any) -> None:
    """Add ``omsync stock …``."""
    parser = subparsers.add_parser("stock", help="compare Accurate's stock with Ginee's, and make them equal")
    commands = parser.add_subparsers(dest="stock_command", metavar="ACTION", required=True)
    show = commands.add_parser("compare", help="Ginee's stock beside Accurate's per warehouse and SKU (dry run)")
    show.add_argument("--connection", required=True, metavar="ID")
    narrow = show.add_mutually_exclusive_group()
    narrow.add_argument("--store", metavar="SHOP_ID", help="only the warehouses of this Ginee store")
    narrow.add_argument("--warehouse", metavar="W", help="only this warehouse (Ginee id or Accurate name)")
    show.add_argument("--post", action="store_true", help="post the Item Adjustments that remove the differences")
    show.add_argument("--json", action="store_true")
    add_stack_options(show)
    show.set_defaults(func=reporting_errors(compare))
    start = commands.add_parser("init", help="a new connection's opening stock and cost from Ginee, once")
    start.add_argument("--connection", required=True, metavar="ID")
    start.add_argument("--json", action="store_true")
    add_stack_options(start)
    start.set_defaults(func=reporting_errors(init))
