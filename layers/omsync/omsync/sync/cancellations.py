"""converge_cancellations: cancelled and returned orders leave the books as they should, once each.

Like the orders flow it is level-triggered: re-read the Ledger and Ginee, decide per order with the pure
rules of `omsync.posting.cancellation` / `omsync.posting.returns`, act under the order's lease. An order
whose Ginee record cannot be read is held (``unreadable_record``); the others go on.

- An order that owes an invoice first gets it (a returned order whose PAID notification never came; a
  paid-then-cancelled order of a store whose rule is ``sales_return``), through the orders flow's own
  `post_invoices`, so there is one way to post an invoice.
- Cancelled, never invoiced → tombstone (drops any hold): no invoice ever, whatever arrives later.
- Cancelled, invoiced, rule ``delete`` → the invoice is deleted; if Accurate refuses (a receipt pays it,
  the period is closed) → a Sales Return of everything instead.
- Cancelled, rule ``sales_return`` → a Sales Return of everything (``<invoice>-RC``).
- Returned lines → one Sales Return per Ginee return (``<invoice>-R<k>``), each posted exactly once;
  exchanges with refund 0 are no return (`omsync.posting.returns.is_exchange`): their stock moves from the
  sale's warehouse to the return warehouse by an Item Transfer (``<invoice>-XO<k>`` sent, ``-XI<k>`` received).
- Units gone from Ginee's order since its invoice (compared with the invoice's lines in the Ledger) → a
  Sales Return ``<invoice>-K<k>`` at the invoiced prices, recorded under ``change-<k>`` with its lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from omsync.accurate.documents import SalesInvoice, SalesReturn
from omsync.accurate.errors import AccurateError, Transient
from omsync.config.mapping import CancellationRule, SettlementMode, StoreMapping
from omsync.config.settings import WorkQueue
from omsync.errors import OnHold, PermanentError
from omsync.ginee.models import Order, OrderStatus
from omsync.ledger.orders import PostedDocument, SyncRecord
from omsync.observability import logger
from omsync.posting.amounts import document_amounts, tax_mismatch_hold
from omsync.posting.cancellation import CANCELLATION_RETURN_ID, CancellationAction, plan_cancellation
from omsync.posting.invoice import plan_sales_invoice
from omsync.posting.lifecycle import is_cancelled, reached_trigger, reached_trigger_before_cancel
from omsync.posting.receipts import plan_refund_journal, refund_journal_number
from omsync.posting.returns import (
    CHANGE_RETURN_PREFIX,
    EXCHANGE_PREFIX,
    PostedDocuments,
    PostedReturn,
    ordered_returns,
    plan_change_return,
    plan_exchange_moves,
    plan_sales_returns,
    sales_return_number,
)
from omsync.sync.context import ConnectionContext
from omsync.sync.steps import (
    Outcome,
    Result,
    corrected_lines,
    corrections,
    forward,
    hold_orders,
    hold_unreadable,
    number_packages,
    post_invoices,
    post_single,
    posted_lines,
)


def posted_documents(record: SyncRecord | None) -> PostedDocuments:
    """What the Ledger says was posted, in the posting rules' terms."""
    if record is None:
        return PostedDocuments()
    returns = tuple(PostedReturn(rid, doc.number) for rid, doc in sorted(record.returns.items()))
    invoice = record.invoice.number if record.invoiced and record.invoice is not None else None
    receipt = record.receipt.number if record.receipt is not None else None
    return PostedDocuments(invoice_number=invoice, receipt_number=receipt, returns=returns, tombstone=record.tombstone)


