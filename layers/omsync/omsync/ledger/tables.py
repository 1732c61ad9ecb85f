"""The one place that creates boto3 handles for DynamoDB.

Handles are created lazily (on first use, not at import) so they pick up AWS_ENDPOINT_URL and
credentials as they are when the code first runs — in Lambda, at cold start; locally, after the
embedded stack has pointed the process at moto.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from omsync.config.settings import settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient, DynamoDBServiceResource
    from mypy_boto3_dynamodb.service_resource import Table


# DynamoDB checks every request itself; botocore's own check of a 100-item transaction costs the worker
# more CPU than building it. A malformed request still fails, as a ValidationException from the service.
_CONFIG = Config(parameter_validation=False)


@functools.cache
def dynamodb() -> DynamoDBServiceResource:
    """The process-wide DynamoDB resource."""
    return boto3.resource("dynamodb", config=_CONFIG)


@functools.cache
def dynamodb_client() -> DynamoDBClient:
    """The process-wide plain DynamoDB client (typed JSON), for transactions, which the resource lacks."""
    return boto3.client("dynamodb", config=_CONFIG)


def ledger_table() -> Table:
    """The Ledger single table (name from LEDGER_TABLE)."""
    return _table(settings().ledger_table)


@functools.cache
def _table(name: str) -> Table:
    # Building a Table resource loads its model and creates a class: far too slow to do per request.
    return dynamodb().Table(name)


def reset() -> None:
    """Drop cached handles (the next call builds them from the current environment)."""
    dynamodb.cache_clear()
    dynamodb_client.cache_clear()
    _table.cache_clear()
