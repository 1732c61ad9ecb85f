"""converge_orders: paid orders become Sales Invoices (Faktur Penjualan), once each.

Level-triggered, like a controller: a message only says "order X changed". For a batch of orders of one
connection this re-reads the Ledger and Ginee, decides per order, and converges Accurate:

1. tombstoned orders are done (late messages end here); the rest are re-fetched from Ginee
   (``batch-get``, 100 ids a call) — webhook content is never used; an order whose record cannot be read
   is held (``unreadable_record``), the others go on;
2. orders already invoiced are done, unless they were cancelled or returned since: those are forwarded
   to the cancellations queue (a partial return leaves Ginee's status as it was, so only a re-read sees it);
   units added since the invoice replace it by a corrected one (deleted and posted again under its number)
   while nothing answers to it, else hold the order ``quantity_raised``;
3. per order: not yet at the store's trigger status → leave it; cancelled → the cancellations flow's;
   store or warehouse not mapped → hold; else plan its invoice (pure, `omsync.posting`), numbered among the
   packages of its marketplace order (`number_packages`: the package Ginee created first keeps the plain number);
4. the lease of every order to act on is taken, with the invoice number as intent;
5. invoices go out in bulk (`post_exactly_once`: duplicates and ambiguous failures resolved by number);
6. items missing in Accurate are created from Ginee's master products when the mapping allows it, and
   those invoices are posted again; otherwise the order is held "SKU X is not in Accurate";
7. outcomes are recorded in the Ledger (which also gives the leases back), with Accurate's own totals from its
   answer; an invoice whose PPN there is not the plan's (beyond rounding) holds its order ``tax_mismatch`` with
   both figures, and is read again (``detail.do``) each time the order comes back, until it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal

from omsync.accurate.documents import SalesInvoice, SalesReturn
from omsync.accurate.errors import AccurateError, Transient
from omsync.config.mapping import SettlementMode
from omsync.config.settings import WorkQueue
from omsync.errors import OnHold, PermanentError
from omsync.ginee.models import Order, OrderStatus
from omsync.ledger.orders import PostedDocument, SyncRecord
from omsync.observability import logger
from omsync.posting.amounts import TAX_MISMATCH, planned_ppn, tax_difference_hold, tax_mismatch_hold
from omsync.posting.cancellation import CANCELLATION_RETURN_ID
from omsync.posting.invoice import plan_sales_invoice
from omsync.posting.lifecycle import is_cancelled, reached_trigger
from omsync.posting.returns import (
    BUNDLE_COMPONENT_RETURN,
    EXCHANGE_PREFIX,
    QUANTITY_RAISED,
    REFUND_UNMATCHED,
    plan_exchange_moves,
    quantity_raised_hold,
    returns_to_post,
    units_added,
    units_gone,
)
from omsync.sync.context import ConnectionContext
from omsync.sync.documents import accurate_totals
from omsync.sync.steps import (
    UNREADABLE_RECORD,
    Outcome,
    Result,
    corrected_lines,
    decide_and_lease,
    forward,
    hold_orders,
    hold_unreadable,
    number_packages,
    post_invoices,
)

RETURNED_WITHOUT_LINES = "returned_without_lines"


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
    prices = ctx.component_prices() if _has_bundles(orders.values()) else {}
    waiting: dict[str, OnHold] = {}
    raised: dict[str, SalesInvoice] = {}
    for order_id in invoiced:
        try:
            _recheck_tax(ctx, orders[order_id], records[order_id], prices, owner)
            corrected = _corrected_invoice(ctx, orders[order_id], records[order_id], prices)
            if corrected is not None:
                raised[order_id] = corrected
                continue
            outcome = _after_sale(ctx, orders[order_id], records[order_id], prices)
        except OnHold as hold:
            waiting[order_id] = hold
            continue
        _drop_cleared_hold(ctx, records[order_id], owner)
        outcomes[order_id] = outcome
    hold_orders(ctx, waiting, owner, outcomes)
    to_fetch = [oid for oid in to_fetch if oid not in outcomes]
    decisions = {oid: _decide(ctx, orders[oid], prices) for oid in to_fetch if oid in orders}
    # An order whose invoice is corrected keeps its number (`_withdraw_invoices`): only new invoices are numbered.
    new = {
        oid: decision for oid, decision in decisions.items() if isinstance(decision, SalesInvoice) and oid not in raised
    }
    decisions.update(number_packages(ctx, new, orders))
    plans = decide_and_lease(
        ctx,
        to_fetch,
        orders,
        lambda order: decisions[order.order_id],
        SalesInvoice,
        lambda plan: plan.number,
        owner,
        outcomes,
    )
    plans.update(_withdraw_invoices(ctx, raised, owner, outcomes))
    posted = post_invoices(ctx, plans, owner, outcomes)
    hold_orders(ctx, _tax_mismatches(ctx, plans, posted, orders), owner, outcomes)
    for order_id in plans:
        # An order invoiced late (released from a hold, a PAID webhook that came last) may have been
        # returned meanwhile; no webhook of that return will come again, so its return is handed on now.
        if outcomes[order_id].result is not Result.POSTED:
            continue
        if _returned_without_lines(orders[order_id]):
            hold_orders(ctx, {order_id: returned_without_lines_hold(orders[order_id])}, owner, outcomes)
        if orders[order_id].return_infos:
            _forward_to_cancellations(ctx, orders[order_id])
        if _owes_estimate(ctx, orders[order_id]):
            forward(ctx, orders[order_id], WorkQueue.SETTLEMENTS)
    return outcomes


AFTER_SALE_CAUSES = frozenset(
    {
        UNREADABLE_RECORD,
        "unmapped_store",
        RETURNED_WITHOUT_LINES,
        REFUND_UNMATCHED,
        BUNDLE_COMPONENT_RETURN,
        QUANTITY_RAISED,
    }
)
"""Hold causes of an invoiced order decided again on each re-read: by this flow (`_after_sale`), or by the
cancellations flow it forwards the order's returns to (``refund_unmatched`` and ``bundle_component_return`` hold
it again while the return stands)."""


def _tax_mismatches(
    ctx: ConnectionContext,
    plans: Mapping[str, SalesInvoice],
    posted: Mapping[str, PostedDocument],
    orders: Mapping[str, Order],
) -> dict[str, OnHold]:
    """The invoices just posted whose PPN in Accurate's answer is not the plan's (`tax_mismatch_hold`): each order
    is held ``tax_mismatch`` with both figures, so no receipt pays an invoice booked on another tax."""
    holds: dict[str, OnHold] = {}
    for order_id, doc in posted.items():
        if doc.tax is None or order_id not in plans:
            continue
        store = ctx.store(orders[order_id].shop_id)
        hold = tax_mismatch_hold(plans[order_id].model_copy(update={"number": doc.number}), store, doc.tax)
        if hold is not None:
            logger.warning("Accurate booked another PPN than planned", extra={"order_id": order_id})
            holds[order_id] = hold
    return holds


def _recheck_tax(
    ctx: ConnectionContext, order: Order, record: SyncRecord, prices: dict[str, Decimal], owner: str
) -> None:
    """An order held ``tax_mismatch`` reads its invoice again from Accurate (``detail.do``), and each Sales Return
    whose recorded PPN is not the plan's (`_returns_read_again`): while the PPN there is still not the plan's the
    hold stays (`OnHold` raised again); once it is — the seller fixed the tax and saved the document again —
    Accurate's totals are recorded, which clears the hold, and the order goes on."""
    if record.hold is None or record.hold.cause != TAX_MISMATCH or record.invoice is None:
        return
    kept = OnHold(record.hold.cause, record.hold.reason, record.hold.hint)
    try:
        total, tax = accurate_totals(ctx.accurate.detail(SalesInvoice, number=record.invoice.number))
    except AccurateError:
        raise kept from None
    if tax is not None:
        plan = plan_sales_invoice(order, ctx.store(order.shop_id), prices, number=record.invoice.number)
        hold = tax_mismatch_hold(plan, ctx.store(order.shop_id), tax)
        if hold is not None:
            raise hold
    corrected = _returns_read_again(ctx, order, record, kept)
    if not ctx.ledger.lease({record.order_id: record.invoice.number}, owner):
        raise kept
    for return_id, document in corrected.items():
        ctx.ledger.record_return(record.order_id, return_id, document, owner)
    ctx.ledger.record_invoices({record.order_id: replace(record.invoice, total=total, tax=tax)}, owner)


