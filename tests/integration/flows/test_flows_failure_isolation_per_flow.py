"""Specification: in every flow, an order whose Ginee record cannot be read is held on its own, and comes back
by itself once Ginee's record reads again (issue 14).

The settlements and cancellations flows are called as their workers call them (the order must be unreadable
when that flow reads it, which the orders flow, reading first, would otherwise catch); the payout file is
imported with `omsync settlement import`; the recovery goes through the queues as the reconciler's release
of holds does.
"""

from __future__ import annotations

from pathlib import Path

from flow_world import (
    LAZADA,
    OpenWorld,
    dead_letters,
    flow_scenario,
    mapping_yaml,
    omsync,
    play_rest,
    record_of,
    settle,
    started_player,
)

from omsync.ledger.payouts import PayoutLedger
from omsync.payouts.files import read_payouts
from omsync.sync.cancellations import converge_cancellations
from omsync.sync.context import context_for
from omsync.sync.holds import release_holds
from omsync.sync.settlements import converge_settlements
from omsync.sync.steps import UNREADABLE_RECORD, Outcome, Result
from omsync_workshop.scenarios import apply_event
from omsync_workshop.scenarios.statements import write_statement
from omsync_workshop.world import LocalWorld

UNREADABLE = {"items": [{"quantity": {"value": 2, "unit": "pcs"}}]}
"""A first line whose quantity is an object."""

COMPLETED_SHOPEE = ("SO63C42A58DD7016739B08E76C", "SO9DB8BD0339F183B8280C6836")
RETURNED_SHOPEE = "SOA11905728BE2F4AC9C995267"
CANCELLED_SHOPEE = "SOC669687F234BE556CCFA573D"
COMPLETED_LAZADA = "SO49D2A8E9D06FC447F65860AE"


def _play_until_completed_unannounced(world: LocalWorld, order_ids: tuple[str, ...]) -> None:
    """Play the scenario until every order of ``order_ids`` is completed; their completion and settlement
    happen in Ginee without a webhook, after every webhook before them was handled."""
    player = started_player(world)
    remaining = set(order_ids)
    while remaining:
        event = world.scenario.events[player.position]
        silent = event.target in order_ids and event.action in ("complete", "settle")
        if silent:
            settle(world)
        apply_event(world.ginee.state, event, notify=not silent)
        player.position += 1
        if event.action == "complete":
            remaining.discard(event.target)
    settle(world)


def test_each_flow_holds_only_the_unreadable_order_and_every_hold_heals_once_ginee_reads_again(
    open_world: OpenWorld, tmp_path: Path
) -> None:
    scenario = flow_scenario("flows-small")
    world = open_world(scenario, mapping_yaml())
    known = {order.order_id: order for order in scenario.orders}
    assert set(COMPLETED_SHOPEE) | {RETURNED_SHOPEE, CANCELLED_SHOPEE, COMPLETED_LAZADA} <= set(known)
    ctx = context_for(world.connection_id)

    # Given two invoiced Shopee orders completed in Ginee whose completion was not announced yet (every
    # webhook before it handled first: a worker re-reading the order later would see it completed)
    bad, good = COMPLETED_SHOPEE
    _play_until_completed_unannounced(world, COMPLETED_SHOPEE)
    # And Ginee serving one of them unreadable
    world.ginee.responses.faults.malformed = {bad: UNREADABLE}

    # When the settlements flow converges both
    outcomes = converge_settlements(ctx, [bad, good], "spec-settlements")

    # Then the readable one is receipted and the unreadable one alone is held, naming the field
    assert outcomes[good].result is Result.POSTED
    assert outcomes[bad] == Outcome(Result.HELD, UNREADABLE_RECORD)
    held = record_of(world, bad)
    assert held is not None and held.hold is not None and "items.0.quantity (int_type)" in held.hold.reason

    # Given the rest of the scenario played, and Ginee serving a returned order unreadable too
    play_rest(world)
    world.ginee.responses.faults.malformed = {bad: UNREADABLE, RETURNED_SHOPEE: UNREADABLE}

    # When the cancellations flow converges it with a cancelled order
    outcomes = converge_cancellations(ctx, [RETURNED_SHOPEE, CANCELLED_SHOPEE], "spec-cancellations")

    # Then the returned order alone is held; the cancelled one is done as before
    assert outcomes[RETURNED_SHOPEE] == Outcome(Result.HELD, UNREADABLE_RECORD)
    assert outcomes[CANCELLED_SHOPEE].result.settled and outcomes[CANCELLED_SHOPEE].result is not Result.HELD

    # Given Ginee serving a Lazada order unreadable
    world.ginee.responses.faults.malformed = {
        bad: UNREADABLE,
        RETURNED_SHOPEE: UNREADABLE,
        COMPLETED_LAZADA: UNREADABLE,
    }
    statement = write_statement(scenario, "lazada", "lazada")
    path = tmp_path / "lazada.csv"
    path.write_text(statement, encoding="utf-8")
    payout = next(
        p
        for p in read_payouts(statement, "lazada")
        if known[COMPLETED_LAZADA].external_order_sn in {line.order_sn for line in p.lines}
    )

    # When the statement paying it is imported
    status, output = omsync("settlement", "import", str(path), "--store", LAZADA, "--connection", world.connection_id)

    # Then its payout alone is held for that order's record, and nothing is posted for it
    assert status == 2, output
    assert UNREADABLE_RECORD in output and COMPLETED_LAZADA in output and "items.0.quantity" in output, output
    # And the file's other payouts are posted as usual
    assert "-> posted" in output, output
    held_payout = PayoutLedger(world.connection_id, LAZADA).get(payout.payout_id)
    assert held_payout is not None and held_payout.status == "held" and held_payout.hold_cause == UNREADABLE_RECORD
    assert f"LZ-{payout.payout_id}" not in world.document_totals()["sales_receipt"]
    assert world.on_hold() == {UNREADABLE_RECORD: 2}

    # When Ginee's records read again, the reconciler releases the holds and the file is imported again
    world.ginee.responses.faults.malformed = {}
    release_holds(world.connection_id)
    settle(world)
    status, output = omsync("settlement", "import", str(path), "--store", LAZADA, "--connection", world.connection_id)
    world.imported_statements.add("lazada")

    # Then nothing is on hold or dead, and the books are the oracle's
    assert status == 0, output
    assert world.on_hold() == {}
    assert dead_letters(world) == {}
    receipted = record_of(world, bad)
    assert receipted is not None and receipted.receipt is not None
    report = world.report()
    assert report.oracle_match, report.comparison.report()
