"""Specification: Ginee purchase inbounds and stock adjustments are booked in Accurate exactly once (issue 18).

The whole local stack runs; inbounds are created, received, part-received and cancelled in the Ginee
sandbox and stock is adjusted there, each change announced by webhook (every webhook delivered twice, in
shuffled order). The purchases function re-reads each movement and books what is not booked yet. The
journals asserted are docs/POSTING.md §17's worked examples.
"""

from __future__ import annotations

import logging
import time
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import yaml
from flow_world import (
    OpenWorld,
    announce_again,
    dead_letters,
    flow_scenario,
    mapping_yaml,
    net_by_account,
    settle,
    started_player,
)

from omsync.accurate.documents import Item, PurchaseInvoice, PurchaseInvoiceItem
from omsync.ledger.purchases import BookedPart, MovementLedger
from omsync.observability import logger
from omsync.posting.purchases import Received
from omsync_workshop.ginee.webhooks import DeliveryOptions
from omsync_workshop.world import LocalWorld

WAREHOUSE = "WW64AAV776CFF47E0001DEMO01"  # Gudang Utama in Accurate
PERSEDIAAN, HUTANG_USAHA, HUTANG_BELUM_DITAGIH, PENYESUAIAN = "1301", "2101", "2102", "6108"


def purchases_mapping(**purchases: Any) -> str:
    """The example mapping with purchases booked (branch and adjustment account set), and ``purchases`` changes."""
    data: dict[str, Any] = yaml.safe_load(mapping_yaml())
    data["purchases"].update(
        {"enabled": True, "branch": "Kantor Pusat", "adjustment_account": PENYESUAIAN, **purchases}
    )
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def journal(world: LocalWorld, number: str) -> dict[str, Decimal]:
    return net_by_account(world.accurate.journal(number))


def inbound(world: LocalWorld, items: list[dict[str, Any]], supplier: str = "CV Sumber Kain") -> str:
    record = world.ginee.state.create_inbound({"warehouseId": WAREHOUSE, "supplierName": supplier, "items": items})
    return str(record["inboundOrderId"])


def test_inbounds_become_purchase_invoices_once_per_part_cancelled_ones_are_deleted_and_adjustments_posted(
    open_world: OpenWorld,
) -> None:
    world = open_world(
        flow_scenario("flows-small"),
        purchases_mapping(),
        delivery=DeliveryOptions(duplicate_rate=1.0, reorder_window=4),
    )
    started_player(world)
    state = world.ginee.state
    stock_before = world.accurate.stock("KAOS-HITAM-M", "Gudang Utama")

    # An item's first purchase: 200 × KAOS-HITAM-M at 31,000 received in full
    first = inbound(world, [{"masterSku": "KAOS-HITAM-M", "planQuantity": 200, "planPrice": 31000}])
    settle(world)
    assert world.accurate.company.saves["purchase-invoice"] == 0  # not received yet: nothing to book
    state.complete_inbound(first)
    # A part-received inbound: 50 planned at 80,000, 45 received at 80,000
    part = inbound(world, [{"masterSku": "KEMEJA-BIRU-M", "planQuantity": 50, "planPrice": 80000}])
    state.complete_inbound(part, {"KEMEJA-BIRU-M": {"realQuantity": 45, "realPrice": 80000}})
    # A purchase cancelled after it was posted: 10 × BOTOL-750 at 17,000
    cancelled = inbound(world, [{"masterSku": "BOTOL-750", "planQuantity": 10, "planPrice": 17000}])
    state.complete_inbound(cancelled)
    settle(world)

    first_no, part_no, cancelled_no = (f"PB-{first}-1", f"PB-{part}-1", f"PB-{cancelled}-1")
    assert journal(world, first_no) == {PERSEDIAAN: Decimal("6200000"), HUTANG_USAHA: Decimal("-6200000")}
    assert journal(world, part_no) == {PERSEDIAAN: Decimal("3600000"), HUTANG_USAHA: Decimal("-3600000")}
    assert journal(world, cancelled_no) == {PERSEDIAAN: Decimal("170000"), HUTANG_USAHA: Decimal("-170000")}
    assert world.accurate.stock("KAOS-HITAM-M", "Gudang Utama") == stock_before + 200
    invoice = world.accurate_client().find_by_number(PurchaseInvoice, first_no)
    assert invoice is not None and invoice["vendorNo"] == "V-0001"

    # Every notification again, three times, shuffled, with fresh ids: nothing more is booked
    saves = dict(world.accurate.company.saves)
    announce_again(world, "inbound_order", "inboundOrderId", [first, part, cancelled], times=3)
    assert dict(world.accurate.company.saves) == saves

    # The cancelled inbound's invoice is deleted (the mapping's rule), and its goods leave Accurate's stock
    botol = world.accurate.stock("BOTOL-750", "Gudang Utama")
    state.cancel_inbound(cancelled)
    settle(world)
    assert journal(world, cancelled_no) == {}
    assert world.accurate.stock("BOTOL-750", "Gudang Utama") == botol - 10
    assert set(world.document_totals()["purchase_invoice"]) == {first_no, part_no}

    # Stock adjusted in Ginee outside orders and purchases: in at Ginee's average cost, out at Accurate's
    lampu = state.adjust_stock(WAREHOUSE, "LAMPU-LED-9W", 5, "selisih stock opname")
    botol_out = state.adjust_stock(WAREHOUSE, "BOTOL-750", -3, "rusak saat stock opname")
    settle(world)
    assert journal(world, f"PB-{lampu['inboundOrderId']}") == {
        PERSEDIAAN: Decimal("55000"),
        PENYESUAIAN: Decimal("-55000"),
    }
    assert journal(world, f"PB-{botol_out['outboundOrderId']}") == {
        PENYESUAIAN: Decimal("52500"),
        PERSEDIAAN: Decimal("-52500"),
    }

    assert dead_letters(world) == {}
    assert world.stack.runner.stats["PurchasesFunction"].errors == 0