def _returns_read_again(
    ctx: ConnectionContext, order: Order, record: SyncRecord, kept: OnHold
) -> dict[str, PostedDocument]:
    """The order's Sales Returns recorded with a PPN that is not the plan's (worked out again from the lines the
    Ledger recorded, `planned_ppn`), read again from Accurate: by return id, each with Accurate's totals now.
    Raises the ``tax_mismatch`` hold (both figures) of one whose PPN is still not the plan's, ``kept`` when
    Accurate cannot be read."""
    store = ctx.store(order.shop_id)
    corrected: dict[str, PostedDocument] = {}
    for return_id, document in sorted(record.returns.items()):
        if document.tax is None or not document.lines:
            continue
        planned = planned_ppn(
            ((line.unit_price * line.quantity - line.discount, line.taxed) for line in document.lines), store
        )
        what = f"return {document.number}"
        if tax_difference_hold(what, planned, document.tax, store) is None:
            continue
        try:
            total, tax = accurate_totals(ctx.accurate.detail(SalesReturn, number=document.number))
        except AccurateError:
            raise kept from None
        hold = tax_difference_hold(what, planned, tax, store) if tax is not None else kept
        if hold is not None:
            raise hold
        corrected[return_id] = replace(document, total=total, tax=tax)
    return corrected


