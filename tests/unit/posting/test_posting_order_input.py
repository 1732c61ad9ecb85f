"""Specification: order input the seller can fix is a hold with its cause and fix, never a failure; and a
second Ginee order with the same marketplace number gets an invoice number of its own (issue 16)."""

from __future__ import annotations

import pytest
from posting_builders import item, order, rp, store

from omsync.errors import OnHold
from omsync.posting.invoice import ginee_order_named, plain_number_package, plan_sales_invoice
from omsync.posting.numbers import MAX_NUMBER_LENGTH, invoice_number_apart


def test_a_line_of_quantity_zero_is_left_out_of_the_invoice() -> None:
    # Given KAOS-HITAM-M × 1 at 55,500 and BOTOL-750 × 0 (case R5)
    planned = order(item("KAOS-HITAM-M", 1, "55500"), item("BOTOL-750", 0, "38850"))

    invoice = plan_sales_invoice(planned, store())

    assert [(line.item_no, line.quantity) for line in invoice.detail_item] == [("KAOS-HITAM-M", rp(1))]
    assert invoice.detail_item[0].unit_price == rp(55500)


def test_an_order_with_no_line_above_quantity_zero_is_held() -> None:
    with pytest.raises(OnHold) as held:
        plan_sales_invoice(order(item("BOTOL-750", 0, "38850")), store())

    assert held.value.cause == "no_lines"
    assert held.value.hint


def test_a_negative_quantity_is_held_naming_the_line() -> None:
    with pytest.raises(OnHold) as held:
        plan_sales_invoice(order(item("KAOS-HITAM-M", 1, "55500"), item("BOTOL-750", -1, "38850")), store())

    assert held.value.cause == "negative_quantity"
    assert "BOTOL-750" in held.value.reason and "-1" in held.value.reason


def test_a_seller_voucher_above_the_price_is_held_with_both_figures_and_the_excess() -> None:
    # Given BOTOL-750 at 38,850 with a seller voucher of 45,000 (case R7)
    planned = order(item("BOTOL-750", 1, "38850"), payment={"voucherSeller": "45000"})

    with pytest.raises(OnHold) as held:
        plan_sales_invoice(planned, store())

    assert held.value.cause == "seller_discount_above_price"
    assert "45,000" in held.value.reason and "38,850" in held.value.reason and "6,150" in held.value.reason
    assert "BOTOL-750" in held.value.reason


def test_a_line_without_price_is_held() -> None:
    line = item("BOTOL-750", 1, "38850")
    line["originalPrice"] = None
    line["actualPrice"] = None

    with pytest.raises(OnHold) as held:
        plan_sales_invoice(order(line), store())

    assert held.value.cause == "missing_price"


def test_the_number_apart_is_the_plain_number_with_a_suffix_of_the_ginee_order_and_always_fits() -> None:
    first = invoice_number_apart("SP-251002SPLIT01", "SO251002SPLIT01PKG2")
    again = invoice_number_apart("SP-251002SPLIT01", "SO251002SPLIT01PKG2")
    other = invoice_number_apart("SP-251002SPLIT01", "SO251002SPLIT01PKG3")
    long_one = invoice_number_apart("TP-INV/20251008/MPL/7000000003", "SO251002SPLIT01PKG2")

    assert first == again and first != other
    assert first.startswith("SP-251002SPLIT01-") and len(first) == len("SP-251002SPLIT01") + 9
    assert len(long_one) == MAX_NUMBER_LENGTH


def test_the_package_created_first_keeps_the_plain_number_a_tie_goes_to_the_smallest_ginee_order_id() -> None:
    # Given the packages of one marketplace order: PKG2 created at 10:00, PKG1 and PKG3 at 10:05, PKG4 of no time
    pkg1 = order(orderId="SO-PKG1", createAt="2025-10-02T10:05:00Z")
    pkg2 = order(orderId="SO-PKG2", createAt="2025-10-02T10:00:00Z")
    pkg3 = order(orderId="SO-PKG3", createAt="2025-10-02T10:05:00Z")
    pkg4 = order(orderId="SO-PKG4", createAt=None)

    # Then the one created first keeps it, in whatever order they are given; between equals the smallest id
    assert plain_number_package([pkg1, pkg2, pkg3, pkg4]) == plain_number_package([pkg4, pkg3, pkg2]) == "SO-PKG2"
    assert plain_number_package([pkg3, pkg1]) == plain_number_package([pkg1, pkg3]) == "SO-PKG1"
    assert plain_number_package([pkg4, pkg3]) == "SO-PKG3"
    assert plain_number_package([pkg4]) == "SO-PKG4"


def test_an_invoice_description_names_its_ginee_order() -> None:
    invoice = plan_sales_invoice(order(item("A", 1, "10000")), store())

    assert invoice.description is not None and ginee_order_named(invoice.description) == "SO-1001"
    assert ginee_order_named("typed by hand") is None


def test_an_order_in_another_currency_is_held_never_booked_as_rupiah() -> None:
    # Given 2 × KAOS-HITAM-M at MYR 25.90 (case O6)
    planned = order(item("KAOS-HITAM-M", 2, "25.90"), payment={"currency": "MYR", "subTotal": "51.80"}, currency="MYR")

    with pytest.raises(OnHold) as held:
        plan_sales_invoice(planned, store())

    assert held.value.cause == "unsupported_currency"
    assert "MYR" in held.value.reason and "IDR" in held.value.reason


@pytest.mark.parametrize("currency", ["IDR", "idr", None])
def test_an_order_in_rupiah_or_stating_none_is_invoiced(currency: str | None) -> None:
    planned = order(item("KAOS-HITAM-M", 1, "55500"), currency=currency)

    assert plan_sales_invoice(planned, store()).detail_item[0].unit_price == rp(55500)
