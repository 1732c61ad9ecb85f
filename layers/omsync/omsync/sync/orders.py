"""converge_orders: paid orders become Sales Invoices (Faktur Penjualan), once each.

Level-triggered, like a controller: a message only says "order X changed". For a batch of orders of one
connection this re-reads the Ledger and Ginee, decides per order, and converges Accurate:

1. tombstoned orders are done (late messages end here); the rest are re-fetched from Ginee
   (``batch-get``, 100 ids a call) — webhook content is never used;
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

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from omsync import queues
from omsync.accurate.documents import AccurateDocument, Item, SalesInvoice
from omsync.accurate.errors import AccurateError, MasterNotFound, Transient
from omsync.config.mapping import SettlementMode
from omsync.config.settings import WorkQueue
from omsync.errors import OnHold, PermanentError
from omsync.ginee.models import Order, OrderStatus
from omsync.ledger.orders import PostedDocument, SyncRecord
from omsync.observability import logger
from omsync.posting.cancellation import CANCELLATION_RETURN_ID
from omsync.posting.invoice import plan_sales_invoice
from omsync.posting.lifecycle import is_cancelled, reached_trigger
from omsync.queues import WorkMessage
from omsync.sync.context import ConnectionContext
from omsync.sync.documents import post_exactly_once

CLOSED_PERIOD_MARKER = "tanggal kunci periode"
INSUFFICIENT_STOCK_MARKER = "tidak mencukupi"


class Result(StrEnum):
    """What became of one order in one attempt."""

    POSTED = "posted"
    ALREADY_DONE = "already_done"
    NOT_READY = "not_ready"
    NOT_OURS = "not_ours"
    UNKNOWN_ORDER = "unknown_order"
    HELD = "held"
    FORWARDED = "forwarded"
    RETRY = "retry"
    FAILED = "failed"

    @property
    def settled(self) -> bool:
        """The message may leave the queue (anything but RETRY and FAILED)."""
        return self not in (Result.RETRY, Result.FAILED)


@dataclass(frozen=True)
class Outcome:
    result: Result
    detail: str = ""


def closed_period_hold(error: AccurateError, when: str) -> OnHold:
    """The hold for a document Accurate refuses because its date falls in a locked period."""
    return OnHold(
        "closed_period",
        f"Accurate refuses {when}: {error}",
        "Open the period in Accurate (Pengaturan > Tutup Buku) or move the lock date; the order is retried automatically.",
    )


def insufficient_stock_hold(error: AccurateError, number: str) -> OnHold:
    """The hold for an invoice Accurate refuses because the item's stock would go below zero."""
    return OnHold(
        "insufficient_stock",
        f"Accurate refuses invoice {number}: {error}",
        "Record the goods' arrival in Accurate (a purchase or an opening balance for the item in that warehouse), "
        "or allow negative stock; the order is retried automatically.",
    )


def missing_master_hold(error: MasterNotFound) -> OnHold:
    """The hold for a document naming a master that is not in Accurate."""
    if error.kind.lower().startswith(("barang", "item")):
        return OnHold(
            "missing_sku",
            f"SKU {error.key} is not in Accurate",
            f"Create item {error.key} in Accurate (Barang & Jasa), or set items.auto_create: true in the mapping "
            "and apply it; the order is posted automatically once the item exists.",
        )
    return OnHold(
        "missing_master",
        f"{error.kind} {error.key} is not in Accurate",
        f"Create {error.kind} {error.key} in Accurate or correct the mapping, then apply it.",
    )


def post_single(ctx: ConnectionContext, document: AccurateDocument, what: str) -> PostedDocument:
    """Post one document exactly once; a refusal the seller must fix raises `OnHold`, others raise as they are.

    ``what`` names the document in messages ("sales return", "journal voucher"…).
    """
    number = document.key or ""
    result = post_exactly_once(ctx.accurate, [document])
    if number in result.saved:
        return result.saved[number]
    if number in result.missing_master:
        raise missing_master_hold(result.missing_master[number])
    if number in result.refused:
        refusal = result.refused[number]
        if CLOSED_PERIOD_MARKER in str(refusal).lower():
            raise closed_period_hold(refusal, f"{what} {number}")
        raise refusal
    raise Transient(f"{what} {number}: Accurate's answer stayed ambiguous")


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

    orders = {order.order_id: order for order in ctx.ginee.batch_get(to_fetch)}
    invoiced = [oid for oid in to_fetch if oid in orders and (r := records.get(oid)) is not None and r.invoice]
    for order_id in invoiced:
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


Plan = TypeVar("Plan")


def decide_and_lease(
    ctx: ConnectionContext,
    order_ids: Sequence[str],
    orders: Mapping[str, Order],
    decide: Callable[[Order], Plan | OnHold | Outcome],
    plan_type: type[Plan],
    number_of: Callable[[Plan], str | None],
    owner: str,
    outcomes: dict[str, Outcome],
) -> dict[str, Plan]:
    """Decide each re-fetched order (a document to post, a hold, or an outcome), park the holds, and take the
    lease of every order with a document (its number as intent); returns the leased orders' documents."""
    plans: dict[str, Plan] = {}
    holds: dict[str, OnHold] = {}
    for order_id in order_ids:
        order = orders.get(order_id)
        if order is None:
            # Ginee does not know it: a forged or mistyped notification. Nothing to converge.
            outcomes[order_id] = Outcome(Result.UNKNOWN_ORDER)
            continue
        decision = decide(order)
        if isinstance(decision, plan_type):
            plans[order_id] = decision
        elif isinstance(decision, OnHold):
            holds[order_id] = decision
        elif isinstance(decision, Outcome):
            outcomes[order_id] = decision
    hold_orders(ctx, holds, owner, outcomes)
    leased = ctx.ledger.lease({oid: number_of(plan) for oid, plan in plans.items()}, owner)
    for order_id in set(plans) - leased:
        outcomes[order_id] = Outcome(Result.RETRY, "another worker holds this order")
    return {oid: plan for oid, plan in plans.items() if oid in leased}


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
        logger.error("order cannot be invoiced", extra={"order_id": order.order_id, "error": str(error)})
        return Outcome(Result.FAILED, str(error))


