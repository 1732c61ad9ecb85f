"""Specification: a return posts by its real life (issue 17, build item 3; docs/POSTING.md §8c).

Only a return accepted and completed with its goods back is a Sales Return and restocks; a rejected or
cancelled one posts nothing; an open one waits; a refund-only one posts no Sales Return (its refund follows
the payout's ``refund_without_return`` rule). The Sales Return is dated when the goods were received.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from posting_builders import store, worked_example_order

from omsync.errors import OnHold
from omsync.ginee.models import Order, ReturnInfo
from omsync.posting.receipts import owed, plan_estimate_receipt
from omsync.posting.returns import (
    PostedDocuments,
    ReturnOutcome,
    plan_exchange_moves,
    plan_sales_returns,
    return_outcome,
    returns_to_post,
)

INVOICED = PostedDocuments(invoice_number="TP-INV/20260315/1001")


def with_returns(*returns: dict[str, Any]) -> Order:
    data = worked_example_order().model_dump(by_alias=True)
    data["returnInfos"] = list(returns)
    return Order.model_validate(data)


def a_return(return_id: str, status: str, return_type: str = "RETURN_REFUND", **times: str) -> dict[str, Any]:
    return {
        "returnId": return_id,
        "status": status,
        "returnType": return_type,
        "createAt": "2026-03-20T03:00:00Z",
        **times,
        "items": [{"itemId": "IT-SKU-B", "masterSku": "SKU-B", "quantity": 1}],
    }


@pytest.mark.parametrize(
    ("status", "return_type", "outcome"),
    [
        ("COMPLETED", "RETURN_REFUND", ReturnOutcome.GOODS_BACK),
        ("COMPLETED", "REFUND_ONLY", ReturnOutcome.REFUND_ONLY),
        ("REJECTED", "RETURN_REFUND", ReturnOutcome.REJECTED),
        ("CANCELLED", "REFUND_ONLY", ReturnOutcome.REJECTED),
        ("REQUESTED", "RETURN_REFUND", ReturnOutcome.OPEN),
    ],
)
def test_a_returns_outcome_follows_its_status_and_type(status: str, return_type: str, outcome: ReturnOutcome) -> None:
    assert return_outcome(ReturnInfo.model_validate(a_return("RT-1", status, return_type))) is outcome


@pytest.mark.parametrize("status", ["REJECTED", "CANCELLED", "REQUESTED"])
def test_a_return_not_completed_posts_nothing_and_leaves_the_invoice_owed(status: str) -> None:
    order = with_returns(a_return("RT-1", status))

    assert plan_sales_returns(order, store(), INVOICED) == []
    assert returns_to_post(order) == []
    assert owed(order, store()).outstanding == owed(with_returns(), store()).outstanding


def test_a_refund_only_return_posts_no_sales_return_so_no_goods_come_back() -> None:
    order = with_returns(a_return("RT-1", "COMPLETED", "REFUND_ONLY", refundAt="2026-03-21T03:00:00Z"))

    assert plan_sales_returns(order, store(), INVOICED) == []
    # What the receipt expects is not reduced: the refund is the payout's refund_without_return (§17)
    assert owed(order, store()).returned == 0


def test_an_accepted_return_is_dated_when_its_goods_were_received_not_when_it_was_asked() -> None:
    order = with_returns(a_return("RT-1", "COMPLETED", receivedAt="2026-03-24T03:00:00Z"))

    [sales_return] = plan_sales_returns(order, store(), INVOICED)

    assert sales_return.trans_date == date(2026, 3, 24)
    assert sales_return.detail_item[0].warehouse_name == "Gudang Retur"


def test_a_rejected_return_keeps_its_number_unused_so_a_later_one_is_never_renumbered() -> None:
    rejected = a_return("RT-1", "REJECTED")
    accepted = {**a_return("RT-2", "COMPLETED"), "createAt": "2026-03-22T03:00:00Z"}

    [sales_return] = plan_sales_returns(with_returns(rejected, accepted), store(), INVOICED)

    assert sales_return.number == "TP-INV/20260315/1001-R2"


def test_a_refund_only_return_holds_the_estimated_receipt_refund_without_return() -> None:
    refunded = {**a_return("RT-1", "COMPLETED", "REFUND_ONLY", refundAt="2026-03-21T03:00:00Z"), "refundAmount": 20000}
    order = with_returns(refunded)

    with pytest.raises(OnHold) as held:
        plan_estimate_receipt(order, store())

    assert held.value.cause == "refund_without_return"
    assert "RT-1 refunded 20,000 while the buyer kept the goods" in str(held.value)


@pytest.mark.parametrize(("status", "moves"), [("COMPLETED", 1), ("REJECTED", 0), ("REQUESTED", 0)])
def test_only_an_exchange_completed_with_its_unit_back_moves_stock(status: str, moves: int) -> None:
    exchange = {**a_return("RX-1", status), "reason": "EXCHANGE", "refundAmount": "0"}

    planned = plan_exchange_moves(with_returns(exchange), store(), INVOICED.invoice_number or "")

    assert len(planned) == moves
