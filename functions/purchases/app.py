"""Purchases worker: inbounds and stock adjustments from the purchases queue become Purchase Invoices (or
Receive Items) and Item Adjustments in Accurate, each exactly once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from omsync import deadline
from omsync.config.settings import settings
from omsync.observability import logger, metrics, tracer
from omsync.sync.batch import handle_batch
from omsync.sync.purchases import sync_purchases

settings()  # a misconfigured deploy fails here, at cold start


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with deadline.invocation(context):  # every wait below ends before the timeout
        return handle_batch(event, sync_purchases, flow="purchases")
