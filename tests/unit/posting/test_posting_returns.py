"""Specification: returned lines become Sales Returns against the invoice (docs/POSTING.md §8–§9)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from posting_builders import item, order, rp, store, worked_example_order

from omsync.errors import OnHold
from omsync.ginee.models import Order
from omsync.posting.amounts import document_amounts
from omsync.posting.invoice import plan_sales_invoice
from omsync.posting.returns import PostedDocuments, PostedReturn, plan_sales_returns

PPN = Decimal("0.11")
INVOICED = PostedDocuments(invoice_number="TP-INV/20260315/1001")


def returned(base: Order, *returns: dict[str, Any]) -> Order:
    data = base.model_dump(by_alias=True)
    data["returnInfos"] = list(returns)
    data["orderStatus"] = "RETURNED"
    return Order.model_validate(data)


def a_return(return_id: str, created: str, *lines: tuple[str, int]) -> dict[str, Any]:
    return {
        "returnId": return_id,
        "createAt": created,
        "items": [{"itemId": f"IT-{sku}", "masterSku": sku, "quantity": qty} for sku, qty in lines],
    }


class TestPartialReturnOfTheWorkedExample:
    """Given the DESIGN §1 invoice (3 × 55,500, seller discount 5,550 → Piutang 160,950)."""

    def test_one_unit_returned_gives_back_a_third_of_the_discount_and_its_ppn(self) -> None:
        sold = returned(worked_example_order(), a_return("RT-1", "2026-03-20T03:00:00Z", ("SKU-B", 1)))

        [sales_return] = plan_sales_returns(sold, store(), INVOICED)

        [line] = sales_return.detail_item
        assert (line.item_no, line.quantity, line.unit_price, line.item_cash_discount) == ("SKU-B", 1, 55500, 1850)
        amounts = document_amounts(sales_return, PPN)
        assert (amounts.receivable, amounts.revenue, amounts.ppn) == (rp(53650), rp(48333), rp(5317))

    def test_the_return_is_numbered_after_the_invoice_and_goes_into_the_return_warehouse(self) -> None:
        sold = returned(worked_example_order(), a_return("RT-1", "2026-03-20T03:00:00Z", ("SKU-B", 1)))

        [sales_return] = plan_sales_returns(sold, store(), INVOICED)

        assert sales_return.number == "TP-INV/20260315/1001-R1"
        assert (sales_return.return_type, sales_return.invoice_number) == ("INVOICE", "TP-INV/20260315/1001")
        assert sales_return.detail_item[0].warehouse_name == "Gudang Retur"
        assert sales_return.trans_date == date(2026, 3, 20)
        assert sales_return.customer_no == "C-TOKOPEDIA"

    def test_two_returns_together_give_back_exactly_the_invoice(self) -> None:
        sold = returned(
            worked_example_order(),
            a_return("RT-1", "2026-03-20T03:00:00Z", ("SKU-B", 1)),
            a_return("RT-2", "2026-03-22T03:00:00Z", ("SKU-B", 2)),
        )

        first, second = plan_sales_returns(sold, store(), INVOICED)

        assert (first.number, second.number) == ("TP-INV/20260315/1001-R1", "TP-INV/20260315/1001-R2")
        assert second.detail_item[0].item_cash_discount == 3700
        one, two = document_amounts(first, PPN), document_amounts(second, PPN)
        assert (two.receivable, two.revenue, two.ppn) == (rp(107300), rp(96667), rp(10633))
        assert (one.receivable + two.receivable, one.revenue + two.revenue, one.ppn + two.ppn) == (
            rp(160950),
            rp(145000),
            rp(15950),
        )

    def test_a_return_already_in_the_ledger_is_not_planned_again_and_keeps_the_numbering(self) -> None:
        sold = returned(
            worked_example_order(),
            a_return("RT-2", "2026-03-22T03:00:00Z", ("SKU-B", 2)),
            a_return("RT-1", "2026-03-20T03:00:00Z", ("SKU-B", 1)),
        )
        posted = PostedDocuments(
            invoice_number=INVOICED.invoice_number, returns=(PostedReturn("RT-1", "TP-INV/20260315/1001-R1"),)
        )

        [second] = plan_sales_returns(sold, store(), posted)

        assert second.number == "TP-INV/20260315/1001-R2"
        assert second.detail_item[0].item_cash_discount == 3700


class TestReturnGuards:
    def test_nothing_is_returned_for_an_order_that_was_never_invoiced(self) -> None:
        sold = returned(worked_example_order(), a_return("RT-1", "2026-03-20T03:00:00Z", ("SKU-B", 1)))

        assert plan_sales_returns(sold, store(), PostedDocuments()) == []

    def test_a_return_of_more_units_than_are_left_is_held_with_the_figures_never_capped(self) -> None:
        sold = returned(
            worked_example_order(),
            a_return("RT-1", "2026-03-20T03:00:00Z", ("SKU-B", 2)),
            a_return("RT-2", "2026-03-21T03:00:00Z", ("SKU-B", 5)),
        )

        with pytest.raises(OnHold) as held:
            plan_sales_returns(sold, store(), INVOICED)

        assert held.value.cause == "refund_unmatched"
        assert "RT-2" in held.value.reason and "SKU-B × 5" in held.value.reason and "SKU-B × 3" in held.value.reason

    def test_a_return_naming_no_line_of_the_invoice_is_held(self) -> None:
        sold = returned(worked_example_order(), a_return("RT-1", "2026-03-20T03:00:00Z", ("SKU-Z", 1)))

        with pytest.raises(OnHold) as held:
            plan_sales_returns(sold, store(), INVOICED)

        assert held.value.cause == "refund_unmatched" and "SKU-Z × 1" in held.value.reason
        assert held.value.hint

    def test_a_refund_with_no_returned_line_is_held(self) -> None:
        no_lines = a_return("RT-1", "2026-03-20T03:00:00Z")
        no_lines["refundAmount"] = 20000
        sold = returned(worked_example_order(), no_lines)

        with pytest.raises(OnHold) as held:
            plan_sales_returns(sold, store(), INVOICED)

        assert held.value.cause == "refund_unmatched" and "20,000" in held.value.reason

    def test_a_return_without_line_id_is_matched_by_sku_over_the_lines_with_units_left(self) -> None:
        two_lines_one_sku = order(item("A", 1, "55500"), item("A", 1, "55500", itemId="IT-A-2"))
        by_sku = {"returnId": "RT-1", "createAt": "2026-03-20T03:00:00Z", "items": [{"masterSku": "A", "quantity": 2}]}
        sold = returned(two_lines_one_sku, by_sku)

        [sales_return] = plan_sales_returns(sold, store(), INVOICED)

        assert [(line.item_no, line.quantity) for line in sales_return.detail_item] == [("A", 1), ("A", 1)]

    def test_only_the_returned_line_of_a_two_line_order_comes_back(self) -> None:
        two_lines = order(item("A", 1, "111000"), item("B", 2, "22200"))
        sold = returned(two_lines, a_return("RT-1", "2026-03-20T03:00:00Z", ("B", 1)))

        [sales_return] = plan_sales_returns(sold, store(), INVOICED)

        assert [(line.item_no, line.quantity) for line in sales_return.detail_item] == [("B", 1)]
        amounts = document_amounts(sales_return, PPN)
        assert (amounts.receivable, amounts.revenue, amounts.ppn) == (rp(22200), rp(20000), rp(2200))

    def test_without_a_return_warehouse_goods_go_back_where_they_left(self) -> None:
        sold = returned(worked_example_order(), a_return("RT-1", "2026-03-20T03:00:00Z", ("SKU-B", 1)))

        [sales_return] = plan_sales_returns(sold, store(return_warehouse=None), INVOICED)

        assert sales_return.detail_item[0].warehouse_name == "Gudang Jakarta"

    def test_an_exploded_bundle_returns_its_components_share(self) -> None:
        bundle: dict[str, Any] = {
            "bundleSkus": [{"masterSku": "MUG", "quantity": 2}, {"masterSku": "TEA", "quantity": 1}]
        }
        sold = returned(
            order(item("GIFTSET", 2, "100000", **bundle)),
            a_return("RT-1", "2026-03-20T03:00:00Z", ("GIFTSET", 1)),
        )
        shop = store(explode_bundles=True)
        prices = {"MUG": rp(30000), "TEA": rp(40000)}

        [sales_return] = plan_sales_returns(sold, shop, INVOICED, prices)

        assert [(line.item_no, line.quantity) for line in sales_return.detail_item] == [("MUG", 2), ("TEA", 1)]
        assert document_amounts(sales_return, PPN).receivable == rp(100000)
        assert document_amounts(plan_sales_invoice(sold, shop, prices), PPN).receivable == rp(200000)


class TestKnownLimit:
    def test_a_line_returned_in_three_parts_can_carry_one_rupiah_more_ppn_than_the_invoice(self) -> None:
        """docs/POSTING.md §8 "Known limit": Piutang adds up exactly, PPN is each return's own."""
        sold = returned(
            worked_example_order(),
            a_return("RT-1", "2026-03-20T03:00:00Z", ("SKU-B", 1)),
            a_return("RT-2", "2026-03-21T03:00:00Z", ("SKU-B", 1)),
            a_return("RT-3", "2026-03-22T03:00:00Z", ("SKU-B", 1)),
        )

        amounts = [document_amounts(ret, PPN) for ret in plan_sales_returns(sold, store(), INVOICED)]

        assert [
            a.item_cash_discount for ret in plan_sales_returns(sold, store(), INVOICED) for a in ret.detail_item
        ] == [
            1850,
            1850,
            1850,
        ]
        assert sum(a.receivable for a in amounts) == rp(160950)
        assert sum(a.ppn for a in amounts) == rp(15951)
        assert sum(a.revenue for a in amounts) == rp(144999)
