"""Specification: which Accurate warehouses hold a Ginee warehouse's stock, for `omsync stock compare`.

Ginee puts a returned unit back on the shelf it left; the mapping books it into the stores' return warehouse.
So Accurate's side of a Ginee warehouse is its mapped warehouse plus that return warehouse, unless the return
warehouse also serves another Ginee warehouse (its units could not be told apart) or is itself one goods are
sold from.
"""

from __future__ import annotations

from typing import Any

from omsync.config.mapping import ConnectionMapping
from omsync.sync.stock import mapped_warehouses, return_warehouses

JAKARTA, SURABAYA = "WW-JKT", "WW-SBY"


def store(prefix: str, warehouses: dict[str, str], return_warehouse: str | None) -> dict[str, Any]:
    accounts = dict.fromkeys(
        ("commission", "service", "payment", "order_processing", "affiliate", "shipping_difference", "other"), "6101"
    )
    return {
        "name": "Toko",
        "channel": "SHOPEE_ID",
        "customer_no": "C-1",
        "number_prefix": prefix,
        "tax": {"pkp": False, "prices_include_ppn": False},
        "accounts": {"marketplace_balance": "1103", "rounding": "7101", **accounts},
        "warehouses": warehouses,
        "return_warehouse": return_warehouse,
    }


def mapping(**stores: dict[str, Any]) -> ConnectionMapping:
    return ConnectionMapping.model_validate({"stores": stores})


def test_the_stores_return_warehouse_counts_with_the_warehouse_they_sell_from() -> None:
    connection = mapping(
        SHOPEE=store("SP-", {JAKARTA: "Gudang Utama"}, "Gudang Retur"),
        TOKOPEDIA=store("TP-", {JAKARTA: "Gudang Utama"}, "Gudang Retur"),
    )

    assert mapped_warehouses(connection) == {JAKARTA: "Gudang Utama"}
    assert return_warehouses(connection) == {JAKARTA: ("Gudang Retur",)}


def test_a_return_warehouse_shared_by_two_ginee_warehouses_or_sold_from_is_left_out() -> None:
    shared = mapping(
        SHOPEE=store("SP-", {JAKARTA: "Gudang Utama"}, "Gudang Retur"),
        LAZADA=store("LZ-", {SURABAYA: "Gudang Surabaya"}, "Gudang Retur"),
    )
    sold_from = mapping(
        SHOPEE=store("SP-", {JAKARTA: "Gudang Utama"}, "Gudang Surabaya"),
        LAZADA=store("LZ-", {SURABAYA: "Gudang Surabaya"}, None),
    )

    assert return_warehouses(shared) == {}
    assert return_warehouses(sold_from) == {}


def test_without_a_return_warehouse_returns_come_back_where_they_left() -> None:
    assert return_warehouses(mapping(SHOPEE=store("SP-", {JAKARTA: "Gudang Utama"}, None))) == {}
