"""Ways to drive two sellers on one `LocalWorld`'s stack and read what the run wrote.

`second_tenant` (from `omsync_workshop.tenants`) gives the world's stack another connection with sandboxes of
its own; `LogCatch` and `leaks` (from `omsync_workshop.log_hygiene`) catch every line the run writes and find
known strings in it. They live in the workshop because `omsync chaos` stands on them too.
"""

from __future__ import annotations

from collections.abc import Iterable

from omsync.ledger.orders import OrderLedger, SyncRecord
from omsync_workshop.log_hygiene import LogCatch, leaks
from omsync_workshop.scenarios import ScenarioPlayer, apply_event
from omsync_workshop.tenants import second_tenant
from omsync_workshop.world import LocalWorld

__all__ = ["LogCatch", "leaks", "pay_orders", "record_in", "second_tenant"]


def pay_orders(world: LocalWorld, order_ids: Iterable[str]) -> None:
    """Create the scenario's orders in ``world``'s Ginee sandbox unannounced, then pay each: one order webhook
    (status PAID) per order, delivered before this returns."""
    wanted = list(order_ids)
    if world.player is None:
        world.player = ScenarioPlayer(world.ginee.state, world.scenario)
    for action in ("create", "pay"):
        for event in world.scenario.events:
            if event.entity == "order" and event.target in wanted and event.action == action:
                apply_event(world.ginee.state, event, notify=action == "pay")
    assert world.sender is not None
    world.sender.flush()


def record_in(world: LocalWorld, order_id: str) -> SyncRecord | None:
    """The Ledger's sync record of one order of ``world``'s connection."""
    return OrderLedger(world.connection_id).load([order_id]).get(order_id)
