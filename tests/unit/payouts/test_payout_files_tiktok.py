"""Specification: a TikTok Shop/Tokopedia settlement becomes one payout per statement, fees turned positive."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from omsync.payouts.files import read_payouts
from omsync.payouts.model import PayoutCharge, SettlementFileError

HEADER = (
    "Order ID,Type,Statement ID,Settlement Date,Total Revenue,Transaction fee,TikTok Shop commission fee,"
    "SFP service fee,Order processing fee,Affiliate commission,Affiliate Shop Ads commission,Seller shipping fee,"
    "Withholding tax,Total settlement amount"
)


def settlement(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


def test_an_order_row_gives_revenue_as_amount_and_deductions_as_positive_fees() -> None:
    text = settlement(
        "579321702918344625,Order,7541029384756102938,2025/09/08,222000,-1000,-13320,-6660,-1250,0,0,-3000,-1110,195660"
    )

    [payout] = read_payouts(text, "tiktok")

    assert (payout.payout_id, payout.paid_on, payout.source) == ("7541029384756102938", date(2025, 9, 8), "tiktok")
    [line] = payout.lines
    assert line.order_sn == "579321702918344625"
    assert line.amount == Decimal(222000)
    assert line.fees == {
        "payment": Decimal(1000),
        "commission": Decimal(13320),
        "sfp_service": Decimal(6660),
        "order_processing": Decimal(1250),
        "shipping_difference": Decimal(3000),
        "pph22": Decimal(1110),
    }
    assert line.net == Decimal(195660) == line.computed_net


def test_both_affiliate_columns_are_the_affiliate_kind() -> None:
    text = settlement("1,Order,S1,2025/09/08,100000,0,-6000,0,0,-4000,-5000,0,0,85000")

    [payout] = read_payouts(text, "tiktok")

    assert payout.lines[0].fees == {"commission": Decimal(6000), "affiliate": Decimal(9000)}


def test_affiliate_partner_commission_is_read_when_the_export_has_it() -> None:
    text = settlement(
        "1,Order,S1,2025/09/08,100000,0,-6000,0,0,-4000,0,0,0,-2000,88000",
        header=HEADER.replace(",Total settlement amount", ",Affiliate partner commission,Total settlement amount"),
    )

    [payout] = read_payouts(text, "tiktok")

    assert payout.lines[0].fees["affiliate"] == Decimal(6000)
    assert payout.lines[0].net == Decimal(88000)


def test_a_refund_is_a_negative_amount_with_the_fees_given_back_negative() -> None:
    text = settlement("579318806631740522,Refund,S1,2025/09/08,-55500,0,3330,0,0,0,0,0,0,-52170")

    [payout] = read_payouts(text, "tiktok")

    [line] = payout.lines
    assert line.is_refund
    assert line.amount == Decimal(-55500)
    assert line.fees == {"commission": Decimal(-3330)}
    assert line.net == Decimal(-52170) == line.computed_net
    assert payout.amount == Decimal(-52170)


def test_the_statement_amount_is_the_sum_of_its_rows_and_statements_sort_by_date_then_id() -> None:
    text = settlement(
        "1,Order,S2,2025/09/09,100000,0,-6000,0,0,0,0,0,0,94000",
        "2,Order,S1,2025/09/09,50000,0,-3000,0,0,0,0,0,0,47000",
        "3,Refund,S2,2025/09/09,-20000,0,1200,0,0,0,0,0,0,-18800",
        "4,Order,S0,2025/09/08,10000,0,0,0,0,0,0,0,0,10000",
    )

    payouts = read_payouts(text, "tiktok")

    assert [(p.payout_id, p.amount) for p in payouts] == [
        ("S0", Decimal(10000)),
        ("S1", Decimal(47000)),
        ("S2", Decimal(75200)),
    ]
    assert [(line.order_sn, line.source_row) for line in payouts[2].lines] == [("1", 2), ("3", 4)]


def test_a_settlement_date_with_a_time_and_an_iso_date_both_read() -> None:
    text = settlement(
        "1,Order,S1,2025-09-08,100,0,0,0,0,0,0,0,0,100",
        "2,Order,S1,2025/09/08 14:03:11,100,0,0,0,0,0,0,0,0,100",
    )

    [payout] = read_payouts(text, "tiktok")

    assert payout.paid_on == date(2025, 9, 8)


def test_a_statement_settled_on_two_dates_is_refused() -> None:
    text = settlement("1,Order,S1,2025/09/08,100,0,0,0,0,0,0,0,0,100", "2,Order,S1,2025/09/09,100,0,0,0,0,0,0,0,0,100")

    with pytest.raises(
        SettlementFileError, match=r"line 3, column 'Settlement Date': statement S1 was settled on 2025-09-08"
    ):
        read_payouts(text, "tiktok")


def test_an_adjustment_row_is_a_charge_of_its_kind_with_or_without_an_order() -> None:
    text = settlement(
        "1,Order,S1,2025/09/08,100,0,0,0,0,0,0,0,0,100",
        ",Platform penalty,S1,2025/09/08,0,0,0,0,0,0,0,0,0,-5000",
        "2,Logistics reimbursement,S1,2025/09/08,0,0,0,0,0,0,0,0,0,12000",
        "3,Shipping fee adjustment,S1,2025/09/08,0,0,0,0,0,0,0,-500,0,-1500",
    )

    [payout] = read_payouts(text, "tiktok")

    assert payout.charges == (PayoutCharge("penalty", Decimal(-5000), "Platform penalty", 3),)
    assert [(ln.order_sn, ln.amount, ln.fees, ln.net) for ln in payout.lines[1:]] == [
        ("2", Decimal(0), {"reimbursement": Decimal(-12000)}, Decimal(12000)),
        ("3", Decimal(0), {"shipping_difference": Decimal(1500)}, Decimal(-1500)),
    ]
    assert payout.amount == payout.lines_total == Decimal(100 - 5000 + 12000 - 1500)


def test_an_adjustment_with_revenue_is_refused() -> None:
    with pytest.raises(SettlementFileError, match=r"line 2, column 'Total Revenue': an adjustment \(Adjustment\) with"):
        read_payouts(settlement("1,Adjustment,S1,2025/09/08,100,0,0,0,0,0,0,0,0,100"), "tiktok")


def test_a_refund_with_positive_revenue_is_refused() -> None:
    with pytest.raises(SettlementFileError, match="line 2, column 'Total Revenue': a Refund with positive revenue 100"):
        read_payouts(settlement("1,Refund,S1,2025/09/08,100,0,0,0,0,0,0,0,0,100"), "tiktok")


def test_a_row_without_a_statement_is_refused() -> None:
    with pytest.raises(SettlementFileError, match="line 2, column 'Statement ID': empty"):
        read_payouts(settlement("1,Order,,2025/09/08,100,0,0,0,0,0,0,0,0,100"), "tiktok")


@pytest.mark.parametrize("column", ["Statement ID", "SFP service fee", "Withholding tax", "Total settlement amount"])
def test_a_missing_column_is_named(column: str) -> None:
    header = ",".join(name for name in HEADER.split(",") if name != column)

    with pytest.raises(SettlementFileError, match=f"missing column '{column}'"):
        read_payouts(settlement(header=header), "tiktok")