def _drop_cleared_hold(ctx: ConnectionContext, record: SyncRecord, owner: str) -> None:
    """An invoiced order held for a cause this flow decides (`AFTER_SALE_CAUSES`) re-reads without it: the hold
    goes.

    Held orders come back through this flow, and an invoiced one never records an invoice again, which is
    what clears a hold; recording the invoice it already has (same number and id) clears it, under its lease.
    """
    if record.hold is None or record.hold.cause not in AFTER_SALE_CAUSES or record.invoice is None:
        return
    if ctx.ledger.lease({record.order_id: record.invoice.number}, owner):
        ctx.ledger.record_invoices({record.order_id: record.invoice}, owner)


def _after_sale(ctx: ConnectionContext, order: Order, record: SyncRecord, prices: dict[str, Decimal]) -> Outcome:
    """An invoiced order changed again: hand cancellations, returns and receipts not yet posted to their flow.

    Ginee reports a partial return without changing the order's status, so the receiver cannot route it
    by status; the orders flow, which re-reads every changed order anyway, forwards it. A step that cannot
    run now raises `OnHold` so that the reconciler brings the order back (nothing is lost between states):
    ``unmapped_store`` for a completed order still to be receipted whose store has no mapping,
    ``returned_without_lines`` for an order Ginee reports RETURNED with no return lines.
    """
    pending_returns = [ret.return_id for ret in returns_to_post(order) if ret.return_id not in record.returns]
    cancelled = is_cancelled(order) and not record.invoice_deleted and CANCELLATION_RETURN_ID not in record.returns
    if record.invoiced and _returned_without_lines(order):
        raise returned_without_lines_hold(order)
    forwarded = []
    if pending_returns or cancelled:
        _forward_to_cancellations(ctx, order)
        forwarded.append("cancelled" if cancelled else f"returns {', '.join(pending_returns)}")
    elif _lines_gone(ctx, order, record, prices):
        _forward_to_cancellations(ctx, order)
        forwarded.append("lines gone since the invoice")
    elif _exchanges_to_move(ctx, order, record, prices):
        _forward_to_cancellations(ctx, order)
        forwarded.append("exchanges' stock to move")
    # Both may be due at once (a return still being posted when the order completes): the settlements flow waits
    # for the returns' Sales Returns, to pay what Accurate says is left, and the cancellations flow hands it back.
    if record.invoiced and record.receipt is None and _completed(order):
        store = ctx.store(order.shop_id)  # unmapped: OnHold, so the receipt is not skipped for good
        if store.settlement is SettlementMode.ESTIMATE:
            forward(ctx, order, WorkQueue.SETTLEMENTS)
            forwarded.append("completed: to be receipted")
    return Outcome(Result.FORWARDED, "; ".join(forwarded)) if forwarded else Outcome(Result.ALREADY_DONE)


def _corrected_invoice(
    ctx: ConnectionContext, order: Order, record: SyncRecord, prices: dict[str, Decimal]
) -> SalesInvoice | None:
    """The invoice as Ginee's order stands now, when units were added to it since its invoice and nothing answers
    to the invoice yet (no receipt, return, correction or refund): it replaces the posted one under the same
    number (docs/POSTING.md §8a). None when no unit was added.

    Raises `OnHold` (``quantity_raised``, with the figures) when units were added but the invoice can no longer
    be corrected, and as `plan_sales_invoice` does.
    """
    if not record.invoiced or record.invoice is None or not record.invoice.lines or is_cancelled(order):
        return None
    if ctx.mapping is None or (order.shop_id or "") not in ctx.mapping.stores:
        return None
    store = ctx.store(order.shop_id)
    added = units_added(order, store, record.invoice.lines, corrected_lines(record), prices)
    if not added:
        return None
    number = record.invoice.number
    referenced = [
        *([f"receipt {record.receipt.number}"] if record.receipt is not None else []),
        *(f"return {doc.number}" for doc in record.returns.values()),
        *(f"journal voucher {journal}" for journal in record.refunds),
        *([f"payout {record.exact_payout}"] if record.exact_payout else []),
        *(f"Ginee return {ret.return_id}" for ret in returns_to_post(order) if ret.return_id not in record.returns),
    ]
    if referenced:
        raise quantity_raised_hold(order, number, added, record.invoice.lines, ", ".join(referenced) + " answer to it")
    return plan_sales_invoice(order, store, prices, number=number)


