"""The compiled update and condition expressions, and the JSON parsing of request bodies (speed-only
patches, `omsync bench` only), give exactly moto's own answers.

Differential: each case runs over HTTP on a fresh table holding the same starting item, once on a moto
server patched to the speed level and once on moto as released, each in a process of its own. The
item afterwards, the error (code and message) if any, and what the index finds must be the same.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto_table_pairs import tables_on

from omsync_workshop.moto_expressions import compile_condition, compile_update

KEY = {"pk": {"S": "CONN#1"}, "sk": {"S": "ORDER#7"}}
LEASED = {
    **KEY,
    "lease_owner": {"S": "worker-a"},
    "lease_until": {"N": "100.5"},
    "intent": {"S": "INV-1"},
    "hold_cause": {"S": "missing_sku"},
}


@dataclass(frozen=True)
class Case:
    name: str
    update: str
    values: dict[str, Any]
    condition: str | None = None
    names: dict[str, str] = field(default_factory=dict)
    start: dict[str, Any] | None = None
    all_old: bool = False


BIG = {**KEY, "big": {"S": "x" * 300_000}}

CASES = [
    Case("a reserved word as a plain name (left to moto, which refuses it)", "SET other = :o", {":o": {"N": "1"}}),
    Case("past the item size limit", "SET more = :m", {":m": {"S": "y" * 150_000}}, start=BIG),
    Case(
        "a large attribute replaced by a small one",
        "SET big = :s, note_b = :o",
        {":s": {"S": "s"}, ":o": {"N": "1"}},
        start=BIG,
    ),
    Case(
        "a large attribute replaced by another (moto counts the old value too)",
        "SET big = :b",
        {":b": {"S": "z" * 200_000}},
        start=BIG,
    ),
    Case("creates the item", "SET a = :a, b = :b", {":a": {"S": "x"}, ":b": {"N": "2"}}),
    Case(
        "lists, maps, booleans and nulls",
        "SET l = :l, m = :m, t = :t, z = :z",
        {
            ":l": {"L": [{"S": "a"}, {"N": "1.50"}, {"SS": ["p", "q"]}]},
            ":m": {"M": {"x": {"BOOL": False}, "y": {"NS": ["1", "2"]}}},
            ":t": {"BOOL": True},
            ":z": {"NULL": True},
        },
    ),
    Case(
        "binary values (left to moto's parser)",
        "SET b = :b, bs = :bs",
        {":b": {"B": b"\x00\xff"}, ":bs": {"BS": [b"a", b"b"]}},
        "attribute_not_exists(b)",
    ),
    Case(
        "lease on a new item",
        "SET lease_owner = :me, lease_until = :until",
        {":me": {"S": "worker-b"}, ":until": {"N": "160"}, ":now": {"N": "100"}},
        "attribute_not_exists(lease_owner) OR lease_owner = :me OR lease_until < :now",
    ),
    Case(
        "lease held by another, not expired",
        "SET lease_owner = :me, lease_until = :until",
        {":me": {"S": "worker-b"}, ":until": {"N": "160"}, ":now": {"N": "100"}},
        "attribute_not_exists(lease_owner) OR lease_owner = :me OR lease_until < :now",
        start=LEASED,
    ),
    Case(
        "lease expired (numbers compare as numbers)",
        "SET lease_owner = :me, lease_until = :until",
        {":me": {"S": "worker-b"}, ":until": {"N": "160"}, ":now": {"N": "1000"}},
        "attribute_not_exists(lease_owner) OR lease_owner = :me OR lease_until < :now",
        start=LEASED,
    ),
    Case(
        "record and remove, owner matches",
        "SET invoice_number = :n, updated_at = :t REMOVE lease_owner, lease_until, intent, hold_cause, gone",
        {":n": {"S": "INV-1"}, ":t": {"N": "5"}, ":me": {"S": "worker-a"}},
        "lease_owner = :me",
        start=LEASED,
    ),
    Case(
        "record refused, owner differs, old item returned",
        "SET invoice_number = :n",
        {":n": {"S": "INV-1"}, ":me": {"S": "worker-z"}},
        "lease_owner = :me",
        start=LEASED,
        all_old=True,
    ),
    Case(
        "AND binds tighter than OR",
        "SET a = :a",
        {":a": {"S": "y"}, ":x": {"S": "worker-z"}, ":lim": {"N": "1"}},
        "lease_owner = :x AND lease_until > :lim OR attribute_exists(intent) AND lease_until <= :lim",
        start=LEASED,
    ),
    Case(
        "every comparison operator",
        "SET a = :a",
        {":a": {"S": "y"}, ":v": {"N": "100.5"}, ":s": {"S": "worker-a"}},
        "lease_until >= :v AND lease_until <= :v AND lease_owner <> :v AND :v > lease_until OR lease_owner >= :s",
        start=LEASED,
    ),
    Case(
        "a string is not a number",
        "SET a = :a",
        {":a": {"S": "y"}, ":v": {"S": "100.5"}},
        "lease_until = :v",
        start=LEASED,
    ),
    Case(
        "<> on a missing attribute holds",
        "SET #s = :posted",
        {":posted": {"S": "posted"}},
        "attribute_not_exists(#s) OR #s <> :posted",
        names={"#s": "status"},
    ),
    Case(
        "names and REMOVE first",
        "REMOVE #h SET #r = :doc",
        {":doc": {"M": {"number": {"S": "R-1"}}}},
        names={"#h": "hold_cause", "#r": "return#1"},
        start=LEASED,
    ),
    Case("a key attribute is refused", "SET sk = :v", {":v": {"S": "other"}}),
    Case("an unknown placeholder is refused", "SET a = :missing", {":a": {"S": "x"}}),
    Case("a function is moto's", "SET a = if_not_exists(a, :zero)", {":zero": {"N": "0"}}, start=LEASED),
    Case("arithmetic is moto's", "SET n = :one + :one", {":one": {"N": "1"}}),
    Case("NOT is moto's", "SET a = :a", {":a": {"S": "x"}, ":me": {"S": "m"}}, "NOT lease_owner = :me", start=LEASED),
    Case("an index key may not be empty", "SET gsi1pk = :p", {":p": {"S": ""}}),
    Case(
        "an index key is set and removed",
        "SET gsi1pk = :p, hold_reason = :r REMOVE intent",
        {":p": {"S": "CONN#1#HOLD"}, ":r": {"S": "SKU X"}},
        start=LEASED,
    ),
    Case("an unused name is refused", "SET a = :a", {":a": {"S": "x"}}, "attribute_exists(b)", names={"#u": "u"}),
    Case("one attribute twice is refused", "SET a = :a, a = :b", {":a": {"S": "x"}, ":b": {"S": "y"}}),
]


def new_table(client: Any) -> str:
    name = f"expressions-{uuid.uuid4().hex[:12]}"
    client.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "gsi1pk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "gsi1",
                "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


@pytest.fixture(name="tables")
def fixture_tables(moto_with_speed_patches: str, moto_as_released: str) -> Iterator[list[tuple[Any, str]]]:
    """(client, table) on the speed level's moto, then on moto as released."""
    yield from tables_on((moto_with_speed_patches, moto_as_released), new_table)


