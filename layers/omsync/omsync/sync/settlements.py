"""converge_settlements: completed orders of *estimate* stores get one Sales Receipt each, with their fees.

Level-triggered like the other flows: a message says "order X changed"; this re-reads the Ledger and Ginee
and posts the receipt only when the order is COMPLETED (or RETURNED in full: then only the journal of the
fees the marketplace kept, as for any order that owes nothing), its invoice stands, it has no receipt yet, every
return Ginee reports for it has its Sales Return (the receipt pays what Accurate says is left after them; the
cancellations flow hands the order back once it posted them), and its store settles by estimate (file stores are
receipted by `omsync.sync.payouts` from the marketplace's own settlement file). The receipt (`omsync.posting.receipts.plan_estimate_receipt`; for an order whose invoice owes
nothing, the journal voucher of its fees, `plan_estimate_fees_journal`) goes out in bulk under each
order's lease, exactly once by number, and is recorded with what it booked so that a later payout file
can post only the difference. An order whose Ginee record cannot be read is held (``unreadable_record``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from omsync.accurate.documents import JournalVoucher, SalesReceipt
from omsync.config.mapping import SettlementMode, StoreMapping
from omsync.errors import OnHold, PermanentError
from omsync.ginee.models import Order, OrderStatus
from omsync.ledger.orders import ReceiptRecord, SyncRecord
from omsync.observability import logger
from omsync.posting.amounts import TAX_MISMATCH
from omsync.posting.lifecycle import is_cancelled
from omsync.posting.receipts import (
    ESTIMATE_SOURCE,
    PlannedReceipt,
    plan_estimate_fees_journal,
    plan_estimate_receipt,
)
from omsync.posting.returns import PostedDocuments, PostedReturn, plan_sales_returns
from omsync.sync.context import ConnectionContext
from omsync.sync.documents import post_exactly_once
from omsync.sync.steps import (
    CLOSED_PERIOD_MARKER,
    Outcome,
    Result,
    accurate_invoice_total,
    accurate_return_totals,
    closed_period_hold,
    decide_and_lease,
    hold_orders,
    hold_unreadable,
    missing_master_hold,
)

FINISHED = frozenset({OrderStatus.COMPLETED, OrderStatus.RETURNED})
"""The statuses at which an estimate store's order is settled: COMPLETED (paid out, less its fees) or RETURNED in
full (nothing paid out; the fees the marketplace keeps on a return leave the balance, docs/POSTING.md §12)."""


def converge_settlements(ctx: ConnectionContext, order_ids: Sequence[str], owner: str) -> dict[str, Outcome]:
    """Post the estimated receipt of every completed, invoiced, not yet receipted order; one outcome per id."""
    ids = list(dict.fromkeys(order_ids))
    outcomes: dict[str, Outcome] = {}
    records = ctx.ledger.load(ids)
    to_fetch = []
    for order_id in ids:
        record = records.get(order_id)
        if record is None or not record.invoiced:
            outcomes[order_id] = Outcome(Result.NOT_READY, "not invoiced")
        elif record.receipt is not None:
            outcomes[order_id] = Outcome(Result.ALREADY_DONE, record.receipt.number)
        elif record.hold is not None and record.hold.cause == TAX_MISMATCH:
            # Accurate booked the invoice on another tax than planned: nothing pays it until the orders flow
            # finds Accurate's PPN right again (docs/POSTING.md §3a).
            outcomes[order_id] = Outcome(Result.NOT_READY, f"held {TAX_MISMATCH}")
        else:
            to_fetch.append(order_id)
    if not to_fetch:
        return outcomes
    fetched = ctx.ginee.batch_get(to_fetch)
    orders = {order.order_id: order for order in fetched}
    hold_unreadable(ctx, fetched.unreadable, owner, outcomes)
    to_fetch = [order_id for order_id in to_fetch if order_id not in outcomes]
    prices = ctx.component_prices() if any(i.bundle_skus for o in orders.values() for i in o.items) else {}
    plans = decide_and_lease(
        ctx,
        to_fetch,
        orders,
        lambda order: _decide(ctx, order, records[order.order_id], prices),
        PlannedReceipt,
        lambda plan: plan.receipt.number,
        owner,
        outcomes,
    )
    _post_receipts(ctx, plans, owner, outcomes)
    return outcomes


def _decide(
    ctx: ConnectionContext, order: Order, record: SyncRecord, prices: dict[str, Decimal]
) -> PlannedReceipt | OnHold | Outcome:
    if is_cancelled(order):
        return Outcome(Result.NOT_OURS, "cancelled: the cancellations flow decides")
    if order.order_status not in FINISHED:
        return Outcome(Result.NOT_READY, f"{order.order_status} is neither COMPLETED nor RETURNED")
    try:
        store = ctx.store(order.shop_id)
        if store.settlement is not SettlementMode.ESTIMATE:
            return Outcome(Result.NOT_OURS, "the store settles from payout files")
        invoice_no = record.invoice.number if record.invoice is not None else None
        # A RETURNED order's goods all came back: it is never paid out, only its kept fees are booked.
        returned = order.order_status == OrderStatus.RETURNED
        if not returned and _returns_unposted(order, store, record, prices):
            # The receipt pays what Accurate says the invoice owes after the order's returns: it waits for their
            # Sales Returns, whose flow hands the order back here once they are posted (docs/POSTING.md §3a).
            return Outcome(Result.NOT_READY, "a return of the order is still to be posted")
        total = accurate_invoice_total(order, store, record, prices)  # Accurate's, where it still holds
        plan = (
            None
            if returned
            else plan_estimate_receipt(
                order,
                store,
                prices,
                invoice_no=invoice_no,
                invoice_total=total,
                return_totals=accurate_return_totals(record),
            )
        )
        if plan is None:
            # The invoice owes nothing (returned in full), but the marketplace kept its fees: they leave the
            # balance by a journal voucher, never skipped with the receipt (docs/POSTING.md §12).
            plan = plan_estimate_fees_journal(order, store, prices, invoice_no=invoice_no)
    except OnHold as hold:
        return hold
    except PermanentError as error:
        logger.error("receipt cannot be planned", extra={"order_id": order.order_id, "error": type(error).__name__})
        return Outcome(Result.FAILED, str(error))
    if plan is None:
        return Outcome(Result.ALREADY_DONE, "the invoice owes nothing (returned in full) and bears no fee")
    return plan


def _returns_unposted(order: Order, store: StoreMapping, record: SyncRecord, prices: dict[str, Decimal]) -> bool:
    """Ginee reports a return of the order whose Sales Return the Ledger does not record yet (`plan_sales_returns`
    still plans it). Raises `OnHold` as that does."""
    if record.invoice is None:
        return False
    posted = PostedDocuments(
        invoice_number=record.invoice.number,
        returns=tuple(PostedReturn(return_id, doc.number) for return_id, doc in sorted(record.returns.items())),
    )
    return bool(plan_sales_returns(order, store, posted, prices))


def _post_receipts(
    ctx: ConnectionContext, plans: dict[str, PlannedReceipt], owner: str, outcomes: dict[str, Outcome]
) -> None:
    if not plans:
        return
    by_number = {plan.receipt.number or "": order_id for order_id, plan in plans.items()}
    # post_exactly_once takes one kind at a time: receipts, then the fees journals of orders that owe nothing.
    result = post_exactly_once(ctx.accurate, [p.receipt for p in plans.values() if isinstance(p.receipt, SalesReceipt)])
    journals = post_exactly_once(
        ctx.accurate, [p.receipt for p in plans.values() if isinstance(p.receipt, JournalVoucher)]
    )
    result.saved.update(journals.saved)
    result.found.update(journals.found)
    result.missing_master.update(journals.missing_master)
    result.refused.update(journals.refused)
    result.unresolved.update(journals.unresolved)
    records: dict[str, ReceiptRecord] = {}
    for number, doc in result.saved.items():
        entry = plans[by_number[number]].entry
        records[by_number[number]] = ReceiptRecord(
            doc.number, doc.accurate_id, ESTIMATE_SOURCE, entry.payment, entry.cheque, entry.lines, entry.returns
        )
    recorded = ctx.ledger.record_receipts(records, owner)
    for order_id, record in records.items():
        if order_id in recorded:
            outcomes[order_id] = Outcome(Result.POSTED, record.number)
        else:
            outcomes[order_id] = Outcome(Result.RETRY, "lease lost before recording")
    holds: dict[str, OnHold] = {}
    failed: list[str] = []
    for number, refusal in result.refused.items():
        order_id = by_number[number]
        if CLOSED_PERIOD_MARKER in str(refusal).lower():
            holds[order_id] = closed_period_hold(refusal, f"receipt {number}")
        else:
            logger.error("Accurate refused a receipt", extra={"order_id": order_id, "error": type(refusal).__name__})
            outcomes[order_id] = Outcome(Result.FAILED, str(refusal))
            failed.append(order_id)
    for number, missing in result.missing_master.items():
        holds[by_number[number]] = missing_master_hold(missing)
    hold_orders(ctx, holds, owner, outcomes)
    unresolved = [by_number[n] for n in result.unresolved]
    for order_id in unresolved:
        outcomes[order_id] = Outcome(Result.RETRY, "Accurate's answer was ambiguous")
    ctx.ledger.release([*failed, *unresolved], owner)
