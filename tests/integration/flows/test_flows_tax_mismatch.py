"""Specification: omsync books what Accurate books (issue 17, build item 2; docs/POSTING.md §3a).

After an invoice is saved omsync keeps Accurate's own totals from the save answer in the Ledger. Where the PPN
Accurate booked differs from omsync's plan by more than the rounding leftover (Rp1), Accurate's tax set-up
computes another tax than the store's mapping says: the order is held ``tax_mismatch`` naming both figures, and
no receipt pays the invoice, even once the order completes.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from flow_world import OpenWorld, dead_letters, mapping_yaml, record_of, settle, started_player

from omsync_workshop.scenarios import load_scenario

WORLD = Path(__file__).resolve().parent / "cases" / "settlements" / "bug-orders.json"
# 2 × KAOS-HITAM-M at 55,500 including PPN: 111,000, which the mapping's PPN 12% on 11/12 splits 100,000 + 11,000.
ORDER: dict[str, Any] = {
    "externalOrderSn": "251001TAX00001",
    "externalOrderId": "251001TAX00001",
    "shopId": "SH64AAV776CFF47E0001SHOPEE",
    "warehouseId": "WW64AAV776CFF47E0001DEMO01",
    "orderStatus": "PENDING_PAYMENT",
    "items": [
        {
            "sku": "KAOS-HITAM-M",
            "masterSku": "KAOS-HITAM-M",
            "masterSkuType": "NORMAL",
            "productName": "KAOS-HITAM-M",
            "quantity": 2,
            "originalPrice": "55500",
            "originalTotalPrice": "111000",
            "actualPrice": "55500",
            "actualTotalPrice": "111000",
            "isGift": False,
            "bundleSkus": [],
        }
    ],
    "paymentInfo": {"currency": "IDR", "subTotal": "111000"},
    "currency": "IDR",
}


def test_an_invoice_accurate_taxes_otherwise_than_the_mapping_holds_its_order_and_no_receipt_pays_it(
    open_world: OpenWorld,
) -> None:
    # Given the mapping applied (PPN 12% on DPP Nilai Lain 11/12), and then, behind omsync's back, the company's
    # tax PPN set to 11% in Accurate (Perusahaan → Pajak)
    world = open_world(replace(load_scenario(WORLD), orders=(), events=()), mapping_yaml())
    started_player(world)
    world.accurate.company.taxes["PPN"] = Decimal(11)
    order_id = str(world.ginee.state.create_order(copy.deepcopy(ORDER))["orderId"])

    # When the order is paid
    world.ginee.state.transition(order_id, "pay")
    settle(world)

    # Then the invoice stands with Accurate's own figures in the Ledger — 11% of 11/12: PPN 10,167, not 11,000 —
    # and the order is held tax_mismatch naming both
    record = record_of(world, order_id)
    assert record is not None and record.invoice is not None
    assert (record.invoice.number, record.invoice.total, record.invoice.tax) == (
        "SP-251001TAX00001",
        Decimal(111000),
        Decimal(10167),
    )
    assert record.hold is not None and record.hold.cause == "tax_mismatch"
    assert "Accurate booked PPN 10,167, omsync planned 11,000" in record.hold.reason
    assert "tax PPN at 12% on DPP Nilai Lain 11/12" in record.hold.reason
    assert "Perusahaan → Pajak" in record.hold.hint

    # When it ships and completes (its store settles by estimate)
    world.ginee.state.transition(order_id, "ship")
    world.ginee.state.transition(order_id, "complete")
    settle(world)

    # Then no receipt pays it: it stays held with both figures, and nothing failed
    record = record_of(world, order_id)
    assert record is not None and record.receipt is None
    assert record.hold is not None and record.hold.cause == "tax_mismatch"
    assert not [line for line in world.accurate.journal() if line["kind"] == "sales-receipt"]
    assert dead_letters(world) == {}
