"""Specification: the exports as the marketplaces write them (issue 15, build item 7) — Shopee's income report
with its preamble, ``(Rp)`` suffixes and negative deductions; Lazada statements with rows of no order.

The rows are written here from the column lists the marketplaces publish (docs cited in the reference's §5 and
the report Shopee's Seller Centre downloads), not through omsync's own writer.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from omsync.payouts.files import charge_kind, detect_format, read_payout_rows, read_payouts
from omsync.payouts.model import PayoutCharge, SettlementFileError

SHOPEE_REPORT_HEADER = [
    "Sequence No.",
    "Order ID",
    "Refund ID",
    "Username (Buyer)",
    "Order Creation Date",
    "Payout Completed Date",
    "Original Price",
    "Your Seller product promotion",
    "Refund Amount",
    "Voucher Sponsored by Seller",
    "Shipping Fee Paid by Buyer",
    "Actual Shipping Fee",
    "Shopee Shipping Rebate",
    "AMS Commission Fee",
    "Commission fee",
    "Service Fee",
    "Seller Order Processing Fee",
    "Transaction Fee",
    "Total Released Amount (Rp)",
]
PREAMBLE = [["Username (Seller)", "From", "to"], ["tokorapi.id", "2025-09-05", "2025-09-06"], [], [], ["subtotal(Rp)"]]


def shopee_report(*rows: list[str]) -> str:
    return "\n".join(",".join(row) for row in [*PREAMBLE, SHOPEE_REPORT_HEADER, *rows]) + "\n"


ORDER_ROW = [
    "1", "25090153051D46", "", "pembeli***", "2025-09-01", "2025-09-05",
    "227550", "-22755", "0", "-0", "12000", "-15000", "1000", "0", "-14061", "-8192", "-1250", "0", "179292",
]  # fmt: skip


def test_shopees_income_report_is_read_below_its_preamble_with_negative_deductions() -> None:
    text = shopee_report(ORDER_ROW)
    assert detect_format(text) == "shopee"

    [payout] = read_payouts(text, "shopee")

    [line] = payout.lines
    assert payout.payout_id == "SHOPEE-20250905" and payout.amount == Decimal(179292)
    assert line.order_sn == "25090153051D46" and line.source_row == 7
    # 227,550 − 22,755 seller promotion = 204,795; deductions change sign; shipping: 12,000 − 15,000 + 1,000
    assert line.amount == Decimal(204795)
    assert line.fees == {
        "commission": Decimal(14061),
        "service": Decimal(8192),
        "order_processing": Decimal(1250),
        "shipping_difference": Decimal(2000),
    }
    assert line.net == line.computed_net


def test_only_the_numbered_order_rows_of_the_report_are_totals() -> None:
    detail = ["", "25090153051D46", "", "", "", "2025-09-05", "113775", "-11377", "0", "0", "0", "0", "0", "0"]
    [payout] = read_payouts(shopee_report(ORDER_ROW, [*detail, "-7030", "-4096", "-625", "0", "90647"]), "shopee")
    assert len(payout.lines) == 1


def test_a_refund_in_the_report_lowers_the_amount() -> None:
    row = list(ORDER_ROW)
    row[8], row[18] = "-50000", "129292"
    [payout] = read_payouts(shopee_report(row), "shopee")
    assert payout.lines[0].amount == Decimal(154795)


def test_the_report_as_spreadsheet_rows_reads_the_same() -> None:
    rows = [*PREAMBLE, SHOPEE_REPORT_HEADER, ORDER_ROW]
    assert read_payout_rows(rows, "shopee") == read_payouts(shopee_report(ORDER_ROW), "shopee")


def test_a_report_without_a_header_anywhere_is_refused_without_its_first_rows_cells() -> None:
    with pytest.raises(SettlementFileError, match="line 1: not a known settlement export: no row of its first 30") as e:
        detect_format("\n".join(",".join(row) for row in PREAMBLE))
    assert "Username" not in str(e.value)


LAZADA_HEADER = (
    "Transaction Date,Transaction Type,Fee Name,Transaction Number,Amount,VAT in Amount,WHT Amount,"
    "WHT included in Amount,Statement,Paid Status,Order No.,Order Item No.,Details"
)


def test_a_lazada_row_of_no_order_is_a_charge_of_its_kind_and_counts_in_the_total() -> None:
    text = "\n".join(
        [
            LAZADA_HEADER,
            "07 Sep 2025,Orders-Sales,Item Price Credit,T1,100000,0,0,No,PO-1,Paid,111,SO-1,Order 111",
            "07 Sep 2025,Other Services,Sponsored Discovery - Top up,T2,-50000,0,0,No,PO-1,Paid,,,Top up",
            "07 Sep 2025,Other Services,Seller Credit Adjustment,T3,2500,0,0,No,PO-1,Paid,,,Credit",
            "07 Sep 2025,Payout,Transfer to Bank,T4,-52500,0,0,No,PO-1,Paid,,,Transfer",
        ]
    )

    [payout] = read_payouts(text, "lazada")

    assert payout.charges == (
        PayoutCharge("advertising", Decimal(-50000), "Other Services: Sponsored Discovery - Top up", 3),
        PayoutCharge("seller_credit_adjustment", Decimal(2500), "Other Services: Seller Credit Adjustment", 4),
    )
    assert payout.lines_total == payout.amount == Decimal(52500)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Sponsored Discovery - Top up", "advertising"),
        ("Ads payment", "advertising"),
        ("Platform penalty", "penalty"),
        ("Logistics reimbursement", "reimbursement"),
        ("Chargeback", "chargeback"),
        ("Shipping fee adjustment", "shipping_difference"),
        ("Seller Credit Adjustment", "seller_credit_adjustment"),
    ],
)
def test_the_kind_of_a_row_of_no_order_comes_from_its_name(name: str, kind: str) -> None:
    assert charge_kind(name) == kind
