"""Specification: a cash-on-delivery order is invoiced on delivery, through the local stack (issue 17, build item 6).

The buyer of a COD order pays the courier at the door; a parcel refused there is no sale. By default
(`cod_trigger_status: DELIVERED`) omsync invoices a COD order once Ginee reports it delivered, dated the delivery
day (Asia/Jakarta), and a COD parcel cancelled on its way is never invoiced. One world (the order cases' shops,
catalogue and opening stock; the example mapping: Shopee ``SP-``, trigger PAID) plays two COD orders of one
KAOS-HITAM-M at 55,500, every queue settled after each step.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from flow_world import dead_letters, documents, mapping_yaml, settle, started_player

from omsync.posting.numbers import jakarta_date
from omsync.sync.stock import StockLine
from omsync_workshop.scenarios import load_scenario
from omsync_workshop.world import LocalWorld

CASES = Path(__file__).resolve().parent / "cases"
WORLD = CASES / "settlements" / "bug-orders.json"
ORDER = CASES / "orders" / "order-251007QTY001.json"


def cod_order(world: LocalWorld, sn: str) -> str:
    """A COD order of one shirt (55,500) as Ginee shows it before delivery: ready to ship, no payment time."""
    data: dict[str, Any] = json.loads(ORDER.read_text(encoding="utf-8"))
    data.update(externalOrderSn=sn, externalOrderId=sn, isCod=True, paymentMethod="COD")
    data["items"] = [line for line in data["items"] if line["quantity"] > 0]
    order_id = str(world.ginee.state.create_order(data)["orderId"])
    world.ginee.state.transition(order_id, "status", orderStatus="READY_TO_SHIP")
    return order_id


def stock_of(world: LocalWorld, sku: str) -> StockLine:
    return next(line for line in world.stock_compare() if line.sku == sku)


def test_a_cod_order_is_invoiced_on_delivery_and_a_refused_parcel_never(moto_endpoint: str) -> None:
    scenario = replace(load_scenario(WORLD), orders=(), events=())
    options: dict[str, Any] = {"stack_parameters": {"OrdersBatchingWindowSeconds": "0"}}
    with LocalWorld(scenario, mapping_yaml(), endpoint=moto_endpoint, **options) as world:
        started_player(world)
        state = world.ginee.state
        # Given two COD orders, ready to ship and then on their way (a store whose trigger is PAID)
        delivered, refused = cod_order(world, "251018COD001"), cod_order(world, "251018COD002")
        state.transition(delivered, "ship")
        state.transition(refused, "ship")
        settle(world)

        # Then neither is invoiced while the buyer has not paid the courier
        assert not {"SP-251018COD001", "SP-251018COD002"} & set(documents(world, "sales_invoice"))
        # And stock compare counts both parcels back on Ginee's side: Accurate keeps them until the invoice
        shirts = stock_of(world, "KAOS-HITAM-M")
        assert (shirts.awaiting_invoice, shirts.difference) == (2, 0), shirts

        # When the first is delivered two days later and the second refused at the door (cancelled on its way)
        at_the_door = state.now() + timedelta(days=2)
        state.transition(delivered, "deliver", at_the_door)
        state.transition(refused, "cancel", reason="COD_REFUSED")
        settle(world)

        # Then the delivered one is invoiced, dated the delivery day; the refused one never is
        invoices = documents(world, "sales_invoice")
        assert invoices.get("SP-251018COD001") == Decimal(55500)
        assert "SP-251018COD002" not in invoices
        dates = {line["transDate"] for line in world.accurate.journal("SP-251018COD001")}
        assert dates == {jakarta_date(at_the_door).strftime("%d/%m/%Y")}
        assert world.on_hold() == {}
        assert dead_letters(world) == {}
        # And the stock agrees with nothing awaiting: one shirt invoiced out, the refused one never left
        shirts = stock_of(world, "KAOS-HITAM-M")
        assert (shirts.awaiting_invoice, shirts.difference) == (0, 0), shirts
