"""Specification: a Lambda dying halfway, an unmapped store and a SKU Accurate lacks all heal (issue 5).

Nothing inside omsync is patched: the crash is reproduced by doing what a Lambda does up to the moment
it dies (lease with intent, the invoice saved in Accurate) and no further; the seller's fixes are
`omsync mapping apply` run as the seller runs it.
"""

from __future__ import annotations

import copy
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from flow_world import (
    SHOPEE,
    TOKOPEDIA,
    OpenWorld,
    apply_mapping,
    dead_letters,
    flow_scenario,
    invoice_number,
    mapping_yaml,
    net_by_account,
    oracle,
    oracle_journal_of,
    order_notification,
    orders_of,
    play_late,
    play_rest,
    play_through,
    record_of,
    redeliver,
    settle,
    started_player,
)

from omsync.accurate.documents import Item
from omsync.ledger.orders import LEASE_SECONDS, OrderLedger
from omsync.posting.invoice import plan_sales_invoice
from omsync.sync.context import context_for
from omsync_workshop.oracle import compare
from omsync_workshop.scenarios import ProductFacts
from omsync_workshop.scenarios.generator import product_json
from omsync_workshop.world import LocalWorld


def test_a_crash_after_the_accurate_write_and_before_the_ledger_write_heals_without_a_duplicate(
    open_world: OpenWorld,
) -> None:
    scenario = flow_scenario("flows-paths")
    # flows-paths' completed order is cash on delivery: here it is invoiced at payment (cod_trigger_status PAID)
    mapping = mapping_yaml(store_settings={SHOPEE: {"cod_trigger_status": "PAID"}})
    world = open_world(scenario, mapping)
    order = orders_of(scenario, "completed")[0]
    number = invoice_number("SP-", order)
    # Given an order created (and seen by omsync), then paid in Ginee, its PAID notification not delivered yet
    play_through(world, order.order_id, "create")
    play_through(world, order.order_id, "pay", unannounced=[(order.order_id, "pay")])
    assert record_of(world, order.order_id) is None

    # And a worker that took the order's lease with its intent, saved the invoice in Accurate and died
    # before writing the Ledger, longer ago than a lease lives
    ctx = context_for(world.connection_id)
    fetched = ctx.ginee.batch_get([order.order_id])[0]
    plan = plan_sales_invoice(fetched, ctx.store(fetched.shop_id), ctx.component_prices())
    assert plan.number == number
    died_at = time.time() - 2 * LEASE_SECONDS
    assert OrderLedger(world.connection_id, clock=lambda: died_at).lease({order.order_id: number}, "dead-lambda")
    saved = ctx.accurate.bulk_save([plan])
    assert saved[0].ok
    assert number in world.document_totals()["sales_invoice"]
    dying = record_of(world, order.order_id)
    assert dying is not None and dying.invoice is None and dying.intent == number

    # When the PAID webhook finally arrives (twice)
    redeliver(world, [order_notification(world, order.order_id)], times=2)

    # Then the Ledger records the invoice the dead worker posted, and Accurate holds it once
    record = record_of(world, order.order_id)
    assert record is not None and record.invoice is not None
    assert record.invoice.number == number
    assert record.invoice.accurate_id == saved[0].saved.id  # type: ignore[union-attr]
    assert record.lease_owner is None and record.intent is None
    # And the rest of the scenario ends in the oracle's books: the order's invoice and receipt are the
    # oracle's to the rupiah
    play_rest(world)
    journal = world.accurate.journal(number) + world.accurate.journal(number + "-P")
    assert net_by_account(journal) == oracle_journal_of(scenario, mapping, order)
    report = world.report()
    assert report.oracle_match, report.comparison.report()
    assert dead_letters(world) == {}


def test_orders_of_an_unmapped_store_wait_on_hold_and_are_posted_once_a_mapping_naming_it_is_applied(
    open_world: OpenWorld, tmp_path: Path
) -> None:
    # Given a mapping without the Tokopedia store
    scenario = flow_scenario("flows-small")
    partial = mapping_yaml(without=[TOKOPEDIA])
    world = open_world(scenario, partial)

    # When the scenario plays (Ginee's notifications late: one per order, at its state)
    play_late(world)

    # Then Tokopedia's paid orders that are not cancelled are on hold, "unmapped_store", with the fix
    waiting = {o.order_id for o in scenario.orders if o.shop_id == TOKOPEDIA and o.paid_at and not o.cancelled_at}
    held = OrderLedger(world.connection_id).held()
    assert waiting and {record.order_id for record in held} == waiting
    for record in held:
        assert record.hold is not None and record.hold.cause == "unmapped_store"
        assert TOKOPEDIA in record.hold.reason and "mapping apply" in record.hold.hint
    assert world.report().on_hold == {"unmapped_store": len(waiting)}
    # And the mapped stores' books are already the oracle's for that mapping
    assert world.report().oracle_match, world.report().comparison.report()

    # When the seller applies the full mapping with `omsync mapping apply`
    output = apply_mapping(world, mapping_yaml(), tmp_path)
    assert f"unmapped_store {len(waiting)}" in output
    settle(world)

    # Then nothing is on hold and the books are the oracle's for the full mapping
    assert OrderLedger(world.connection_id).held() == []
    documents = world.document_totals()
    comparison = compare(
        oracle(scenario, mapping_yaml()),
        world.accurate.trial_balance(),
        {kind: documents[kind] for kind in ("sales_invoice", "sales_return", "sales_receipt", "journal_voucher")},
    )
    assert comparison.matches, comparison.report()
    assert dead_letters(world) == {}


