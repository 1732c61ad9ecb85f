"""Specification: cancellations and returns keep the books true (issue 6).

Each path follows one order of `scenarios/flows-paths.json` (ten Shopee orders, one per path) through
the whole local stack, step by step, with every webhook sent twice and shuffled, and old envelopes of
the order replayed on top: whatever the delivery, each document exists once. (Every path with faithful
delivery is in `test_flows_invoices.py`: the clean run of flows-small matches the oracle.)
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from flow_world import (
    RETURN_WAREHOUSE,
    SHOPEE,
    OpenWorld,
    apply_mapping,
    dead_letters,
    documents,
    envelopes_of,
    flow_scenario,
    invoice_number,
    mapping_yaml,
    net_by_account,
    oracle,
    order_notification,
    orders_of,
    play_late,
    play_through,
    record_of,
    redeliver,
    settle,
)

from omsync.accurate.documents import SalesInvoice
from omsync.ledger.orders import OrderLedger
from omsync.posting.cancellation import CANCELLATION_RETURN_ID
from omsync_workshop.ginee.webhooks import DeliveryOptions
from omsync_workshop.scenarios import LineFacts

RECEIVABLE = "1201"  # Piutang Usaha in the seed company

UNRULY = DeliveryOptions(duplicate_rate=1.0, reorder_window=3)
"""Every webhook twice, shuffled in runs of three."""


# The order these specifications follow as paid then cancelled (flows-paths' `cancelled_ready`) is cash on
# delivery, which a store invoices once delivered by default (cod_trigger_status); here it is invoiced at
# payment, so there is an invoice to cancel. test_flows_cod follows a COD order by the default.
COD_AT_PAYMENT = {SHOPEE: {"cod_trigger_status": "PAID"}}


def units_by_sku(line: LineFacts, quantity: int) -> dict[str, int]:
    """The stocked units behind ``quantity`` of a line (a bundle's components, exploded)."""
    if line.bundle:
        return {sku: per_bundle * quantity for sku, per_bundle in line.bundle}
    return {line.sku: quantity}


def test_an_order_cancelled_before_its_invoice_is_tombstoned_and_a_late_paid_webhook_invoices_nothing(
    open_world: OpenWorld,
) -> None:
    scenario = flow_scenario("flows-paths")
    world = open_world(scenario, mapping_yaml(), delivery=UNRULY)
    order = orders_of(scenario, "cancelled_paid")[0]
    number = invoice_number("SP-", order)
    # Given an order paid in Ginee whose PAID webhook is held back
    play_through(world, order.order_id, "create")
    play_through(world, order.order_id, "pay", unannounced=[(order.order_id, "pay")])
    paid_envelope = order_notification(world, order.order_id)

    # When it is cancelled
    play_through(world, order.order_id, "cancel")

    # Then it is tombstoned and has no invoice
    record = record_of(world, order.order_id)
    assert record is not None and record.tombstone and record.invoice is None

    # When the PAID webhook finally comes, twice, and every older envelope of the order is replayed
    redeliver(world, [paid_envelope, *envelopes_of(world, order.order_id)], times=2)

    # Then still no invoice: not in Accurate, not in the Ledger
    record = record_of(world, order.order_id)
    assert record is not None and record.tombstone and record.invoice is None
    assert number not in documents(world, "sales_invoice")
    # And the order cancelled before payment is tombstoned too, and the whole scenario is the oracle's
    play_late(world)  # the other orders as one late notification each: their books are the subject elsewhere
    unpaid = orders_of(scenario, "cancelled_unpaid")[0]
    assert (unpaid_record := record_of(world, unpaid.order_id)) is not None and unpaid_record.tombstone
    report = world.report()
    assert report.oracle_match, report.comparison.report()
    assert dead_letters(world) == {}


def test_an_invoiced_order_cancelled_under_the_delete_rule_loses_its_invoice(open_world: OpenWorld) -> None:
    scenario = flow_scenario("flows-paths")
    world = open_world(scenario, mapping_yaml(store_settings=COD_AT_PAYMENT), delivery=UNRULY)
    order = orders_of(scenario, "cancelled_ready")[0]
    number = invoice_number("SP-", order)
    # Given a paid order of a store whose cancellation rule is `delete`, invoiced
    play_through(world, order.order_id, "pay")
    assert number in documents(world, "sales_invoice")

    # When it is cancelled before any payout, and the cancellation webhook is replayed
    play_through(world, order.order_id, "cancel")
    redeliver(world, envelopes_of(world, order.order_id), times=2)

    # Then the invoice and its journal are gone, no return was posted, and the Ledger says so
    assert number not in documents(world, "sales_invoice")
    assert world.accurate.journal(number) == []
    assert not [n for n in documents(world, "sales_return") if n.startswith(number)]
    record = record_of(world, order.order_id)
    assert record is not None and record.invoice_deleted
    play_late(world)  # the other orders as one late notification each: their books are the subject elsewhere
    report = world.report()
    assert report.oracle_match, report.comparison.report()
    assert dead_letters(world) == {}


def test_an_invoice_deleted_by_an_attempt_that_died_before_recording_it_is_recorded_as_deleted(
    open_world: OpenWorld,
) -> None:
    scenario = flow_scenario("flows-paths")
    world = open_world(scenario, mapping_yaml(store_settings=COD_AT_PAYMENT))
    order = orders_of(scenario, "cancelled_ready")[0]
    number = invoice_number("SP-", order)
    # Given an invoiced order of a `delete` store whose invoice a dying worker already deleted in Accurate
    play_through(world, order.order_id, "pay")
    world.accurate_client().delete(SalesInvoice, number=number)
    record = record_of(world, order.order_id)
    assert record is not None and not record.invoice_deleted

    # When the cancellation arrives
    play_through(world, order.order_id, "cancel")

    # Then Accurate's "not found" is read as done: the Ledger records the delete, nothing else is posted
    record = record_of(world, order.order_id)
    assert record is not None and record.invoice_deleted
    assert number not in documents(world, "sales_invoice")
    assert not [n for n in documents(world, "sales_return") if n.startswith(number)]
    assert dead_letters(world) == {}


def test_an_invoiced_order_cancelled_under_the_sales_return_rule_gets_a_return_of_everything(
    open_world: OpenWorld,
) -> None:
    scenario = flow_scenario("flows-paths")
    mapping = mapping_yaml(cancellation={SHOPEE: "sales_return"}, store_settings=COD_AT_PAYMENT)
    world = open_world(scenario, mapping, delivery=UNRULY)
    order = orders_of(scenario, "cancelled_ready")[0]
    number = invoice_number("SP-", order)
    # Given a paid order of a store whose cancellation rule is `sales_return`, invoiced
    play_through(world, order.order_id, "pay")
    invoice_total = documents(world, "sales_invoice")[number]

    # When it is cancelled, and the cancellation webhook is replayed
    play_through(world, order.order_id, "cancel")
    redeliver(world, envelopes_of(world, order.order_id), times=2)

    # Then the invoice stands and one Sales Return `-RC` gives back all of it
    returns = {n: total for n, total in documents(world, "sales_return").items() if n.startswith(number)}
    assert returns == {f"{number}-RC": invoice_total}
    assert documents(world, "sales_invoice")[number] == invoice_total
    invoice_lines = net_by_account(world.accurate.journal(number))
    return_lines = net_by_account(world.accurate.journal(f"{number}-RC"))
    assert return_lines[RECEIVABLE] == -invoice_lines[RECEIVABLE] == -invoice_total
    record = record_of(world, order.order_id)
    assert record is not None and list(record.returns) == [CANCELLATION_RETURN_ID]
    play_late(world)  # the other orders as one late notification each: their books are the subject elsewhere
    report = world.report()
    assert report.oracle_match, report.comparison.report()
    assert dead_letters(world) == {}


def test_each_partial_return_becomes_its_own_sales_return_once_with_the_goods_back_in_the_return_warehouse(
    open_world: OpenWorld,
) -> None:
    scenario = flow_scenario("flows-paths")
    world = open_world(scenario, mapping_yaml(), delivery=UNRULY)
    order = orders_of(scenario, "returned_partial")[0]
    number = invoice_number("SP-", order)
    first, second = order.lines[0], order.lines[1]
    first_back = units_by_sku(first, first.returned_quantity)
    before = {sku: world.accurate.stock(sku, RETURN_WAREHOUSE) for sku in first_back}

    # Given an invoiced order of which the buyer returns part of the first line
    play_through(world, order.order_id, "return")

    # Then one Sales Return `-R1` for those units only, amounts pro-rated as the oracle computes them
    expected_r1 = oracle(scenario, mapping_yaml()).documents["sales_return"][f"{number}-R1"]
    assert {n: t for n, t in documents(world, "sales_return").items() if n.startswith(number)} == {
        f"{number}-R1": expected_r1
    }
    assert expected_r1 < documents(world, "sales_invoice")[number]
    for sku, units in first_back.items():
        assert world.accurate.stock(sku, RETURN_WAREHOUSE) == before[sku] + units

    # When the buyer returns one unit of the second line as well (a second return of the order)
    second_back = units_by_sku(second, 1)
    before = {sku: world.accurate.stock(sku, RETURN_WAREHOUSE) for sku in second_back}
    assert order.returned_at is not None
    world.ginee.state.transition(
        order.order_id,
        "return",
        order.returned_at + timedelta(hours=1),
        lines=[{"itemId": second.item_id, "quantity": 1}],
        returnId=f"RT{order.order_id[2:]}-2",
    )
    settle(world)
    # And every webhook of the order is delivered twice more
    redeliver(world, envelopes_of(world, order.order_id), times=2)

    # Then a second Sales Return `-R2`, the first unchanged, each posted once and recorded once
    returns = {n: t for n, t in documents(world, "sales_return").items() if n.startswith(number)}
    assert set(returns) == {f"{number}-R1", f"{number}-R2"}
    assert returns[f"{number}-R1"] == expected_r1
    assert Decimal(0) < returns[f"{number}-R2"] <= second.actual_price
    assert len(world.accurate.journal(f"{number}-R2")) > 0
    record = record_of(world, order.order_id)
    assert record is not None
    assert sorted(doc.number for doc in record.returns.values()) == [f"{number}-R1", f"{number}-R2"]
    for sku, units in second_back.items():
        assert world.accurate.stock(sku, RETURN_WAREHOUSE) == before[sku] + units
    assert dead_letters(world) == {}


def test_cancelling_an_order_on_hold_drops_the_hold_and_posts_nothing(open_world: OpenWorld, tmp_path: Path) -> None:
    scenario = flow_scenario("flows-paths")
    world = open_world(scenario, mapping_yaml(without=[SHOPEE]), delivery=UNRULY)
    order = orders_of(scenario, "cancelled_ready")[0]
    number = invoice_number("SP-", order)
    # Given a paid order on hold because its store is not mapped
    play_through(world, order.order_id, "pay")
    record = record_of(world, order.order_id)
    assert record is not None and record.hold is not None and record.hold.cause == "unmapped_store"

    # When it is cancelled (and the cancellation webhook replayed)
    play_through(world, order.order_id, "cancel")
    redeliver(world, envelopes_of(world, order.order_id), times=2)

    # Then the hold is dropped, the order tombstoned
    record = record_of(world, order.order_id)
    assert record is not None and record.hold is None and record.tombstone
    assert order.order_id not in {r.order_id for r in OrderLedger(world.connection_id).held()}

    # And once the store is mapped and held orders are released, still nothing is posted for it
    apply_mapping(world, mapping_yaml(), tmp_path)
    settle(world)
    assert number not in documents(world, "sales_invoice")
    assert not [n for n in documents(world, "sales_return") if n.startswith(number)]
    assert dead_letters(world) == {}
