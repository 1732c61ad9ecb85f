"""`omsync reconcile --date D [--until D] [--store S] [--connection C]`: the deep pass, on demand.

Per store and business day (Asia/Jakarta, inclusive), Ginee's orders beside the Ledger beside Accurate's Sales
Invoices (`omsync.sync.deep_pass`): prints each store's days (Ginee's orders and total, Accurate's invoices and
total), then each drift with its order and invoice number and whether it was healed (an invoice deleted by hand,
and an order missing from Accurate, go back on their queue and the workers post them once), then the orders on
hold. The result is kept in the Ledger, where `omsync status` shows it as the last deep pass. Exit status 0 when
nothing is left unhealed, 1 when drift remains to be looked at.

What is printed is ids, invoice numbers, dates, amounts, causes and omsync's own hints: never buyer data.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from omsync.ledger.connections import Connection, ConnectionRepository, ConnectionStatus
from omsync_ops.errors import CommandError, reporting_errors
from omsync_ops.stacks import add_stack_options, use_stack

if TYPE_CHECKING:
    from omsync.sync.context import ConnectionContext
    from omsync.sync.deep_pass import Comparison

MAX_DAYS = 31


def parse_day(value: str, option: str) -> date:
    """A ``YYYY-MM-DD`` option; a `CommandError` naming the option otherwise."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} {value!r} is not a date: give YYYY-MM-DD") from None


def day_range(args: argparse.Namespace) -> tuple[date, date]:
    """``--date`` and ``--until`` (default: the same day), checked: in order, at most `MAX_DAYS` days."""
    since = parse_day(args.date, "--date")
    until = parse_day(args.until, "--until") if args.until else since
    if until < since:
        raise CommandError("--until is before --date")
    if (until - since).days >= MAX_DAYS:
        raise CommandError(f"at most {MAX_DAYS} days at once: split the range")
    return since, until


def connections_to_compare(wanted: str | None, store: str | None) -> list[ConnectionContext]:
    """The contexts of the active connections asked for (one, or every one), each with a mapping; with ``store``,
    only those whose mapping has it. Raises `CommandError` for an unknown or disabled connection, an unmapped one
    asked by name, or a store no connection maps."""
    # Imported here, not at the top: the runtime's logger must not exist before a command needs it.
    from omsync.sync.context import context_for

    repository = ConnectionRepository()
    if wanted is not None:
        connection = repository.get(wanted)
        if connection is None:
            raise CommandError(f"no connection {wanted}; `omsync connection list` shows them")
        if connection.status is not ConnectionStatus.ACTIVE:
            raise CommandError(f"connection {wanted} is {connection.status.value}")
        found: list[Connection] = [connection]
    else:
        found = [c for c in map(repository.get, sorted(repository.ids())) if c and c.status is ConnectionStatus.ACTIVE]
    contexts = [context_for(connection.id) for connection in found]
    if wanted is not None and contexts[0].mapping is None:
        raise CommandError(f"connection {wanted} has no mapping: `omsync mapping apply FILE --connection {wanted}`")
    contexts = [ctx for ctx in contexts if ctx.mapping is not None]
    if store is not None:
        contexts = [ctx for ctx in contexts if ctx.mapping is not None and store in ctx.mapping.stores]
        if not contexts:
            raise CommandError(f"store {store} is in no connection's mapping")
    return contexts


def store_name(ctx: ConnectionContext, shop_id: str) -> str:
    """The store's name in the connection's mapping (its shop id when unmapped)."""
    store = ctx.mapping.stores.get(shop_id) if ctx.mapping is not None else None
    return store.name if store is not None else shop_id


def _rupiah(value: Any) -> str:
    return "-" if value is None else f"{value:,.0f}"


def print_comparison(ctx: ConnectionContext, result: Comparison) -> None:
    """The comparison of one connection, as the module's doc describes it."""
    from omsync.sync.deep_pass import DRIFT_MEANING

    print(f"connection {ctx.connection_id}: {result.since.isoformat()} .. {result.until.isoformat()}")
    print(f"  {'day':<10}  {'store':<28} {'Ginee':>6} {'Ginee total':>15} {'Accurate':>8} {'Accurate total':>15}")
    for (shop, day), row in sorted(result.days.items(), key=lambda item: (item[0][1], item[0][0])):
        print(
            f"  {day.isoformat():<10}  {store_name(ctx, shop):<28} {row.ginee_orders:>6} {_rupiah(row.ginee_total):>15}"
            f" {row.accurate_invoices:>8} {_rupiah(row.accurate_total):>15}"
        )
    if not result.drift:
        print("  drift: none")
    for found in result.drift:
        state = "healed" if found.healed else ("not healed" if found.healable else "reported")
        print(
            f"  {found.kind.value:<16} {found.day.isoformat()}  {store_name(ctx, found.shop_id)}  "
            f"invoice {found.invoice_number}  order {found.order_id or '-'}  "
            f"Ginee {_rupiah(found.ginee_amount)}  Accurate {_rupiah(found.accurate_amount)}  {state}"
        )
        print(f"      {DRIFT_MEANING[found.kind]}: {found.note}")
    for held in result.held:
        print(f"  on hold {held.cause}  {held.day.isoformat()}  order {held.order_id}  fix: {held.hint}")
    if result.left_out:
        print(f"  {len(result.left_out)} order(s) Ginee listed but did not answer: not compared")


def reconcile(args: argparse.Namespace) -> int:
    """Run the deep pass the arguments name, heal, print and keep the result; see the module's doc."""
    since, until = day_range(args)
    use_stack(args)
    from omsync.ledger.deep_passes import DeepPassLog
    from omsync.sync.deep_pass import deep_pass

    contexts = connections_to_compare(args.connection, args.store)
    if not contexts:
        print("no connection with a mapping to compare")
        return 0
    left = 0
    for ctx in contexts:
        ran_at = datetime.now(UTC)
        result = deep_pass(ctx, since, until, store=args.store, heal=True, now=ran_at)
        DeepPassLog(ctx.connection_id).record(result.summary(ran_at, args.store))
        print_comparison(ctx, result)
        left += sum(1 for found in result.drift if not found.healed)
    healed = "; healed orders are on their queues: the workers post them" if contexts else ""
    print(f"{left} drift(s) left to look at{healed}")
    return 1 if left else 0


def add_range_options(parser: argparse.ArgumentParser) -> None:
    """``--date``, ``--until``, ``--store`` and ``--connection``, shared by `reconcile` and `report`."""
    yesterday = datetime.now(ZoneInfo("Asia/Jakarta")).date() - timedelta(days=1)
    parser.add_argument(
        "--date", default=yesterday.isoformat(), metavar="YYYY-MM-DD", help="first business day (default: yesterday)"
    )
    parser.add_argument("--until", metavar="YYYY-MM-DD", help="last business day, included (default: --date)")
    parser.add_argument("--store", metavar="S", help="one store (Ginee shop id; default: all)")
    parser.add_argument("--connection", metavar="C", help="one connection (default: every active one)")
    add_stack_options(parser)


def register(subparsers: Any) -> None:
    """Add `omsync reconcile`."""
    parser = subparsers.add_parser(
        "reconcile", help="the deep pass: Ginee beside the Ledger beside Accurate per store and day; heal drift"
    )
    add_range_options(parser)
    parser.set_defaults(func=reporting_errors(reconcile))
