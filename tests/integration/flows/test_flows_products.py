"""Specification: Ginee master products become Accurate Items by master SKU, exactly once per change (issue 18).

The whole local stack runs: products are created, changed and deleted in the Ginee sandbox, which announces
each change by webhook (every webhook delivered twice, in shuffled order); the products function re-reads
each product and saves in Accurate only what differs. Items are read back from the Accurate sandbox over HTTP.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flow_world import OpenWorld, announce_again, dead_letters, flow_scenario, mapping_yaml, settle, started_player

from omsync.accurate.documents import Item
from omsync.ledger.products import ProductBindings
from omsync_workshop.ginee.webhooks import DeliveryOptions
from omsync_workshop.world import LocalWorld

SHIRT: dict[str, Any] = {
    "productId": "MP9000000000000000000001",
    "name": "Kaos Katun",
    "variations": [
        {"sku": "KAOS-KATUN-M", "name": "Kaos Katun M", "sellingPrice": 75000, "barCode": "8990000000011"},
        {"sku": "KAOS-KATUN-L", "name": "Kaos Katun L", "sellingPrice": 79000},
    ],
}
HAT: dict[str, Any] = {
    "productId": "MP9000000000000000000002",
    "name": "Topi Rajut",
    "variations": [{"sku": "TOPI-RAJUT"}],
}
BUNDLE: dict[str, Any] = {
    "productId": "MP9000000000000000000003",
    "name": "Paket Kaos",
    "masterVariationType": "BUNDLE",
    "variations": [{"sku": "PAKET-KAOS", "bundleSkus": [{"masterSku": "KAOS-KATUN-M", "quantity": 2}]}],
}


def item(world: LocalWorld, sku: str) -> dict[str, Any] | None:
    """The Item with this code as Accurate's ``detail.do`` shows it (None when there is none)."""
    return world.accurate_client().find_by_number(Item, sku)


def item_saves(world: LocalWorld) -> int:
    return world.accurate.company.saves["item"]


def test_products_become_items_by_master_sku_renamed_keep_their_code_and_deleted_are_suspended(
    open_world: OpenWorld,
) -> None:
    world = open_world(
        flow_scenario("flows-small"), mapping_yaml(), delivery=DeliveryOptions(duplicate_rate=1.0, reorder_window=4)
    )
    started_player(world)  # the scenario's shops, warehouses and catalogue
    state = world.ginee.state

    # Given three master products created together in Ginee
    for product in (SHIRT, HAT, BUNDLE):
        state.put_product({**product, "variations": [dict(v) for v in product["variations"]]})
    settle(world)

    # Then each SKU is an Item coded by its master SKU, with the mapping's type and unit, Ginee's price and barcode
    shirt = item(world, "KAOS-KATUN-M")
    assert shirt is not None
    assert (shirt["name"], shirt["itemType"], shirt["unit1Name"], shirt["upcNo"]) == (
        "Kaos Katun M",
        "INVENTORY",
        "PCS",
        "8990000000011",
    )
    assert Decimal(str(shirt["unitPrice"])) == Decimal("75000")
    hat = item(world, "TOPI-RAJUT")
    assert hat is not None and hat["name"] == "Topi Rajut" and hat["suspended"] is False
    # A bundle is exploded on documents, so it is no Item
    assert item(world, "PAKET-KAOS") is None

    # When the shirt is renamed and repriced
    state.put_product(
        {
            "productId": SHIRT["productId"],
            "name": "Kaos Katun Premium",
            "variations": [
                {
                    "sku": "KAOS-KATUN-M",
                    "name": "Kaos Katun Premium M",
                    "sellingPrice": 80000,
                    "barCode": "8990000000011",
                },
                {"sku": "KAOS-KATUN-L", "name": "Kaos Katun Premium L", "sellingPrice": 79000},
            ],
        }
    )
    settle(world)

    # Then the same Item (same id, same code) carries the new name and price
    renamed = item(world, "KAOS-KATUN-M")
    assert renamed is not None and renamed["id"] == shirt["id"]
    assert renamed["name"] == "Kaos Katun Premium M" and Decimal(str(renamed["unitPrice"])) == Decimal("80000")
    large = item(world, "KAOS-KATUN-L")
    assert large is not None and large["name"] == "Kaos Katun Premium L"

    # When Ginee announces the unchanged products again and again, in any order, nothing is saved
    saves = item_saves(world)
    announce_again(
        world,
        "master_product_update",
        "masterProductId",
        [str(SHIRT["productId"]), str(HAT["productId"]), str(BUNDLE["productId"])],
        times=3,
    )
    assert item_saves(world) == saves

    # When a SKU leaves the shirt and the hat is deleted in Ginee
    state.put_product(
        {
            "productId": SHIRT["productId"],
            "variations": [
                {
                    "sku": "KAOS-KATUN-M",
                    "name": "Kaos Katun Premium M",
                    "sellingPrice": 80000,
                    "barCode": "8990000000011",
                }
            ],
        }
    )
    state.delete_product(str(HAT["productId"]))
    settle(world)

    # Then their Items are suspended, never deleted, and the rest stays as it was
    left = item(world, "KAOS-KATUN-L")
    gone = item(world, "TOPI-RAJUT")
    assert left is not None and left["suspended"] is True
    assert gone is not None and gone["suspended"] is True and gone["id"] == hat["id"]
    kept = item(world, "KAOS-KATUN-M")
    assert kept is not None and kept["suspended"] is False

    # And a late copy of the deletion changes nothing
    saves = item_saves(world)
    announce_again(world, "master_product_update", "masterProductId", [str(HAT["productId"])], times=2)
    assert item_saves(world) == saves

    assert dead_letters(world) == {}
    assert world.stack.runner.stats["ProductsFunction"].errors == 0


