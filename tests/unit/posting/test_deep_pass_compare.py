"""Specification: the deep pass's comparison (`omsync.sync.deep_pass.compare`), a pure rule but for the look-up.

Ginee's orders and the Ledger's records beside Accurate's Sales Invoices of the same days: what is in step, what
is drift, and which drift the deep pass may heal. The builders' order is paid 2026-03-15 17:05 UTC, which is
2026-03-16 in Asia/Jakarta, Accurate's business date; 1 × SKU-B at 55,500 PPN included comes to 55,500.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from posting_builders import item, order, store

from omsync.ledger.orders import Hold, PostedDocument, ReceiptRecord, SyncRecord
from omsync.sync.deep_pass import AccurateInvoice, DriftKind, compare

DAY = date(2026, 3, 16)
NUMBER = "TP-INV/20260315/1001"
STORES = {"SH-TOKO": store()}
PAID = order(item("SKU-B", 1, "55500"))
INVOICED = SyncRecord(PAID.order_id, invoice=PostedDocument(NUMBER, 7))


def invoice(total: str, number: str = NUMBER, accurate_id: int = 7, customer: str = "C-TOKOPEDIA") -> AccurateInvoice:
    return AccurateInvoice(number, accurate_id, DAY, customer, Decimal(total))


def nowhere(number: str) -> AccurateInvoice | None:
    return None


def test_an_invoiced_order_at_its_amount_is_in_step_and_both_sides_total_the_same() -> None:
    result = compare(DAY, DAY, [PAID], {PAID.order_id: INVOICED}, [invoice("55500")], STORES, nowhere)

    assert result.drift == []
    row = result.days[("SH-TOKO", DAY)]
    assert (row.ginee_orders, row.ginee_total, row.accurate_invoices, row.accurate_total) == (1, 55500, 1, 55500)


def test_a_paid_order_with_no_invoice_anywhere_is_missing_and_healable() -> None:
    result = compare(DAY, DAY, [PAID], {}, [], STORES, nowhere)

    (found,) = result.drift
    assert (found.kind, found.order_id, found.invoice_number, found.healable) == (
        DriftKind.MISSING,
        PAID.order_id,
        NUMBER,
        True,
    )
    assert found.difference == Decimal(-55500)


def test_an_invoice_deleted_by_hand_is_healable_only_while_nothing_was_posted_after_it() -> None:
    alone = compare(DAY, DAY, [PAID], {PAID.order_id: INVOICED}, [], STORES, nowhere)
    assert [(d.kind, d.healable) for d in alone.drift] == [(DriftKind.DELETED_BY_HAND, True)]

    receipt = ReceiptRecord(NUMBER + "-P", 9, "estimate", Decimal(55500), Decimal(50000), {})
    paid_out = SyncRecord(PAID.order_id, invoice=PostedDocument(NUMBER, 7), receipt=receipt)
    after = compare(DAY, DAY, [PAID], {PAID.order_id: paid_out}, [], STORES, nowhere)
    assert [(d.kind, d.healable) for d in after.drift] == [(DriftKind.DELETED_BY_HAND, False)]


def test_an_invoice_dated_another_day_is_edited_by_hand_not_deleted() -> None:
    moved = AccurateInvoice(NUMBER, 7, date(2026, 3, 20), "C-TOKOPEDIA", Decimal(55500))
    result = compare(DAY, DAY, [PAID], {PAID.order_id: INVOICED}, [], STORES, lambda number: moved)

    (found,) = result.drift
    assert found.kind is DriftKind.EDITED_BY_HAND and not found.healable
    assert "dated 2026-03-20 in Accurate" in found.note


def test_an_amount_differing_beyond_the_stores_tolerance_is_a_mismatch_within_it_is_not() -> None:
    within = compare(DAY, DAY, [PAID], {PAID.order_id: INVOICED}, [invoice("55501")], STORES, nowhere)
    assert within.drift == []

    beyond = compare(DAY, DAY, [PAID], {PAID.order_id: INVOICED}, [invoice("50000")], STORES, nowhere)
    (found,) = beyond.drift
    assert (found.kind, found.ginee_amount, found.accurate_amount, found.healable) == (
        DriftKind.AMOUNT_MISMATCH,
        Decimal(55500),
        Decimal(50000),
        False,
    )


def test_a_store_customers_invoice_no_order_accounts_for_is_extra_another_customers_is_not_compared() -> None:
    stray = invoice("10000", number="TP-BY-HAND-1", accurate_id=99)
    own_business = invoice("20000", number="SI-0001", accurate_id=100, customer="C-WALK-IN")
    result = compare(DAY, DAY, [], {}, [stray, own_business], STORES, nowhere)

    (found,) = result.drift
    assert (found.kind, found.invoice_number, found.order_id, found.shop_id) == (
        DriftKind.EXTRA,
        "TP-BY-HAND-1",
        None,
        "SH-TOKO",
    )
    assert result.days[("SH-TOKO", DAY)].accurate_total == Decimal(10000)


def test_an_invoice_of_a_cancelled_order_whose_invoice_was_deleted_is_extra() -> None:
    cancelled = order(item("SKU-B", 1, "55500"), orderStatus="CANCELLED")
    deleted = SyncRecord(cancelled.order_id, invoice=PostedDocument(NUMBER, 7), invoice_deleted=True)
    result = compare(DAY, DAY, [cancelled], {cancelled.order_id: deleted}, [invoice("55500")], STORES, nowhere)

    (found,) = result.drift
    assert found.kind is DriftKind.EXTRA and found.order_id == cancelled.order_id and "cancelled" in found.note


def test_a_held_order_without_invoice_is_listed_with_its_fix_not_drift() -> None:
    hold = Hold("unmapped_warehouse", "warehouse W is not mapped", "map it in the mapping", 0.0)
    result = compare(DAY, DAY, [PAID], {PAID.order_id: SyncRecord(PAID.order_id, hold=hold)}, [], STORES, nowhere)

    assert result.drift == []
    (held,) = result.held
    assert (held.order_id, held.cause, held.hint, held.day) == (
        PAID.order_id,
        "unmapped_warehouse",
        "map it in the mapping",
        DAY,
    )


def test_an_invoice_whose_total_is_not_the_one_accurate_saved_for_omsync_is_edited_by_hand() -> None:
    saved = SyncRecord(PAID.order_id, invoice=PostedDocument(NUMBER, 7, total=Decimal(55500)))
    result = compare(DAY, DAY, [PAID], {PAID.order_id: saved}, [invoice("50000")], STORES, nowhere)

    (found,) = result.drift
    assert (found.kind, found.ginee_amount, found.accurate_amount, found.healable) == (
        DriftKind.EDITED_BY_HAND,
        Decimal(55500),
        Decimal(50000),
        False,
    )
    assert found.note == "Accurate's total is 50,000, omsync posted 55,500"


def test_another_record_under_omsyncs_number_is_edited_by_hand_even_at_the_same_total() -> None:
    result = compare(DAY, DAY, [PAID], {PAID.order_id: INVOICED}, [invoice("55500", accurate_id=8)], STORES, nowhere)

    (found,) = result.drift
    assert found.kind is DriftKind.EDITED_BY_HAND and "entered again by hand" in found.note


def test_a_cod_order_on_its_way_owes_no_invoice_yet_and_once_delivered_it_does() -> None:
    # A cash-on-delivery order is invoiced on delivery (the store's cod_trigger_status, DELIVERED by default)
    on_its_way = order(item("SKU-B", 1, "55500"), orderStatus="SHIPPING", isCod=True)
    delivered = order(item("SKU-B", 1, "55500"), orderStatus="DELIVERED", isCod=True)

    assert compare(DAY, DAY, [on_its_way], {}, [], STORES, nowhere).drift == []
    assert [d.kind for d in compare(DAY, DAY, [delivered], {}, [], STORES, nowhere).drift] == [DriftKind.MISSING]
