"""Reconciler (scheduled): per connection, releases held orders and polls Ginee for the orders whose webhooks
never came (`omsync.sync.reconcile`).

Held orders are released as soon as their cause may be fixed; `omsync mapping apply` releases a
connection's holds at once, and this schedule catches the fixes omsync cannot see (an item created or a
period opened directly in Accurate). The poll lists Ginee's orders changed since the connection's cursor and
puts every order the Ledger is behind on its queue, and the master products changed since then on theirs.
Once a day (the first run after 01:00 Asia/Jakarta) the deep pass compares the day before with Accurate
(`omsync.sync.deep_pass`), heals what it can and counts the drift it found (metric ``ReconcileDrift``).
Each run ends by writing the orders on hold and the age of the oldest to CloudWatch (the on-hold alarms).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from omsync import deadline
from omsync.config.settings import settings
from omsync.observability import capture_lambda_handler, logger, metrics

settings()  # a misconfigured deploy fails here, at cold start


@logger.inject_lambda_context(log_event=False)
@capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Imported by the first run, not at cold start: with boto3, requests and pydantic's document models they cost
    # three times issue 21's 250 ms (docs/ARCHITECTURE.md, "The bench table").
    from omsync.sync.deep_pass import nightly_all
    from omsync.sync.reconcile import publish_hold_gauges, reconcile_all

    with deadline.invocation(context):  # every wait below ends before the timeout
        outcome = reconcile_all()
        released = {cid: run.released for cid, run in outcome.items() if run.released}
        enqueued = sum(len(run.orders.enqueued) for run in outcome.values() if run.orders is not None)
        total = sum(sum(counts.values()) for counts in released.values())
        metrics.add_metric(name="holds.released", unit=MetricUnit.Count, value=total)
        metrics.add_metric(name="orders.behind_enqueued", unit=MetricUnit.Count, value=enqueued)
        changed = sum(len(run.products) for run in outcome.values())
        metrics.add_metric(name="products.changed_enqueued", unit=MetricUnit.Count, value=changed)
        publish_hold_gauges(outcome)
        nightly = nightly_all()
        passes = [run for run in nightly.values() if run.day is not None]
        if passes:
            drift = sum(run.drift_found for run in passes)
            metrics.add_metric(name="ReconcileDrift", unit=MetricUnit.Count, value=drift)
        return {
            "released": released,
            "connections": {cid: run.summary() for cid, run in outcome.items()},
            "deep_pass": {cid: run.summary() for cid, run in nightly.items() if run.skipped != "not due"},
        }