def hold_orders(
    ctx: ConnectionContext,
    holds: dict[str, OnHold],
    owner: str,
    outcomes: dict[str, Outcome],
) -> None:
    """Park orders on hold (each with its cause, reason and fix hint) and note the outcome."""
    if not holds:
        return
    held = ctx.ledger.hold(holds, owner)
    for order_id, hold in holds.items():
        if order_id in held:
            outcomes[order_id] = Outcome(Result.HELD, hold.cause)
        else:
            outcomes[order_id] = Outcome(Result.RETRY, "another worker holds this order")


def post_invoices(
    ctx: ConnectionContext,
    plans: dict[str, SalesInvoice],
    owner: str,
    outcomes: dict[str, Outcome],
) -> None:
    """Post leased orders' invoices exactly once and record each outcome (posted, held, retry, failed).

    Every order in ``plans`` must be leased by ``owner``; recording the outcome gives the lease back.
    """
    if not plans:
        return
    by_number = {plan.number: order_id for order_id, plan in plans.items() if plan.number}
    result = post_exactly_once(ctx.accurate, list(plans.values()))
    missing_skus = {
        number: error
        for number, error in result.missing_master.items()
        if error.kind.lower().startswith(("barang", "item"))
    }
    if missing_skus and ctx.mapping is not None and ctx.mapping.items.auto_create:
        created = _create_items(ctx, {error.key for error in missing_skus.values()})
        retry = [plans[by_number[n]] for n, e in missing_skus.items() if e.key in created]
        if retry:
            again = post_exactly_once(ctx.accurate, retry)
            for number in again.saved.keys() | again.missing_master.keys() | again.refused.keys() | again.unresolved:
                result.missing_master.pop(number, None)
            result.saved.update(again.saved)
            result.missing_master.update(again.missing_master)
            result.refused.update(again.refused)
            result.unresolved.update(again.unresolved)

    posted = {by_number[number]: doc for number, doc in result.saved.items()}
    recorded = ctx.ledger.record_invoices(posted, owner)
    for order_id in posted:
        if order_id in recorded:
            outcomes[order_id] = Outcome(Result.POSTED, posted[order_id].number)
        else:
            # The lease was lost meanwhile; the invoice exists, the next attempt records it by number.
            outcomes[order_id] = Outcome(Result.RETRY, "lease lost before recording")

    holds: dict[str, OnHold] = {}
    for number, error in result.missing_master.items():
        holds[by_number[number]] = missing_master_hold(error)
    for number, refusal in result.refused.items():
        order_id = by_number[number]
        if CLOSED_PERIOD_MARKER in str(refusal).lower():
            holds[order_id] = closed_period_hold(refusal, f"invoice {number}")
        elif INSUFFICIENT_STOCK_MARKER in str(refusal).lower():
            holds[order_id] = insufficient_stock_hold(refusal, number)
        else:
            logger.error(
                "Accurate refused an invoice", extra={"order_id": order_id, "number": number, "error": str(refusal)}
            )
            outcomes[order_id] = Outcome(Result.FAILED, str(refusal))
    hold_orders(ctx, holds, owner, outcomes)
    failed = [by_number[n] for n in result.refused if by_number[n] not in holds]
    unresolved = [by_number[n] for n in result.unresolved]
    for order_id in unresolved:
        outcomes[order_id] = Outcome(Result.RETRY, "Accurate's answer was ambiguous")
    ctx.ledger.release([*failed, *unresolved], owner)


def _create_items(ctx: ConnectionContext, skus: set[str]) -> set[str]:
    """Create the items Ginee's catalogue knows (auto-create); returns the SKUs that now exist."""
    catalogue = ctx.catalogue()
    if ctx.mapping is None:
        return set()
    policy = ctx.mapping.items
    documents: list[Item] = []
    for sku in sorted(skus):
        product = catalogue.get(sku)
        if product is None:
            continue
        variation = next((v for v in product.variations or product.variation_briefs if v.sku == sku), None)
        name = (variation.name if variation and variation.name else None) or product.name or sku
        documents.append(
            Item(
                no=sku,
                name=name,
                item_type=policy.item_type,
                unit1_name=policy.unit,
                item_category_name=policy.category,
                unit_price=variation.selling_price if variation else None,
            )
        )
    if not documents:
        return set()
    created: set[str] = set()
    for row in ctx.accurate.bulk_save(documents):
        if row.ok or (row.error is not None and "Sudah ada" in str(row.error.messages)):
            created.add(str(row.document.key))
    logger.info("items created from Ginee's catalogue", extra={"count": len(created)})
    return created
