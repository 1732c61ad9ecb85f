"""Specification: a return is what it refunds (issue 16, build item 3; docs/POSTING.md §8, §8d).

A return's refund is compared with the invoiced value of what it names: within the rounding leftover (a rupiah a
unit) it is posted at the refunded amount; a refund that is the value of some units of one component of the
bundle line it names returns those units; any other refund holds the order with both figures. A bundle the
invoice carries as one line cannot be returned in part: it is held ``bundle_component_return``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from posting_builders import item, order, rp, store, worked_example_order

from omsync.errors import OnHold
from omsync.ginee.models import Order
from omsync.posting.amounts import document_amounts
from omsync.posting.returns import PostedDocuments, plan_sales_returns, refund_matches

PPN = Decimal("0.11")
INVOICED = PostedDocuments(invoice_number="SP-251004BNDL01")
SHIRTS: dict[str, Any] = {"bundleSkus": [{"masterSku": "KAOS-HITAM-M", "quantity": 3}]}


def with_return(base: Order, *lines: dict[str, Any], refund: int = 0) -> Order:
    data = base.model_dump(by_alias=True)
    data["returnInfos"] = [
        {"returnId": "RT-1", "createAt": "2025-10-06T03:00:00Z", "refundAmount": refund, "items": list(lines)}
    ]
    return Order.model_validate(data)


def bundle_order() -> Order:
    """Case R4: PAKET-KAOS-3 = 3 × KAOS-HITAM-M, one bundle at 155,400."""
    return order(item("PAKET-KAOS-3", 1, "155400", itemId="IT-BNDL", **SHIRTS))


class TestTheRoundingLeftover:
    def test_a_refund_within_a_rupiah_a_unit_of_the_invoiced_value_is_that_value(self) -> None:
        assert refund_matches(rp(53650), rp(53650), 1)
        assert refund_matches(rp(107299), rp(107300), 2) and refund_matches(rp(107302), rp(107300), 2)
        assert not refund_matches(rp(107297), rp(107300), 2)
        assert not refund_matches(rp(50000), rp(53650), 1)


class TestARefundIsTheValueOfWhatItNames:
    """Given the DESIGN §1 invoice (3 × 55,500, seller discount 5,550: one unit's value 53,650)."""

    def test_a_refund_equal_to_the_value_is_posted_as_invoiced(self) -> None:
        sold = with_return(worked_example_order(), {"itemId": "IT-SKU-B", "quantity": 1, "refundAmount": 53650})

        [sales_return] = plan_sales_returns(sold, store(), INVOICED)

        [line] = sales_return.detail_item
        assert (line.quantity, line.unit_price, line.item_cash_discount) == (1, 55500, 1850)
        assert document_amounts(sales_return, PPN).receivable == rp(53650)

    def test_a_refund_a_rupiah_off_is_posted_at_the_refunded_amount(self) -> None:
        sold = with_return(worked_example_order(), {"itemId": "IT-SKU-B", "quantity": 1, "refundAmount": 53649})

        [sales_return] = plan_sales_returns(sold, store(), INVOICED)

        assert sales_return.detail_item[0].item_cash_discount == 1851
        amounts = document_amounts(sales_return, PPN)
        assert (amounts.receivable, amounts.revenue, amounts.ppn) == (rp(53649), rp(48332), rp(5317))

    def test_the_returns_refund_stands_for_its_only_line(self) -> None:
        sold = with_return(worked_example_order(), {"itemId": "IT-SKU-B", "quantity": 1}, refund=53651)

        [sales_return] = plan_sales_returns(sold, store(), INVOICED)

        assert document_amounts(sales_return, PPN).receivable == rp(53651)

    def test_a_refund_that_is_not_the_value_is_held_with_both_figures(self) -> None:
        sold = with_return(worked_example_order(), {"itemId": "IT-SKU-B", "quantity": 1, "refundAmount": 27000})

        with pytest.raises(OnHold) as held:
            plan_sales_returns(sold, store(), INVOICED)

        assert held.value.cause == "refund_unmatched"
        assert "refunds 27,000" in held.value.reason and "53,650" in held.value.reason, held.value.reason
        assert held.value.hint

    def test_a_return_stating_no_refund_is_posted_at_the_invoiced_value(self) -> None:
        sold = with_return(worked_example_order(), {"itemId": "IT-SKU-B", "quantity": 1})

        [sales_return] = plan_sales_returns(sold, store(), INVOICED)

        assert document_amounts(sales_return, PPN).receivable == rp(53650)


class TestPartOfAnExplodedBundle:
    """Given case R4 in a store that explodes bundles: invoiced as KAOS-HITAM-M 3 × 51,800."""

    def test_a_return_naming_the_bundle_that_refunds_one_shirt_returns_one_shirt(self) -> None:
        sold = with_return(
            bundle_order(), {"itemId": "IT-BNDL", "masterSku": "PAKET-KAOS-3", "quantity": 1, "refundAmount": 51800}
        )

        [sales_return] = plan_sales_returns(sold, store(explode_bundles=True), INVOICED)

        assert [(line.item_no, line.quantity, line.unit_price) for line in sales_return.detail_item] == [
            ("KAOS-HITAM-M", 1, 51800)
        ]
        amounts = document_amounts(sales_return, PPN)
        assert (amounts.receivable, amounts.revenue, amounts.ppn) == (rp(51800), rp(46667), rp(5133))

    def test_a_return_naming_the_bundle_that_refunds_it_whole_returns_every_shirt(self) -> None:
        sold = with_return(
            bundle_order(), {"itemId": "IT-BNDL", "masterSku": "PAKET-KAOS-3", "quantity": 1, "refundAmount": 155400}
        )

        [sales_return] = plan_sales_returns(sold, store(explode_bundles=True), INVOICED)

        assert [(line.item_no, line.quantity) for line in sales_return.detail_item] == [("KAOS-HITAM-M", 3)]

    def test_a_refund_that_is_no_number_of_shirts_is_held(self) -> None:
        sold = with_return(
            bundle_order(), {"itemId": "IT-BNDL", "masterSku": "PAKET-KAOS-3", "quantity": 1, "refundAmount": 70000}
        )

        with pytest.raises(OnHold) as held:
            plan_sales_returns(sold, store(explode_bundles=True), INVOICED)

        assert held.value.cause == "refund_unmatched"
        assert "70,000" in held.value.reason and "155,400" in held.value.reason, held.value.reason

    def test_a_named_shirt_whose_refund_is_two_shirts_is_held_never_read_as_two(self) -> None:
        sold = with_return(
            bundle_order(), {"itemId": "IT-BNDL", "masterSku": "KAOS-HITAM-M", "quantity": 1, "refundAmount": 103600}
        )

        with pytest.raises(OnHold) as held:
            plan_sales_returns(sold, store(explode_bundles=True), INVOICED)

        assert held.value.cause == "refund_unmatched" and "51,800" in held.value.reason


class TestPartOfABundleInvoicedAsOneLine:
    """Given case R4 in a store that does not explode bundles: invoiced as PAKET-KAOS-3 × 1 at 155,400."""

    def test_one_shirt_back_is_held_with_the_figures(self) -> None:
        sold = with_return(
            bundle_order(), {"itemId": "IT-BNDL", "masterSku": "KAOS-HITAM-M", "quantity": 1, "refundAmount": 51800}
        )

        with pytest.raises(OnHold) as held:
            plan_sales_returns(sold, store(), INVOICED)

        assert held.value.cause == "bundle_component_return"
        reason = held.value.reason
        assert "KAOS-HITAM-M × 1 (refund 51,800)" in reason and "KAOS-HITAM-M × 3 (155,400)" in reason, reason
        assert "§8d" in held.value.hint

    def test_the_bundle_named_with_a_shirts_refund_is_held(self) -> None:
        sold = with_return(bundle_order(), {"masterSku": "PAKET-KAOS-3", "quantity": 1, "refundAmount": 51800})

        with pytest.raises(OnHold) as held:
            plan_sales_returns(sold, store(), INVOICED)

        assert held.value.cause == "bundle_component_return"

    def test_the_whole_bundle_back_at_its_price_is_a_return_of_the_bundle_line(self) -> None:
        sold = with_return(bundle_order(), {"masterSku": "PAKET-KAOS-3", "quantity": 1, "refundAmount": 155400})

        [sales_return] = plan_sales_returns(sold, store(), INVOICED)

        assert [(line.item_no, line.quantity) for line in sales_return.detail_item] == [("PAKET-KAOS-3", 1)]
        assert document_amounts(sales_return, PPN).receivable == rp(155400)
