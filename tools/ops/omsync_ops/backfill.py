"""`omsync backfill --connection C --since D --until D [--store S] [--dry-run]`: post a connection's past.

Day by day (Asia/Jakarta business days, inclusive), Ginee's orders created that day are read and every one the
Ledger is behind goes to its work queue (`omsync.sync.backfill`); the workers post them at the Accurate
governor's pace, exactly once. A progress bar (rich) shows days done, orders found, the rate and the time left
when stderr is a terminal. The last day done is kept in the Ledger after each day: run the same command again
after Ctrl-C or a crash and it resumes with the next day. ``--dry-run`` enqueues and records nothing and prints,
per store and day, how many orders would be posted.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import date, timedelta
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from omsync.ledger.connections import ConnectionRepository
from omsync_ops.errors import CommandError, reporting_errors
from omsync_ops.stacks import add_stack_options, use_stack

MAX_DAYS = 366


class RateColumn(ProgressColumn):
    """Days done per minute (rich's own speed column counts bytes)."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed * 60:.1f} days/min" if task.speed else "")


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} {value!r} is not a date: give YYYY-MM-DD") from None


def backfill(args: argparse.Namespace) -> int:
    """Run (or resume) the backfill the arguments name; see the module's doc."""
    since, until = _day(args.since, "--since"), _day(args.until, "--until")
    if until < since:
        raise CommandError("--until is before --since")
    if (until - since).days >= MAX_DAYS:
        raise CommandError(f"at most {MAX_DAYS} days at once: split the range")
    use_stack(args)
    # Imported here, not at the top: the runtime's logger must not exist before a command needs it (the demo
    # points the functions' output at its log file first).
    from omsync.sync.backfill import BackfillProgress, BackfillProgressRepository, backfill_day
    from omsync.sync.context import context_for

    connection = ConnectionRepository().get(args.connection)
    if connection is None:
        raise CommandError(f"no connection {args.connection}; `omsync connection list` shows them")
    ctx = context_for(connection.id)
    if args.store and (ctx.mapping is None or args.store not in ctx.mapping.stores):
        raise CommandError(f"store {args.store} is not in connection {connection.id}'s mapping")
    repository = BackfillProgressRepository(connection.id)
    stored = repository.get()
    first = since
    if not args.dry_run and stored is not None and stored.same_run(since, until, args.store) and stored.done_through:
        first = stored.done_through + timedelta(days=1)
        print(f"resuming after {stored.done_through.isoformat()} (done before)")
    days = [first + timedelta(days=n) for n in range((until - first).days + 1)]
    per_store: Counter[str] = Counter()
    left_out = 0
    columns = (
        TextColumn("backfill {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days · {task.fields[orders]} orders behind ·"),
        RateColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, disable=not sys.stderr.isatty(), transient=False) as bar:
        task = bar.add_task(connection.id, total=len(days), orders=0)
        for day in days:
            done = backfill_day(ctx, day, store=args.store, dry_run=args.dry_run)
            per_store.update(done.behind)
            left_out += len(done.left_out)
            if args.dry_run:
                for shop, count in sorted(done.behind.items()):
                    bar.console.print(f"{day.isoformat()}  {_store_name(ctx, shop):<28} {count:>6} to post")
            else:
                repository.save(BackfillProgress(since, until, args.store, day))
            bar.update(task, advance=1, orders=sum(per_store.values()))
    verb = "would be posted" if args.dry_run else "sent to the workers"
    print(f"{sum(per_store.values())} order(s) {verb} over {len(days)} day(s)")
    for shop, count in sorted(per_store.items()):
        print(f"  {_store_name(ctx, shop):<28} {count:>6}")
    if left_out:
        print(f"{left_out} order(s) Ginee listed but did not answer: the reconciler's poll reads them again")
    return 0


def _store_name(ctx: Any, shop_id: str) -> str:
    store = ctx.mapping.stores.get(shop_id) if ctx.mapping is not None else None
    return str(store.name) if store is not None else f"{shop_id} (unmapped)"


def register(subparsers: Any) -> None:
    """Add `omsync backfill`."""
    parser = subparsers.add_parser("backfill", help="post a connection's past orders, day by day, resumably")
    parser.add_argument("--connection", required=True, metavar="C")
    parser.add_argument("--since", required=True, metavar="YYYY-MM-DD", help="first business day (Asia/Jakarta)")
    parser.add_argument("--until", required=True, metavar="YYYY-MM-DD", help="last business day, included")
    parser.add_argument("--store", metavar="S", help="one store (Ginee shop id; default: all)")
    parser.add_argument("--dry-run", action="store_true", help="count per store and day; post nothing")
    add_stack_options(parser)
    parser.set_defaults(func=reporting_errors(backfill))
