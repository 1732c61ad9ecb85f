"""Specification: a payout line of a marketplace order split into packages pays the packages whose invoices owe
its amount (docs/POSTING.md §13, "One row, several packages")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from omsync.payouts.model import Payout, PayoutLine
from omsync.posting.payout_packages import lines_by_package, package_key
from omsync.posting.receipts import Owed, SettledOrder

SN = "251002SPLIT01"


def package(order_id: str, invoice_no: str, owes: int, returned: int = 0) -> SettledOrder:
    return SettledOrder(order_id, Owed(invoice_no, Decimal(owes), Decimal(owes), Decimal(0), Decimal(returned)))


PKG1 = package("PKG1", "SP-251002SPLIT01", 55500)
PKG2 = package("PKG2", "SP-251002SPLIT01-9F0A11C2", 111000)


def payout(*lines: PayoutLine) -> Payout:
    total = sum((line.net for line in lines), Decimal(0))
    return Payout("SHOPEE-20251010", date(2025, 10, 10), total, tuple(lines), "shopee")


def test_one_row_of_both_packages_amounts_is_split_into_each_packages_share_with_the_fees_in_proportion() -> None:
    fees = {"order_processing": Decimal(2500), "commission": Decimal(10001)}
    row = PayoutLine(SN, Decimal(166500), fees, Decimal(153999), source_row=2)

    split, settled = lines_by_package(payout(row), {SN: [PKG1, PKG2]}, Decimal(1))

    first, second = split.lines
    assert (first.order_sn, first.amount, second.order_sn, second.amount) == (
        package_key(SN, "PKG1"),
        Decimal(55500),
        package_key(SN, "PKG2"),
        Decimal(111000),
    )
    assert dict(first.fees) == {"order_processing": Decimal(833), "commission": Decimal(3334)}
    assert dict(second.fees) == {"order_processing": Decimal(1667), "commission": Decimal(6667)}
    assert first.net == Decimal(55500 - 833 - 3334) and first.net + second.net == Decimal(153999)
    assert (first.source_row, second.source_row) == (2, 2)
    assert settled == {package_key(SN, "PKG1"): PKG1, package_key(SN, "PKG2"): PKG2}


def test_rows_of_one_package_each_go_to_the_package_whose_invoice_owes_the_amount() -> None:
    second_row = PayoutLine(SN, Decimal(111000), {}, Decimal(111000), source_row=2)
    first_row = PayoutLine(SN, Decimal(55500), {}, Decimal(55500), source_row=3)

    split, settled = lines_by_package(payout(second_row, first_row), {SN: [PKG1, PKG2]}, Decimal(1))

    assert [(line.order_sn, line.amount) for line in split.lines] == [
        (package_key(SN, "PKG2"), Decimal(111000)),
        (package_key(SN, "PKG1"), Decimal(55500)),
    ]
    assert settled[package_key(SN, "PKG2")] is PKG2 and settled[package_key(SN, "PKG1")] is PKG1


def test_a_row_no_set_of_packages_owes_stays_whole_on_the_first_for_the_plan_to_hold() -> None:
    row = PayoutLine(SN, Decimal(70000), {}, Decimal(70000))

    split, settled = lines_by_package(payout(row), {SN: [PKG1, PKG2]}, Decimal(1))

    [line] = split.lines
    assert (line.order_sn, line.amount) == (package_key(SN, "PKG1"), Decimal(70000))
    assert settled == {package_key(SN, "PKG1"): PKG1}


def test_a_number_of_one_ginee_order_keeps_its_line_as_it_is() -> None:
    row = PayoutLine("250901AAA", Decimal(55500), {}, Decimal(55500))

    split, settled = lines_by_package(payout(row), {"250901AAA": [PKG1]}, Decimal(1))

    assert split.lines == (row,) and settled == {"250901AAA": PKG1}


def test_a_refund_row_goes_to_the_package_whose_return_credited_it() -> None:
    returned_second = package("PKG2", "SP-251002SPLIT01-9F0A11C2", 55500, returned=55500)
    refund = PayoutLine(SN, Decimal(-55500), {}, Decimal(-55500))

    split, settled = lines_by_package(payout(refund), {SN: [PKG1, returned_second]}, Decimal(1))

    assert settled == {package_key(SN, "PKG2"): returned_second}
    assert split.lines[0].amount == Decimal(-55500)
