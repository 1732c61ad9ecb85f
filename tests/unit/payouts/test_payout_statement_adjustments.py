"""Specification: the demo's settlement files carry the rows a real export has beyond its orders' own (issue 15,
build item 9): a seller shipping charge for an order settled in the previous payout, and in Lazada's statement
an ads top-up of no order; they read back as a line of no item value and a charge, and every payout still adds
up."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import pytest

from omsync.payouts.files import read_payouts
from omsync.payouts.model import PayoutCharge
from omsync.posting.receipts import check_integrity
from omsync_workshop.scenarios import Scenario, load_scenario
from omsync_workshop.scenarios.statements import (
    ADS_TOP_UP,
    LATE_SHIPPING_CHARGE,
    NEGATIVE_RELEASE_MARGIN,
    statement_adjustments,
    write_payouts,
    write_statement,
)


@cache
def demo() -> Scenario:
    return load_scenario("demo")


@pytest.mark.parametrize(("store", "fmt"), [("shopee", "shopee"), ("lazada", "lazada")])
def test_a_listed_stores_export_has_a_fee_correction_for_an_order_settled_in_the_previous_payout(
    store: str, fmt: str
) -> None:
    scenario = demo()
    assert store in scenario.settlement_files
    [correction] = [a for a in statement_adjustments(scenario, store) if a.amount == -LATE_SHIPPING_CHARGE]

    payouts = read_payouts(write_statement(scenario, store, fmt, adjustments=True), fmt)

    lines = [ln for p in payouts for ln in p.lines if ln.order_sn == correction.order_sn and ln.amount == 0]
    assert [(ln.fees, ln.net) for ln in lines] == [
        ({"shipping_difference": LATE_SHIPPING_CHARGE}, -LATE_SHIPPING_CHARGE)
    ]
    # The order itself was settled, with its item value, in an earlier payout
    settled = [p for p in payouts if any(ln.order_sn == correction.order_sn and ln.amount > 0 for ln in p.lines)]
    corrected = [p for p in payouts if any(ln in p.lines for ln in lines)]
    assert settled and corrected and settled[0].paid_on <= corrected[0].paid_on and settled != corrected
    assert all(check_integrity(p) == [] for p in payouts)


def test_the_lazada_statement_has_an_ads_top_up_of_no_order_in_its_first_payout() -> None:
    payouts = read_payouts(write_statement(demo(), "lazada", "lazada", adjustments=True), "lazada")

    row_type, name, amount = ADS_TOP_UP
    assert payouts[0].charges == (
        PayoutCharge("advertising", amount, f"{row_type}: {name}", payouts[0].charges[0].source_row),
    )
    assert all(p.charges == () for p in payouts[1:])
    assert all(check_integrity(p) == [] for p in payouts)
    # A written and re-read statement keeps its charges
    assert read_payouts(write_payouts(payouts, "lazada"), "lazada")[0].charges[0].amount == Decimal(amount)


def test_without_adjustments_the_export_has_only_the_orders_rows() -> None:
    payouts = read_payouts(write_statement(demo(), "lazada", "lazada"), "lazada")
    assert all(p.charges == () and all(ln.amount != 0 for ln in p.lines) for p in payouts)


def test_the_lazada_statement_has_an_order_whose_charges_take_its_release_below_zero() -> None:
    scenario = demo()
    [below] = [a for a in statement_adjustments(scenario, "lazada") if a.order_sn and a.amount < -LATE_SHIPPING_CHARGE]

    payouts = read_payouts(write_statement(scenario, "lazada", "lazada", adjustments=True), "lazada")

    [line] = [ln for p in payouts if p.payout_id == below.payout_id for ln in p.lines if ln.order_sn == below.order_sn]
    assert line.amount > 0 and line.net == -NEGATIVE_RELEASE_MARGIN == line.computed_net
