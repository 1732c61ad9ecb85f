"""Reconciler (scheduled): puts every connection's held orders back on the orders queue.

Held orders are released as soon as their cause may be fixed; `omsync mapping apply` releases a
connection's holds at once, and this schedule catches the fixes omsync cannot see (an item created or a
period opened directly in Accurate).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from omsync import deadline
from omsync.config.settings import settings
from omsync.observability import logger, metrics, tracer
from omsync.sync.holds import release_all_holds

settings()  # a misconfigured deploy fails here, at cold start


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with deadline.invocation(context):  # every wait below ends before the timeout
        released = release_all_holds()
        total = sum(sum(counts.values()) for counts in released.values())
        metrics.add_metric(name="holds.released", unit=MetricUnit.Count, value=total)
        return {"released": released}