def test_a_receive_item_mapping_books_goods_received_not_billed(open_world: OpenWorld) -> None:
    world = open_world(flow_scenario("flows-small"), purchases_mapping(document="receive_item"))
    started_player(world)
    received = inbound(world, [{"masterSku": "KAOS-PUTIH-L", "planQuantity": 20, "planPrice": 29000}])
    world.ginee.state.complete_inbound(received)
    settle(world)

    assert journal(world, f"PB-{received}-1") == {
        PERSEDIAAN: Decimal("580000"),
        HUTANG_BELUM_DITAGIH: Decimal("-580000"),
    }
    assert world.accurate.company.saves["purchase-invoice"] == 0


def test_an_inbound_of_a_product_accurate_has_no_item_for_yet_creates_it_with_auto_create(
    open_world: OpenWorld,
) -> None:
    world = open_world(flow_scenario("flows-small"), purchases_mapping())
    started_player(world)
    # Given a product created in Ginee whose Item the products flow has not made yet (its webhook is late)
    product = {"name": "Topi Baseball Hitam", "variations": [{"sku": "TOPI-BASEBALL", "sellingPrice": 44400}]}
    world.ginee.state.put_product(product, notify=False)
    assert "TOPI-BASEBALL" not in world.items()

    # When 120 caps are received at 21,000
    caps = inbound(world, [{"masterSku": "TOPI-BASEBALL", "planQuantity": 120, "planPrice": 21000}])
    world.ginee.state.complete_inbound(caps)
    settle(world)

    # Then items.auto_create makes the Item from Ginee's catalogue and the purchase is booked, not held
    assert journal(world, f"PB-{caps}-1") == {PERSEDIAAN: Decimal("2520000"), HUTANG_USAHA: Decimal("-2520000")}
    assert world.accurate.stock("TOPI-BASEBALL", "Gudang Utama") == 120
    assert MovementLedger(world.connection_id).load(caps).hold_cause is None
    assert world.items()["TOPI-BASEBALL"] == ("Topi Baseball Hitam", Decimal(44400))


def test_purchases_stay_unbooked_unless_the_mapping_turns_them_on(open_world: OpenWorld) -> None:
    world = open_world(flow_scenario("flows-small"), purchases_mapping(enabled=False))
    started_player(world)
    received = inbound(world, [{"masterSku": "KAOS-PUTIH-L", "planQuantity": 20, "planPrice": 29000}])
    world.ginee.state.complete_inbound(received)
    settle(world)

    assert world.accurate.company.saves["purchase-invoice"] == 0
    assert world.stack.queue_depths().get("PurchasesQueue", 0) == 0  # consumed, not left waiting
    assert dead_letters(world) == {}


def test_the_purchases_function_does_its_job_under_its_own_template_policy(open_world: OpenWorld) -> None:
    world = open_world(flow_scenario("flows-small"), purchases_mapping(), enforce_iam=True, accurate_auth="oauth")
    started_player(world)
    received = inbound(world, [{"masterSku": "KAOS-PUTIH-L", "planQuantity": 20, "planPrice": 29000}])
    world.ginee.state.complete_inbound(received)
    settle(world)

    assert journal(world, f"PB-{received}-1") == {PERSEDIAAN: Decimal("580000"), HUTANG_USAHA: Decimal("-580000")}
    assert dead_letters(world) == {}
    assert world.stack.runner.stats["PurchasesFunction"].errors == 0