def converge_cancellations(ctx: ConnectionContext, order_ids: Sequence[str], owner: str) -> dict[str, Outcome]:
    """Bring cancelled and returned orders' documents in Accurate to what Ginee says now."""
    ids = list(dict.fromkeys(order_ids))
    outcomes: dict[str, Outcome] = {}
    fetched = ctx.ginee.batch_get(ids)
    orders = {order.order_id: order for order in fetched}
    hold_unreadable(ctx, fetched.unreadable, owner, outcomes)
    for order_id in ids:
        if order_id not in orders and order_id not in outcomes:
            outcomes[order_id] = Outcome(Result.UNKNOWN_ORDER)
    records = ctx.ledger.load(orders)
    prices = ctx.component_prices() if any(i.bundle_skus for o in orders.values() for i in o.items) else {}

    # 1. Invoices owed before a return can be posted against them.
    owed: dict[str, SalesInvoice] = {}
    holds: dict[str, OnHold] = {}
    for order_id, order in orders.items():
        record = records.get(order_id)
        if record is not None and (record.invoice is not None or record.tombstone):
            continue
        try:
            if _owes_invoice(ctx, order):
                owed[order_id] = plan_sales_invoice(order, ctx.store(order.shop_id), prices)
        except OnHold as hold:
            if not is_cancelled(order):
                holds[order_id] = hold
    hold_orders(ctx, holds, owner, outcomes)
    for order_id, numbered in number_packages(ctx, owed, orders).items():
        if isinstance(numbered, Outcome):
            del owed[order_id]
            outcomes[order_id] = numbered
        else:
            owed[order_id] = numbered
    if owed:
        leased = ctx.ledger.lease({oid: plan.number for oid, plan in owed.items()}, owner)
        for order_id in set(owed) - leased:
            outcomes[order_id] = Outcome(Result.RETRY, "another worker holds this order")
        invoiced: dict[str, Outcome] = {}
        post_invoices(ctx, {oid: plan for oid, plan in owed.items() if oid in leased}, owner, invoiced)
        for order_id, outcome in invoiced.items():
            if outcome.result is not Result.POSTED:
                outcomes[order_id] = outcome
        records.update(ctx.ledger.load(invoiced))

    # 2. Cancellations and returns, each order under its lease.
    pending = [oid for oid in orders if oid not in outcomes]
    leased = ctx.ledger.lease(dict.fromkeys(pending), owner)
    for order_id in pending:
        if order_id not in leased:
            outcomes[order_id] = Outcome(Result.RETRY, "another worker holds this order")
            continue
        try:
            outcomes[order_id] = _converge_one(ctx, orders[order_id], records.get(order_id), prices, owner)
        except OnHold as hold:
            hold_orders(ctx, {order_id: hold}, owner, outcomes)
        except Transient as error:
            ctx.ledger.release([order_id], owner)
            outcomes[order_id] = Outcome(Result.RETRY, str(error))
        except (PermanentError, AccurateError) as error:
            logger.error("cancellation failed", extra={"order_id": order_id, "error": type(error).__name__})
            ctx.ledger.release([order_id], owner)
            outcomes[order_id] = Outcome(Result.FAILED, str(error))
    return outcomes


def _owes_invoice(ctx: ConnectionContext, order: Order) -> bool:
    trigger = ctx.trigger_status(order.shop_id, is_cod=order.is_cod)
    if not is_cancelled(order):
        return reached_trigger(order, trigger)
    store = ctx.store(order.shop_id)
    return store.cancellation is CancellationRule.SALES_RETURN and reached_trigger_before_cancel(order, trigger)


def _converge_one(
    ctx: ConnectionContext, order: Order, record: SyncRecord | None, prices: dict[str, Decimal], owner: str
) -> Outcome:
    posted = posted_documents(record)
    if record is not None and record.invoice_deleted:
        ctx.ledger.release([order.order_id], owner)
        return Outcome(Result.ALREADY_DONE, "invoice deleted")
    if is_cancelled(order):
        if posted.invoice_number is None:
            if posted.tombstone:
                ctx.ledger.release([order.order_id], owner)
                return Outcome(Result.ALREADY_DONE, "tombstoned")
            ctx.ledger.tombstone(order.order_id, owner)
            return Outcome(Result.POSTED, "tombstone")
        return _cancel_invoiced(ctx, order, ctx.store(order.shop_id), record, prices, owner)
    return _post_returns(ctx, order, ctx.store(order.shop_id), record, prices, owner)


