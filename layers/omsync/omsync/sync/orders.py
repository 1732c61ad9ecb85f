"""converge_orders: paid orders become Sales Invoices (Faktur Penjualan), once each.

Level-triggered, like a controller: a message only says "order X changed". For a batch of orders of one
connection this re-reads the Ledger and Ginee, decides per order, and converges Accurate:

1. tombstoned orders are done (late messages end here); the rest are re-fetched from Ginee
   (``batch-get``, 100 ids a call) — webhook content is never used; an order whose record cannot be read
   is held (``unreadable_record``), the others go on;
2. orders already invoiced are done, unless they were cancelled or returned since: those are forwarded
   to the cancellations queue (a partial return leaves Ginee's status as it was, so only a re-read sees it);
3. per order: not yet at the store's trigger status → leave it; cancelled → the cancellations flow's;
   store or warehouse not mapped → hold; else plan its invoice (pure, `omsync.posting`);
4. the lease of every order to act on is taken, with the invoice number as intent;
5. invoices go out in bulk (`post_exactly_once`: duplicates and ambiguous failures resolved by number);
6. items missing in Accurate are created from Ginee's master products when the mapping allows it, and
   those invoices are posted again; otherwise the order is held "SKU X is not in Accurate";
7. outcomes are recorded in the Ledger (which also gives the leases back).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from omsync import queues
from omsync.accurate.documents import SalesInvoice
from omsync.config.mapping import SettlementMode
from omsync.config.settings import WorkQueue
from omsync.errors import OnHold, PermanentError
from omsync.ginee.models import Order, OrderStatus
from omsync.ledger.orders import SyncRecord
from omsync.observability import logger
from omsync.posting.cancellation import CANCELLATION_RETURN_ID
from omsync.posting.invoice import plan_sales_invoice
from omsync.posting.lifecycle import is_cancelled, reached_trigger
from omsync.queues import WorkMessage
from omsync.sync.context import ConnectionContext
from omsync.sync.steps import UNREADABLE_RECORD, Outcome, Result, decide_and_lease, hold_unreadable, post_invoices


def converge_orders(ctx: ConnectionContext, order_ids: Sequence[str], owner: str) -> dict[str, Outcome]:
    """Bring each order's invoice in Accurate to what Ginee says now; one outcome per order id."""
    outcomes: dict[str, Outcome] = {}
    records = ctx.ledger.load(order_ids)
    to_fetch: list[str] = []
    for order_id in dict.fromkeys(order_ids):
        record = records.get(order_id)
        if record is not None and record.tombstone:
            outcomes[order_id] = Outcome(Result.ALREADY_DONE, "tombstoned")
        else:
            to_fetch.append(order_id)
    if not to_fetch:
        return outcomes

    fetched = ctx.ginee.batch_get(to_fetch)
    orders = {order.order_id: order for order in fetched}
    hold_unreadable(ctx, fetched.unreadable, owner, outcomes)
    invoiced = [oid for oid in to_fetch if oid in orders and (r := records.get(oid)) is not None and r.invoice]
    for order_id in invoiced:
        _drop_unreadable_hold(ctx, records[order_id], owner)
        outcomes[order_id] = _after_sale(ctx, orders[order_id], records[order_id])
    to_fetch = [oid for oid in to_fetch if oid not in outcomes]
    prices = ctx.component_prices() if _has_bundles(orders.values()) else {}
    plans = decide_and_lease(
        ctx,
        to_fetch,
        orders,
        lambda order: _decide(ctx, order, prices),
        SalesInvoice,
        lambda plan: plan.number,
        owner,
        outcomes,
    )
    post_invoices(ctx, plans, owner, outcomes)
    for order_id in plans:
        # An order invoiced late (released from a hold, a PAID webhook that came last) may have been
        # returned meanwhile; no webhook of that return will come again, so its return is handed on now.
        if outcomes[order_id].result is not Result.POSTED:
            continue
        if orders[order_id].return_infos:
            _forward_to_cancellations(ctx, orders[order_id])
        if _owes_estimate(ctx, orders[order_id]):
            _forward(ctx, orders[order_id], WorkQueue.SETTLEMENTS)
    return outcomes


