"""Specification: the reconciler's release of holds is per connection — one connection whose holds cannot be
released does not keep another's held orders parked (issue 14, DESIGN invariant 8)."""

from __future__ import annotations

from omsync.errors import OnHold
from omsync.ledger.orders import OrderLedger
from omsync.sync.holds import release_all_holds
from omsync_workshop.stack import LocalStack

UNMAPPED = OnHold("unmapped_store", "store SH9 is not in the mapping", "Add it to the mapping and apply it.")


def test_a_connection_whose_holds_cannot_be_released_leaves_the_other_connections_released(
    local_stack: LocalStack,
) -> None:
    # Given two sellers with an order on hold each, and the first's held record naming an order id no work
    # message can carry (a character SQS refuses)
    first = local_stack.register_connection("first seller").connection_id
    second = local_stack.register_connection("second seller").connection_id
    assert OrderLedger(first).hold({"SO-\x01": UNMAPPED}, "spec")
    assert OrderLedger(second).hold({"SO-B": UNMAPPED}, "spec")

    # When the reconciler releases every connection's holds
    released = release_all_holds()

    # Then the second seller's order is back on the orders queue, whichever connection came first
    assert released == {second: {"unmapped_store": 1}}
    # And the first seller's order stays on hold, visible, for the next run
    assert [record.order_id for record in OrderLedger(first).held()] == ["SO-\x01"]
