"""Fee rules of the scenario generator, its determinism, and the purchases it plays into Ginee."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from omsync_workshop.ginee.models import GineeState
from omsync_workshop.scenarios import OUTCOMES, load_scenario
from omsync_workshop.scenarios.fees import FeeBase, FeeRules, order_fees
from omsync_workshop.scenarios.generator import (
    COMPONENT_RETURNED,
    EXCHANGED,
    LINE_CANCELLED,
    RETURN_REJECTED,
    SPLIT_PACKAGE,
)
from omsync_workshop.scenarios.player import preload

ISSUE_16_PATHS = {LINE_CANCELLED, EXCHANGED, SPLIT_PACKAGE, COMPONENT_RETURNED}


def test_the_tokopedia_worked_example_yields_its_fees() -> None:
    # DESIGN §1: 3 × 55,500 with a seller discount of 5,550 → seller net 160,950.
    rules = FeeRules(commission_default=Decimal("0.06"), payment_flat=Decimal(1000), order_processing=Decimal(1250))
    fees = order_fees(rules, FeeBase([("fashion", Decimal(160950))], buyer_shipping=Decimal(9000)))
    assert fees["commission"] == Decimal(9657)
    assert fees["order_processing"] == Decimal(1250)
    assert fees["payment"] == Decimal(1000)
    assert Decimal(160950) - sum(fees.values()) == Decimal(149043)


def test_commission_follows_the_category_and_the_seller_voucher_lowers_its_base() -> None:
    rules = FeeRules(commission_default=Decimal("0.08"), commission_by_category={"fashion": Decimal("0.05")})
    fees = order_fees(rules, FeeBase([("fashion", Decimal(100000)), ("toys", Decimal(100000))], Decimal(20000)))
    # (100,000 × 5% + 100,000 × 8%) × 180,000 / 200,000 = 11,700
    assert fees["commission"] == Decimal(11700)


def test_the_service_fee_is_capped_and_affiliate_commission_only_for_affiliate_orders() -> None:
    rules = FeeRules(service_rate=Decimal("0.04"), service_cap=Decimal(10000), affiliate_rate=Decimal("0.05"))
    big = order_fees(rules, FeeBase([("x", Decimal(500000))], affiliate=True))
    small = order_fees(rules, FeeBase([("x", Decimal(100001))]))
    assert big["service"] == Decimal(10000)
    assert big["affiliate"] == Decimal(25000)
    assert small["service"] == Decimal(4000)  # 4,000.04 rounds half up to whole rupiah
    assert small["affiliate"] == Decimal(0)


def test_the_same_seed_gives_the_same_scenario_and_another_seed_another() -> None:
    first, again, other = load_scenario("demo", seed=1), load_scenario("demo", seed=1), load_scenario("demo", seed=2)
    assert first.orders == again.orders
    assert first.events == again.events
    assert first.orders != other.orders


def test_the_demo_takes_every_path_across_three_stores() -> None:
    demo = load_scenario("demo")
    assert {store.channel for store in demo.stores} == {"SHOPEE_ID", "TOKOPEDIA_ID", "LAZADA_ID"}
    # Every path but issue 17's rejected return (which returns-heavy takes), issue 16's included (its item 6)
    assert set(Counter(order.outcome for order in demo.orders)) == set(OUTCOMES) - {RETURN_REJECTED}
    assert 150 <= len(demo.orders) <= 250
    assert any(line.bundle for order in demo.orders for line in order.lines)
    assert any(order.is_cod for order in demo.orders)
    assert demo.inbounds and demo.adjustments and demo.product_changes


def test_returns_heavy_takes_the_paths_of_orders_changing_after_the_invoice() -> None:
    scenario = load_scenario("returns-heavy")
    taken = Counter(order.outcome for order in scenario.orders)
    assert set(taken) >= ISSUE_16_PATHS
    for order in scenario.orders:
        if order.outcome == LINE_CANCELLED:
            # Its last line leaves whole after payment; the fees Ginee shows are those of the lines kept
            *kept, gone = order.lines
            assert gone.cancelled_quantity == gone.quantity and not gone.bundle
            assert all(line.cancelled_quantity == 0 for line in kept)
            assert order.released_amount == sum(line.actual_total for line in kept) - order.total_fees
        if order.outcome == EXCHANGED:
            assert order.lines[0].exchanged_quantity == 1 and order.lines[0].returned_quantity == 0
        if order.outcome == COMPONENT_RETURNED:
            # One unit of one component of its first line, a bundle kept otherwise, refunded its share
            bundle = order.lines[0]
            assert bundle.bundle and bundle.returned_component == bundle.bundle[0][0]
            assert (bundle.component_returned_quantity, bundle.returned_quantity) == (1, 0)
            assert 0 < bundle.refund_amount < bundle.actual_price
    seconds = [order for order in scenario.orders if order.first_package is not None]
    assert seconds
    by_id = {order.order_id: order for order in scenario.orders}
    for second in seconds:
        first = by_id[second.first_package or ""]
        assert first.external_order_sn == second.external_order_sn and first.order_id != second.order_id
        assert first.paid_at is not None and second.paid_at is not None and second.paid_at > first.paid_at


def test_every_timeline_is_in_time_order_and_settled_orders_release_net_less_fees() -> None:
    demo = load_scenario("returns-heavy")
    times = [event.at for event in demo.events]
    assert times == sorted(times)
    for order in demo.orders:
        if order.released_amount is not None:
            # The kept items less the voucher they carry: a returned unit takes its share of the voucher back.
            # (a bundle's component returned alone takes its refund off its line: `LineFacts.kept_value`)
            kept = sum((line.kept_value for line in order.lines), Decimal(0))
            assert (
                order.released_amount == kept - order.voucher_seller + order.returned_voucher_share - order.total_fees
            )
        assert all(fee == fee.to_integral_value() for fee in order.fees.values())


def test_the_demos_purchases_reach_ginee_as_the_facts_say_one_inbound_cancelled_after_it_was_received() -> None:
    # Given the demo's inbounds and stock adjustments played into a Ginee sandbox
    scenario = load_scenario("demo")
    state = GineeState()
    preload(state, scenario)

    # Then the inbound the facts cancel ends INVALID, its goods off the shelf again; the others are received
    statuses = {inbound.inbound_id: state.inbounds[inbound.inbound_id]["status"] for inbound in scenario.inbounds}
    cancelled = [inbound.inbound_id for inbound in scenario.inbounds if inbound.cancelled_at is not None]
    assert len(cancelled) == 1 and statuses.pop(cancelled[0]) == "INVALID"
    assert sorted(statuses.values()) == ["COMPLETE", "PART_COMPLETE"]
    assert state.stock_of(scenario.inbounds[-1].warehouse_id, "TOPI-BASEBALL").warehouse_stock == 120
    # And each adjustment is the Ginee movement the facts name: stock out an outbound, stock in an inbound
    for adjustment in scenario.adjustments:
        movement = state.outbounds if adjustment.delta < 0 else state.inbounds
        assert movement[adjustment.movement_id]["items"][0]["masterSku"] == adjustment.sku


def test_returns_heavy_has_returns_the_seller_rejected_and_their_orders_keep_every_unit() -> None:
    # Issue 17: a return asked and rejected is in Ginee, but the facts are the completed order's
    scenario = load_scenario("returns-heavy")
    rejected = [order for order in scenario.orders if order.outcome == RETURN_REJECTED]
    assert rejected
    for order in rejected:
        assert all(line.returned_quantity == 0 and line.refund_amount == 0 for line in order.lines)
        returns = [e for e in scenario.events if e.target == order.order_id and e.action == "return"]
        assert [e.data.get("status") for e in returns] == ["REQUESTED", "REJECTED"]
        assert returns[0].at < returns[1].at
