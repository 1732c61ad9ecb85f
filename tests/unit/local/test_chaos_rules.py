"""Specification of the chaos run's pure parts: how its orders split over two connections, how every log line
is scanned for buyers' data, and when a run fails (issue 20)."""

from __future__ import annotations

import random

import pytest

from omsync.config.mapping import load_mapping
from omsync_workshop.chaos import (
    CONNECTION_STORES,
    ChaosReport,
    chaos_scenarios,
    connection_mapping,
    render,
    with_buyers,
)
from omsync_workshop.log_hygiene import Buyer, BuyerIndex

BUYER = Buyer(
    name="Sekar Wibisono",
    phone="6281298765432",
    email="sekar.wibisono4821@example.id",
    address="Jl. Melati Raya No. 17",
)


def test_the_orders_are_shared_between_the_three_stores_of_two_connections_as_the_demo_weighs_them() -> None:
    # Given 200 orders (the demo file weighs Shopee 80, Tokopedia 70, Lazada 50)
    scenarios = chaos_scenarios(200, seed=5)

    # Then connection A holds the Shopee and Tokopedia stores, B the Lazada store, and the orders add up
    assert {label: tuple(s.key for s in scenario.stores) for label, scenario in scenarios.items()} == CONNECTION_STORES
    per_store = {
        store.key: sum(1 for o in scenario.orders if o.store_key == store.key and o.first_package is None)
        for scenario in scenarios.values()
        for store in scenario.stores
    }
    assert per_store == {"shopee": 80, "tokopedia": 70, "lazada": 50}
    # And the two sellers' orders are distinct orders (no id shared between the connections)
    ids = [{o.order_id for o in scenario.orders} for scenario in scenarios.values()]
    assert not ids[0] & ids[1]


def test_each_connection_is_mapped_with_its_own_stores_only() -> None:
    scenarios = chaos_scenarios(30, seed=5)
    for label, keys in CONNECTION_STORES.items():
        mapping = load_mapping(connection_mapping(keys, scenarios[label])).mapping
        assert set(mapping.stores) == {store.shop_id for store in scenarios[label].stores}


def test_fewer_orders_than_stores_is_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        chaos_scenarios(2, seed=1)


def test_every_order_carries_a_buyer_of_its_own_on_the_order_ginee_serves() -> None:
    scenario, buyers = with_buyers(chaos_scenarios(30, seed=5)["A"], random.Random(1))
    created = [e.data["order"] for e in scenario.events if e.entity == "order" and e.action == "create"]
    assert len(buyers) == len(created) > 0
    assert [order["customerInfo"]["name"] for order in created] == [buyer.name for buyer in buyers]
    assert created[0]["shippingAddressInfo"]["fullAddress"].startswith(buyers[0].address)


@pytest.mark.parametrize(
    "line",
    [
        '{"level":"INFO","message":"order held","customer":"sekar wibisono"}',
        "ERROR omsync.sync could not parse mobile 081298765432",
        "WARNING ginee answered {'mobile': 6281298765432}",
        "order of SEKAR.WIBISONO4821@EXAMPLE.ID failed",
        '{"fullAddress": "Jl. Melati Raya No. 17, Bandung"}',
    ],
)
def test_a_line_carrying_the_buyers_name_phone_email_or_street_in_any_case_or_form_is_found(line: str) -> None:
    assert BuyerIndex([BUYER]).carries(line)


@pytest.mark.parametrize(
    "line",
    [
        '{"level":"INFO","message":"batch converged","flow":"orders","posted":3}',
        "order SO6A50DF4DB4D66A3A47469A4D invoiced as SP-250901C206EC41, total 6281298",
        "Sekar paid; Wibisono Raya warehouse",
    ],
)
def test_a_line_without_the_buyers_data_is_not_counted(line: str) -> None:
    assert not BuyerIndex([BUYER]).carries(line)


def _report(**counts: object) -> ChaosReport:
    figures: dict[str, object] = {
        "seed": 7,
        "orders_asked": 30,
        "orders": 31,
        "documents_expected": 60,
        "documents_posted": 60,
        "missing": 0,
        "duplicated": 0,
        "amount_mismatches": 0,
        "trial_balance_difference": "0",
        "cross_tenant_effects": 0,
        "log_lines": 900,
        "log_lines_with_buyer_data": 0,
        "log_lines_with_secrets": 0,
        "dlq_messages": 0,
        "on_hold": {},
        "minutes_to_converge": 1.5,
        "seconds": 120.0,
        "reconciler_runs": 2,
    }
    figures.update(counts)
    return ChaosReport(**figures)  # type: ignore[arg-type]


def test_a_run_is_ok_only_when_every_count_is_zero() -> None:
    assert _report().ok and _report().failures == {}
    for name in ChaosReport.FAILURE_FIELDS:
        assert _report(**{name: 1}).failures == {name: 1}
    assert _report(trial_balance_difference="0.35").failures == {"trial_balance_difference": "0.35"}
    assert _report(on_hold={"missing_sku": 2}).failures == {"on_hold": 2}
    held = ["A: Toko Rapi Shopee: payout SP-SHOPEE-20250905 held: payout_refused"]
    assert _report(payouts_not_posted=held).failures == {"payouts_not_posted": 1}
    assert "payout SP-SHOPEE-20250905 held: payout_refused" in render(_report(payouts_not_posted=held))


def test_omsync_chaos_refuses_fewer_orders_than_stores_in_one_line_before_starting_anything(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from omsync_ops.cli import main

    assert main(["chaos", "--orders", "2", "--seed", "1"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["error: --orders 2: the chaos run needs at least 3 (one per store)"]
