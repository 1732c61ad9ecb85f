"""Given a day like the demo's played as Ginee webhooks (some sent twice) into the local stack's receiver,
then every delivery lands on the queue its entity and status call for: a notification sent twice is enqueued
twice (the receiver keeps no record of what it has seen; the workers find the second already done).

The day is `scenarios/receiver-mix.json`: the demo's stores, catalogue, inbound, product changes and
stock adjustments with a quarter of its orders (every path in every store) — every kind of notification
at a quarter of the demo's 1,300 requests, each of which costs the receiver about 55 ms on moto.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from omsync.ginee.webhook import WebhookEnvelope, route
from omsync_workshop.ginee.server import GineeSandbox
from omsync_workshop.ginee.webhooks import DeliveryOptions
from omsync_workshop.scenarios import ScenarioPlayer, load_scenario
from omsync_workshop.stack import LocalStack

TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"
SCENARIO = Path(__file__).resolve().parent / "scenarios" / "receiver-mix.json"


@pytest.mark.slow
def test_a_days_webhooks_land_on_the_right_queues_each_delivery_once(moto_endpoint: str) -> None:
    demo = load_scenario(SCENARIO)
    with LocalStack(TEMPLATE, endpoint=moto_endpoint, run_event_sources=False) as stack:
        connection = stack.register_connection("demo")
        sandbox = GineeSandbox(seed=demo.seed).start()
        try:
            player = ScenarioPlayer(sandbox.state, demo)
            sender = sandbox.send_webhooks_to(connection.webhook_url, options=DeliveryOptions(duplicate_rate=0.1))
            player.play()
            sender.flush()
        finally:
            sandbox.stop()
        depths = stack.queue_depths()

    assert not sender.log.failed
    assert len(sender.log.sent) > len(sender.emitted)  # some envelopes really were posted twice
    expected: Counter[str] = Counter()
    for envelope in sender.log.sent:
        target = route(WebhookEnvelope.model_validate(envelope))
        assert target is not None
        expected[f"{target.queue.value.capitalize()}Queue"] += 1
    assert {queue: depths.get(queue, 0) for queue in expected} == dict(expected)
    assert sum(depths.values()) == len(sender.log.sent)
