"""Specification: the store's rules for order input the seller can fix (issue 16, build item 5).

- ``zero_quantity_lines``: a line of quantity 0 is left out of the invoice (default), or holds the order;
- ``voucher_above_price``: a seller voucher above its line's price holds the order with the figures (default),
  or the line is invoiced at 0 and the excess is an expense at settlement (docs/POSTING.md §2).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from posting_builders import ACCOUNTS, item, order, rp, store
from pydantic import ValidationError

from omsync.accurate.documents import JournalVoucher
from omsync.config.mapping import StoreMapping
from omsync.errors import OnHold
from omsync.ginee.models import Order
from omsync.posting.amounts import document_amounts
from omsync.posting.invoice import plan_sales_invoice, seller_voucher_excess
from omsync.posting.receipts import plan_estimate_fees_journal, plan_estimate_receipt

VOUCHER_EXCESS = "6-2010"


def expensing_store() -> StoreMapping:
    return store(voucher_above_price="expense", accounts={**ACCOUNTS, "seller_voucher_excess": VOUCHER_EXCESS})


def completed(source: Order) -> Order:
    assert source.pay_at is not None
    return source.model_copy(update={"order_status": "COMPLETED", "close_at": source.pay_at.replace(day=18)})


def r7_order(**payment: str) -> Order:
    """Case R7: BOTOL-750 at 38,850 with a seller voucher of 45,000 (the excess is 6,150)."""
    return order(item("BOTOL-750", 1, "38850"), payment={"voucherSeller": "45000", **payment})


# --- zero_quantity_lines ---------------------------------------------------------------------------------------


def test_a_store_that_holds_zero_quantity_lines_holds_the_order_naming_the_line() -> None:
    # Given KAOS-HITAM-M × 1 and BOTOL-750 × 0 (case R5), in a store whose rule is hold
    planned = order(item("KAOS-HITAM-M", 1, "55500"), item("BOTOL-750", 0, "38850"))

    with pytest.raises(OnHold) as held:
        plan_sales_invoice(planned, store(zero_quantity_lines="hold"))

    assert held.value.cause == "zero_quantity_line"
    assert "BOTOL-750" in held.value.reason and "quantity 0" in held.value.reason
    assert "zero_quantity_lines" in held.value.hint


def test_the_default_rule_leaves_a_zero_quantity_line_out() -> None:
    planned = order(item("KAOS-HITAM-M", 1, "55500"), item("BOTOL-750", 0, "38850"))

    invoice = plan_sales_invoice(planned, store(zero_quantity_lines="leave_out"))

    assert [line.item_no for line in invoice.detail_item] == ["KAOS-HITAM-M"]


# --- voucher_above_price: expense ------------------------------------------------------------------------------


def test_a_voucher_above_the_price_invoices_the_line_at_zero_never_below() -> None:
    invoice = plan_sales_invoice(r7_order(), expensing_store())

    [line] = invoice.detail_item
    assert (line.item_no, line.unit_price, line.item_cash_discount) == ("BOTOL-750", rp(38850), rp(38850))
    amounts = document_amounts(invoice, Decimal("0.11"))
    assert (amounts.receivable, amounts.revenue) == (rp(0), rp(0))
    assert seller_voucher_excess(r7_order(), expensing_store()) == rp(6150)


def test_the_excess_is_the_voucher_less_what_the_lines_had_left_to_discount_every_line_at_zero() -> None:
    # Given lines of 30,000 and 10,000 and a seller voucher of 50,000 (shares 37,500 and 12,500)
    planned = order(item("A", 1, "30000"), item("B", 1, "10000"), payment={"voucherSeller": "50000"})

    invoice = plan_sales_invoice(planned, expensing_store())

    assert [line.item_cash_discount for line in invoice.detail_item] == [rp(30000), rp(10000)]
    assert seller_voucher_excess(planned, expensing_store()) == rp(10000)


def test_an_own_discount_above_the_price_is_held_even_when_vouchers_are_expensed() -> None:
    # An actual price below zero is no voucher: Ginee's data is wrong
    with pytest.raises(OnHold) as held:
        plan_sales_invoice(order(item("A", 1, "10000", actual="-500")), expensing_store())

    assert held.value.cause == "seller_discount_above_price"


def test_the_excess_leaves_the_balance_by_the_fees_journal_of_an_order_that_owes_nothing() -> None:
    # When the R7 order completes bearing an order processing fee of 1,250
    done = completed(r7_order(orderProcessingFee="1250"))

    assert plan_estimate_receipt(done, expensing_store()) is None
    planned = plan_estimate_fees_journal(done, expensing_store())

    # Then Dr the voucher's excess 6,150 and the fee 1,250 · Cr the marketplace balance 7,400
    assert planned is not None and isinstance(planned.receipt, JournalVoucher)
    lines = {(line.account_no, line.amount_type): line.amount for line in planned.receipt.detail_journal_voucher}
    assert lines == {
        (VOUCHER_EXCESS, "DEBIT"): rp(6150),
        (ACCOUNTS["order_processing"], "DEBIT"): rp(1250),
        (ACCOUNTS["marketplace_balance"], "CREDIT"): rp(7400),
    }


def test_voucher_above_price_expense_needs_its_account() -> None:
    with pytest.raises(ValidationError, match="voucher_above_price: expense needs accounts.seller_voucher_excess"):
        store(voucher_above_price="expense")
