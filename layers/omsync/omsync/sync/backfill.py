"""Backfill: bring a connection's past into Accurate, one day of Ginee's orders at a time, resumably.

A new connection is polled from its creation on (`omsync.sync.reconcile`); the orders before it are a
backfill's. `backfill_day` lists the orders Ginee created on one business day (Asia/Jakarta, Accurate's date)
by ``createSince``/``createTo`` (with ``historicalData`` past three months), re-reads them, and puts every
order the Ledger is behind (`omsync.sync.reconcile.behind`: the reconciler's own rule) on the queue its webhook
would have reached. The workers post them at the Accurate governor's pace, exactly once as always (numbers are
deterministic, the Ledger records each document). A dry run only counts them, per store.

`BackfillProgress` (pk ``CONN#{cid}#POLL``, sk ``BACKFILL``) keeps the range asked for and the last day done,
so a backfill stopped by Ctrl-C or a crash resumes with the day after; a day done twice enqueues nothing the
Ledger already has.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from omsync.ledger.cursors import poll_partition
from omsync.ledger.tables import ledger_table
from omsync.posting.numbers import JAKARTA
from omsync.sync.context import ConnectionContext
from omsync.sync.reconcile import behind, enqueue_order


@dataclass
class BackfillDay:
    """One business day of a backfill: orders Ginee created that day, and those behind per Ginee shop id."""

    day: date
    listed: int = 0
    behind: Counter[str] = field(default_factory=Counter)
    left_out: list[str] = field(default_factory=list)
    """Orders listed that Ginee's batch-get did not answer (the reconciler's poll finds them later)."""


def backfill_day(ctx: ConnectionContext, day: date, *, store: str | None = None, dry_run: bool = False) -> BackfillDay:
    """List, read and (unless ``dry_run``) enqueue one day's orders behind the Ledger (optionally of one store,
    a Ginee shop id). Raises what the Ginee client raises (`ServiceBusy`, `GineeError`)."""
    start = datetime.combine(day, time(0), JAKARTA).astimezone(UTC)
    rows = ctx.ginee.list_orders(
        create_since=start, create_to=start + timedelta(days=1), shop_ids=[store] if store else None
    )
    listed = list(dict.fromkeys(row.order_id for row in rows))
    result = BackfillDay(day=day, listed=len(listed))
    if not listed:
        return result
    fetched = ctx.ginee.batch_get(listed, historical=start < datetime.now(UTC) - timedelta(days=90))
    orders = {order.order_id: order for order in fetched}
    records = ctx.ledger.load(orders)
    prices = ctx.component_prices() if any(item.bundle_skus for o in orders.values() for item in o.items) else {}
    for order_id, order in orders.items():
        shop = order.shop_id or ""
        mapped = ctx.mapping.stores.get(shop) if ctx.mapping is not None else None
        trigger = ctx.trigger_status(order.shop_id, is_cod=order.is_cod)
        if behind(order, records.get(order_id), mapped, trigger, prices) is None:
            continue
        result.behind[shop] += 1
        if not dry_run:
            enqueue_order(ctx.connection_id, order_id, order)
    result.left_out = [oid for oid in listed if oid not in orders]
    return result


@dataclass(frozen=True)
class BackfillProgress:
    """A backfill's range (days, inclusive), its store (None: all) and the last day done (None: none yet)."""

    since: date
    until: date
    store: str | None
    done_through: date | None

    def same_run(self, since: date, until: date, store: str | None) -> bool:
        return (self.since, self.until, self.store) == (since, until, store)


class BackfillProgressRepository:
    """Where one connection's backfill stands (one at a time per connection)."""

    def __init__(self, connection_id: str) -> None:
        self.key = {"pk": poll_partition(connection_id), "sk": "BACKFILL"}

    def get(self) -> BackfillProgress | None:
        item = ledger_table().get_item(Key=self.key, ConsistentRead=True).get("Item")
        if item is None:
            return None
        done = item.get("done_through")
        return BackfillProgress(
            since=date.fromisoformat(str(item["since"])),
            until=date.fromisoformat(str(item["until"])),
            store=str(item["store"]) if item.get("store") else None,
            done_through=date.fromisoformat(str(done)) if done else None,
        )

    def save(self, progress: BackfillProgress) -> None:
        ledger_table().put_item(
            Item={
                **self.key,
                "kind": "backfill_progress",
                "since": progress.since.isoformat(),
                "until": progress.until.isoformat(),
                "store": progress.store or "",
                "done_through": progress.done_through.isoformat() if progress.done_through else "",
            }
        )
