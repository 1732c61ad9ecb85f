"""Specification: a received inbound is booked by parts at the real unit price; an adjustment is IN or OUT."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from omsync.accurate.documents import ItemAdjustment, PurchaseInvoice, ReceiveItem
from omsync.ginee.models import InboundOrder
from omsync.posting.purchases import (
    Received,
    StockChange,
    part_number,
    plan_adjustment,
    plan_purchase,
    received,
    unbooked,
)


def inbound(*lines: tuple[str, int, int]) -> InboundOrder:
    return InboundOrder.model_validate(
        {
            "inboundOrderId": "IB0000000000000000000042",
            "purchaseOrderId": "PO-7",
            "status": "PART_COMPLETE",
            "items": [{"masterSku": sku, "realQuantity": qty, "realPrice": price} for sku, qty, price in lines],
        }
    )


def test_what_was_received_is_summed_per_sku_at_its_real_price() -> None:
    got = received(inbound(("KEMEJA", 45, 80000), ("KAOS", 0, 31000), ("KEMEJA", 5, 82000)))
    assert got == {"KEMEJA": Received(50, Decimal(45 * 80000 + 5 * 82000))}


def test_a_later_part_books_only_what_earlier_parts_did_not() -> None:
    first = {"KEMEJA": Received(45, Decimal(3600000))}
    now = {"KEMEJA": Received(50, Decimal(4010000)), "KAOS": Received(10, Decimal(310000))}

    assert unbooked(now, [first]) == {"KEMEJA": Received(5, Decimal(410000)), "KAOS": Received(10, Decimal(310000))}
    assert unbooked(first, [first]) == {}
    # Ginee lowering a received quantity is no purchase
    assert unbooked({"KEMEJA": Received(40, Decimal(3200000))}, [first]) == {}


def test_part_numbers_are_deterministic_and_fit_thirty_characters() -> None:
    assert part_number("PB-", "IB0000000000000000000042", 1) == "PB-IB0000000000000000000042-1"
    long = part_number("PEMBELIAN-", "IB0000000000000000000042", 12)
    assert len(long) <= 30 and long.endswith("-12")
    assert long == part_number("PEMBELIAN-", "IB0000000000000000000042", 12)


def test_a_part_is_a_purchase_invoice_at_the_real_unit_price_into_the_mapped_warehouse() -> None:
    document = plan_purchase(
        inbound(("KEMEJA", 45, 80000)),
        {"KEMEJA": Received(45, Decimal(3600000))},
        document="purchase_invoice",
        number="PB-IB0000000000000000000042-1",
        vendor_no="V-0001",
        warehouse="Gudang Utama",
        trans_date=date(2025, 9, 1),
        branch="Kantor Pusat",
    )
    assert isinstance(document, PurchaseInvoice)
    (line,) = document.detail_item
    assert (line.item_no, line.quantity, line.unit_price, line.warehouse_name) == (
        "KEMEJA",
        Decimal(45),
        Decimal(80000),
        "Gudang Utama",
    )
    assert (document.vendor_no, document.bill_number, document.branch_name) == ("V-0001", "PO-7", "Kantor Pusat")


def test_or_a_receive_item_where_the_mapping_says_so() -> None:
    document = plan_purchase(
        inbound(("KAOS", 3, 31000)),
        {"KAOS": Received(3, Decimal(93000))},
        document="receive_item",
        number="PB-X-1",
        vendor_no="V-0001",
        warehouse="Gudang Utama",
        trans_date=date(2025, 9, 1),
        branch=None,
    )
    assert isinstance(document, ReceiveItem)
    assert document.receive_number == "PO-7"
    assert document.detail_item[0].unit_price == Decimal(31000)


def adjust(change: StockChange) -> ItemAdjustment:
    return plan_adjustment(
        change, number="PB-OB1", account_no="6108", warehouse="Gudang Utama", trans_date=date(2025, 9, 1), branch=None
    )


def test_adjustments_in_carry_ginees_cost_and_out_leave_at_accurates_average() -> None:
    stock_in = adjust(StockChange("IB1", "ADJUSTMENT_IN", {"LAMPU": (5, Decimal(11000))}))
    stock_out = adjust(StockChange("OB1", "ADJUSTMENT_OUT", {"BOTOL": (3, Decimal(17500))}))

    assert stock_in.detail_item[0].unit_cost == Decimal(11000)
    assert stock_in.detail_item[0].item_adjustment_type == "ADJUSTMENT_IN"
    assert stock_in.adjustment_account_no == "6108"
    assert stock_out.detail_item[0].unit_cost == Decimal(0)
    assert stock_out.detail_item[0].item_adjustment_type == "ADJUSTMENT_OUT"
    with pytest.raises(ValueError, match="no unit cost"):
        adjust(StockChange("IB2", "ADJUSTMENT_IN", {"LAMPU": (5, None)}))
