"""What a cancelled order needs in Accurate, decided from its Ginee state and what the Ledger says was posted.

The paths (worked journals in docs/POSTING.md §7):

1. never invoiced → nothing is posted, and a tombstone in the Ledger stops any later invoice;
2. invoiced, not yet paid out, store rule ``delete`` → delete the invoice;
3. invoiced, store rule ``sales_return`` — or Accurate refused the delete (closed period, a payment) —
   → a Sales Return of everything not yet returned, numbered ``<invoice number>-RC``;
4. already receipted → the Sales Return of everything not yet returned, and the money must be reversed
   (a later issue: settlements), never a negative receipt.

Goods of a cancelled order go back into the warehouse they were invoiced out of (they never reached the
buyer); returned goods use the return warehouse (`omsync.posting.returns`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from omsync.accurate.documents import SalesReturn
from omsync.config.mapping import CancellationRule, StoreMapping
from omsync.ginee.models import Order
from omsync.posting.invoice import plan_lines
from omsync.posting.numbers import return_number
from omsync.posting.returns import (
    PostedDocuments,
    build_sales_return,
    ordered_returns,
    returned_so_far,
    sold_per_item,
)

CANCELLATION_RETURN_ID = "cancellation"
"""The `PostedReturn.return_id` under which the Ledger records a cancellation's Sales Return."""


class CancellationAction(StrEnum):
    NOTHING = "nothing"
    """Already converged: tombstoned, or the cancellation's return is posted."""
    TOMBSTONE = "tombstone"
    DELETE_INVOICE = "delete_invoice"
    RETURN_EVERYTHING = "return_everything"


@dataclass(frozen=True)
class CancellationPlan:
    """The decision for one cancelled order.

    ``sales_return`` is set for RETURN_EVERYTHING, ``invoice_number`` for DELETE_INVOICE and
    RETURN_EVERYTHING; ``reverse_money`` says a receipt was posted, so the refund must also come out of
    the marketplace balance (settlements, a later issue).
    """

    action: CancellationAction
    why: str
    invoice_number: str | None = None
    sales_return: SalesReturn | None = None
    reverse_money: bool = False


def cancellation_return_number(invoice_no: str) -> str:
    """The number of the Sales Return that reverses a cancelled order's invoice."""
    return return_number(invoice_no, "-RC")


def plan_cancellation(
    order: Order,
    store: StoreMapping,
    posted: PostedDocuments,
    *,
    delete_refused: bool = False,
    component_prices: Mapping[str, Decimal] | None = None,
) -> CancellationPlan:
    """Decide how a cancelled order leaves the books. ``delete_refused``: Accurate refused deleting its invoice."""
    invoice_no = posted.invoice_number
    if invoice_no is None:
        if posted.tombstone:
            return CancellationPlan(CancellationAction.NOTHING, "cancelled before invoicing; already tombstoned")
        return CancellationPlan(CancellationAction.TOMBSTONE, "cancelled before invoicing: never invoice it")
    if posted.has_return(CANCELLATION_RETURN_ID):
        return CancellationPlan(
            CancellationAction.NOTHING, "the cancellation's sales return is already posted", invoice_no
        )
    receipted = posted.receipt_number is not None
    if not receipted and store.cancellation is CancellationRule.DELETE and not delete_refused and not posted.returns:
        return CancellationPlan(CancellationAction.DELETE_INVOICE, "invoiced, not paid, store rule delete", invoice_no)
    if receipted:
        why = "already receipted: return everything and reverse the money"
    elif posted.returns:
        why = "part of the order was already returned: return the rest"
    elif delete_refused:
        why = "Accurate refused to delete the invoice: return everything"
    else:
        why = "store rule sales_return: return everything"
    lines = plan_lines(order, store, component_prices or {})
    sold = sold_per_item(lines)
    posted_ids = {posted_return.return_id for posted_return in posted.returns}
    before = returned_so_far(lines, sold, [ret for ret in ordered_returns(order) if ret.return_id in posted_ids])
    when = _cancelled_at(order)
    sales_return = build_sales_return(
        number=cancellation_return_number(invoice_no),
        invoice_no=invoice_no,
        store=store,
        lines=lines,
        sold=sold,
        before=before,
        after=sold,
        when=when,
        description=f"Cancellation of order {order.external_order_sn or order.order_id}",
        to_return_warehouse=False,
    )
    if sales_return is None:
        return CancellationPlan(CancellationAction.NOTHING, "every line was already returned", invoice_no)
    return CancellationPlan(
        CancellationAction.RETURN_EVERYTHING, why, invoice_no, sales_return=sales_return, reverse_money=receipted
    )


def _cancelled_at(order: Order) -> datetime:
    cancel = order.cancel_info.cancel_at if order.cancel_info is not None else None
    return cancel or order.last_update_at or order.pay_at or order.create_at or datetime(1970, 1, 1, tzinfo=UTC)
