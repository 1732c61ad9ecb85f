"""Specification: omsync books what Accurate books (issue 17, build item 2; docs/POSTING.md §3a).

After an invoice is saved omsync keeps Accurate's own totals from the save answer in the Ledger, and a receipt pays
exactly what Accurate says the invoice owes (a rupiah less than the plan where prices exclude PPN: Accurate rounds
PPN down). Where the PPN Accurate booked differs from omsync's plan by more than the rounding leftover (Rp1),
Accurate's tax set-up computes another tax than the store's mapping says: the order is held ``tax_mismatch``
naming both figures, and no receipt pays the invoice, even once the order completes; read again from Accurate
once the mapping says what Accurate computes, it is released and receipted. One world for all of it.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from flow_world import (
    SHOPEE,
    TOKOPEDIA,
    OpenWorld,
    apply_mapping,
    dead_letters,
    mapping_yaml,
    net_by_account,
    record_of,
    settle,
    started_player,
)

from omsync_workshop.scenarios import load_scenario
from omsync_workshop.world import LocalWorld

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


def set_ppn_rate(world: LocalWorld, percent: str) -> None:
    """The seller changes the rate of tax PPN in Accurate (Perusahaan → Pajak): what its documents compute and
    what tax/list.do shows."""
    company = world.accurate.company
    company.taxes["PPN"] = Decimal(percent)
    for tax in company.tax_records:
        if tax["taxCode"] == "PPN":
            tax["rate"] = percent


def test_receipts_pay_accurates_total_and_an_invoice_taxed_otherwise_than_the_mapping_is_held_unpaid(
    open_world: OpenWorld, tmp_path: Path
) -> None:
    # Given the mapping applied (PPN 12% on DPP Nilai Lain 11/12), its Tokopedia store's prices excluding PPN
    exclusive = {TOKOPEDIA: {"tax": {"prices_include_ppn": False}}}
    world = open_world(replace(load_scenario(WORLD), orders=(), events=()), mapping_yaml(store_settings=exclusive))
    started_player(world)

    # When a Tokopedia order of one KAOS-HITAM-M at 45,045 excluding PPN is paid and completes
    tokopedia = copy.deepcopy(ORDER) | {"externalOrderSn": "251001TAX00002", "externalOrderId": "251001TAX00002"}
    tokopedia |= {"shopId": TOKOPEDIA, "channel": "TOKOPEDIA_ID", "paymentInfo": {"currency": "IDR"}}
    tokopedia["items"][0] |= {"quantity": 1, "originalPrice": "45045", "actualPrice": "45045"}
    tokopedia["items"][0] |= {"originalTotalPrice": "45045", "actualTotalPrice": "45045"}
    paid_id = str(world.ginee.state.create_order(tokopedia)["orderId"])
    world.ginee.state.transition(paid_id, "pay")
    world.ginee.state.transition(paid_id, "ship")
    world.ginee.state.transition(paid_id, "complete")
    settle(world)

    # Then Accurate's invoice comes to 49,999 (PPN 4,954.95 rounded down), the plan's 50,000 (half up) being within
    # the rounding leftover: nothing held, and the receipt pays 49,999, leaving the receivable at 0
    record = record_of(world, paid_id)
    assert record is not None and record.invoice is not None and record.hold is None
    assert (record.invoice.total, record.invoice.tax) == (Decimal(49999), Decimal(4954))
    assert record.receipt is not None and record.receipt.payment == Decimal(49999)
    assert net_by_account(world.accurate.journal(record.receipt.number))["1201"] == Decimal(-49999)
    assert world.accurate.trial_balance().get("1201", Decimal(0)) == 0

    # Given then, behind omsync's back, the company's tax PPN set to 11% in Accurate (Perusahaan → Pajak)
    set_ppn_rate(world, "11")
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
    assert world.accurate.trial_balance().get("1201", Decimal(0)) == Decimal(111000)  # its invoice, unpaid
    assert dead_letters(world) == {}

    # When the seller makes the mapping say what Accurate computes (PPN 11% on 11/12) and applies it
    eleven = {"tax": {"ppn_rate": "0.11"}}
    apply_mapping(
        world,
        mapping_yaml(
            store_settings={SHOPEE: eleven, TOKOPEDIA: {"tax": {"prices_include_ppn": False, **eleven["tax"]}}}
        ),
        tmp_path,
    )
    settle(world)

    # Then the order, read again from Accurate, is released and its receipt pays what Accurate says it owes
    record = record_of(world, order_id)
    assert record is not None and record.hold is None
    assert record.receipt is not None and record.receipt.payment == Decimal(111000)
    assert world.accurate.trial_balance().get("1201", Decimal(0)) == 0
    assert dead_letters(world) == {}
