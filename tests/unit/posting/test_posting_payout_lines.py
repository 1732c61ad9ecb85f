"""Specification: every payout line has a path (docs/POSTING.md §15–§17, issue 15) — charges and credits of the
balance, a release below zero, money back without goods back, and PPN on fees per fee kind."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from posting_builders import ACCOUNTS, rp, store, worked_example_order

from omsync.accurate.documents import JournalVoucher, SalesReceipt
from omsync.errors import OnHold
from omsync.ginee.models import ReturnInfo, SettlementInfo
from omsync.money import ZERO
from omsync.payouts.model import Payout, PayoutCharge, PayoutLine
from omsync.posting.receipts import (
    ESTIMATE_SOURCE,
    Owed,
    SettledOrder,
    fee_postings,
    plan_estimate_receipt,
    plan_payout,
)

DAY = date(2025, 9, 7)
TAXED = {**ACCOUNTS, "input_tax": "1-1401", "receivable": "1-1201"}
PKP_FEE_INVOICES = {"pkp": True, "tax_name": "PPN", "fee_tax_invoices": True}


def line(sn: str, amount: str, **fees: str) -> PayoutLine:
    values = {kind: Decimal(value) for kind, value in fees.items()}
    return PayoutLine(sn, Decimal(amount), values, Decimal(amount) - sum(values.values(), ZERO), 2)


def payout(*lines: PayoutLine, charges: tuple[PayoutCharge, ...] = ()) -> Payout:
    total = sum((ln.net for ln in lines), ZERO) + sum((c.amount for c in charges), ZERO)
    return Payout("STMT-0002", DAY, total, tuple(lines), "lazada", charges)


def known(order_id: str, invoice: str, outstanding: str, returned: str = "0", **extra: Any) -> SettledOrder:
    return SettledOrder(order_id, Owed(invoice, Decimal(outstanding), ZERO, ZERO, Decimal(returned)), **extra)


def jv_of(journal: JournalVoucher | None) -> dict[str, Decimal]:
    assert journal is not None
    lines: dict[str, Decimal] = {}
    for entry in journal.detail_journal_voucher:
        lines[entry.account_no] = lines.get(entry.account_no, ZERO) + (
            entry.amount if entry.amount_type == "DEBIT" else -entry.amount
        )
    return lines


def receipt_journal(receipt: SalesReceipt | None) -> dict[str, Decimal]:
    assert receipt is not None
    lines = {receipt.bank_no: receipt.cheque_amount, "piutang": ZERO}
    for paid in receipt.detail_invoice:
        lines["piutang"] -= paid.payment_amount
        for discount in paid.detail_discount:
            lines[discount.account_no] = lines.get(discount.account_no, ZERO) + discount.amount
    return lines


# --- §15 charges and credits of the balance --------------------------------------------------------------


def test_a_fee_row_for_an_order_settled_by_an_earlier_payout_is_a_charge_on_the_balance() -> None:
    # Given order B settled by STMT-0001, and STMT-0002 paying order A and charging B 2,000 seller shipping
    plan = plan_payout(
        payout(line("A", "149900", commission="13213"), line("B", "0", shipping_difference="2000")),
        store(),
        {"A": known("SO-A", "TP-A", "149900"), "B": known("SO-B", "TP-B", "77700", exact_payout="STMT-0001")},
    )
    assert not plan.held, plan.problems
    assert receipt_journal(plan.receipt) == {"1-1102": rp(136687), "6-2001": rp(13213), "piutang": rp(-149900)}
    assert jv_of(plan.journal) == {"6-2006": rp(2000), "1-1102": rp(-2000)}
    # B's books are not touched: no receipt, no difference recorded
    assert set(plan.receipted) == {"SO-A"} and plan.differences == {}


def test_a_charge_on_a_cancelled_order_that_owes_nothing_posts_without_a_receipt() -> None:
    plan = plan_payout(
        payout(line("F", "0", shipping_difference="15000")),
        store(),
        {"F": known("SO-F", "TP-F", "0", returned="55500")},
    )
    assert plan.receipt is None
    assert jv_of(plan.journal) == {"6-2006": rp(15000), "1-1102": rp(-15000)}


def test_a_row_of_no_order_is_booked_on_the_account_of_its_kind() -> None:
    ads = PayoutCharge("advertising", rp(-50000), "Other Services: Sponsored Discovery - Top up", 15)
    credit = PayoutCharge("reimbursement", rp(7500), "Logistics reimbursement", 16)
    mapped = store(accounts={**ACCOUNTS, "extra_fees": {"advertising": "6-2010", "reimbursement": "7-2001"}})
    plan = plan_payout(payout(charges=(ads, credit)), mapped, {})
    assert not plan.held
    assert jv_of(plan.journal) == {"6-2010": rp(50000), "7-2001": rp(-7500), "1-1102": rp(-42500)}


def test_a_row_of_no_order_of_an_unmapped_kind_holds_the_payout_naming_the_mapping_entry() -> None:
    ads = PayoutCharge("advertising", rp(-50000), "Other Services: Sponsored Discovery - Top up", 15)
    plan = plan_payout(payout(line("A", "1000"), charges=(ads,)), store(), {"A": known("SO-A", "TP-A", "1000")})
    assert plan.held and plan.receipt is None and plan.journal is None
    problem = plan.problems[0]
    assert problem.cause == "unmapped_charge" and problem.row == 15
    assert "kind 'advertising'" in problem.message and "accounts.extra_fees.advertising" in problem.message


# --- §16 a release below zero -------------------------------------------------------------------------


def test_a_release_below_zero_pays_the_invoice_and_moves_the_fees_to_the_journal() -> None:
    shopee = store(tax=PKP_FEE_INVOICES, accounts=TAXED)
    negative = line(
        "N", "77700", commission="5051", service="3108", order_processing="1250", shipping_difference="85000"
    )
    assert negative.net == rp(-16709)
    plan = plan_payout(payout(negative), shopee, {"N": known("SO-N", "SP-N", "77700")})
    assert not plan.held, plan.problems
    assert plan.receipt is not None and plan.receipt.cheque_amount == rp(77700)
    assert receipt_journal(plan.receipt) == {"1-1102": rp(77700), "piutang": rp(-77700)}
    # PPN split off the taxed fees only: 5,051 → 501; 3,108 → 308; 1,250 → 124; seller shipping carries none
    assert jv_of(plan.journal) == {
        "6-2001": rp(4550),
        "6-2002": rp(2800),
        "6-2004": rp(1126),
        "6-2006": rp(85000),
        "1-1401": rp(933),
        "1-1102": rp(-94409),
    }


# --- §17 money back without goods back --------------------------------------------------------------------


def refund_store(**overrides: Any) -> Any:
    return store(accounts={**TAXED, "price_reduction": "4-1003", "output_tax": "2-2201"}, **overrides)


def test_a_refund_no_return_covers_is_held_by_default() -> None:
    plan = plan_payout(
        payout(line("R", "-20000", commission="-1200")),
        refund_store(),
        {"R": known("SO-R", "TP-R", "0", receipt_source=ESTIMATE_SOURCE)},
    )
    assert plan.hold_cause == "refund_without_return" and plan.journal is None
    assert "refunds 20,000" in plan.problems[0].message and "cover 0" in plan.problems[0].message


def test_a_refund_without_goods_back_as_a_price_reduction_reduces_revenue_and_ppn_keluaran() -> None:
    plan = plan_payout(
        payout(line("R", "-20000", commission="-1200")),
        refund_store(refund_without_return="price_reduction"),
        {"R": known("SO-R", "TP-R", "0", receipt_source=ESTIMATE_SOURCE)},
    )
    assert not plan.held
    # 20,000 includes PPN: 1,982 (20,000 × 11/111, half up) and a base of 18,018; the receivable is untouched
    assert jv_of(plan.journal) == {"4-1003": rp(18018), "2-2201": rp(1982), "6-2001": rp(-1200), "1-1102": rp(-18800)}
    assert plan.refunds == {}


def test_a_refund_a_return_covers_still_moves_against_the_receivable() -> None:
    plan = plan_payout(
        payout(line("R", "-20000")),
        refund_store(refund_without_return="price_reduction"),
        {"R": known("SO-R", "TP-R", "0", returned="20000", receipt_source="STMT-0001")},
    )
    assert jv_of(plan.journal) == {"1-1201": rp(20000), "1-1102": rp(-20000)}
    assert plan.refunds == {"SO-R": rp(20000)}


def test_price_reduction_needs_its_accounts() -> None:
    with pytest.raises(ValueError, match="accounts.price_reduction"):
        store(refund_without_return="price_reduction")


# --- PPN on fees per fee kind -------------------------------------------------------------------------------


def test_ppn_is_split_off_only_the_fee_kinds_that_carry_it() -> None:
    shopee = store(tax=PKP_FEE_INVOICES, accounts=TAXED)
    postings = fee_postings({"commission": rp(9657), "shipping_difference": rp(2000), "affiliate": rp(1110)}, shopee)
    assert postings == [
        ("6-2001", rp(8700), "commission"),
        ("1-1401", rp(957), "PPN commission"),
        ("6-2005", rp(1110), "affiliate"),
        ("6-2006", rp(2000), "shipping_difference"),
    ]
    # A store whose marketplace also invoices affiliate commission with PPN says so
    with_affiliate = store(tax={**PKP_FEE_INVOICES, "fee_kinds_with_ppn": ["commission", "affiliate"]}, accounts=TAXED)
    assert ("1-1401", rp(110), "PPN affiliate") in fee_postings({"affiliate": rp(1110)}, with_affiliate)


# --- §12 the estimate checked against what the marketplace released -------------------------------------------


def completed_with_release(released: str | None) -> Any:
    base = worked_example_order()
    assert base.pay_at is not None
    update: dict[str, Any] = {"order_status": "COMPLETED", "close_at": base.pay_at.replace(day=18)}
    if released is not None:
        update["settlement_info"] = SettlementInfo(status="RELEASED", released_amount=Decimal(released))
    return base.model_copy(update=update)


def test_an_estimate_the_marketplaces_released_amount_confirms_is_posted() -> None:
    # DESIGN §1: the estimate receives 149,043; the marketplace released 149,000 (43 apart, estimate tolerance
    # 1,000: Ginee's fees are pre-settlement, the payout file books the difference)
    planned = plan_estimate_receipt(completed_with_release("149000"), store())
    assert planned is not None and isinstance(planned.receipt, SalesReceipt)
    assert planned.receipt.cheque_amount == rp(149043)
    assert plan_estimate_receipt(completed_with_release(None), store()) is not None


def test_an_estimate_beyond_the_tolerance_of_the_released_amount_is_held_inconsistent_with_both_figures() -> None:
    # A tax flag set wrongly makes the estimate about 23,000 more than the marketplace paid
    with pytest.raises(OnHold) as held:
        plan_estimate_receipt(completed_with_release("126000"), store())
    assert held.value.cause == "inconsistent"
    assert "puts 149,043 into 1-1102" in held.value.reason and "released 126,000" in held.value.reason
    assert "difference 23,043, tolerance 1,000" in held.value.reason


def test_a_release_before_a_later_return_is_not_compared() -> None:
    base = completed_with_release("149043")
    info = SettlementInfo(status="RELEASED", released_amount=rp(149043), released_at=base.close_at)
    returned = base.model_copy(
        update={
            "settlement_info": info,
            "return_infos": [
                ReturnInfo.model_validate(
                    {
                        "returnId": "RT-1",
                        "createAt": "2026-03-25T01:00:00Z",
                        "items": [{"itemId": "IT-SKU-B", "quantity": 1}],
                    }
                )
            ],
        }
    )
    planned = plan_estimate_receipt(returned, store())
    # The receipt pays what is left after the return (107,300 less the fees); the release predates the return
    assert planned is not None and planned.entry.payment == rp(107300)
