"""`omsync settlement import FILE --store SHOP --connection ID [--format F] [--dry-run] [--json]`.

Reads a marketplace's settlement export (Shopee income report, TikTok Shop/Tokopedia settlement, Lazada
account statement) as the marketplace or Windows Excel saved it: an .xlsx workbook (its first sheet, read
with openpyxl), or CSV (UTF-8, UTF-16, cp1252; comma, semicolon or tab separated); refuses a file of another marketplace than the store's, and posts one Sales Receipt
per payout — or, with ``--dry-run``, only says what it would post. Payouts that cannot be posted are
held with every reason, and the exit status is 2 so a script notices (also when a payout was posted without the
lines of orders held ``tax_mismatch``); importing the same file again changes nothing.
"""

from __future__ import annotations

import argparse
import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl

from omsync.accurate.errors import AccurateError
from omsync.errors import OnHold, RetryableError
from omsync.ledger.connections import ConnectionRepository
from omsync.payouts.files import (
    FORMATS,
    decode_export,
    detect_format,
    detect_rows_format,
    format_for_channel,
    read_payout_rows,
    read_payouts,
)
from omsync.payouts.model import SettlementFileError
from omsync_ops.errors import CommandError, reporting_errors
from omsync_ops.stacks import add_stack_options, use_stack

if TYPE_CHECKING:
    from omsync.sync.payouts import PayoutResult

HELD_EXIT = 2
XLSX_SIGNATURE = b"PK\x03\x04"
"""An .xlsx workbook is a zip archive: its first bytes are a zip entry's."""


def workbook_rows(data: bytes) -> list[list[str]]:
    """The first sheet of an .xlsx workbook as rows of cell texts (numbers as written, dates as YYYY-MM-DD).

    Raises `SettlementFileError` when the bytes are not a workbook openpyxl can read.
    """
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise SettlementFileError(f"not a readable .xlsx workbook ({type(error).__name__})") from None
    try:
        sheet = workbook.worksheets[0]
        return [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return str(Decimal(str(value)))
    return str(value)


def import_file(args: argparse.Namespace) -> int:
    """Read the file, then post (or plan) each payout of the store."""
    try:
        data = Path(args.file).read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read {args.file}: {error.strerror}") from None
    try:
        if data.startswith(XLSX_SIGNATURE):
            rows = workbook_rows(data)
            fmt = args.format or detect_rows_format(rows)
            payouts = read_payout_rows(rows, fmt)
        else:
            text = decode_export(data)
            fmt = args.format or detect_format(text)
            payouts = read_payouts(text, fmt)
    except SettlementFileError as error:
        raise CommandError(f"{args.file}: {error}") from None
    use_stack(args)
    if ConnectionRepository().get(args.connection) is None:
        raise CommandError(f"no connection {args.connection}")
    # Imported here: the worker modules read the functions' environment once, checked just above.
    from omsync.sync.context import context_for
    from omsync.sync.payouts import import_payouts

    ctx = context_for(args.connection)
    if ctx.mapping is None or args.store not in ctx.mapping.stores:
        raise CommandError(f"store {args.store} is not in connection {args.connection}'s mapping")
    store = ctx.mapping.stores[args.store]
    try:
        expected = format_for_channel(store.channel)
    except SettlementFileError as error:
        raise CommandError(f"store {args.store}: {error}") from None
    if fmt != expected:
        raise CommandError(
            f"{args.file} is a {fmt} settlement export, but store {args.store} ({store.name}) sells on "
            f"{store.channel}, whose export is {expected}: import it for the {fmt} store"
        )
    try:
        results = import_payouts(ctx, args.store, payouts, dry_run=args.dry_run)
    except (AccurateError, RetryableError, OnHold) as error:
        raise CommandError(f"the import stopped: {error}; nothing is lost, import the file again") from None
    if args.json:
        print(json.dumps([_as_json(r) for r in results], indent=2, default=str))
    else:
        print(f"{args.file}: {fmt} format, {len(payouts)} payout(s) for store {args.store}")
        for result in results:
            documents = ", ".join(result.documents) or "-"
            print(f"  {result.payout_id}: {result.orders} orders, {result.amount:,} -> {result.status} ({documents})")
            for problem in result.problems:
                where = f"line {problem.row}: " if problem.row else ""
                print(f"      {problem.cause}: {where}{problem.message}")
    # A payout posted without the lines of orders held tax_mismatch still has something held: the seller must see it.
    return HELD_EXIT if any(r.status == "held" or r.held_lines for r in results) else 0


def _as_json(result: PayoutResult) -> dict[str, Any]:
    return {
        "payout_id": result.payout_id,
        "amount": str(result.amount),
        "orders": result.orders,
        "status": result.status,
        "receipt": result.receipt,
        "journal": result.journal,
        "problems": [
            {"cause": p.cause, "line": p.row, "order": p.order_sn, "message": p.message} for p in result.problems
        ],
        "held_lines": list(result.held_lines),
    }


def register(subparsers: Any) -> None:
    """Add ``omsync settlement …``."""
    parser = subparsers.add_parser("settlement", help="import a marketplace settlement file as Sales Receipts")
    commands = parser.add_subparsers(dest="settlement_command", metavar="ACTION", required=True)
    load = commands.add_parser("import", help="post one Sales Receipt per payout of the file (exactly once)")
    load.add_argument("file")
    load.add_argument("--store", required=True, metavar="SHOP_ID", help="the Ginee shopId the file belongs to")
    load.add_argument("--connection", required=True, metavar="ID")
    load.add_argument("--format", choices=FORMATS, help="default: recognised from the header row")
    load.add_argument("--dry-run", action="store_true", help="say what would be posted; post and record nothing")
    load.add_argument("--json", action="store_true", help="one JSON list of payout results")
    add_stack_options(load)
    load.set_defaults(func=reporting_errors(import_file))
