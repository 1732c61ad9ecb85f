"""Specification: when the reconciler finds the Ledger behind Ginee (`omsync.sync.reconcile.behind`), a pure rule.

An order is behind when a document is still to be posted (or deleted) for what Ginee says now; a held order is
never behind here (its hold's release brings it back), nor one that is tombstoned.
"""

from __future__ import annotations

from decimal import Decimal

from posting_builders import item, order, store

from omsync.config.mapping import SettlementMode
from omsync.ledger.orders import Hold, PostedDocument, ReceiptRecord, SyncRecord
from omsync.posting.cancellation import CANCELLATION_RETURN_ID
from omsync.sync.reconcile import behind, queue_for

INVOICE = PostedDocument("TP-INV/20260315/1001", 7)
ESTIMATE = store(settlement=SettlementMode.ESTIMATE)


def test_a_paid_order_omsync_never_recorded_is_behind_one_not_yet_paid_is_not() -> None:
    paid = order(item("SKU-B", 1, "55500"))
    assert behind(paid, None, ESTIMATE, "PAID") == "PAID: no invoice yet"
    unpaid = order(item("SKU-B", 1, "55500"), orderStatus="PENDING_PAYMENT")
    assert behind(unpaid, None, ESTIMATE, "PAID") is None
    # A store that invoices at COMPLETED waits for it
    assert behind(paid, None, ESTIMATE, "COMPLETED") is None


def test_an_invoiced_order_is_behind_only_while_a_document_is_still_owed() -> None:
    invoiced = SyncRecord("SO-1001", invoice=INVOICE)
    shipped = order(item("SKU-B", 1, "55500"), orderStatus="SHIPPING")
    assert behind(shipped, invoiced, ESTIMATE, "PAID") is None
    completed = order(item("SKU-B", 1, "55500"), orderStatus="COMPLETED")
    assert behind(completed, invoiced, ESTIMATE, "PAID") == "COMPLETED: no receipt yet"
    receipt = ReceiptRecord("TP-INV/20260315/1001-P", 9, "estimate", Decimal(55500), Decimal(50000), {})
    assert behind(completed, SyncRecord("SO-1001", invoice=INVOICE, receipt=receipt), ESTIMATE, "PAID") is None
    # A store settled from payout files owes no receipt until its file is imported
    assert behind(completed, invoiced, store(settlement=SettlementMode.FILE), "PAID") is None


def test_a_cancellation_or_return_not_yet_posted_is_behind() -> None:
    invoiced = SyncRecord("SO-1001", invoice=INVOICE)
    cancelled = order(item("SKU-B", 1, "55500"), orderStatus="CANCELLED")
    assert behind(cancelled, invoiced, ESTIMATE, "PAID") == "cancelled after its invoice"
    assert queue_for(cancelled).value == "cancellations"
    credited = SyncRecord("SO-1001", invoice=INVOICE, returns={CANCELLATION_RETURN_ID: PostedDocument("RC", 8)})
    assert behind(cancelled, credited, ESTIMATE, "PAID") is None
    assert behind(cancelled, SyncRecord("SO-1001", invoice=INVOICE, invoice_deleted=True), ESTIMATE, "PAID") is None
    # Cancelled before omsync recorded anything: enqueued once, so the cancellations flow tombstones it
    assert behind(cancelled, None, ESTIMATE, "PAID") == "cancelled: not recorded yet"
    assert behind(cancelled, SyncRecord("SO-1001", tombstone=True), ESTIMATE, "PAID") is None
    returned = order(
        item("SKU-B", 1, "55500"),
        orderStatus="DELIVERED",
        returnInfos=[{"returnId": "RT-1", "items": [{"itemId": "IT-SKU-B", "masterSku": "SKU-B", "quantity": 1}]}],
    )
    assert behind(returned, invoiced, ESTIMATE, "PAID") == "return RT-1 not posted"


def test_a_held_order_is_never_behind_its_release_brings_it_back() -> None:
    held = SyncRecord("SO-1001", hold=Hold("unmapped_store", "store SH-TOKO has no mapping", "apply one", 0.0))
    assert behind(order(item("SKU-B", 1, "55500")), held, None, "PAID") is None
    # Unmapped and never seen: enqueued, so that the orders flow holds it with its cause and hint
    assert behind(order(item("SKU-B", 1, "55500")), None, None, "PAID") == "PAID: no invoice yet"
