"""Purchase inbounds and stock adjustments → Accurate purchase documents and Item Adjustments. Pure, no I/O.

- A purchase inbound that received goods (``COMPLETE``, ``PART_COMPLETE``, ``PART_INVALID``) is booked by
  *parts*: each part is what Ginee received beyond what earlier parts booked (`unbooked`), at the real
  unit price (``realPrice``), as one Purchase Invoice (Faktur Pembelian) or Receive Item (Penerimaan
  Barang) per the mapping, numbered ``{prefix}{inboundOrderId}-{part}`` (`part_number`).
- A stock adjustment (an ``ADJUSTMENT`` inbound, or a non-sale outbound) is one Item Adjustment
  (Penyesuaian Persediaan), IN or OUT, numbered ``{prefix}{id}``, against the mapping's adjustment account.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from omsync.accurate.documents import (
    ItemAdjustment,
    ItemAdjustmentLine,
    ItemAdjustmentType,
    PurchaseInvoice,
    PurchaseInvoiceItem,
    ReceiveItem,
    ReceiveItemLine,
)
from omsync.config.mapping import PurchaseDocument
from omsync.ginee.models import InboundOrder
from omsync.money import ZERO
from omsync.posting.numbers import fit_number

RECEIVED_STATUSES = frozenset({"COMPLETE", "PART_COMPLETE", "PART_INVALID"})
"""Inbound statuses whose ``realQuantity`` is goods on the shelf."""
CANCELLED_STATUS = "INVALID"
ADJUSTMENT_TYPE = "ADJUSTMENT"
SIX_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class Received:
    """Of one master SKU: the quantity and its value (rupiah, quantity × ``realPrice``)."""

    quantity: int
    value: Decimal


def received(inbound: InboundOrder) -> dict[str, Received]:
    """Master SKU → what the inbound has received so far (lines of one SKU summed)."""
    found: dict[str, Received] = {}
    for line in inbound.items:
        if line.real_quantity <= 0:
            continue
        before = found.get(line.master_sku, Received(0, ZERO))
        value = Decimal(line.real_quantity) * (line.real_price or ZERO)
        found[line.master_sku] = Received(before.quantity + line.real_quantity, before.value + value)
    return found


def unbooked(now: Mapping[str, Received], booked: Iterable[Mapping[str, Received]]) -> dict[str, Received]:
    """What ``now`` holds beyond the ``booked`` parts: positive quantities only, with their value.

    A SKU whose received quantity went down (Ginee corrected it) is left out: the difference is not a
    purchase, and a later stock comparison shows it.
    """
    done: dict[str, Received] = {}
    for part in booked:
        for sku, got in part.items():
            before = done.get(sku, Received(0, ZERO))
            done[sku] = Received(before.quantity + got.quantity, before.value + got.value)
    rest: dict[str, Received] = {}
    for sku, got in now.items():
        before = done.get(sku, Received(0, ZERO))
        if got.quantity > before.quantity:
            rest[sku] = Received(got.quantity - before.quantity, got.value - before.value)
    return rest


def part_number(prefix: str, inbound_id: str, part: int) -> str:
    """The number of an inbound's ``part``-th purchase document (1, 2 …), always fitting Accurate's cap."""
    suffix = f"-{part}"
    return fit_number(f"{prefix}{inbound_id}", 30 - len(suffix)) + suffix


def unit_price(got: Received) -> Decimal:
    """The part's unit price: its value over its quantity (Accurate keeps 6 decimals)."""
    return (got.value / Decimal(got.quantity)).quantize(SIX_PLACES, rounding=ROUND_HALF_UP)


def plan_purchase(
    inbound: InboundOrder,
    part: Mapping[str, Received],
    *,
    document: PurchaseDocument,
    number: str,
    vendor_no: str,
    warehouse: str,
    trans_date: date,
    branch: str | None,
) -> PurchaseInvoice | ReceiveItem:
    """One part of an inbound as a Purchase Invoice or a Receive Item into ``warehouse`` from ``vendor_no``.

    Raises ValueError for an empty part (there is nothing to book).
    """
    if not part:
        raise ValueError("an empty part books nothing")
    description = f"Ginee inbound {inbound.inbound_order_id}"
    if document == "receive_item":
        return ReceiveItem(
            number=number,
            vendor_no=vendor_no,
            receive_number=inbound.purchase_order_id or inbound.inbound_order_id,
            trans_date=trans_date,
            branch_name=branch,
            description=description,
            detail_item=[
                ReceiveItemLine(
                    item_no=sku, quantity=Decimal(got.quantity), unit_price=unit_price(got), warehouse_name=warehouse
                )
                for sku, got in sorted(part.items())
            ],
        )
    return PurchaseInvoice(
        number=number,
        vendor_no=vendor_no,
        bill_number=inbound.purchase_order_id,
        trans_date=trans_date,
        branch_name=branch,
        description=description,
        detail_item=[
            PurchaseInvoiceItem(
                item_no=sku, quantity=Decimal(got.quantity), unit_price=unit_price(got), warehouse_name=warehouse
            )
            for sku, got in sorted(part.items())
        ],
    )


@dataclass(frozen=True)
class StockChange:
    """A stock adjustment in Ginee: SKU → (quantity, unit cost) moved IN or OUT of one warehouse."""

    movement_id: str
    direction: ItemAdjustmentType
    lines: Mapping[str, tuple[int, Decimal | None]]


def plan_adjustment(
    change: StockChange, *, number: str, account_no: str, warehouse: str, trans_date: date, branch: str | None
) -> ItemAdjustment:
    """An Item Adjustment of ``change``. An IN line is valued at Ginee's unit cost (its average purchase
    price); an OUT line leaves at Accurate's own average cost, so its ``unitCost`` is 0.

    Raises ValueError when an IN line has no unit cost (the flow holds it) or the change has no line.
    """
    lines: list[ItemAdjustmentLine] = []
    for sku, (quantity, cost) in sorted(change.lines.items()):
        if change.direction == "ADJUSTMENT_IN" and cost is None:
            raise ValueError(f"stock added to {sku} has no unit cost in Ginee")
        lines.append(
            ItemAdjustmentLine(
                item_no=sku,
                item_adjustment_type=change.direction,
                quantity=Decimal(quantity),
                unit_cost=(cost or ZERO) if change.direction == "ADJUSTMENT_IN" else ZERO,
                warehouse_name=warehouse,
            )
        )
    if not lines:
        raise ValueError("an adjustment without lines books nothing")
    return ItemAdjustment(
        number=number,
        adjustment_account_no=account_no,
        trans_date=trans_date,
        branch_name=branch,
        description=f"Ginee stock adjustment {change.movement_id}",
        detail_item=lines,
    )