def test_the_products_function_does_its_job_under_its_own_template_policy(open_world: OpenWorld) -> None:
    world = open_world(flow_scenario("flows-small"), mapping_yaml(), enforce_iam=True, accurate_auth="oauth")
    started_player(world)
    state = world.ginee.state

    state.put_product({**HAT, "variations": [dict(v) for v in HAT["variations"]]})
    settle(world)
    created = item(world, "TOPI-RAJUT")
    assert created is not None and created["suspended"] is False

    state.delete_product(str(HAT["productId"]))
    settle(world)
    suspended = item(world, "TOPI-RAJUT")
    assert suspended is not None and suspended["suspended"] is True

    assert dead_letters(world) == {}
    assert world.stack.runner.stats["ProductsFunction"].errors == 0


def test_a_sku_longer_than_accurates_item_code_holds_its_product_never_the_dead_letter_queue(
    open_world: OpenWorld,
) -> None:
    world = open_world(flow_scenario("flows-small"), mapping_yaml())
    started_player(world)
    state = world.ginee.state
    long_sku = "KAOS-KATUN-COMBED-30S-PRIA-XL-HITAM"
    assert len(long_sku) > 30

    # Given a master product whose XL SKU is 35 characters (Accurate's item code takes 30) beside an M SKU that fits
    product_id = "MP9000000000000000000004"
    state.put_product(
        {
            "productId": product_id,
            "name": "Kaos Combed",
            "variations": [{"sku": "KAOS-COMBED-M", "sellingPrice": 65000}, {"sku": long_sku, "sellingPrice": 69000}],
        }
    )
    settle(world)

    # Then the M SKU is an Item, the long one is none, and the product is held sku_too_long naming it, with the fix;
    # nothing is dead-lettered and the function never failed
    assert item(world, "KAOS-COMBED-M") is not None
    assert item(world, long_sku[:30]) is None
    hold = ProductBindings(world.connection_id).hold(product_id)
    assert hold is not None, "no hold"
    assert hold.cause == "sku_too_long"
    assert long_sku in hold.reason and "35 characters" in hold.reason and "at most 30" in hold.reason, hold.reason
    assert "shorten the master SKU in Ginee" in hold.hint
    assert dead_letters(world) == {}
    assert world.stack.runner.stats["ProductsFunction"].errors == 0

    # When the seller shortens the SKU in Ginee
    state.put_product(
        {
            "productId": product_id,
            "name": "Kaos Combed",
            "variations": [
                {"sku": "KAOS-COMBED-M", "sellingPrice": 65000},
                {"sku": "KAOS-COMBED-XL", "sellingPrice": 69000},
            ],
        }
    )
    settle(world)

    # Then its Item follows and the hold is gone
    assert item(world, "KAOS-COMBED-XL") is not None
    assert ProductBindings(world.connection_id).hold(product_id) is None
    assert dead_letters(world) == {}
