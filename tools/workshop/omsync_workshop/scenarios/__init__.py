"""Seeded marketplace scenarios: files in ``events/scenarios/`` expanded into facts (`load_scenario`),
loaded into a Ginee sandbox at once (`preload`) or played step by step (`ScenarioPlayer`)."""

from omsync_workshop.scenarios.facts import (
    AdjustmentFacts,
    InboundFacts,
    LateReturn,
    LineFacts,
    OrderFacts,
    ProductFacts,
    Scenario,
    StoreFacts,
    TimelineEvent,
)
from omsync_workshop.scenarios.generator import OUTCOMES, load_scenario, scenario_names
from omsync_workshop.scenarios.player import ScenarioPlayer, apply_event, preload, setup

__all__ = [
    "OUTCOMES",
    "AdjustmentFacts",
    "InboundFacts",
    "LateReturn",
    "LineFacts",
    "OrderFacts",
    "ProductFacts",
    "Scenario",
    "ScenarioPlayer",
    "StoreFacts",
    "TimelineEvent",
    "apply_event",
    "load_scenario",
    "preload",
    "scenario_names",
    "setup",
]