def _drop_unreadable_hold(ctx: ConnectionContext, record: SyncRecord, owner: str) -> None:
    """An invoiced order held because Ginee's record could not be read reads again: its hold goes.

    Held orders come back through this flow, and an invoiced one never records an invoice again, which is
    what clears a hold; recording the invoice it already has (same number and id) clears it, under its lease.
    """
    if record.hold is None or record.hold.cause != UNREADABLE_RECORD or record.invoice is None:
        return
    if ctx.ledger.lease({record.order_id: record.invoice.number}, owner):
        ctx.ledger.record_invoices({record.order_id: record.invoice}, owner)


def _after_sale(ctx: ConnectionContext, order: Order, record: SyncRecord) -> Outcome:
    """An invoiced order changed again: hand cancellations and returns not yet posted to their flow.

    Ginee reports a partial return without changing the order's status, so the receiver cannot route it
    by status; the orders flow, which re-reads every changed order anyway, forwards it.
    """
    pending_returns = [ret.return_id for ret in order.return_infos if ret.return_id not in record.returns]
    cancelled = is_cancelled(order) and not record.invoice_deleted and CANCELLATION_RETURN_ID not in record.returns
    forwarded = []
    if pending_returns or cancelled:
        _forward_to_cancellations(ctx, order)
        forwarded.append("cancelled" if cancelled else f"returns {', '.join(pending_returns)}")
    # Both may be due at once (a return still being posted when the order completes): the receipt pays
    # what the invoice owes after every return Ginee reports, whichever document is posted first.
    if record.invoiced and record.receipt is None and _owes_estimate(ctx, order):
        _forward(ctx, order, WorkQueue.SETTLEMENTS)
        forwarded.append("completed: to be receipted")
    return Outcome(Result.FORWARDED, "; ".join(forwarded)) if forwarded else Outcome(Result.ALREADY_DONE)


def _owes_estimate(ctx: ConnectionContext, order: Order) -> bool:
    """A completed order of a store that settles by estimate: the settlements flow receipts it."""
    if order.order_status != OrderStatus.COMPLETED or is_cancelled(order):
        return False
    store = ctx.mapping.stores.get(order.shop_id or "") if ctx.mapping is not None else None
    return store is not None and store.settlement is SettlementMode.ESTIMATE


def _forward_to_cancellations(ctx: ConnectionContext, order: Order) -> None:
    _forward(ctx, order, WorkQueue.CANCELLATIONS)


def _forward(ctx: ConnectionContext, order: Order, queue: WorkQueue) -> None:
    queues.send(
        queue,
        WorkMessage(
            connection_id=ctx.connection_id,
            entity="order",
            action="UPDATE",
            entity_id=order.order_id,
            status_hint=order.order_status,
            received_at=datetime.now(UTC),
        ),
    )


def _has_bundles(orders: Iterable[Order]) -> bool:
    return any(item.bundle_skus for order in orders for item in order.items)


def _decide(ctx: ConnectionContext, order: Order, prices: dict[str, Decimal]) -> SalesInvoice | OnHold | Outcome:
    if is_cancelled(order):
        return Outcome(Result.NOT_OURS, "cancelled: the cancellations flow decides")
    trigger = ctx.trigger_status(order.shop_id)
    if not reached_trigger(order, trigger):
        return Outcome(Result.NOT_READY, f"{order.order_status} has not reached {trigger}")
    try:
        store = ctx.store(order.shop_id)
        return plan_sales_invoice(order, store, prices)
    except OnHold as hold:
        return hold
    except PermanentError as error:
        logger.error("order cannot be invoiced", extra={"order_id": order.order_id, "error": type(error).__name__})
        return Outcome(Result.FAILED, str(error))
