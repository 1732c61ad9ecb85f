"""Specification: a Lazada account statement is grouped per statement and order; the Payout row is the total."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from omsync.payouts.files import fee_slug, lazada_fee_kind, read_payouts
from omsync.payouts.model import SettlementFileError

HEADER = (
    "Transaction Date,Transaction Type,Fee Name,Transaction Number,Amount,VAT in Amount,WHT Amount,"
    "Statement,Paid Status,Order No.,Order Item No.,Details"
)
W37 = "08 Sep 2025 - 14 Sep 2025"


def row(
    fee_name: str,
    amount: str,
    order: str = "460803166623940",
    *,
    kind: str = "Orders-Sales",
    wht: str = "0",
    statement: str = W37,
    when: str = "09 Sep 2025",
) -> str:
    return f'{when},{kind},{fee_name},T1,"{amount}",0,{wht},{statement},Paid,{order},,'


def payout_row(amount: str, statement: str = W37, when: str = "14 Sep 2025") -> str:
    return f'{when},Payout,Transfer to Bank,T9,"{amount}",0,0,{statement},Paid,,,'


def statement(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


def test_an_orders_rows_add_up_to_one_line_with_its_amount_fees_and_net() -> None:
    text = statement(
        row("Item Price Credit", "77,700"),
        row("Item Price Credit", "111,000"),
        row("Seller Discount", "-16,650"),
        row("Promotional Charges Vouchers", "-5,000", kind="Orders-Marketing Fees"),
        row("Promotional Charges Flexi Combo", "-1,000", kind="Orders-Marketing Fees"),
        row("Commission", "-11,624", kind="Orders-Lazada Fees"),
        row("Payment Fee", "-2,989", kind="Orders-Lazada Fees"),
        row("Shipping Fee Paid by Seller", "-2,500", kind="Orders-Logistics"),
        payout_row("-148,937"),
    )

    [payout] = read_payouts(text, "lazada")

    assert (payout.payout_id, payout.paid_on, payout.amount, payout.source) == (
        W37,
        date(2025, 9, 14),
        Decimal(148937),
        "lazada",
    )
    [line] = payout.lines
    assert line.order_sn == "460803166623940"
    assert line.amount == Decimal(166050)
    assert line.fees == {"commission": Decimal(11624), "payment": Decimal(2989), "shipping_difference": Decimal(2500)}
    assert line.net == Decimal(148937) == line.computed_net == payout.lines_total
    assert line.source_row == 2


@pytest.mark.parametrize(
    ("fee_name", "kind"),
    [
        ("Commission", "commission"),
        ("Payment Fee", "payment"),
        ("Shipping Fee Paid by Seller", "shipping_difference"),
        ("Affiliate Commission", "affiliate"),
        ("Order Processing Fee", "order_processing"),
        ("Service Fee", "service"),
        ("Free Shipping Max Fee", "service"),
        ("Reversal Commission", "commission"),
        ("reversal  payment fee", "payment"),
        ("Lost/Damaged Claim", "lost_damaged_claim"),
        ("Laz Subsidy", "laz_subsidy"),
        ("Item Price Credit", None),
        ("Reversal Item Price", None),
        ("Seller Discount", None),
        ("Reversal Promotional Charges Vouchers", None),
        ("Promotional Charges Flexi Combo", None),
        ("Bundles", None),
        ("Lazcoin Discount", None),
    ],
)
def test_fee_names_map_to_the_amount_or_a_fee_kind(fee_name: str, kind: str | None) -> None:
    assert lazada_fee_kind(fee_name) == kind


def test_a_fee_slug_is_lower_case_with_runs_of_other_characters_one_underscore() -> None:
    assert fee_slug("  Sponsored Solutions - Top-up (Auto) ") == "sponsored_solutions_top_up_auto"


def test_an_unknown_fee_name_becomes_its_own_kind() -> None:
    text = statement(
        row("Item Price Credit", "100000"),
        row("Sponsored Discovery Fee", "-2000", kind="Other Services"),
        payout_row("-98000"),
    )

    [payout] = read_payouts(text, "lazada")

    assert payout.lines[0].fees == {"sponsored_discovery_fee": Decimal(2000)}


def test_a_refund_after_settlement_is_a_negative_amount_with_the_commission_given_back() -> None:
    text = statement(
        row("Reversal Item Price", "-55,500", "459987215530412", kind="Refunds-Sales"),
        row("Reversal Commission", "3,885", "459987215530412", kind="Refunds-Lazada Fees"),
        payout_row("51,615"),
    )

    [payout] = read_payouts(text, "lazada")

    [line] = payout.lines
    assert line.is_refund
    assert (line.amount, line.fees, line.net) == (Decimal(-55500), {"commission": Decimal(-3885)}, Decimal(-51615))
    assert payout.amount == Decimal(-51615)


def test_a_fee_and_its_reversal_in_one_statement_cancel_out() -> None:
    text = statement(
        row("Item Price Credit", "100000"),
        row("Commission", "-7000", kind="Orders-Lazada Fees"),
        row("Reversal Commission", "7000", kind="Refunds-Lazada Fees"),
        payout_row("-100000"),
    )

    [payout] = read_payouts(text, "lazada")

    assert payout.lines[0].fees == {}


def test_rows_group_per_statement_and_order_in_order_of_first_appearance() -> None:
    w38 = "15 Sep 2025 - 21 Sep 2025"
    text = statement(
        row("Item Price Credit", "100", "B"),
        row("Item Price Credit", "200", "A"),
        row("Item Price Credit", "400", "B", statement=w38),
        row("Commission", "-10", "B", kind="Orders-Lazada Fees"),
        payout_row("-290"),
        payout_row("-400", statement=w38, when="21 Sep 2025"),
    )

    first, second = read_payouts(text, "lazada")

    assert [(line.order_sn, line.amount, line.net, line.source_row) for line in first.lines] == [
        ("B", Decimal(100), Decimal(90), 2),
        ("A", Decimal(200), Decimal(200), 3),
    ]
    assert (second.payout_id, second.paid_on, [line.order_sn for line in second.lines]) == (
        w38,
        date(2025, 9, 21),
        ["B"],
    )


def test_the_payout_row_states_the_total_even_when_the_orders_do_not_add_up_to_it() -> None:
    # Lazada has no per-order net, so the statement total is the check that can fail (at posting).
    text = statement(
        row("Item Price Credit", "100000"), row("Commission", "-7000", kind="Orders-Lazada Fees"), payout_row("-92000")
    )

    [payout] = read_payouts(text, "lazada")

    assert payout.amount == Decimal(92000)
    assert payout.lines_total == Decimal(93000)


def test_a_statement_with_only_its_payout_row_has_no_lines() -> None:
    [payout] = read_payouts(statement(payout_row("0")), "lazada")

    assert (payout.amount, payout.lines) == (Decimal(0), ())


def test_withholding_tax_on_top_of_the_amount_is_pph22_and_lowers_the_net() -> None:
    text = statement(row("Item Price Credit", "100000", wht="500"), payout_row("-99500"))

    [payout] = read_payouts(text, "lazada")

    assert (payout.lines[0].amount, payout.lines[0].fees, payout.lines[0].net) == (
        Decimal(100000),
        {"pph22": Decimal(500)},
        Decimal(99500),
    )


def test_withholding_tax_included_in_the_amount_is_added_back_to_what_it_was_withheld_from() -> None:
    header = HEADER.replace("WHT Amount,", "WHT Amount,WHT included in Amount,")
    text = statement(
        "09 Sep 2025,Orders-Sales,Item Price Credit,T1,99500,0,500,Yes,W,Paid,A,,",
        "09 Sep 2025,Orders-Sales,Item Price Credit,T2,20000,0,0,No,W,Paid,A,,",
        "14 Sep 2025,Payout,Transfer to Bank,T9,-119500,0,0,,W,Paid,,,",
        header=header,
    )

    [payout] = read_payouts(text, "lazada")

    assert (payout.lines[0].amount, payout.lines[0].fees, payout.lines[0].net) == (
        Decimal(120000),
        {"pph22": Decimal(500)},
        Decimal(119500),
    )


def test_vat_and_wht_columns_are_optional() -> None:
    header = "Transaction Date,Transaction Type,Fee Name,Amount,Statement,Order No."
    text = statement(
        "09 Sep 2025,Orders-Sales,Item Price Credit,100,W,A",
        "14 Sep 2025,Payout,Transfer to Bank,-100,W,",
        header=header,
    )

    [payout] = read_payouts(text, "lazada")

    assert payout.lines[0].net == Decimal(100)


def test_a_statement_without_a_payout_row_is_refused_naming_it() -> None:
    text = statement(
        row("Item Price Credit", "100"), row("Item Price Credit", "100", statement="W38"), payout_row("-100")
    )

    with pytest.raises(SettlementFileError, match="statement W38 has no Payout row"):
        read_payouts(text, "lazada")


def test_a_second_payout_row_for_a_statement_is_refused() -> None:
    text = statement(row("Item Price Credit", "100"), payout_row("-50"), payout_row("-50"))

    with pytest.raises(
        SettlementFileError, match=f"line 4, column 'Transaction Type': statement {W37} has a second Payout row"
    ):
        read_payouts(text, "lazada")


def test_a_row_of_item_value_without_an_order_number_is_refused() -> None:
    text = statement(row("Item Price Credit", "100", order=""), payout_row("-100"))

    with pytest.raises(
        SettlementFileError,
        match=r"line 2, column 'Order No.': empty on a row of item value \('Item Price Credit'\): which order is it\?",
    ):
        read_payouts(text, "lazada")


def test_a_row_without_a_fee_name_is_refused() -> None:
    with pytest.raises(SettlementFileError, match="line 2, column 'Fee Name': empty"):
        read_payouts(statement(row("", "100"), payout_row("-100")), "lazada")


def test_a_row_with_a_broken_date_is_refused_even_though_only_the_payout_date_is_used() -> None:
    with pytest.raises(SettlementFileError, match="line 2, column 'Transaction Date': not a date: '31 Feb 2025'"):
        read_payouts(statement(row("Item Price Credit", "100", when="31 Feb 2025"), payout_row("-100")), "lazada")


def test_a_payout_row_without_a_date_is_refused() -> None:
    with pytest.raises(SettlementFileError, match="line 3, column 'Transaction Date': empty"):
        read_payouts(statement(row("Item Price Credit", "100"), payout_row("-100", when="")), "lazada")


@pytest.mark.parametrize(
    "column", ["Transaction Date", "Transaction Type", "Fee Name", "Amount", "Statement", "Order No."]
)
def test_a_missing_column_is_named(column: str) -> None:
    header = ",".join(name for name in HEADER.split(",") if name != column)

    with pytest.raises(SettlementFileError, match=f"missing column '{column}'"):
        read_payouts(statement(header=header), "lazada")