def _cancel_invoiced(
    ctx: ConnectionContext,
    order: Order,
    store: StoreMapping,
    record: SyncRecord | None,
    prices: dict[str, Decimal],
    owner: str,
) -> Outcome:
    posted = posted_documents(record)
    plan = plan_cancellation(order, store, posted, component_prices=prices)
    if plan.action is CancellationAction.DELETE_INVOICE and plan.invoice_number is not None:
        try:
            ctx.accurate.delete_if_present(SalesInvoice, number=plan.invoice_number)
            deleted = True
        except AccurateError as error:
            if isinstance(error, Transient):
                raise
            logger.info("invoice delete refused; returning everything", extra={"number": plan.invoice_number})
            plan = plan_cancellation(order, store, posted, delete_refused=True, component_prices=prices)
            deleted = False
        if deleted:
            ctx.ledger.record_invoice_deleted(order.order_id, owner)
            return Outcome(Result.POSTED, f"deleted {plan.invoice_number}")
    if plan.action is CancellationAction.RETURN_EVERYTHING and plan.sales_return is not None:
        # The cancellation credits the order's current lines; units that left it after the invoice and that no
        # re-read saw before the cancellation are credited by their correction first (docs/POSTING.md §8a).
        _post_correction(ctx, order, store, record, plan.sales_return.invoice_number or "", prices, owner)
        booked = _post_return(ctx, store, order.order_id, CANCELLATION_RETURN_ID, plan.sales_return, owner)
        _move_refund(ctx, order, store, record, CANCELLATION_RETURN_ID, plan.sales_return, owner, booked.total)
        ctx.ledger.release([order.order_id], owner)
        return Outcome(Result.POSTED, plan.sales_return.number or "")
    ctx.ledger.release([order.order_id], owner)
    return Outcome(Result.ALREADY_DONE, plan.why)


def _post_returns(
    ctx: ConnectionContext,
    order: Order,
    store: StoreMapping,
    record: SyncRecord | None,
    prices: dict[str, Decimal],
    owner: str,
) -> Outcome:
    posted = posted_documents(record)
    if posted.invoice_number is None:
        ctx.ledger.release([order.order_id], owner)
        return Outcome(Result.NOT_READY, "no invoice to return against yet")
    corrected = _post_correction(ctx, order, store, record, posted.invoice_number, prices, owner)
    planned = plan_sales_returns(order, store, posted, prices)
    return_ids = {
        sales_return_number(posted.invoice_number, position): ret.return_id
        for position, ret in enumerate(ordered_returns(order), start=1)
    }
    booked = dict(record.returns) if record is not None else {}
    for sales_return in planned:
        return_id = return_ids[sales_return.number or ""]
        booked[return_id] = _post_return(ctx, store, order.order_id, return_id, sales_return, owner)
    if _moves_refunds(store, record):
        # Returns after the receipt move their refund out of the balance; one posted by an attempt that died
        # before doing so is found here again. Every return is planned once, as it was posted.
        posted_now = {r.number for r in planned}
        everything = plan_sales_returns(order, store, PostedDocuments(invoice_number=posted.invoice_number), prices)
        for sales_return in everything:
            return_id = return_ids[sales_return.number or ""]
            if sales_return.number in posted_now or (record is not None and return_id in record.returns):
                total = booked[return_id].total if return_id in booked else None
                _move_refund(ctx, order, store, record, return_id, sales_return, owner, total)
    moved = _post_exchanges(ctx, order, store, record, posted.invoice_number, prices, owner)
    ctx.ledger.release([order.order_id], owner)
    if _to_settle(order, store, record, returned_now=bool(planned)):
        forward(ctx, order, WorkQueue.SETTLEMENTS)
    done = [*corrected, *(r.number or "" for r in planned), *moved]
    if not done:
        return Outcome(Result.ALREADY_DONE, "every return is posted")
    return Outcome(Result.POSTED, ", ".join(done))


def _to_settle(order: Order, store: StoreMapping, record: SyncRecord | None, *, returned_now: bool) -> bool:
    """An order of an estimate store with nothing settled yet that the settlements flow now has work for: RETURNED
    in full, the fees the marketplace keeps on a return are its to book (docs/POSTING.md §12; Ginee routes RETURNED
    here, never there); COMPLETED with a Sales Return posted now, its receipt, which waits for the order's returns
    so that it pays what Accurate says is left after them (§3a)."""
    if store.settlement is not SettlementMode.ESTIMATE or (record is not None and record.receipt is not None):
        return False
    return order.order_status == OrderStatus.RETURNED or (returned_now and order.order_status == OrderStatus.COMPLETED)


