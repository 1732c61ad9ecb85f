"""Specification: returns by their real life, through the local stack (issue 17, build item 3).

One world (the order cases' shops, warehouse, catalogue and opening stock; the example mapping: Shopee ``SP-``
PKP, prices include PPN, settlement by estimate) plays three delivered orders of one KAOS-HITAM-M at 55,500,
each returned differently in the Ginee sandbox, every queue settled after each change:

- a return the seller rejected posts nothing and nothing comes back into stock;
- a return asked on one day and whose goods came back days later is one Sales Return, dated the day the goods
  were received, and the unit is back in the return warehouse; the order, RETURNED in full and never paid out,
  books the order processing fee Shopee keeps by its fees journal ``-PF`` (issue 17, build item 5); the invoice
  carries its e-Faktur fields (``documentCode`` DIGUNGGUNG: the store's customer stands for anonymous consumers;
  ``taxDate``: the sale's day) and the return its tax date, the day its goods came back (build items 3, 4);
- a refund-only return (the buyer keeps the goods) posts no Sales Return and puts nothing back; when its order
  completes, the estimated receipt is held ``refund_without_return`` (no estimate can book money back without
  goods back; the payout file does).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flow_world import (
    RETURN_WAREHOUSE,
    dead_letters,
    documents,
    mapping_yaml,
    net_by_account,
    record_of,
    settle,
    started_player,
)

from omsync.accurate.documents import SalesInvoice, SalesReturn
from omsync.posting.numbers import jakarta_date
from omsync_workshop.scenarios import load_scenario
from omsync_workshop.world import LocalWorld

CASES = Path(__file__).resolve().parent / "cases"
WORLD = CASES / "settlements" / "bug-orders.json"
ORDER = CASES / "orders" / "order-251007QTY001.json"
SKU = "KAOS-HITAM-M"
SALDO_SHOPEE, ORDER_PROCESSING_EXPENSE, PPN_MASUKAN = "1103", "6104", "1401"


@dataclass(frozen=True)
class Played:
    world: LocalWorld
    invoices: dict[str, str]
    """Invoice number per case: ``rejected``, ``received``, ``refund_only``."""
    returned_stock_before: Decimal
    received_at: datetime
    refund_only_order: str


def delivered_order(world: LocalWorld, sn: str) -> tuple[str, str]:
    """A one-shirt order (55,500) created, paid, shipped and delivered; its Ginee order id and item id."""
    data: dict[str, Any] = json.loads(ORDER.read_text(encoding="utf-8"))
    data.update(externalOrderSn=sn, externalOrderId=sn)
    data["items"] = [line for line in data["items"] if line["quantity"] > 0]
    order = world.ginee.state.create_order(data)
    order_id = str(order["orderId"])
    for action in ("pay", "ship", "deliver"):
        world.ginee.state.transition(order_id, action)
    settle(world)
    return order_id, str(world.ginee.state.get_order(order_id)["items"][0]["itemId"])


@pytest.fixture(scope="module")
def played(moto_endpoint: str) -> Iterator[Played]:
    scenario = replace(load_scenario(WORLD), orders=(), events=())
    options: dict[str, Any] = {"stack_parameters": {"OrdersBatchingWindowSeconds": "0"}}
    with LocalWorld(scenario, mapping_yaml(), endpoint=moto_endpoint, **options) as world:
        started_player(world)
        state = world.ginee.state
        rejected, rejected_item = delivered_order(world, "251017RJCT01")
        received, received_item = delivered_order(world, "251017RCVD01")
        refund_only, refund_item = delivered_order(world, "251017RFND01")
        before = world.accurate.stock(SKU, RETURN_WAREHOUSE)
        asked = state.now()
        came_back = asked + timedelta(days=3)

        one = [{"itemId": rejected_item, "quantity": 1}]
        state.transition(rejected, "return", lines=one, status="REQUESTED", returnId="RT-RJCT01")
        state.transition(rejected, "return", returnId="RT-RJCT01", status="REJECTED")
        one = [{"itemId": received_item, "quantity": 1}]
        state.transition(received, "return", lines=one, status="REQUESTED", returnId="RT-RCVD01")
        state.transition(received, "return", came_back, returnId="RT-RCVD01", status="COMPLETED")
        one = [{"itemId": refund_item, "quantity": 1}]
        state.transition(refund_only, "return", lines=one, returnType="REFUND_ONLY", returnId="RT-RFND01")
        state.transition(refund_only, "complete")
        settle(world)
        invoices = {"rejected": "SP-251017RJCT01", "received": "SP-251017RCVD01", "refund_only": "SP-251017RFND01"}
        yield Played(world, invoices, before, came_back, refund_only)


def test_every_order_is_invoiced_and_nothing_is_dead(played: Played) -> None:
    assert set(played.invoices.values()) <= set(documents(played.world, "sales_invoice"))
    assert dead_letters(played.world) == {}


def test_a_refund_only_return_holds_its_orders_estimated_receipt_and_nothing_else_is_held(played: Played) -> None:
    assert played.world.on_hold() == {"refund_without_return": 1}
    record = record_of(played.world, played.refund_only_order)
    assert record is not None and record.hold is not None
    assert "RT-RFND01 refunded 55,500 while the buyer kept the goods" in record.hold.reason
    assert not [number for number in documents(played.world, "sales_receipt") if "RFND01" in number]


def test_a_rejected_return_posts_nothing(played: Played) -> None:
    returns = documents(played.world, "sales_return")
    assert not [number for number in returns if number.startswith(played.invoices["rejected"])]


def test_a_return_whose_goods_came_back_is_one_sales_return_dated_when_they_were_received(played: Played) -> None:
    number = played.invoices["received"] + "-R1"
    assert documents(played.world, "sales_return").get(number) == Decimal(55500)
    dates = {line["transDate"] for line in played.world.accurate.journal(number)}
    assert dates == {jakarta_date(played.received_at).strftime("%d/%m/%Y")}


def test_only_the_return_whose_goods_came_back_restocks(played: Played) -> None:
    assert played.world.accurate.stock(SKU, RETURN_WAREHOUSE) == played.returned_stock_before + 1


def test_a_refund_only_return_posts_no_sales_return(played: Played) -> None:
    returns = documents(played.world, "sales_return")
    assert not [number for number in returns if number.startswith(played.invoices["refund_only"])]


def test_an_order_returned_in_full_on_an_estimate_store_books_the_fee_the_marketplace_keeps(played: Played) -> None:
    # Given the one-shirt order whose goods all came back (RETURNED, never completed, so never paid out) and whose
    # Ginee order carries Shopee's order processing fee of 1,250, which Shopee keeps on a return after shipping
    number = played.invoices["received"] + "-PF"
    # Then the fee leaves Saldo Shopee by the order's fees journal, dated when the goods came back
    assert documents(played.world, "journal_voucher").get(number) == Decimal(1250)
    lines = played.world.accurate.journal(number)
    # (Shopee issues tax invoices for its fees: 1,250 is 1,126 of expense and 124 of PPN Masukan)
    assert net_by_account(lines) == {
        ORDER_PROCESSING_EXPENSE: Decimal(1126),
        PPN_MASUKAN: Decimal(124),
        SALDO_SHOPEE: Decimal(-1250),
    }
    assert {line["transDate"] for line in lines} == {jakarta_date(played.received_at).strftime("%d/%m/%Y")}
    assert not [n for n in documents(played.world, "sales_receipt") if n.startswith(played.invoices["received"])]


def test_the_invoice_and_its_return_carry_the_e_faktur_fields_accurate_keeps(played: Played) -> None:
    # Read back from Accurate (its detail answer) what omsync sent: the Shopee store is PKP, its buyers anonymous
    client = played.world.accurate_client()
    invoice = client.detail(SalesInvoice, number=played.invoices["received"])
    assert invoice["documentCode"] == "DIGUNGGUNG"
    assert invoice["taxDate"] == invoice["transDate"]
    sales_return = client.detail(SalesReturn, number=played.invoices["received"] + "-R1")
    assert sales_return["taxDate"] == jakarta_date(played.received_at).strftime("%d/%m/%Y")
