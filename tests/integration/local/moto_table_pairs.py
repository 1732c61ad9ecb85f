"""The differential tests' pair of DynamoDB tables: one on each moto server, the patched one first."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import boto3


def tables_on(endpoints: Iterable[str], new_table: Callable[[Any], str]) -> Iterator[list[tuple[Any, str]]]:
    """(client, table) on each endpoint, the table made by ``new_table(client)`` (it returns the name); each table
    is deleted once the caller is done (a fixture's teardown)."""
    pairs = []
    for endpoint in endpoints:
        client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="ap-southeast-1")
        pairs.append((client, new_table(client)))
    yield pairs
    for client, name in pairs:
        client.delete_table(TableName=name)