def _withdraw_invoices(
    ctx: ConnectionContext, corrected: dict[str, SalesInvoice], owner: str, outcomes: dict[str, Outcome]
) -> dict[str, SalesInvoice]:
    """Delete each posted invoice a corrected one replaces, under the order's lease; the corrected invoices now
    free to post (their orders leased). An invoice already gone (an attempt that died before posting its
    replacement) counts as deleted; one Accurate refuses to delete holds the order ``quantity_raised``."""
    if not corrected:
        return {}
    leased = ctx.ledger.lease({oid: plan.number for oid, plan in corrected.items()}, owner)
    free: dict[str, SalesInvoice] = {}
    holds: dict[str, OnHold] = {}
    for order_id, plan in corrected.items():
        if order_id not in leased:
            outcomes[order_id] = Outcome(Result.RETRY, "another worker holds this order")
            continue
        try:
            ctx.accurate.delete_if_present(SalesInvoice, number=plan.number or "")
        except Transient as error:
            ctx.ledger.release([order_id], owner)
            outcomes[order_id] = Outcome(Result.RETRY, str(error))
            continue
        except AccurateError as error:
            holds[order_id] = OnHold(
                QUANTITY_RAISED,
                f"units were added to the order after invoice {plan.number}, and Accurate refuses to delete it "
                f"for its correction: {error}",
                "invoice the added units by hand in Accurate, or undo the change in Ginee; the order is retried "
                "automatically",
            )
            continue
        logger.info("invoice withdrawn for its correction", extra={"order_id": order_id, "number": plan.number})
        free[order_id] = plan
    hold_orders(ctx, holds, owner, outcomes)
    return free


def _lines_gone(ctx: ConnectionContext, order: Order, record: SyncRecord, prices: dict[str, Decimal]) -> bool:
    """Ginee's order no longer has units the posted invoice sold (a line cancelled or lowered after payment),
    and no correction took them back yet: the cancellations flow posts one (docs/POSTING.md §8a)."""
    if not record.invoiced or record.invoice is None or not record.invoice.lines or is_cancelled(order):
        return False
    if ctx.mapping is None or (order.shop_id or "") not in ctx.mapping.stores:
        return False  # an unmapped store cannot be compared; its completion holds the order (`_after_sale`)
    store = ctx.store(order.shop_id)
    return bool(units_gone(order, store, record.invoice.lines, corrected_lines(record), prices))


def _exchanges_to_move(ctx: ConnectionContext, order: Order, record: SyncRecord, prices: dict[str, Decimal]) -> bool:
    """An exchange whose stock moves (docs/POSTING.md §8b) are not all recorded yet: the cancellations flow posts
    them. One that names no invoiced line is handed on too, for that flow to hold it (``refund_unmatched``)."""
    if not record.invoiced or record.invoice is None or is_cancelled(order):
        return False
    if ctx.mapping is None or (order.shop_id or "") not in ctx.mapping.stores:
        return False
    try:
        moves = plan_exchange_moves(order, ctx.store(order.shop_id), record.invoice.number, prices)
    except OnHold:
        return True
    return any(f"{EXCHANGE_PREFIX}{move.return_id}-in" not in record.returns for move in moves)


def _completed(order: Order) -> bool:
    return order.order_status == OrderStatus.COMPLETED and not is_cancelled(order)


def _returned_without_lines(order: Order) -> bool:
    return order.order_status == OrderStatus.RETURNED and not order.return_infos


def returned_without_lines_hold(order: Order) -> OnHold:
    """The hold of an order Ginee reports RETURNED without any return line: what came back is unknown."""
    return OnHold(
        RETURNED_WITHOUT_LINES,
        f"Ginee reports order {order.external_order_sn or order.order_id} RETURNED but lists no returned lines",
        "complete the return in Ginee (its returned lines and refund); the Sales Return is posted automatically "
        "once Ginee lists them",
    )


def _owes_estimate(ctx: ConnectionContext, order: Order) -> bool:
    """A completed order of a store that settles by estimate: the settlements flow receipts it."""
    if order.order_status != OrderStatus.COMPLETED or is_cancelled(order):
        return False
    store = ctx.mapping.stores.get(order.shop_id or "") if ctx.mapping is not None else None
    return store is not None and store.settlement is SettlementMode.ESTIMATE


def _forward_to_cancellations(ctx: ConnectionContext, order: Order) -> None:
    forward(ctx, order, WorkQueue.CANCELLATIONS)


def _has_bundles(orders: Iterable[Order]) -> bool:
    return any(item.bundle_skus for order in orders for item in order.items)


def _decide(ctx: ConnectionContext, order: Order, prices: dict[str, Decimal]) -> SalesInvoice | OnHold | Outcome:
    if is_cancelled(order):
        return Outcome(Result.NOT_OURS, "cancelled: the cancellations flow decides")
    trigger = ctx.trigger_status(order.shop_id, is_cod=order.is_cod)
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
