"""Specification: a cancelled order leaves the books by the store's rule (docs/POSTING.md §7)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from posting_builders import order, rp, store, worked_example_order

from omsync.ginee.models import Order
from omsync.posting.amounts import document_amounts
from omsync.posting.cancellation import CANCELLATION_RETURN_ID, CancellationAction, plan_cancellation
from omsync.posting.returns import PostedDocuments, PostedReturn

PPN = Decimal("0.11")
INVOICE_NO = "TP-INV/20260315/1001"


def cancelled(base: Order | None = None, **changes: Any) -> Order:
    data = (base or worked_example_order()).model_dump(by_alias=True)
    data.update(
        orderStatus="CANCELLED", cancelInfo={"cancelReason": "CUSTOMER_PROBLEM", "cancelAt": "2026-03-16T02:00:00Z"}
    )
    data.update(changes)
    return Order.model_validate(data)


class TestCancelledBeforeInvoicing:
    def test_nothing_is_posted_and_the_order_is_tombstoned(self) -> None:
        plan = plan_cancellation(cancelled(), store(), PostedDocuments())

        assert plan.action is CancellationAction.TOMBSTONE
        assert plan.sales_return is None

    def test_a_tombstoned_order_needs_nothing_more(self) -> None:
        plan = plan_cancellation(cancelled(), store(), PostedDocuments(tombstone=True))

        assert plan.action is CancellationAction.NOTHING


class TestCancelledAfterTheInvoice:
    def test_rule_delete_deletes_the_unpaid_invoice(self) -> None:
        plan = plan_cancellation(cancelled(), store(), PostedDocuments(invoice_number=INVOICE_NO))

        assert (plan.action, plan.invoice_number) == (CancellationAction.DELETE_INVOICE, INVOICE_NO)

    def test_rule_sales_return_returns_everything_at_the_invoiced_amounts(self) -> None:
        plan = plan_cancellation(
            cancelled(), store(cancellation="sales_return"), PostedDocuments(invoice_number=INVOICE_NO)
        )

        assert plan.action is CancellationAction.RETURN_EVERYTHING
        assert plan.sales_return is not None
        assert plan.sales_return.number == "TP-INV/20260315/1001-RC"
        [line] = plan.sales_return.detail_item
        assert (line.quantity, line.unit_price, line.item_cash_discount) == (3, 55500, 5550)
        assert line.warehouse_name == "Gudang Jakarta"
        amounts = document_amounts(plan.sales_return, PPN)
        assert (amounts.receivable, amounts.revenue, amounts.ppn) == (rp(160950), rp(145000), rp(15950))
        assert plan.reverse_money is False

    def test_when_accurate_refuses_the_delete_everything_is_returned_instead(self) -> None:
        plan = plan_cancellation(cancelled(), store(), PostedDocuments(invoice_number=INVOICE_NO), delete_refused=True)

        assert plan.action is CancellationAction.RETURN_EVERYTHING

    def test_after_the_receipt_everything_is_returned_and_the_money_must_be_reversed(self) -> None:
        posted = PostedDocuments(invoice_number=INVOICE_NO, receipt_number="TP-RCPT-1")

        plan = plan_cancellation(cancelled(), store(), posted)

        assert (plan.action, plan.reverse_money) == (CancellationAction.RETURN_EVERYTHING, True)

    def test_a_posted_cancellation_return_is_not_posted_twice(self) -> None:
        posted = PostedDocuments(
            invoice_number=INVOICE_NO, returns=(PostedReturn(CANCELLATION_RETURN_ID, INVOICE_NO + "-RC"),)
        )

        plan = plan_cancellation(cancelled(), store(cancellation="sales_return"), posted)

        assert plan.action is CancellationAction.NOTHING

    def test_after_a_partial_return_only_the_rest_is_returned(self) -> None:
        partly_returned = cancelled(
            returnInfos=[
                {
                    "returnId": "RT-1",
                    "createAt": "2026-03-15T20:00:00Z",
                    "items": [{"itemId": "IT-SKU-B", "quantity": 1}],
                }
            ]
        )
        posted = PostedDocuments(invoice_number=INVOICE_NO, returns=(PostedReturn("RT-1", INVOICE_NO + "-R1"),))

        plan = plan_cancellation(partly_returned, store(), posted)

        assert plan.action is CancellationAction.RETURN_EVERYTHING
        assert plan.sales_return is not None
        [line] = plan.sales_return.detail_item
        assert (line.quantity, line.item_cash_discount) == (2, 3700)
        assert document_amounts(plan.sales_return, PPN).receivable == rp(107300)

    def test_an_order_with_no_lines_left_needs_nothing(self) -> None:
        fully_returned = cancelled(
            order(),
            items=worked_example_order().model_dump(by_alias=True)["items"],
            returnInfos=[{"returnId": "RT-1", "items": [{"itemId": "IT-SKU-B", "quantity": 3}]}],
        )
        posted = PostedDocuments(invoice_number=INVOICE_NO, returns=(PostedReturn("RT-1", INVOICE_NO + "-R1"),))

        plan = plan_cancellation(fully_returned, store(), posted)

        assert plan.action is CancellationAction.NOTHING