def test_accurate_losing_half_its_answers_after_saving_books_each_inbound_once(
    open_world: OpenWorld, caplog: pytest.LogCaptureFixture
) -> None:
    # Given Accurate dropping the connection after saving on half of the writes (the worker never hears it)
    world = open_world(
        flow_scenario("flows-small"),
        purchases_mapping(),
        delivery=DeliveryOptions(duplicate_rate=1.0, reorder_window=3),
    )
    started_player(world)
    world.accurate.faults.timeout_after_commit_rate = 0.5
    caplog.set_level(logging.WARNING, logger=logger.name)

    # When five inbounds are received and each announced twice, shuffled
    ids = [
        inbound(world, [{"masterSku": "LAMPU-LED-9W", "planQuantity": 10 + n, "planPrice": 11000}]) for n in range(5)
    ]
    for movement_id in ids:
        world.ginee.state.complete_inbound(movement_id)
    settle(world)
    world.accurate.faults.timeout_after_commit_rate = 0.0
    announce_again(world, "inbound_order", "inboundOrderId", ids, times=1)  # what was left to retry converges

    # Then the fault did strike, and each inbound has exactly its one Purchase Invoice, with its own amount
    assert any(record.getMessage() == "bulk-save ambiguous, looking the numbers up" for record in caplog.records)
    invoices = world.document_totals()["purchase_invoice"]
    assert invoices == {f"PB-{mid}-1": Decimal(11000 * (10 + n)) for n, mid in enumerate(ids)}
    assert world.accurate.company.saves["purchase-invoice"] == 5
    assert dead_letters(world) == {}


def test_a_worker_that_died_after_posting_leaves_an_intent_the_next_one_books_without_posting_again(
    open_world: OpenWorld,
) -> None:
    world = open_world(flow_scenario("flows-small"), purchases_mapping())
    started_player(world)
    state = world.ginee.state
    # Given an inbound received in Ginee whose notification has not arrived yet …
    movement = inbound(world, [{"masterSku": "BOTOL-750", "planQuantity": 12, "planPrice": 17000}])
    settle(world)
    state.complete_inbound(movement, notify=False)
    # … and a worker that, when Ginee had received 10 of the 12, wrote its intent, posted the Purchase
    # Invoice of those 10 and died before recording it
    number = f"PB-{movement}-1"
    lines = {"BOTOL-750": Received(10, Decimal(170000))}
    ledger = MovementLedger(world.connection_id, clock=lambda: time.time() - 3600)  # its intent long expired
    assert ledger.write(
        ledger.load(movement), parts=[], intent=BookedPart(number, "purchase-invoice", lines), owner="dead"
    )
    document = PurchaseInvoice(
        number=number,
        vendor_no="V-0001",
        trans_date=date(2025, 9, 1),
        branch_name="Kantor Pusat",
        detail_item=[
            PurchaseInvoiceItem(
                item_no="BOTOL-750", quantity=Decimal(10), unit_price=Decimal(17000), warehouse_name="Gudang Utama"
            )
        ],
    )
    world.accurate_client().save(document)
    saves = world.accurate.company.saves["purchase-invoice"]

    # When the inbound's notification arrives, twice
    announce_again(world, "inbound_order", "inboundOrderId", [movement], times=2)

    # Then the invoice the dead worker posted is booked as part 1 as it was posted (10), never posted
    # again, and only the 2 it did not cover become part 2
    assert world.accurate.company.saves["purchase-invoice"] == saves + 1
    record = MovementLedger(world.connection_id).load(movement)
    second = f"PB-{movement}-2"
    assert [(part.number, part.lines) for part in record.parts] == [
        (number, lines),
        (second, {"BOTOL-750": Received(2, Decimal(34000))}),
    ]
    assert record.intent is None
    assert journal(world, number) == {PERSEDIAAN: Decimal("170000"), HUTANG_USAHA: Decimal("-170000")}
    assert journal(world, second) == {PERSEDIAAN: Decimal("34000"), HUTANG_USAHA: Decimal("-34000")}


def test_product_and_inbound_notifications_queued_before_their_functions_ran_are_booked_once_they_do(
    open_world: OpenWorld,
) -> None:
    # Given a stack whose products and purchases queues fill while no function consumes them (the receiver
    # accepted master-product and inbound webhooks before these functions were deployed)
    world = open_world(flow_scenario("flows-small"), purchases_mapping(document="receive_item"), start_workers=False)
    started_player(world)
    state = world.ginee.state
    state.put_product(
        {"productId": "MP9000000000000000000002", "name": "Topi Rajut", "variations": [{"sku": "TOPI-RAJUT"}]}
    )
    received = inbound(world, [{"masterSku": "KAOS-PUTIH-L", "planQuantity": 20, "planPrice": 29000}])
    state.complete_inbound(received)
    assert world.sender is not None
    world.sender.flush()
    waiting = world.stack.queue_depths()
    assert waiting["ProductsQueue"] >= 1 and waiting["PurchasesQueue"] >= 1, waiting
    assert world.accurate_client().find_by_number(Item, "TOPI-RAJUT") is None

    # When the functions deploy (their event sources start polling)
    world.start_workers()
    settle(world)

    # Then what waited is booked, once, and the queues (whose age alarms fired) are empty
    assert world.accurate_client().find_by_number(Item, "TOPI-RAJUT") is not None
    assert journal(world, f"PB-{received}-1") == {
        PERSEDIAAN: Decimal("580000"),
        HUTANG_BELUM_DITAGIH: Decimal("-580000"),
    }
    depths = world.stack.queue_depths()
    assert depths["ProductsQueue"] == 0 and depths["PurchasesQueue"] == 0, depths
    assert dead_letters(world) == {}
