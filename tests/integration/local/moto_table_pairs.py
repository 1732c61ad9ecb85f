"""The moto specs' DynamoDB tables: the Ledger's key shape, and the differential tests' pair (one on each moto
server, the patched one first)."""

from __future__ import annotations

import uuid
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


def ledger_shaped_table(client: Any, prefix: str) -> str:
    """A new on-demand table keyed as the Ledger is (``pk``, ``sk``, strings) with its ``gsi2`` index (``gsi2pk``,
    ``gsi2sk``, all attributes projected); returns its name, ``prefix`` and 12 random hex digits."""
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    client.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": attribute, "AttributeType": "S"} for attribute in ("pk", "sk", "gsi2pk", "gsi2sk")
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "gsi2",
                "KeySchema": [
                    {"AttributeName": "gsi2pk", "KeyType": "HASH"},
                    {"AttributeName": "gsi2sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name
