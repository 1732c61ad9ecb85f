"""Specification: a PKP store's buyer shipping booked as its own revenue is taxed inside the DPP (issue 17, build
item 6; docs/POSTING.md §4).

Under ``shipping: revenue_and_expense`` a PKP store invoices the buyer's shipping as a line of its shipping service
item (``shipping_item``, JASA-ONGKIR in the demo company, sales account Pendapatan Ongkos Kirim), taxed like the
goods: Accurate takes the invoice's PPN from goods and shipping together and books the shipping's value on the
item's sales account; the estimated receipt deducts the shipping again as the courier's charge (Beban Ongkir).
`omsync mapping apply` refuses a shipping item that is not a service, or whose sales account is not the store's
``accounts.shipping_revenue``. One world, one order, checked against Accurate's journal and the oracle.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from flow_world import (
    SHOPEE,
    TOKOPEDIA,
    OpenWorld,
    dead_letters,
    flow_scenario,
    invoice_number,
    mapping_yaml,
    net_by_account,
    omsync,
    oracle_journal_of,
    orders_of,
    record_of,
)

SHIPPING_REVENUE = "4104"  # Pendapatan Ongkos Kirim: JASA-ONGKIR's sales account in the demo company
SHIPPING_EXPENSE = "6106"  # Beban Ongkir
OUTPUT_TAX = "2201"


def shipping_as_revenue(items: dict[str, str]) -> str:
    """The demo mapping with stores (shop id → shipping item; PKP, prices including PPN 12% on 11/12) booking the
    buyer's shipping as revenue."""
    accounts = {"shipping_revenue": SHIPPING_REVENUE, "shipping_expense": SHIPPING_EXPENSE}
    return mapping_yaml(
        store_settings={
            shop: {"shipping": "revenue_and_expense", "shipping_item": item, "accounts": accounts}
            for shop, item in items.items()
        }
    )


def test_a_pkp_stores_shipping_revenue_is_taxed_with_the_goods_and_expensed_at_settlement(
    open_world: OpenWorld, tmp_path: Path
) -> None:
    # Given a completed Shopee order: 2 lamps at 24,420 less a seller voucher of 5,000 (43,840), and 8,000 of
    # shipping the buyer paid, all including PPN; fees 5,525; the marketplace released 38,315
    scenario = flow_scenario("flows-small")
    order = next(o for o in orders_of(scenario, "completed") if not o.is_cod)
    assert order.buyer_shipping == Decimal(8000)
    alone = replace(scenario, orders=(order,), events=tuple(e for e in scenario.events if e.target == order.order_id))
    mapping = shipping_as_revenue({SHOPEE: "JASA-ONGKIR"})
    world = open_world(alone, mapping)

    # When the seller applies a mapping naming as shipping items a goods item (Shopee) and a service booked on
    # Penjualan (Tokopedia)
    path = tmp_path / "mapping.yaml"
    path.write_text(shipping_as_revenue({SHOPEE: "SKU-A", TOKOPEDIA: "JASA-BUNGKUS"}), encoding="utf-8")
    status, output = omsync("mapping", "apply", str(path), "--connection", world.connection_id)
    # Then it is refused, each store's problem named with what to change in Accurate
    assert status != 0 and f"stores.{SHOPEE}.shipping_item: Accurate's item SKU-A is INVENTORY" in output, output
    assert (
        "Accurate books item JASA-BUNGKUS's sales on account 4101, and the store's accounts.shipping_revenue is 4104"
        in output
    )
    assert f"stores.{TOKOPEDIA}.shipping_item" in output
    # And the mapping naming JASA-ONGKIR (a service whose sales account is 4104) is applied
    path.write_text(mapping, encoding="utf-8")
    status, output = omsync("mapping", "apply", str(path), "--connection", world.connection_id)
    assert status == 0, output

    # When the order is played to its end
    world.play()
    world.settle()

    # Then Accurate taxed goods and shipping together: 43,840 ÷ 1.11 = 39,495.495495 and 8,000 ÷ 1.11 =
    # 7,207.207207, PPN 12% × 11/12 of their 46,702.702702 = 5,137 (rounded down; 4,344 on the goods alone), the
    # omsync plan's 5,137 too: nothing held
    number = invoice_number("SP-", order)
    record = record_of(world, order.order_id)
    assert record is not None and record.invoice is not None and record.hold is None
    assert (record.invoice.total, record.invoice.tax) == (Decimal(51840), Decimal(5137))
    # (the Ledger keeps the goods the invoice sold, not the shipping line: nothing reads as gone from the order)
    assert [line.sku for line in record.invoice.lines] == ["LAMPU-LED-9W"] and record.returns == {}
    invoice = net_by_account(world.accurate.journal(number))
    assert invoice[SHIPPING_REVENUE] == Decimal("-7207.207207")
    assert invoice[OUTPUT_TAX] == Decimal(-5137)
    # And the receipt deducts the 8,000 the marketplace paid the courier: Saldo Shopee gets what it released
    receipt = net_by_account(world.accurate.journal(number + "-P"))
    assert receipt[SHIPPING_EXPENSE] == Decimal(8000)
    assert receipt["1103"] == Decimal(38315)
    # And per account the invoice and receipt are what the oracle books for the order, to the sixth decimal
    lines = [*world.accurate.journal(number), *world.accurate.journal(number + "-P")]
    assert net_by_account(lines) == oracle_journal_of(scenario, mapping, order)
    report = world.report()
    assert report.oracle_match, report.comparison.report()
    assert dead_letters(world) == {}
