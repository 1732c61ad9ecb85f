"""Specification: an order with fractions of a rupiah is held with its cause, never invoiced with the fraction rounded
away (issue 15, build item 6): omsync's books are whole rupiah (docs/POSTING.md §9, §10)."""

from __future__ import annotations

import pytest
from posting_builders import item, order, rp, store, worked_example_order

from omsync.errors import OnHold
from omsync.posting.invoice import plan_sales_invoice
from omsync.posting.receipts import plan_estimate_receipt


def test_a_price_with_a_fraction_of_a_rupiah_is_held_naming_the_field_and_the_amount() -> None:
    # Given KAOS-HITAM-M at 55,500.50 (rounded it would be invoiced at 55,501: half a rupiah invented), and a line
    # the marketplace zeroed, which is left out of the invoice (§6) and so holds nothing
    planned = order(
        item("KAOS-HITAM-M", 2, "55500.50"), item("BOTOL-750", 1, "38850"), item("LAMPU-LED-9W", 0, "24420.40")
    )

    with pytest.raises(OnHold) as held:
        plan_sales_invoice(planned, store())

    assert held.value.cause == "fractional_rupiah"
    assert "KAOS-HITAM-M originalPrice 55,500.50" in held.value.reason
    assert "KAOS-HITAM-M actualPrice 55,500.50" in held.value.reason
    assert "BOTOL-750" not in held.value.reason and "LAMPU-LED-9W" not in held.value.reason
    assert "whole rupiah" in held.value.hint


def test_a_seller_voucher_with_a_fraction_is_held_and_whole_amounts_written_with_decimals_are_not() -> None:
    held_order = order(item("KAOS-HITAM-M", 1, "55500"), payment={"voucherSeller": "2775.25"})
    whole_order = order(item("KAOS-HITAM-M", 1, "55500.00", "49950.000"), payment={"voucherSeller": "2775.00"})

    with pytest.raises(OnHold) as held:
        plan_sales_invoice(held_order, store())
    line = plan_sales_invoice(whole_order, store()).detail_item[0]

    assert held.value.cause == "fractional_rupiah"
    assert "paymentInfo.voucherSeller 2,775.25" in held.value.reason
    assert (line.unit_price, line.item_cash_discount) == (rp(55500), rp(5550 + 2775))


def test_buyer_shipping_with_a_fraction_holds_only_a_store_that_books_it() -> None:
    planned = order(item("KAOS-HITAM-M", 1, "55500"), payment={"finalShippingFee": "9000.5"})

    # Excluded from the books (the default): nothing of it is posted, so nothing is rounded
    assert plan_sales_invoice(planned, store()).detail_item[0].unit_price == rp(55500)
    with pytest.raises(OnHold) as held:
        plan_sales_invoice(planned, store(shipping="revenue_and_expense", tax={"pkp": False}))
    assert "paymentInfo.finalShippingFee 9,000.5" in held.value.reason


def test_an_estimated_receipt_whose_fee_has_a_fraction_is_held_not_rounded() -> None:
    # DESIGN §1's order, completed, with Ginee reporting a commission of 9,657.40
    base = worked_example_order()
    payment = base.payment_info.model_copy(update={"commission_fee": rp(9657) + rp("0.40")})
    completed = base.model_copy(update={"order_status": "COMPLETED", "payment_info": payment})

    with pytest.raises(OnHold) as held:
        plan_estimate_receipt(completed, store())

    assert held.value.cause == "fractional_rupiah"
    assert "paymentInfo.commissionFee 9,657.40" in held.value.reason
