"""Specification: `omsync stock compare` shows Ginee's stock beside Accurate's and `--post` makes them equal;
`omsync stock init` books a new connection's opening stock once (issue 18, build items 4 and 5).

The local stack runs with both sandboxes; Ginee's stock is changed without a webhook (what a seller's
stock-take in Ginee looks like to Accurate), and the operator command runs in-process against the stack.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import yaml
from flow_world import OpenWorld, flow_scenario, mapping_yaml, net_by_account, omsync, started_player

from omsync.accurate.documents import ItemAdjustment, ItemAdjustmentLine
from omsync_workshop.world import LocalWorld

WAREHOUSE = "WW64AAV776CFF47E0001DEMO01"  # Gudang Utama in Accurate
PERSEDIAAN, EKUITAS_SALDO_AWAL, PENYESUAIAN = "1301", "3102", "6108"


def stock_mapping() -> str:
    data: dict[str, Any] = yaml.safe_load(mapping_yaml())
    data["purchases"].update(
        {"branch": "Kantor Pusat", "adjustment_account": PENYESUAIAN, "opening_account": EKUITAS_SALDO_AWAL}
    )
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def new_ginee_products(world: LocalWorld, count: int, *, stock: int = 30, cost: int = 8000) -> list[str]:
    """Products that exist in Ginee with stock in the warehouse but were never announced (no Item in Accurate)."""
    skus = [f"GELAS-{n:05d}" for n in range(count)]
    state = world.ginee.state
    for sku in skus:
        state.put_product({"name": f"Gelas {sku}", "variations": [{"sku": sku, "purchasePrice": cost}]}, notify=False)
        state.stock_of(WAREHOUSE, sku).warehouse_stock += stock
    return skus


def compare(world: LocalWorld, *options: str) -> tuple[int, dict[str, Any]]:
    status, output = omsync("stock", "compare", "--connection", world.connection_id, "--json", *options)
    assert status in (0, 1), output
    return status, json.loads(output)


def test_compare_shows_each_difference_with_its_value_and_post_makes_accurate_equal_ginee(
    open_world: OpenWorld,
) -> None:
    world = open_world(flow_scenario("flows-small"), stock_mapping())
    started_player(world)

    # Given the books opened as Ginee's stock: nothing differs
    status, report = compare(world)
    assert (status, report["differences"]) == (0, []), report

    # When a stock-take in Ginee finds 4 bottles missing and 30 glasses Accurate never heard of
    world.ginee.state.stock_of(WAREHOUSE, "BOTOL-750").warehouse_stock -= 4
    new_ginee_products(world, 1)
    status, report = compare(world, "--warehouse", "Gudang Utama")

    # Then both differences show, valued at Ginee's average purchase price; nothing is posted (dry run)
    assert status == 1
    assert {(d["sku"], d["difference"], d["value"]) for d in report["differences"]} == {
        ("BOTOL-750", "-4", "-70000"),
        ("GELAS-00000", "30", "240000"),
    }
    assert report["posted"] == []
    assert world.accurate.company.saves["item-adjustment"] == 0

    # When the operator posts them
    status, report = compare(world, "--post")
    assert status == 0 and len(report["posted"]) == 2
    # Then Accurate's stock equals Ginee's, in at Ginee's cost and out at Accurate's average cost
    assert world.accurate.stock("GELAS-00000", "Gudang Utama") == 30
    net = net_by_account(line for number in report["posted"] for line in world.accurate.journal(number))
    assert net == {PERSEDIAAN: Decimal(240000 - 70000), PENYESUAIAN: Decimal(70000 - 240000)}
    saves = world.accurate.company.saves["item-adjustment"]
    assert compare(world) == (0, {"differences": [], "posted": []})
    assert world.accurate.company.saves["item-adjustment"] == saves

    assert compare(world, "--store", "SH64AAV776CFF47E0001SHOPEE") == (0, {"differences": [], "posted": []})

    # When a buyer's bottle comes back: Ginee puts it on the warehouse's shelf, Accurate into the stores'
    # return warehouse (Gudang Retur)
    world.ginee.state.stock_of(WAREHOUSE, "BOTOL-750").warehouse_stock += 1
    back = ItemAdjustment(
        number="RETUR-BOTOL-1",
        adjustment_account_no=PENYESUAIAN,
        trans_date=world.scenario.start.date(),
        branch_name="Kantor Pusat",
        detail_item=[
            ItemAdjustmentLine(
                item_no="BOTOL-750",
                item_adjustment_type="ADJUSTMENT_IN",
                quantity=Decimal(1),
                unit_cost=Decimal(17500),
                warehouse_name="Gudang Retur",
            )
        ],
    )
    assert all(row.ok for row in world.accurate_client().bulk_save([back]))
    # Then it is the same bottle: Ginee's warehouse is Accurate's warehouse and its return warehouse
    assert compare(world) == (0, {"differences": [], "posted": []})

    # A store or a warehouse the mapping does not know is one line and exit 2
    status, output = omsync("stock", "compare", "--connection", world.connection_id, "--warehouse", "Gudang Bali")
    assert status == 2 and "Gudang Bali" in output
    status, output = omsync("stock", "compare", "--connection", world.connection_id, "--store", "SH-UNKNOWN")
    assert status == 2 and "SH-UNKNOWN" in output


def test_init_books_a_new_catalogues_opening_stock_once_within_the_rate_limit(open_world: OpenWorld) -> None:
    world = open_world(flow_scenario("flows-small"), stock_mapping())
    started_player(world)
    skus = new_ginee_products(world, 2000)
    requests_before = world.accurate.request_count

    # When the operator runs stock init on 2,000 SKUs Accurate does not know
    started = time.monotonic()
    status, output = omsync("stock", "init", "--connection", world.connection_id, "--json")
    seconds = time.monotonic() - started
    assert status == 0, output
    result = json.loads(output)
    used = world.accurate.request_count - requests_before
    print(f"stock init: {len(skus)} SKUs, {used} Accurate requests, {seconds:.1f} s")

    # Then each SKU is an Item with Ginee's stock at Ginee's cost, against opening equity
    assert world.accurate.stock("GELAS-01999", "Gudang Utama") == 30
    net = net_by_account(line for number in result["adjustments"] for line in world.accurate.journal(number))
    assert net == {PERSEDIAAN: Decimal(2000 * 30 * 8000), EKUITAS_SALDO_AWAL: Decimal(-2000 * 30 * 8000)}
    # within Accurate's limits (8 requests/s, 8 in flight): no violation, about 3 requests per 100 SKUs
    assert world.accurate.rate_violations == 0 and world.accurate.parallel_violations == 0
    assert used <= 80

    # And running it again changes nothing, even after Ginee's stock moved (compare --post is for that)
    saves = dict(world.accurate.company.saves)
    world.ginee.state.stock_of(WAREHOUSE, skus[0]).warehouse_stock += 5
    status, output = omsync("stock", "init", "--connection", world.connection_id, "--json")
    assert status == 0, output
    assert dict(world.accurate.company.saves) == saves
    assert world.accurate.stock(skus[0], "Gudang Utama") == 30
