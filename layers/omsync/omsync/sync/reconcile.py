"""The reconciler's poll: find the orders whose webhooks never came, and put them on their queue.

Webhooks get lost (invariant 2, "nothing lost"). On its schedule, per connection, the reconciler:

1. counts the held orders and the age of the oldest (`omsync.sync.holds.HoldCensus`, from the same query of
   the Ledger's hold index that releases them) and releases them (`omsync.sync.holds`), since a fix made in
   Accurate is invisible to omsync;
2. lists Ginee's orders by ``lastUpdateSince`` from the connection's stored cursor, less an overlap
   (`OVERLAP`: Ginee's update time is the marketplace's, which may reach Ginee late; integrators keep 30 to
   180 minutes, reference ginee-api §6), up to now, in ≤15-day windows with ``historicalData`` past three
   months (`GineeClient.list_orders`);
3. re-reads those orders and the ones an earlier poll is still waiting for (``batch-get``, 100 a call) and
   the Ledger's records of them, and decides per order whether the Ledger is behind Ginee (`behind`);
4. puts every order that is behind on the queue its webhook would have reached (cancelled and returned
   orders on cancellations, the rest on orders) and keeps it *pending* until a later poll finds the Ledger
   caught up: an order that a worker's ``batch-get`` left out, or this poll's, is tried again on every run,
   never dropped;
5. moves the cursor to the end of what it listed;
6. puts the master products Ginee changed since the products cursor on the products queue (`poll_products`).
   Ginee documents no list of inbounds (reference ginee-api §3.8), so inbounds are not polled: a lost
   inbound notification is found by nothing yet.

Held orders are not enqueued by the poll: the release of step 1 brings them back.

After every connection, `publish_hold_gauges` writes the whole deployment's census to CloudWatch
(``OrdersOnHold``, ``OldestHoldAgeSeconds``; `omsync.gauges`), which the on-hold alarms of template.yaml read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

from aws_lambda_powertools.metrics import MetricUnit

from omsync import gauges, queues
from omsync.config.mapping import SettlementMode, StoreMapping
from omsync.config.settings import WorkQueue
from omsync.ginee.models import Order, OrderBatch, OrderStatus
from omsync.ginee.webhook import CANCELLATION_STATUSES
from omsync.ledger.connections import ConnectionRepository, ConnectionStatus
from omsync.ledger.cursors import ORDERS, PRODUCTS, PollCursors
from omsync.ledger.orders import OrderLedger, SyncRecord
from omsync.observability import logger, metrics
from omsync.posting.cancellation import CANCELLATION_RETURN_ID
from omsync.posting.lifecycle import is_cancelled, reached_trigger
from omsync.posting.returns import returns_to_post, units_gone
from omsync.queues import WorkMessage
from omsync.sync.context import ConnectionContext, context_for
from omsync.sync.holds import HoldCensus, hold_census, release_holds
from omsync.sync.steps import corrected_lines

OVERLAP: Final = timedelta(minutes=60)
"""How far before its cursor each poll starts reading again (seconds of clock skew and late updates)."""
FIRST_LOOKBACK: Final = timedelta(hours=1)
"""A connection never polled starts at its creation less this; older history is for a backfill."""


def behind(
    order: Order,
    record: SyncRecord | None,
    store: StoreMapping | None,
    trigger: str,
    prices: Mapping[str, Decimal] | None = None,
) -> str | None:
    """Why the Ledger's ``record`` of ``order`` is behind what Ginee says now; None when it is not.

    ``store`` is the order's store mapping (None: unmapped, then the order is enqueued so that the flow holds
    it with its cause); ``trigger`` the store's trigger status; ``prices`` master SKU → selling price (the
    weights of bundle components), needed only for orders with bundles. Pure: the same rules the flows
    decide by, read as "is there a document still to post (or delete)?". A held order is never behind here
    (its hold's release brings it back), nor a tombstoned one.
    """
    if record is not None and (record.hold is not None or record.tombstone):
        return None
    invoiced = record is not None and record.invoiced
    if is_cancelled(order):
        if record is None or (record.invoice is None and not record.tombstone):
            return "cancelled: not recorded yet"
        if invoiced and record is not None and CANCELLATION_RETURN_ID not in record.returns:
            return "cancelled after its invoice"
        return None
    if record is None or record.invoice is None:
        if reached_trigger(order, trigger):
            return f"{order.order_status}: no invoice yet"
        return None
    if not invoiced:
        return None
    waiting = [ret.return_id for ret in returns_to_post(order) if ret.return_id not in record.returns]
    if waiting:
        return f"return {waiting[0]} not posted"
    if order.order_status == OrderStatus.RETURNED and not order.return_infos:
        return "RETURNED without return lines"
    if store is None:
        return None
    if record.invoice.lines and units_gone(order, store, record.invoice.lines, corrected_lines(record), prices or {}):
        return "units gone since its invoice"
    owes_receipt = order.order_status == OrderStatus.COMPLETED and store.settlement is SettlementMode.ESTIMATE
    if owes_receipt and record.receipt is None:
        return "COMPLETED: no receipt yet"
    return None


def queue_for(order: Order) -> WorkQueue:
    """The queue an order's webhook would have reached (the receiver routes by the same statuses)."""
    return WorkQueue.CANCELLATIONS if order.order_status in CANCELLATION_STATUSES else WorkQueue.ORDERS


@dataclass
class PollResult:
    """What one poll of one connection's orders did: its window (aware UTC) and counts of orders."""

    since: datetime
    to: datetime
    listed: int = 0
    enqueued: dict[str, str] = field(default_factory=dict)
    """Order id → why it was behind."""
    caught_up: int = 0
    missing: list[str] = field(default_factory=list)
    """Orders (listed, or pending from an earlier run) Ginee's batch-get left out this time: kept pending."""

    def summary(self) -> dict[str, object]:
        return {
            "since": self.since.isoformat(),
            "to": self.to.isoformat(),
            "listed": self.listed,
            "enqueued": len(self.enqueued),
            "caught_up": self.caught_up,
            "missing": len(self.missing),
        }


def poll_orders(
    ctx: ConnectionContext, *, now: datetime | None = None, created_at: datetime | None = None
) -> PollResult:
    """One poll of a connection's orders (steps 2 to 5 of the module's doc); raises what the Ginee client raises
    (`ServiceBusy`, `GineeError`), leaving the cursor and the pending orders as they were.

    ``now`` (aware; default the clock) ends the window; ``created_at`` is the connection's creation, where a
    poll with no cursor starts (less `FIRST_LOOKBACK`).
    """
    to = now or datetime.now(UTC)
    cursors = PollCursors(ctx.connection_id)
    cursor = cursors.get(ORDERS)
    since = cursor.since - OVERLAP if cursor is not None else (created_at or to) - FIRST_LOOKBACK
    result = PollResult(since=since, to=to)
    listed = [row.order_id for row in ctx.ginee.list_orders(last_update_since=since, last_update_to=to)]
    result.listed = len(listed)
    pending = cursors.pending(ORDERS)
    wanted = list(dict.fromkeys([*listed, *pending]))
    fetched = ctx.ginee.batch_get(wanted) if wanted else OrderBatch()
    orders = {order.order_id: order for order in fetched}
    records = ctx.ledger.load([*orders, *fetched.unreadable])
    prices = ctx.component_prices() if any(item.bundle_skus for o in orders.values() for item in o.items) else {}
    for order_id, order in orders.items():
        trigger = ctx.trigger_status(order.shop_id, is_cod=order.is_cod)
        reason = behind(order, records.get(order_id), _store(ctx, order), trigger, prices)
        if reason is not None:
            result.enqueued[order_id] = reason
    for order_id in fetched.unreadable:
        # The orders flow holds it (``unreadable_record``, with the fields at fault), where the seller sees it.
        if (record := records.get(order_id)) is None or record.hold is None:
            result.enqueued[order_id] = "Ginee's record cannot be read"
    result.missing = [oid for oid in wanted if oid not in orders and oid not in fetched.unreadable]
    caught_up = [oid for oid in pending if oid in orders and oid not in result.enqueued]
    result.caught_up = len(caught_up)
    for order_id in result.enqueued:
        enqueue_order(ctx.connection_id, order_id, orders.get(order_id))
    # An order Ginee's batch-get left out is kept too: the next run reads it again, whatever its window.
    waiting = {**dict.fromkeys(result.missing, "left out of Ginee's batch-get"), **result.enqueued}
    cursors.keep_pending(ORDERS, waiting, pending, to)
    cursors.drop_pending(ORDERS, caught_up, to)
    still_pending = len(set(pending) - set(caught_up) | set(waiting))
    cursors.advance(ORDERS, to, ran_at=to, listed=result.listed, enqueued=len(result.enqueued), pending=still_pending)
    if result.enqueued or result.missing:
        logger.info(
            "orders behind Ginee enqueued",
            extra={
                "connection_id": ctx.connection_id,
                "enqueued": len(result.enqueued),
                "missing": len(result.missing),
                "order_ids": sorted(result.enqueued)[:50],
            },
        )
    return result


def _store(ctx: ConnectionContext, order: Order) -> StoreMapping | None:
    if ctx.mapping is None:
        return None
    return ctx.mapping.stores.get(order.shop_id or "")


def enqueue_order(connection_id: str, order_id: str, order: Order | None) -> None:
    """Put an order on the queue its webhook would have reached (`queue_for`; orders when Ginee's record of it
    could not be read)."""
    queues.send(
        queue_for(order) if order is not None else WorkQueue.ORDERS,
        WorkMessage(
            connection_id=connection_id,
            entity="order",
            action="UPDATE",
            entity_id=order_id,
            status_hint=order.order_status if order is not None else None,
            received_at=datetime.now(UTC),
        ),
    )


@dataclass
class ConnectionRun:
    """What one reconcile of one connection did: its holds counted and released (cause → orders), its orders'
    poll, or why it did not run (``skipped``: the connection is disabled; ``failed``: the class of the error
    that stopped it; what it did before stopping, such as counting the holds, is kept)."""

    holds: HoldCensus | None = None
    """The connection's orders on hold when the run began (None: not counted, the run stopped before)."""
    released: dict[str, int] = field(default_factory=dict)
    orders: PollResult | None = None
    products: list[str] = field(default_factory=list)
    """Master products changed in Ginee since the last run, put on the products queue."""
    skipped: str | None = None
    failed: str | None = None

    def summary(self) -> dict[str, object]:
        if self.skipped or self.failed:
            return {"skipped": self.skipped} if self.skipped else {"failed": self.failed}
        return {
            "on_hold": self.holds.orders if self.holds else None,
            "released": self.released,
            "orders": self.orders.summary() if self.orders else None,
            "products": len(self.products),
        }


def poll_products(
    ctx: ConnectionContext, *, now: datetime | None = None, created_at: datetime | None = None
) -> list[str]:
    """Put on the products queue every master product Ginee changed since the products cursor (less `OVERLAP`);
    returns their ids. Raises what the Ginee client raises, leaving the cursor as it was.

    Ginee lists master products only by page (and by creation date, reference ginee-api §3.6), so the whole
    catalogue is listed and filtered on each row's ``updateAt``. The products flow saves nothing when Accurate
    already agrees, so a product changed within the overlap and read by several runs costs reads, not writes.
    A product deleted in Ginee is no longer listed: only its webhook tells (not found here).
    """
    to = now or datetime.now(UTC)
    cursors = PollCursors(ctx.connection_id)
    cursor = cursors.get(PRODUCTS)
    since = cursor.since - OVERLAP if cursor is not None else (created_at or to) - FIRST_LOOKBACK
    catalogue = ctx.ginee.list_master_products()
    changed = [p.product_id for p in catalogue if (p.update_at or p.create_at or since) >= since]
    for product_id in changed:
        queues.send(
            WorkQueue.PRODUCTS,
            WorkMessage(
                connection_id=ctx.connection_id,
                entity="master_product",
                action="UPDATE",
                entity_id=product_id,
                received_at=datetime.now(UTC),
            ),
        )
    cursors.advance(PRODUCTS, to, ran_at=to, listed=len(catalogue), enqueued=len(changed), pending=0)
    return changed


def reconcile_connection(
    connection_id: str, *, now: datetime | None = None, run: ConnectionRun | None = None
) -> ConnectionRun:
    """Count and release a connection's holds and poll its orders and master products (a disabled connection is
    skipped); fills ``run`` (a new one by default) as it goes, so a caller keeps what was done before a raise."""
    run = run if run is not None else ConnectionRun()
    connection = ConnectionRepository().get(connection_id)
    if connection is None or connection.status is not ConnectionStatus.ACTIVE:
        run.skipped = "disabled" if connection is not None else "unknown"
        return run
    held = OrderLedger(connection_id).held()
    run.holds = hold_census(held)
    run.released = release_holds(connection_id, held=held)
    ctx = context_for(connection_id)
    run.orders = poll_orders(ctx, now=now, created_at=connection.created_at)
    run.products = poll_products(ctx, now=now, created_at=connection.created_at)
    return run


def reconcile_all(*, now: datetime | None = None) -> dict[str, ConnectionRun]:
    """`reconcile_connection` for every connection (the reconciler's schedule calls this).

    A connection whose run fails is logged (class and id only, never the error's text) and counted
    (``reconcile.failed``); the others run all the same, and its cursor and pending orders stay for the next run.
    """
    outcome: dict[str, ConnectionRun] = {}
    for connection_id in ConnectionRepository().ids():
        run = outcome[connection_id] = ConnectionRun()
        try:
            reconcile_connection(connection_id, now=now, run=run)
        except Exception as error:  # noqa: BLE001 - one connection's failure must not stop the others'
            logger.error(
                "connection not reconciled", extra={"connection_id": connection_id, "error": type(error).__name__}
            )
            metrics.add_metric(name="reconcile.failed", unit=MetricUnit.Count, value=1)
            run.failed = type(error).__name__
    return outcome


ORDERS_ON_HOLD: Final = "OrdersOnHold"
OLDEST_HOLD_AGE: Final = "OldestHoldAgeSeconds"


def publish_hold_gauges(outcome: Mapping[str, ConnectionRun], *, now: datetime | None = None) -> HoldCensus:
    """Write the census of every connection counted in ``outcome`` to CloudWatch, as two gauges of this run:
    ``OrdersOnHold`` (Count) and ``OldestHoldAgeSeconds`` (Seconds, 0 when none is held); returns the census.

    Disabled connections are not counted (nothing of theirs is released or posted until they are enabled), nor
    one whose run stopped before its holds were read. Raises what `omsync.gauges.publish` raises.
    """
    moment = now or datetime.now(UTC)
    census = sum((run.holds for run in outcome.values() if run.holds is not None), HoldCensus())
    gauges.publish(
        [
            gauges.Gauge(ORDERS_ON_HOLD, census.orders, "Count"),
            gauges.Gauge(OLDEST_HOLD_AGE, round(census.oldest_age_seconds(moment.timestamp())), "Seconds"),
        ],
        at=moment,
    )
    return census
