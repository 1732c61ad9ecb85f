"""Gauges: values sampled once per run (orders on hold now, the age of the oldest hold) written to CloudWatch.

Everything omsync *counts* as it happens (webhooks accepted, orders posted, Accurate refusing a token) goes out
as Powertools EMF lines through the shared `omsync.observability.metrics`, which CloudWatch Logs turns into
metrics. A gauge is written here instead, with one ``PutMetricData`` call per run, for two reasons:

- it is a level, not an event: the alarm compares the latest value with a threshold, and a run that fails to
  write it must fail loudly (the reconciler's errors alarm), not leave a log line nobody reads;
- the datapoints are readable back through CloudWatch's API at once, the same on AWS and on the local stack's
  moto, where EMF lines are only text (the local functions run with metrics off: one process, one metric set).

Namespace and the ``service`` dimension are the ones Powertools gives the EMF metrics
(``POWERTOOLS_METRICS_NAMESPACE``, ``POWERTOOLS_SERVICE_NAME``, read when a gauge is written), so one alarm
style fits both. The functions' IAM policy allows ``cloudwatch:PutMetricData`` for that namespace only.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

import boto3

from omsync.observability import metrics

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.type_defs import MetricDatumTypeDef

GaugeUnit = Literal["Count", "Seconds"]


@dataclass(frozen=True)
class Gauge:
    """One value of a metric at the time of a run."""

    name: str
    value: float
    unit: GaugeUnit


@functools.cache
def cloudwatch() -> CloudWatchClient:
    """The process-wide CloudWatch client (created on first use, like every boto3 handle in omsync)."""
    return boto3.client("cloudwatch")


def reset() -> None:
    """Drop the cached client (the next call builds one from the current environment)."""
    cloudwatch.cache_clear()


def namespace() -> str:
    """The metrics namespace of this function (``POWERTOOLS_METRICS_NAMESPACE``, as Powertools reads it)."""
    return os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or str(metrics.namespace)


def service() -> str:
    """The ``service`` dimension every omsync metric carries (``POWERTOOLS_SERVICE_NAME``)."""
    return os.environ.get("POWERTOOLS_SERVICE_NAME") or str(metrics.service)


def publish(values: Sequence[Gauge], *, at: datetime) -> None:
    """Write ``values`` (at most 1,000, CloudWatch's limit per call) stamped ``at`` (aware) in one call.

    Raises botocore's ``ClientError`` when CloudWatch refuses (an IAM policy without this namespace, say).
    """
    data: list[MetricDatumTypeDef] = [
        {
            "MetricName": gauge.name,
            "Dimensions": [{"Name": "service", "Value": service()}],
            "Timestamp": at,
            "Value": float(gauge.value),
            "Unit": gauge.unit,
        }
        for gauge in values
    ]
    if data:
        cloudwatch().put_metric_data(Namespace=namespace(), MetricData=data)
