"""Specification: the (action, resource) pairs AWS authorizes for a DynamoDB request (`moto_iam`), pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omsync_workshop.moto_iam import dynamodb_authorizations

REGION, ACCOUNT = "ap-southeast-1", "123456789012"
LEDGER = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/ledger"


def pairs(operation: str, body: Mapping[str, Any]) -> list[tuple[str, str]]:
    return dynamodb_authorizations(operation, body, REGION, ACCOUNT)


def test_a_single_item_call_is_checked_on_its_table() -> None:
    assert pairs("UpdateItem", {"TableName": "ledger"}) == [("UpdateItem", LEDGER)]


def test_a_query_of_an_index_is_checked_on_the_index() -> None:
    assert pairs("Query", {"TableName": "ledger", "IndexName": "gsi1"}) == [("Query", f"{LEDGER}/index/gsi1")]


def test_a_write_transaction_is_checked_part_by_part_with_each_parts_own_action() -> None:
    body = {
        "TransactItems": [
            {"Put": {"TableName": "ledger"}},
            {"ConditionCheck": {"TableName": "ledger"}},
            {"Update": {"TableName": "other"}},
            {"Delete": {"TableName": "ledger"}},
        ]
    }
    assert pairs("TransactWriteItems", body) == [
        ("PutItem", LEDGER),
        ("ConditionCheckItem", LEDGER),
        ("UpdateItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/other"),
        ("DeleteItem", LEDGER),
    ]


def test_a_batch_is_checked_on_every_table_it_names() -> None:
    body: dict[str, Any] = {"RequestItems": {"ledger": {}, "other": {}}}
    assert [table for _, table in pairs("BatchGetItem", body)] == [LEDGER, LEDGER.replace("ledger", "other")]
    assert {action for action, _ in pairs("BatchGetItem", body)} == {"BatchGetItem"}


def test_each_partiql_statement_of_a_batch_is_checked_as_its_own_action_on_its_table() -> None:
    body = {
        "Statements": [
            {"Statement": 'UPDATE "ledger" SET "a" = ? WHERE "pk" = ? AND "sk" = ?'},
            {"Statement": "INSERT INTO \"ledger\" VALUE {'pk': ?, 'sk': ?}"},
            {"Statement": 'DELETE FROM other WHERE "pk" = ?'},
            {"Statement": 'SELECT * FROM "ledger"."gsi1" WHERE "gsi1pk" = ?'},
            {"Statement": "EXISTS(SELECT * FROM ledger)"},
        ]
    }
    assert pairs("BatchExecuteStatement", body) == [
        ("PartiQLUpdate", LEDGER),
        ("PartiQLInsert", LEDGER),
        ("PartiQLDelete", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/other"),
        ("PartiQLSelect", f"{LEDGER}/index/gsi1"),
        ("PartiQLSelect", "*"),
    ]
