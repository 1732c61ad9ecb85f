"""Returned lines become Sales Returns (Retur Penjualan, ``returnType: INVOICE``) against the order's invoice.

Rules (worked journals in docs/POSTING.md §8–§9):

- one Sales Return per Ginee return, numbered ``<invoice number>-R<k>`` where k is the return's place
  among the order's returns sorted by (created time, return id) — a later return never renumbers an
  earlier one, so each return is posted exactly once;
- each returned line at the invoice's unit price, for the returned quantity (bundle components: their
  share of each returned bundle);
- the line's seller discount is pro-rated by *cumulative rounding*: after returns 1..k of a line the
  discount given back is round_half_up(line discount × units returned so far ÷ units sold); return k
  takes that minus what returns 1..k−1 took. The returns of a line therefore never give back more than
  its discount, and a line returned in full gives back exactly all of it;
- PPN is the return document's own (same rule as invoices: `omsync.posting.amounts`);
- goods go back into the store's return warehouse (else the warehouse they left from).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from omsync.accurate.documents import SalesReturn, SalesReturnItem
from omsync.config.mapping import StoreMapping
from omsync.ginee.models import Order, ReturnInfo
from omsync.money import ZERO, round_rupiah
from omsync.posting.invoice import PlannedLine, plan_lines
from omsync.posting.numbers import jakarta_date, return_number

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class PostedReturn:
    """A Sales Return the Ledger records as posted: which Ginee return (or ``cancellation``) and its number."""

    return_id: str
    number: str


@dataclass(frozen=True)
class PostedDocuments:
    """What the Ledger says omsync has already posted for one order (the input of every decision here).

    ``invoice_number`` is set once the Sales Invoice exists in Accurate, ``receipt_number`` once a Sales
    Receipt paid it; ``tombstone`` once the order was cancelled before it was ever invoiced.
    """

    invoice_number: str | None = None
    receipt_number: str | None = None
    returns: tuple[PostedReturn, ...] = field(default=())
    tombstone: bool = False

    def has_return(self, return_id: str) -> bool:
        return any(posted.return_id == return_id for posted in self.returns)


def ordered_returns(order: Order) -> list[ReturnInfo]:
    """The order's returns in the stable order that numbers them: by created time, then return id."""
    return sorted(order.return_infos, key=lambda ret: (ret.create_at or _EPOCH, ret.return_id))


def sales_return_number(invoice_no: str, position: int) -> str:
    """The number of the ``position``-th (1-based) return of an invoice."""
    return return_number(invoice_no, f"-R{position}")


def plan_sales_returns(
    order: Order,
    store: StoreMapping,
    posted: PostedDocuments,
    component_prices: Mapping[str, Decimal] | None = None,
) -> list[SalesReturn]:
    """The Sales Returns still to post for the order's returns (none before the order is invoiced)."""
    if posted.invoice_number is None:
        return []
    lines = plan_lines(order, store, component_prices or {})
    sold = sold_per_item(lines)
    returned_before: dict[str, int] = {}
    planned: list[SalesReturn] = []
    for position, ret in enumerate(ordered_returns(order), start=1):
        this_return = _quantities(ret, sold, returned_before)
        returned_after = {key: returned_before.get(key, 0) + this_return.get(key, 0) for key in sold}
        if not posted.has_return(ret.return_id) and any(this_return.values()):
            moment = ret.create_at or order.last_update_at or order.pay_at or order.create_at or _EPOCH
            sales_return = build_sales_return(
                number=sales_return_number(posted.invoice_number, position),
                invoice_no=posted.invoice_number,
                store=store,
                lines=lines,
                sold=sold,
                before=returned_before,
                after=returned_after,
                when=moment,
                description=f"Return {ret.return_id} of order {order.external_order_sn or order.order_id}",
                to_return_warehouse=True,
            )
            if sales_return is not None:
                planned.append(sales_return)
        returned_before = returned_after
    return planned


def returned_so_far(sold: Mapping[str, int], upto: Sequence[ReturnInfo]) -> dict[str, int]:
    """Order-line units returned by the given returns, capped at what was sold."""
    total: dict[str, int] = {}
    for ret in upto:
        for key, quantity in _quantities(ret, sold, total).items():
            total[key] = total.get(key, 0) + quantity
    return total


def build_sales_return(
    *,
    number: str,
    invoice_no: str,
    store: StoreMapping,
    lines: Sequence[PlannedLine],
    sold: Mapping[str, int],
    before: Mapping[str, int],
    after: Mapping[str, int],
    when: datetime,
    description: str,
    to_return_warehouse: bool,
) -> SalesReturn | None:
    """A Sales Return of the units between ``before`` and ``after`` (order-line units per order item id).

    None when nothing lies between them.
    """
    items: list[SalesReturnItem] = []
    for line in lines:
        key = line.order_item_id
        returned = after.get(key, 0) - before.get(key, 0)
        if returned <= 0:
            continue
        discount = _cumulative_share(line.discount, after.get(key, 0), sold[key]) - _cumulative_share(
            line.discount, before.get(key, 0), sold[key]
        )
        warehouse = store.return_warehouse_for(line.warehouse) if to_return_warehouse else line.warehouse
        items.append(
            SalesReturnItem(
                item_no=line.sku,
                unit_price=line.unit_price,
                quantity=Decimal(returned * line.units_per_order_unit),
                item_cash_discount=discount if discount else None,
                warehouse_name=warehouse,
                use_tax1=True if store.tax.pkp else None,
            )
        )
    if not items:
        return None
    return SalesReturn(
        number=number,
        customer_no=store.customer_no,
        branch_name=store.branch,
        return_type="INVOICE",
        invoice_number=invoice_no,
        trans_date=jakarta_date(when),
        description=description,
        taxable=store.tax.pkp,
        inclusive_tax=store.tax.prices_include_ppn if store.tax.pkp else None,
        detail_item=items,
    )


def sold_per_item(lines: Sequence[PlannedLine]) -> dict[str, int]:
    """Order-line units sold per order item id (a bundle's components count the bundles once)."""
    sold: dict[str, int] = {}
    for line in lines:
        sold.setdefault(line.order_item_id, line.quantity // line.units_per_order_unit)
    return sold


def _quantities(ret: ReturnInfo, sold: Mapping[str, int], before: Mapping[str, int]) -> dict[str, int]:
    """Order-line units this return takes back, never more than is left unreturned."""
    taken: dict[str, int] = {}
    for returned in ret.items:
        key = next((k for k in (returned.item_id, returned.master_sku) if k is not None and k in sold), None)
        if key is None:
            continue
        left = sold[key] - before.get(key, 0) - taken.get(key, 0)
        taken[key] = taken.get(key, 0) + max(0, min(returned.quantity, left))
    return taken


def _cumulative_share(amount: Decimal, units: int, of_units: int) -> Decimal:
    if units >= of_units:
        return amount
    return round_rupiah(amount * units / of_units) if of_units else ZERO
