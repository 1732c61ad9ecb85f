"""Specification: money the marketplace keeps is booked (issue 17, build item 5; docs/POSTING.md §12).

- An order whose goods all came back owes nothing; the marketplace gives most fees back with the refund but keeps
  the order processing fee (Rp1,250 per shipped order, not refunded on a return after shipping: reference/
  ginee-api.md §5.1–§5.2). The store's ``fees_kept_on_return`` says which kinds it keeps; they leave the
  marketplace balance by the order's fees journal ``<invoice>-PF``, when it is RETURNED or COMPLETED.
- A payout file that later shows that order's row of fees books only what differs from the journal.
- The per-order tolerance is the rounding leftover, Rp1 (tests in test_posting_receipts / _payout_lines).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from posting_builders import ACCOUNTS, rp, store, worked_example_order
from pydantic import ValidationError

from omsync.accurate.documents import JournalVoucher
from omsync.ginee.models import Order
from omsync.payouts.model import Payout, PayoutLine
from omsync.posting.receipts import (
    ESTIMATE_SOURCE,
    Owed,
    SettledOrder,
    plan_estimate_fees_journal,
    plan_payout,
)

RECEIVED_AT = "2026-03-22T18:30:00Z"  # 23/03 in Jakarta


def returned_in_full(status: str = "RETURNED", **fields: Any) -> Order:
    """DESIGN §1's order (commission 9,657, order processing 1,250, payment 1,000) with its 3 units back."""
    base = worked_example_order()
    data = base.model_dump(by_alias=True, mode="json")
    data["orderStatus"] = status
    data["returnInfos"] = [
        {
            "returnId": "RT-1",
            "status": "COMPLETED",
            "returnType": "RETURN_REFUND",
            "createAt": "2026-03-20T02:00:00Z",
            "receivedAt": RECEIVED_AT,
            "refundAt": RECEIVED_AT,
            "refundAmount": "160950",
            "items": [{"itemId": "IT-SKU-B", "masterSku": "SKU-B", "quantity": 3, "refundAmount": "160950"}],
        }
    ]
    data.update(fields)
    return Order.model_validate(data)


def debits(journal: JournalVoucher) -> dict[tuple[str, str], Decimal]:
    return {(line.account_no, line.amount_type): line.amount for line in journal.detail_journal_voucher}


def test_an_order_returned_in_full_books_only_the_fee_the_marketplace_keeps_dated_when_the_goods_came_back() -> None:
    planned = plan_estimate_fees_journal(returned_in_full(), store())

    # Then the order processing fee alone (the commission and payment fee came back with the refund)
    assert planned is not None and isinstance(planned.receipt, JournalVoucher)
    assert planned.receipt.number == "TP-INV/20260315/1001-PF"
    assert debits(planned.receipt) == {
        (ACCOUNTS["order_processing"], "DEBIT"): rp(1250),
        (ACCOUNTS["marketplace_balance"], "CREDIT"): rp(1250),
    }
    assert planned.receipt.trans_date.isoformat() == "2026-03-23"
    assert (planned.entry.payment, planned.entry.cheque) == (rp(0), rp(-1250))


def test_with_fee_tax_invoices_the_kept_fee_splits_off_its_ppn() -> None:
    taxed = store(
        tax={"pkp": True, "tax_name": "PPN", "fee_tax_invoices": True},
        accounts={**ACCOUNTS, "input_tax": "1-1401"},
    )
    planned = plan_estimate_fees_journal(returned_in_full(), taxed)

    assert planned is not None and isinstance(planned.receipt, JournalVoucher)
    assert debits(planned.receipt) == {
        (ACCOUNTS["order_processing"], "DEBIT"): rp(1126),
        ("1-1401", "DEBIT"): rp(124),
        (ACCOUNTS["marketplace_balance"], "CREDIT"): rp(1250),
    }


def test_a_store_whose_marketplace_keeps_more_lists_those_kinds() -> None:
    keeps_commission = store(fees_kept_on_return=["commission", "order_processing"])
    planned = plan_estimate_fees_journal(
        returned_in_full("COMPLETED", closeAt="2026-03-24T03:00:00Z"), keeps_commission
    )

    assert planned is not None and isinstance(planned.receipt, JournalVoucher)
    assert debits(planned.receipt)[(ACCOUNTS["marketplace_balance"], "CREDIT")] == rp(9657 + 1250)
    assert planned.receipt.trans_date.isoformat() == "2026-03-24"  # a completed order: its completion day


def test_a_store_whose_marketplace_keeps_nothing_books_nothing() -> None:
    assert plan_estimate_fees_journal(returned_in_full(), store(fees_kept_on_return=[])) is None


def test_fees_kept_on_return_names_fee_kinds_only() -> None:
    with pytest.raises(ValidationError, match="fees_kept_on_return names ongkir, which is no fee kind"):
        store(fees_kept_on_return=["ongkir"])


def test_the_default_tolerance_is_the_rounding_leftover_one_rupiah() -> None:
    assert store().settlement_tolerance == rp(1)


def test_a_payout_row_of_the_kept_fee_after_the_fees_journal_books_only_the_difference() -> None:
    # Given the order's -PF booked 1,250 of order processing; the payout file later charges 1,250 and 500 of
    # seller shipping for it (a row of no item value)
    journal = plan_estimate_fees_journal(returned_in_full(), store())
    assert journal is not None
    settled = SettledOrder(
        "SO-1001",
        Owed("TP-INV/20260315/1001", rp(0), rp(0), returned=rp(160950)),
        receipt_source=ESTIMATE_SOURCE,
        estimate=journal.entry,
    )
    row = PayoutLine(
        "INV/20260315/1001", rp(0), {"order_processing": rp(1250), "shipping_difference": rp(500)}, rp(-1750), 2
    )
    plan = plan_payout(
        Payout("STMT-9", journal.receipt.trans_date, rp(-1750), (row,), "tiktok"), store(), {row.order_sn: settled}
    )

    # Then the payout's journal books the 500 the -PF did not, and not the 1,250 again
    assert not plan.problems and plan.receipt is None
    assert plan.journal is not None
    assert debits(plan.journal) == {
        (ACCOUNTS["shipping_difference"], "DEBIT"): rp(500),
        (ACCOUNTS["marketplace_balance"], "CREDIT"): rp(500),
    }