def _post_correction(
    ctx: ConnectionContext,
    order: Order,
    store: StoreMapping,
    record: SyncRecord | None,
    invoice_no: str,
    prices: dict[str, Decimal],
    owner: str,
) -> list[str]:
    """Lines gone from Ginee's order since its invoice leave the books: a Sales Return at the invoiced prices
    (`plan_change_return`), posted once under return id ``change-<k>``; the numbers posted.

    Invoices recorded before the Ledger kept their lines cannot be compared and are left as they are.
    """
    if record is None or record.invoice is None or not record.invoice.lines:
        return []
    position = len(corrections(record)) + 1
    when = order.last_update_at or order.pay_at or order.create_at or datetime.now(UTC)
    change = plan_change_return(
        order, store, invoice_no, record.invoice.lines, corrected_lines(record), position, when, prices
    )
    if change is None:
        return []
    _post_return(ctx, store, order.order_id, f"{CHANGE_RETURN_PREFIX}{position}", change, owner)
    return [change.number or ""]


def _post_exchanges(
    ctx: ConnectionContext,
    order: Order,
    store: StoreMapping,
    record: SyncRecord | None,
    invoice_no: str,
    prices: dict[str, Decimal],
    owner: str,
) -> list[str]:
    """Each exchange's stock moves (`plan_exchange_moves`): its Item Transfer sent, then received, each posted
    once and recorded under ``exchange-<return id>`` and ``exchange-<return id>-in``; the numbers posted."""
    done = record.returns if record is not None else {}
    posted: list[str] = []
    for move in plan_exchange_moves(order, store, invoice_no, prices):
        sent_id = f"{EXCHANGE_PREFIX}{move.return_id}"
        for return_id, document in ((sent_id, move.send), (f"{sent_id}-in", move.receive)):
            if return_id in done:
                continue
            ctx.ledger.record_return(order.order_id, return_id, post_single(ctx, document, "item transfer"), owner)
            posted.append(document.number or "")
    return posted


def _post_return(
    ctx: ConnectionContext, store: StoreMapping, order_id: str, return_id: str, document: SalesReturn, owner: str
) -> PostedDocument:
    """Post a Sales Return once and record it with its lines and Accurate's own totals; what was recorded.

    Raises `OnHold` ``tax_mismatch`` (both figures) once recorded when the PPN Accurate booked on it is not the
    plan's beyond the rounding leftover: no receipt or payout then pays the order until it is (the orders flow
    reads the return again from Accurate each time the order comes back, docs/POSTING.md §3a)."""
    posted = replace(post_single(ctx, document, "sales return"), lines=posted_lines(document))
    ctx.ledger.record_return(order_id, return_id, posted, owner)
    hold = None
    if posted.tax is not None:
        hold = tax_mismatch_hold(document.model_copy(update={"number": posted.number}), store, posted.tax)
    if hold is not None:
        logger.warning("Accurate booked another PPN on a return than planned", extra={"order_id": order_id})
        raise hold
    return posted


def _moves_refunds(store: StoreMapping, record: SyncRecord | None) -> bool:
    """Refunds leave the marketplace balance by journal voucher: an estimate store's order already receipted.

    Stores that settle from files get this from the payout file's refund line instead (`omsync.sync.payouts`).
    """
    return record is not None and record.receipt is not None and store.settlement is SettlementMode.ESTIMATE


def _move_refund(
    ctx: ConnectionContext,
    order: Order,
    store: StoreMapping,
    record: SyncRecord | None,
    return_id: str,
    sales_return: SalesReturn,
    owner: str,
    accurate_total: Decimal | None,
) -> None:
    """After an estimated receipt the refund also leaves the marketplace balance: a journal voucher, once, of what
    Accurate says the return comes to (``accurate_total``; the plan's where its answer did not say)."""
    if record is None or record.receipt is None or not _moves_refunds(store, record):
        return
    if return_id in record.receipt.returns:
        return  # the receipt already paid only what was left after this return
    number = refund_journal_number(sales_return.number or "")
    if number in record.refunds:
        return
    refund = accurate_total
    if refund is None:
        refund = document_amounts(sales_return, store.tax.effective_rate).receivable
    journal = plan_refund_journal(
        sales_return.number or "",
        refund,
        sales_return.trans_date,
        store,
        order.external_order_sn or order.order_id,
    )
    post_single(ctx, journal, "journal voucher")
    ctx.ledger.record_refunds({order.order_id: (number, refund)}, owner)
