"""Specification: importing a posted payout again compares what it contains (docs/POSTING.md §18)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from omsync.payouts.content import compare_content, payout_content
from omsync.payouts.model import Payout, PayoutCharge, PayoutLine


def line(sn: str, amount: int, commission: int) -> PayoutLine:
    return PayoutLine(sn, Decimal(amount), {"commission": Decimal(commission)}, Decimal(amount - commission))


def payout(*lines: PayoutLine, charges: tuple[PayoutCharge, ...] = ()) -> Payout:
    total = sum((ln.net for ln in lines), Decimal(0)) + sum((c.amount for c in charges), Decimal(0))
    return Payout("SHOPEE-20250907", date(2025, 9, 7), total, tuple(lines), "shopee", charges)


FIRST = payout(line("A", 359640, 22807), line("B", 166500, 12071))


def test_the_same_content_is_already_posted() -> None:
    assert compare_content(payout_content(FIRST), FIRST, 0).kind == "same"


def test_a_fuller_export_is_a_supplement_of_the_new_lines_alone() -> None:
    ads = PayoutCharge("advertising", Decimal(-5000), "Ads top up", 9)
    fuller = payout(line("A", 359640, 22807), line("B", 166500, 12071), line("C", 166500, 10864), charges=(ads,))

    change = compare_content(payout_content(FIRST), fuller, 0)

    assert change.kind == "fuller" and change.supplement is not None
    assert change.supplement.payout_id == "SHOPEE-20250907-S1"
    assert [ln.order_sn for ln in change.supplement.lines] == ["C"] and change.supplement.charges == (ads,)
    assert change.supplement.amount == Decimal(166500 - 10864 - 5000)
    assert compare_content(payout_content(fuller), FIRST, 1).kind == "changed"


def test_changed_lines_show_both_versions() -> None:
    changed = payout(line("A", 359640, 22807), line("B", 166500, 12000))

    change = compare_content(payout_content(FIRST), changed, 0)

    assert change.kind == "changed" and change.supplement is None
    [difference] = change.differences
    assert "order B: posted amount 166500; fees commission:12071; net 154429" in difference
    assert "this file amount 166500; fees commission:12000; net 154500" in difference


def test_a_second_row_of_the_same_order_is_its_own_entry() -> None:
    refund = PayoutLine("A", Decimal(-1000), {}, Decimal(-1000))
    twice = payout(line("A", 359640, 22807), refund)
    assert set(payout_content(twice)) == {"A", "A#2"}