def _run(client: Any, table: str, case: Case, *, transaction: bool) -> tuple[Any, Any, Any]:
    """The item afterwards, the error if any, and what the index finds."""
    if case.start is not None:
        client.put_item(TableName=table, Item=case.start)
    request: dict[str, Any] = {"Key": KEY, "UpdateExpression": case.update, "ExpressionAttributeValues": case.values}
    if case.condition:
        request["ConditionExpression"] = case.condition
    if case.names:
        request["ExpressionAttributeNames"] = case.names
    if case.all_old:
        request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    error: Any = None
    try:
        if transaction:
            client.transact_write_items(TransactItems=[{"Update": {**request, "TableName": table}}])
        else:
            client.update_item(TableName=table, **request)
    except ClientError as failure:
        answer = failure.response
        error = (answer["Error"]["Code"], answer["Error"].get("Message"), answer.get("Item"))
        error += (str(answer.get("CancellationReasons")),)
    item = client.get_item(TableName=table, Key=KEY, ConsistentRead=True).get("Item")
    indexed = client.query(
        TableName=table,
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :p",
        ExpressionAttributeValues={":p": {"S": "CONN#1#HOLD"}},
    )["Items"]
    return item, error, indexed


@pytest.mark.parametrize("transaction", [False, True], ids=["update_item", "transaction"])
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_compiled_path_answers_as_moto_does(tables: list[tuple[Any, str]], case: Case, transaction: bool) -> None:
    (fast_client, fast_table), (moto_client, moto_table) = tables

    fast = _run(fast_client, fast_table, case, transaction=transaction)
    reference = _run(moto_client, moto_table, case, transaction=transaction)

    assert fast == reference


def test_the_ledger_expressions_are_in_the_subset() -> None:
    assert compile_update("SET lease_owner = :me, lease_until = :until REMOVE hold_cause, gsi1pk") is not None
    assert compile_condition("attribute_not_exists(lease_owner) OR lease_owner = :me OR lease_until < :now")
    assert compile_condition("holder = :me AND started <= :sent") is not None


def test_other_expressions_are_left_to_moto() -> None:
    assert compile_update("SET a = list_append(a, :x)") is None
    assert compile_update("ADD n :one") is None
    assert compile_update("SET a.b = :x") is None
    assert compile_condition("a BETWEEN :x AND :y") is None
    assert compile_condition("(a = :x OR b = :y) AND c = :z") is None
    assert compile_condition("begins_with(a, :x)") is None
