"""Specification: every reconciler run tells CloudWatch how many orders wait on hold and since when the oldest
waits (issue 19, item 7), the two gauges the on-hold alarms of template.yaml watch.

Through the local stack under enforced IAM: the reconciler runs as the template's function with its own policy
(``cloudwatch:PutMetricData`` for the ``omsync`` namespace only), fired as EventBridge would, and the values are
read back from moto's CloudWatch as an alarm would read them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from omsync.errors import OnHold
from omsync.ledger.connections import ConnectionRepository, ConnectionStatus
from omsync.ledger.orders import OrderLedger
from omsync.sync.holds import HoldCensus
from omsync_workshop.stack import LocalStack

TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"
UNMAPPED = OnHold("unmapped_store", "store SH9 is not in the mapping", "Add it to the mapping and apply it.")
MISSING_SKU = OnHold("missing_sku", "item SKU-X is not in Accurate", "Create the item in Accurate.")
HOUR = 3600.0


@pytest.fixture(scope="module")
def enforced_stack(moto_endpoint: str) -> Iterator[LocalStack]:
    with LocalStack(TEMPLATE, endpoint=moto_endpoint, run_event_sources=False, enforce_iam=True) as stack:
        yield stack


def gauge(name: str, since: datetime) -> list[float]:
    """The values of one of omsync's gauges written since ``since``, as the alarms read them."""
    answer = boto3.client("cloudwatch").get_metric_statistics(
        Namespace="omsync",
        MetricName=name,
        Dimensions=[{"Name": "service", "Value": "omsync"}],
        StartTime=since,
        EndTime=datetime.now(UTC) + timedelta(minutes=1),
        Period=60,
        Statistics=["Maximum"],
    )
    return [point["Maximum"] for point in answer["Datapoints"]]


def test_each_run_publishes_the_orders_on_hold_and_the_age_of_the_oldest(enforced_stack: LocalStack) -> None:
    stack = enforced_stack
    started = datetime.now(UTC) - timedelta(minutes=1)
    now = time.time()
    # Given a seller with one order held for five hours and one held for an hour
    seller = stack.register_connection("seller").connection_id
    assert OrderLedger(seller, clock=lambda: now - 5 * HOUR).hold({"SO-OLD": UNMAPPED}, "spec")
    assert OrderLedger(seller, clock=lambda: now - HOUR).hold({"SO-NEW": MISSING_SKU}, "spec")
    # And a disabled connection whose held order is nobody's work until it is enabled again
    paused = stack.register_connection("paused seller").connection_id
    assert OrderLedger(paused, clock=lambda: now - 48 * HOUR).hold({"SO-PAUSED": UNMAPPED}, "spec")
    repository = ConnectionRepository()
    disabled = repository.get(paused)
    assert disabled is not None
    repository.put(disabled.model_copy(update={"status": ConnectionStatus.DISABLED}))

    # When the reconciler's schedule fires (Ginee unreachable: the seller's poll fails after its holds are counted)
    (fired,) = stack.fire_schedules()

    # Then the run reports the seller's two holds and CloudWatch holds the gauges of this run
    assert fired.ok, fired.error
    assert fired.result["connections"][paused] == {"skipped": "disabled"}
    assert "failed" in fired.result["connections"][seller]
    assert gauge("OrdersOnHold", started) == [2.0]
    [oldest] = gauge("OldestHoldAgeSeconds", started)
    assert 5 * HOUR <= oldest <= 5 * HOUR + 60


def test_an_order_held_again_after_its_release_keeps_the_time_it_first_went_on_hold(
    enforced_stack: LocalStack,
) -> None:
    seller = enforced_stack.register_connection("another seller").connection_id
    first = time.time() - 3 * HOUR
    assert OrderLedger(seller, clock=lambda: first).hold({"SO-1": UNMAPPED}, "worker-1")
    # The release puts it back on its queue; the worker finds the cause still there (now another one)
    assert OrderLedger(seller).hold({"SO-1": MISSING_SKU}, "worker-2")

    [record] = OrderLedger(seller).held()
    assert record.hold is not None and record.hold.cause == "missing_sku"
    assert record.hold.since == pytest.approx(first, abs=0.01)


def test_the_census_adds_connections_and_ages_the_oldest_hold() -> None:
    one = HoldCensus(orders=2, oldest_since=1_000.0)
    other = HoldCensus(orders=3, oldest_since=400.0)
    assert one + other == HoldCensus(orders=5, oldest_since=400.0)
    assert (one + HoldCensus()).oldest_age_seconds(now=1_600.0) == 600.0
    assert HoldCensus().oldest_age_seconds(now=1_600.0) == 0.0
