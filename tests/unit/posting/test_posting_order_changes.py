"""Specification: a return is what it says, and what left the order after its invoice leaves the books
(issue 16; docs/POSTING.md §8, §8a)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from posting_builders import item, order, rp, store

from omsync.ginee.models import Order
from omsync.posting.amounts import document_amounts
from omsync.posting.returns import (
    PostedDocuments,
    is_exchange,
    ordered_returns,
    plan_change_return,
    plan_sales_returns,
    units_gone,
)

PPN = Decimal("0.11")
INVOICE = "SP-251004BNDL01"
WHEN = datetime(2026, 3, 20, 3, tzinfo=UTC)


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int
    unit_price: Decimal
    discount: Decimal = Decimal(0)
    warehouse: str = "Gudang Jakarta"
    taxed: bool = True


def with_returns(base: Order, *returns: dict[str, Any]) -> Order:
    data = base.model_dump(by_alias=True)
    data["returnInfos"] = list(returns)
    return Order.model_validate(data)


def bundle_order() -> Order:
    """PAKET-KAOS-3 = 3 × KAOS-HITAM-M at 155,400 (case R4)."""
    return order(item("PAKET-KAOS-3", 1, "155400", bundleSkus=[{"masterSku": "KAOS-HITAM-M", "quantity": 3}]))


def test_a_return_naming_one_component_of_a_bundle_returns_that_component_at_its_invoiced_price() -> None:
    returned = with_returns(
        bundle_order(),
        {
            "returnId": "RT-1",
            "createAt": "2026-03-20T03:00:00Z",
            "refundAmount": "51800",
            "items": [
                {"itemId": "IT-PAKET-KAOS-3", "masterSku": "KAOS-HITAM-M", "quantity": 1, "refundAmount": "51800"}
            ],
        },
    )

    [sales_return] = plan_sales_returns(
        returned, store(explode_bundles=True), PostedDocuments(invoice_number=INVOICE), {"KAOS-HITAM-M": rp(55500)}
    )

    assert [(line.item_no, line.quantity, line.unit_price) for line in sales_return.detail_item] == [
        ("KAOS-HITAM-M", 1, rp(51800))
    ]
    amounts = document_amounts(sales_return, PPN)
    assert (amounts.receivable, amounts.revenue, amounts.ppn) == (rp(51800), rp(46667), rp(5133))


def test_a_return_naming_the_bundle_still_returns_whole_bundles() -> None:
    returned = with_returns(
        bundle_order(),
        {"returnId": "RT-1", "items": [{"itemId": "IT-PAKET-KAOS-3", "masterSku": "PAKET-KAOS-3", "quantity": 1}]},
    )

    [sales_return] = plan_sales_returns(returned, store(explode_bundles=True), PostedDocuments(invoice_number=INVOICE))

    assert [(line.item_no, line.quantity) for line in sales_return.detail_item] == [("KAOS-HITAM-M", 3)]


def test_an_exchange_with_refund_zero_credits_nothing_and_is_not_numbered() -> None:
    exchange = {
        "returnId": "RT-X",
        "reason": "EXCHANGE",
        "refundAmount": "0",
        "items": [{"itemId": "IT-KAOS", "masterSku": "KAOS", "quantity": 1, "refundAmount": "0"}],
    }
    refunded = {**exchange, "returnId": "RT-Y", "refundAmount": "55500"}
    sold = with_returns(order(item("KAOS", 1, "55500")), exchange)

    assert is_exchange(sold.return_infos[0])
    assert ordered_returns(sold) == []
    assert plan_sales_returns(sold, store(), PostedDocuments(invoice_number="TP-1")) == []
    # An "exchange" that refunds money is a return like any other
    assert not is_exchange(with_returns(order(item("KAOS", 1, "55500")), refunded).return_infos[0])


def test_a_line_gone_after_the_invoice_is_returned_at_its_invoiced_price_into_the_warehouse_it_left() -> None:
    # Given an invoice of KAOS 55,500 + BOTOL 38,850, and Ginee's order now has only the KAOS line (case R1)
    invoiced = [Line("KAOS-HITAM-M", 1, rp(55500)), Line("BOTOL-750", 1, rp(38850))]
    now = order(item("KAOS-HITAM-M", 1, "55500"))
    shop = store()

    correction = plan_change_return(now, shop, "SP-251001PCAN01", invoiced, [], 1, WHEN)

    assert correction is not None and correction.number == "SP-251001PCAN01-K1"
    assert [(line.item_no, line.quantity, line.unit_price, line.warehouse_name) for line in correction.detail_item] == [
        ("BOTOL-750", 1, rp(38850), "Gudang Jakarta")
    ]
    assert document_amounts(correction, PPN).receivable == rp(38850)
    # And once that correction is posted, nothing more is gone
    assert units_gone(now, shop, invoiced, [Line("BOTOL-750", 1, rp(38850))]) == {}
    assert (
        plan_change_return(now, shop, "SP-251001PCAN01", invoiced, [Line("BOTOL-750", 1, rp(38850))], 2, WHEN) is None
    )


def test_a_quantity_lowered_after_the_invoice_gives_back_its_share_of_the_discount() -> None:
    invoiced = [Line("KAOS-HITAM-M", 3, rp(55500), discount=rp(5550))]
    now = order(item("KAOS-HITAM-M", 2, "55500", "53650"))

    correction = plan_change_return(now, store(), "TP-1", invoiced, [], 1, WHEN)

    assert correction is not None
    [line] = correction.detail_item
    assert (line.quantity, line.item_cash_discount) == (1, rp(1850))
