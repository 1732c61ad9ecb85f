"""Specification: what a completed return puts back on the Ginee sandbox's shelf (issue 16, cases R3 and R4).

A line naming one component of a bundle line brings that component alone; an exchange (reason EXCHANGE, refund
0) brings nothing net: the unit back, the replacement out. `omsync stock compare` holds Accurate to this shelf.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from omsync_workshop.ginee.models import GineeState

CASES = Path(__file__).resolve().parents[2] / "integration" / "flows" / "cases" / "orders"


def delivered(state: GineeState, name: str) -> dict[str, Any]:
    """The case's order created as given, then paid, shipped and delivered."""
    order = state.create_order(json.loads((CASES / name).read_text(encoding="utf-8")), notify=False)
    for action in ("pay", "ship", "deliver"):
        state.transition(order["orderId"], action, notify=False)
    return state.get_order(order["orderId"])


def test_one_component_of_a_bundle_back_shelves_that_component_alone() -> None:
    state = GineeState()
    order = delivered(state, "order-251004BNDL01.json")
    shelf = state.stock_of(order["warehouseId"], "KAOS-HITAM-M")
    before = shelf.warehouse_stock

    line = {"itemId": order["items"][0]["itemId"], "masterSku": "KAOS-HITAM-M", "quantity": 1, "refundAmount": 51800}
    state.transition(order["orderId"], "return", notify=False, lines=[line])

    assert shelf.warehouse_stock == before + 1


def test_the_whole_bundle_back_shelves_every_component() -> None:
    state = GineeState()
    order = delivered(state, "order-251004BNDL01.json")
    shelf = state.stock_of(order["warehouseId"], "KAOS-HITAM-M")
    before = shelf.warehouse_stock

    state.transition(
        order["orderId"], "return", notify=False, lines=[{"itemId": order["items"][0]["itemId"], "quantity": 1}]
    )

    assert shelf.warehouse_stock == before + 3


def test_an_exchange_shelves_nothing_net() -> None:
    state = GineeState()
    order = delivered(state, "order-INV_20251003_MPL_7000000001.json")
    shelf = state.stock_of(order["warehouseId"], "KAOS-HITAM-M")
    before = shelf.warehouse_stock

    swap = {"itemId": order["items"][0]["itemId"], "quantity": 1, "refundAmount": 0}
    state.transition(order["orderId"], "return", notify=False, lines=[swap], reason="EXCHANGE")

    assert shelf.warehouse_stock == before
    assert state.get_order(order["orderId"])["returnInfos"][0]["status"] == "COMPLETED"


def test_a_line_cancelled_after_payment_leaves_the_stock_lock() -> None:
    # Case R1: KAOS-HITAM-M + BOTOL-750, paid, then Ginee's order no longer has the bottle
    state = GineeState()
    order = state.create_order(
        json.loads((CASES / "order-251001PCAN01.json").read_text(encoding="utf-8")), notify=False
    )
    bottle = state.stock_of(order["warehouseId"], "BOTOL-750")
    before = bottle.available_stock
    state.transition(order["orderId"], "pay", notify=False)
    kept = [item for item in state.get_order(order["orderId"])["items"] if item["masterSku"] != "BOTOL-750"]

    state.transition(order["orderId"], "status", notify=False, orderStatus="PAID", extra={"items": kept})

    assert bottle.available_stock == before + 1 and bottle.locked_stock == 0