def new_product_order(world: LocalWorld, sku: str, *, announce_product: bool = True) -> str:
    """Ginee gets a new master product and a paid order of it (the seller never entered it in Accurate).

    ``announce_product=False``: the product's own webhook is never sent, so the products flow does not create
    its Item; otherwise whether the order meets the Item depends on which of two queues is served first."""
    scenario = world.scenario
    started_player(world)
    product = ProductFacts(
        "MPFLOWSNEW0000000000000001", sku, "Topi Baseball Hitam", "fashion", Decimal(44400), Decimal(21000)
    )
    state = world.ginee.state
    at = scenario.start + timedelta(hours=1)
    state.put_product(product_json(product), at, notify=announce_product)
    template = next(e for e in scenario.events if e.action == "create" and e.entity == "order").data["order"]
    order = copy.deepcopy(template)
    order.update(orderId="SOFLOWSNEWSKU00000000001", externalOrderSn="250901NEWSKU01", externalOrderId="250901NEWSKU01")
    order["shopId"] = SHOPEE
    for line in order["items"]:
        line.update(sku=sku, masterSku=sku, masterSkuType="NORMAL", bundleSkus=[])
    state.create_order(order, at)
    state.transition(order["orderId"], "pay", at + timedelta(minutes=5))
    settle(world)
    return str(order["orderId"])


def test_a_sku_missing_in_accurate_holds_the_order_until_auto_create_is_applied_then_it_is_created_and_posted(
    open_world: OpenWorld, tmp_path: Path
) -> None:
    # Given items.auto_create off, a company that allows stock below zero (Accurate's preference, so a
    # new item can be sold before its first receipt), and a paid order of a SKU Accurate does not have
    scenario = flow_scenario("flows-paths")
    world = open_world(scenario, mapping_yaml(auto_create=False))
    world.accurate.company.allow_negative_stock = True
    order_id = new_product_order(world, "TOPI-BASEBALL", announce_product=False)

    # Then the order is on hold "missing_sku", naming the SKU and the fix, and nothing is posted for it
    record = record_of(world, order_id)
    assert record is not None and record.hold is not None and record.invoice is None
    assert record.hold.cause == "missing_sku"
    assert "SKU TOPI-BASEBALL is not in Accurate" in record.hold.reason
    assert "auto_create" in record.hold.hint
    assert "SP-250901NEWSKU01" not in world.document_totals()["sales_invoice"]

    # When the seller turns auto-create on with `omsync mapping apply`
    apply_mapping(world, mapping_yaml(auto_create=True), tmp_path)
    settle(world)

    # Then the item is created from Ginee's master product and the invoice is posted
    created = world.accurate_client().find_by_number(Item, "TOPI-BASEBALL")
    assert created is not None
    record = record_of(world, order_id)
    assert record is not None and record.hold is None and record.invoice is not None
    assert record.invoice.number == "SP-250901NEWSKU01"
    assert "SP-250901NEWSKU01" in world.document_totals()["sales_invoice"]
    assert dead_letters(world) == {}


def test_an_invoice_refused_for_lack_of_stock_waits_on_hold_not_in_the_dead_letter_queue(
    open_world: OpenWorld,
) -> None:
    # Given auto-create on and a company that refuses stock below zero
    scenario = flow_scenario("flows-paths")
    world = open_world(scenario, mapping_yaml(auto_create=True))

    # When an order of a SKU Accurate does not have is paid (the item is created, with no stock)
    order_id = new_product_order(world, "TOPI-BASEBALL")

    # Then the item exists, the order waits on hold with a reason naming the SKU, and nothing is dead
    assert world.accurate_client().find_by_number(Item, "TOPI-BASEBALL") is not None
    record = record_of(world, order_id)
    assert dead_letters(world) == {}
    assert record is not None and record.hold is not None
    assert record.hold.cause == "insufficient_stock"
    assert "TOPI-BASEBALL" in record.hold.reason
