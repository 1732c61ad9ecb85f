"""The Lambda handler of a worker function (``app.lambda_handler``), cheap to import.

A worker's cold start imports this module, the settings and Powertools' Logger and Metrics only. The batch shell
(`omsync.sync.batch`) and the flow, with what they import (boto3, requests, PyYAML, pydantic's models of Ginee's and
Accurate's documents), are imported by the first invocation: issue 21's goal is a module that imports in at most
250 ms, and they cost three times that (docs/ARCHITECTURE.md, "The bench table").
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from omsync import deadline
from omsync.observability import capture_lambda_handler, logger, metrics

if TYPE_CHECKING:
    from omsync.sync.batch import UseCase

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def worker_handler(use_case: Callable[[], UseCase], flow: str) -> Handler:
    """The Lambda handler of a worker whose queue's batches the use case converges (`omsync.sync.batch.handle_batch`).

    ``use_case``: returns the flow's use case (importing it); called once, by the first invocation. Logs carry the
    Lambda context, the invocation is traced where tracing is on, metrics (with the cold start) are flushed at its
    end, and every wait inside ends before the timeout (`omsync.deadline.invocation`).
    """
    load = functools.cache(use_case)

    @logger.inject_lambda_context(log_event=False)
    @capture_lambda_handler
    @metrics.log_metrics(capture_cold_start_metric=True)
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        # Imported by the first invocation, not at cold start (this module's docstring).
        from omsync.sync.batch import handle_batch

        with deadline.invocation(context):
            return handle_batch(event, load(), flow=flow)

    handler: Handler = lambda_handler  # Powertools' decorators are untyped; the shape is the one above
    return handler
