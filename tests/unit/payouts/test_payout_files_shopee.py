"""Specification: a Shopee income report becomes one payout per release date, keyed SHOPEE-YYYYMMDD."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from omsync.payouts.files import read_payouts
from omsync.payouts.model import SettlementFileError

HEADER = (
    "Order ID,Payout Completed Date,Original Price,Seller Discount,Seller Voucher,Shopee Voucher,Coins,"
    "Commission Fee,Service Fee,Transaction Fee,Order Processing Fee,AMS Commission Fee,Seller Shipping Fee,"
    "Withholding Tax,Total Released Amount"
)


def report(*rows: str) -> str:
    return "\n".join((HEADER, *rows)) + "\n"


def test_a_released_order_is_its_item_value_less_seller_funded_discounts_with_each_fee_by_kind() -> None:
    text = report(
        '250903M2B8XCHD,2025-09-08,"299,800","29,980","5,000",0,"1,500","19,199","10,000",0,"1,250","13,241","2,000",0,"219,130"'
    )

    [payout] = read_payouts(text, "shopee")

    [line] = payout.lines
    assert line.order_sn == "250903M2B8XCHD"
    assert line.amount == Decimal(264820)
    assert line.fees == {
        "commission": Decimal(19199),
        "service": Decimal(10000),
        "order_processing": Decimal(1250),
        "affiliate": Decimal(13241),
        "shipping_difference": Decimal(2000),
    }
    assert line.net == Decimal(219130) == line.computed_net
    assert line.source_row == 2


def test_platform_funded_vouchers_and_coins_do_not_lower_the_amount() -> None:
    text = report("250903K7QF2M1X,2025-09-08,166500,0,0,10000,3000,0,0,0,0,0,0,0,166500")

    [payout] = read_payouts(text, "shopee")

    assert payout.lines[0].amount == Decimal(166500)


def test_the_transaction_fee_is_the_payment_kind_and_withholding_tax_is_pph22() -> None:
    text = report("250904A1VRE5TN,2025-09-08,100000,0,0,0,0,0,0,1500,0,0,0,500,98000")

    [payout] = read_payouts(text, "shopee")

    assert payout.lines[0].fees == {"payment": Decimal(1500), "pph22": Decimal(500)}


def test_orders_released_on_one_date_are_one_payout_whose_amount_is_the_sum_released() -> None:
    text = report(
        "A1,2025-09-09,100000,0,0,0,0,8000,0,0,1250,0,0,0,90750",
        "B2,2025-09-08,50000,0,0,0,0,4000,0,0,1250,0,0,0,44750",
        "C3,2025-09-09,20000,0,0,0,0,1000,0,0,0,0,0,0,19000",
    )

    payouts = read_payouts(text, "shopee")

    assert [(p.payout_id, p.paid_on, p.amount) for p in payouts] == [
        ("SHOPEE-20250908", date(2025, 9, 8), Decimal(44750)),
        ("SHOPEE-20250909", date(2025, 9, 9), Decimal(109750)),
    ]
    assert [line.order_sn for line in payouts[1].lines] == ["A1", "C3"]
    assert [line.source_row for line in payouts[1].lines] == [2, 4]
    assert {p.source for p in payouts} == {"shopee"}


def test_the_stated_release_is_kept_even_when_it_does_not_match_the_fees() -> None:
    # The reader reports what the file says; posting holds a line whose net is off.
    text = report("A1,2025-09-09,100000,0,0,0,0,8000,0,0,1250,0,0,0,90000")

    [payout] = read_payouts(text, "shopee")

    assert payout.lines[0].net == Decimal(90000)
    assert payout.lines[0].computed_net == Decimal(90750)


def test_platform_columns_are_optional() -> None:
    text = (
        "Order ID,Payout Completed Date,Original Price,Seller Discount,Seller Voucher,Commission Fee,Service Fee,"
        "Transaction Fee,Order Processing Fee,AMS Commission Fee,Seller Shipping Fee,Withholding Tax,Total Released Amount\n"
        "A1,2025-09-09,100000,0,0,8000,0,0,1250,0,0,0,90750\n"
    )

    [payout] = read_payouts(text, "shopee")

    assert payout.lines[0].net == Decimal(90750)


@pytest.mark.parametrize(
    "column",
    [
        "Order ID",
        "Payout Completed Date",
        "Seller Voucher",
        "AMS Commission Fee",
        "Withholding Tax",
        "Total Released Amount",
    ],
)
def test_a_missing_column_is_named(column: str) -> None:
    header = ",".join(name for name in HEADER.split(",") if name != column)

    with pytest.raises(SettlementFileError, match=f"line 1: missing column '{column}'"):
        read_payouts(header + "\n", "shopee")


def test_an_order_without_an_id_is_refused() -> None:
    with pytest.raises(SettlementFileError, match="line 2, column 'Order ID': empty"):
        read_payouts(report(",2025-09-09,100000,0,0,0,0,8000,0,0,1250,0,0,0,90750"), "shopee")


def test_a_release_date_that_is_not_a_date_is_refused() -> None:
    with pytest.raises(SettlementFileError, match="line 2, column 'Payout Completed Date': not a date: '9 Sept'"):
        read_payouts(report("A1,9 Sept,100000,0,0,0,0,8000,0,0,1250,0,0,0,90750"), "shopee")
