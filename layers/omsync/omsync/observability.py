"""The one Logger, Tracer and Metrics every function and module shares.

Service name and metrics namespace come from the standard Powertools environment variables
(POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE) that the template sets per function.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
