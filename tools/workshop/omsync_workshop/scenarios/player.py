"""Puts a scenario into a Ginee sandbox: the starting world (`setup`), then its timeline, all at once
without webhooks (`preload`) or one change at a time, each announced by webhook (`ScenarioPlayer`)."""

from __future__ import annotations

import copy
from typing import Any

from omsync_workshop.ginee.models import GineeState
from omsync_workshop.scenarios.facts import Scenario, TimelineEvent
from omsync_workshop.scenarios.generator import product_json


def setup(state: GineeState, scenario: Scenario) -> None:
    """Warehouses, shops, the initial catalogue and opening stock: the world before the timeline starts.

    Nothing here is announced: it is what the seller already had when omsync was connected.
    """
    with state.lock:
        for warehouse in scenario.warehouses:
            state.put_warehouse(dict(warehouse))
        for store in scenario.stores:
            state.put_shop(
                {
                    "shopId": store.shop_id,
                    "name": store.name,
                    "channel": store.channel,
                    "externalShopId": store.external_shop_id,
                }
            )
        for product in scenario.products:
            state.put_product(product_json(product), scenario.start, notify=False)
            if product.opening_stock:
                home = scenario.stores[0].warehouse_id if scenario.stores else state.default_warehouse_id()
                state.stock_of(home, product.sku).warehouse_stock += product.opening_stock


def apply_event(state: GineeState, event: TimelineEvent, *, notify: bool = True) -> None:
    """Make one timeline change in the sandbox (and, with ``notify``, announce it by webhook)."""
    data = event.data
    if event.entity == "order":
        if event.action == "create":
            state.create_order(_copy(data["order"]), event.at, notify=notify)
        else:
            state.transition(event.target, event.action, event.at, notify=notify, **_copy(data))
    elif event.entity == "product":
        state.put_product(_copy(data), event.at, notify=notify)
    elif event.entity == "inbound" and event.action == "create":
        state.create_inbound(_copy(data), event.at, notify=notify)
    elif event.entity == "inbound" and event.action == "complete":
        state.complete_inbound(event.target, _copy(data.get("received", {})), event.at, notify=notify)
    elif event.entity == "inbound" and event.action == "cancel":
        state.cancel_inbound(event.target, event.at, notify=notify)
    elif event.entity == "stock":
        state.adjust_stock(
            data["warehouseId"],
            event.target,
            int(data["delta"]),
            data.get("remark", ""),
            event.at,
            notify=notify,
            movement_id=data.get("movementId"),
        )
    else:
        raise ValueError(f"unknown timeline event {event.entity}/{event.action}")


def _copy(value: Any) -> Any:
    # The sandbox mutates what it stores; the scenario's facts must stay as generated.

    return copy.deepcopy(value)


def preload(state: GineeState, scenario: Scenario) -> None:
    """The scenario's final world in the sandbox, with no webhooks (``omsync sandbox ginee --scenario``)."""
    setup(state, scenario)
    for event in scenario.events:
        apply_event(state, event, notify=False)


class ScenarioPlayer:
    """Plays a scenario's timeline into a sandbox one change at a time."""

    def __init__(self, state: GineeState, scenario: Scenario, *, set_up: bool = True) -> None:
        self.state = state
        self.scenario = scenario
        self.position = 0
        if set_up:
            setup(state, scenario)

    @property
    def done(self) -> bool:
        return self.position >= len(self.scenario.events)

    def step(self) -> TimelineEvent | None:
        """Apply the next change (announced by webhook if a sender listens); None when all are played."""
        if self.done:
            return None
        event = self.scenario.events[self.position]
        apply_event(self.state, event)
        self.position += 1
        return event

    def play(self, limit: int | None = None) -> int:
        """Apply the remaining changes (at most ``limit``); returns how many were applied."""
        applied = 0
        while not self.done and (limit is None or applied < limit):
            self.step()
            applied += 1
        return applied
