"""moto's standard queues, transactions and key queries answer the same with omsync's patches as without.

Differential: every test runs over HTTP with boto3, on fresh queues and tables, against three servers —
moto as released (no patch), the tests' own (the fidelity patches) and one patched as `omsync bench`
patches it (fidelity and speed-only) — and asserts the same answers of each.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto_table_pairs import ledger_shaped_table

SERVERS = ["moto_as_released", "moto_endpoint", "moto_with_speed_patches"]
SERVER_IDS = ["as-released", "fidelity", "speed"]


@pytest.fixture(name="endpoint", params=SERVERS, ids=SERVER_IDS)
def fixture_endpoint(request: pytest.FixtureRequest) -> str:
    endpoint: str = request.getfixturevalue(request.param)
    return endpoint


@pytest.fixture(name="dynamodb")
def fixture_dynamodb(endpoint: str) -> Iterator[tuple[Any, str]]:
    client: Any = boto3.client("dynamodb", endpoint_url=endpoint, region_name="ap-southeast-1")
    name = f"speedup-{uuid.uuid4().hex[:12]}"
    client.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )
    yield client, name
    client.delete_table(TableName=name)


@pytest.fixture(name="sqs")
def fixture_sqs(endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=endpoint, region_name="ap-southeast-1")


def new_queue(sqs: Any, **attributes: str) -> str:
    url: str = sqs.create_queue(QueueName=f"speedup-{uuid.uuid4().hex[:12]}", Attributes=attributes)["QueueUrl"]
    return url


def queue_arn(sqs: Any, url: str) -> str:
    arn: str = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return arn


def depth(sqs: Any, url: str) -> dict[str, int]:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return {
        "visible": int(attributes["ApproximateNumberOfMessages"]),
        "in_flight": int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        "delayed": int(attributes["ApproximateNumberOfMessagesDelayed"]),
    }


def receive(sqs: Any, url: str, count: int = 10, visibility: int | None = None) -> list[dict[str, Any]]:
    request: dict[str, Any] = {
        "QueueUrl": url,
        "MaxNumberOfMessages": count,
        "AttributeNames": ["All"],
        "MessageAttributeNames": ["All"],
    }
    if visibility is not None:
        request["VisibilityTimeout"] = visibility
    messages: list[dict[str, Any]] = sqs.receive_message(**request).get("Messages", [])
    return messages


def send_batch(sqs: Any, url: str, bodies: list[str]) -> None:
    for start in range(0, len(bodies), 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {
                    "Id": str(i),
                    "MessageBody": body,
                    "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "order"}},
                }
                for i, body in enumerate(bodies[start : start + 10])
            ],
        )


def test_messages_come_out_in_the_order_they_were_sent_with_their_attributes(sqs: Any) -> None:
    url = new_queue(sqs)
    send_batch(sqs, url, [f"m{i}" for i in range(25)])

    bodies = []
    while batch := receive(sqs, url):
        bodies += [m["Body"] for m in batch]
        assert all(m["MessageAttributes"]["kind"]["StringValue"] == "order" for m in batch)

    assert bodies == [f"m{i}" for i in range(25)]


def test_a_received_message_is_in_flight_until_deleted_and_deleting_twice_is_harmless(sqs: Any) -> None:
    url = new_queue(sqs, VisibilityTimeout="30")
    send_batch(sqs, url, ["a", "b", "c"])

    received = receive(sqs, url, count=2)
    assert depth(sqs, url) == {"visible": 1, "in_flight": 2, "delayed": 0}
    entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)]
    assert len(sqs.delete_message_batch(QueueUrl=url, Entries=entries)["Successful"]) == 2
    assert len(sqs.delete_message_batch(QueueUrl=url, Entries=entries)["Successful"]) == 2

    assert depth(sqs, url) == {"visible": 1, "in_flight": 0, "delayed": 0}
    assert [m["Body"] for m in receive(sqs, url)] == ["c"]


def test_an_unknown_receipt_handle_is_refused(sqs: Any) -> None:
    url = new_queue(sqs)

    with pytest.raises(ClientError) as refused:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")

    assert refused.value.response["Error"]["Code"] == "ReceiptHandleIsInvalid"


def test_each_receive_counts_and_a_message_made_visible_again_comes_back_first(sqs: Any) -> None:
    url = new_queue(sqs, VisibilityTimeout="30")
    send_batch(sqs, url, ["first", "second"])

    first = receive(sqs, url, count=1)[0]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0)
    again = receive(sqs, url, count=2)

    assert [m["Body"] for m in again] == ["first", "second"]
    assert first["Attributes"]["ApproximateReceiveCount"] == "1"
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    assert (
        again[0]["Attributes"]["ApproximateFirstReceiveTimestamp"]
        == first["Attributes"]["ApproximateFirstReceiveTimestamp"]
    )
    assert again[1]["Attributes"]["ApproximateReceiveCount"] == "1"


def test_a_message_whose_visibility_timeout_runs_out_is_delivered_again(sqs: Any) -> None:
    url = new_queue(sqs, VisibilityTimeout="1")
    send_batch(sqs, url, ["slow"])

    receive(sqs, url)
    assert receive(sqs, url) == []
    time.sleep(1.2)

    again = receive(sqs, url)
    assert [m["Body"] for m in again] == ["slow"]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"


def test_a_delayed_message_is_counted_as_delayed_and_not_delivered(sqs: Any) -> None:
    url = new_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)

    assert depth(sqs, url) == {"visible": 0, "in_flight": 0, "delayed": 1}
    assert receive(sqs, url) == []


def test_a_message_received_max_receive_count_times_moves_to_the_dead_letter_queue(sqs: Any) -> None:
    dlq = new_queue(sqs)
    url = new_queue(
        sqs,
        VisibilityTimeout="30",
        RedrivePolicy=json.dumps({"deadLetterTargetArn": queue_arn(sqs, dlq), "maxReceiveCount": 3}),
    )
    send_batch(sqs, url, ["poison", "fine"])

    counts = []
    for _ in range(3):
        poison = next(m for m in receive(sqs, url) if m["Body"] == "poison")
        counts.append(poison["Attributes"]["ApproximateReceiveCount"])
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=poison["ReceiptHandle"], VisibilityTimeout=0)
    fourth = receive(sqs, url)

    assert counts == ["1", "2", "3"]
    assert fourth == []
    assert depth(sqs, url) == {"visible": 0, "in_flight": 1, "delayed": 0}  # "fine", received once
    assert [m["Body"] for m in receive(sqs, dlq)] == ["poison"]


def test_purge_empties_the_queue(sqs: Any) -> None:
    url = new_queue(sqs)
    send_batch(sqs, url, ["a", "b", "c"])
    receive(sqs, url, count=1)

    sqs.purge_queue(QueueUrl=url)

    assert depth(sqs, url) == {"visible": 0, "in_flight": 0, "delayed": 0}
    assert receive(sqs, url) == []


def test_fifo_queues_keep_motos_own_behaviour(sqs: Any) -> None:
    url: str = sqs.create_queue(
        QueueName=f"speedup-{uuid.uuid4().hex[:12]}.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )["QueueUrl"]
    for body in ("a", "b"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")

    first = receive(sqs, url)

    assert [m["Body"] for m in first] == ["a", "b"]
    assert receive(sqs, url) == []  # the group is in flight


def test_a_deep_queue_drains_whole_with_the_speed_patches(moto_with_speed_patches: str) -> None:
    """Only on a speed-level server (moto as released takes minutes); prints the time it took (pytest -s)."""
    sqs = boto3.client("sqs", endpoint_url=moto_with_speed_patches, region_name="ap-southeast-1")
    url = new_queue(sqs)
    started = time.perf_counter()
    send_batch(sqs, url, [f"order-{i}" for i in range(2_000)])
    sent = time.perf_counter() - started
    drained = 0
    while batch := receive(sqs, url):
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
        )
        drained += len(batch)
    total = time.perf_counter() - started

    print(f"\n2,000 messages: sent in {sent:.1f} s, sent+received+deleted in {total:.1f} s")
    assert drained == 2_000


def lease(table: str, order: str, owner: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": table,
            "Key": {"pk": {"S": order}, "sk": {"S": "SYNC"}},
            "UpdateExpression": "SET lease_owner = :me",
            "ConditionExpression": "attribute_not_exists(lease_owner)",
            "ExpressionAttributeValues": {":me": {"S": owner}},
        }
    }


def owner_of(dynamodb: tuple[Any, str], order: str) -> str | None:
    client, table = dynamodb
    item = client.get_item(TableName=table, Key={"pk": {"S": order}, "sk": {"S": "SYNC"}}).get("Item")
    if item is None:
        return None
    return str(item["lease_owner"]["S"]) if "lease_owner" in item else "-"


def test_a_transaction_writes_all_its_items(dynamodb: tuple[Any, str]) -> None:
    client, table = dynamodb

    client.transact_write_items(TransactItems=[lease(table, f"order-{i}", "worker-a") for i in range(3)])

    assert [owner_of(dynamodb, f"order-{i}") for i in range(3)] == ["worker-a"] * 3


def test_a_cancelled_transaction_leaves_every_item_as_it_was(dynamodb: tuple[Any, str]) -> None:
    client, table = dynamodb
    client.put_item(TableName=table, Item={"pk": {"S": "order-1"}, "sk": {"S": "SYNC"}, "note": {"S": "kept"}})
    client.transact_write_items(TransactItems=[lease(table, "order-2", "worker-a")])

    with pytest.raises(ClientError) as cancelled:
        client.transact_write_items(
            TransactItems=[
                lease(table, "order-0", "worker-b"),
                lease(table, "order-1", "worker-b"),
                lease(table, "order-2", "worker-b"),
            ]
        )

    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [reason["Code"] for reason in cancelled.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "ConditionalCheckFailed"]
    assert owner_of(dynamodb, "order-0") is None
    assert owner_of(dynamodb, "order-1") == "-"
    assert owner_of(dynamodb, "order-2") == "worker-a"


def test_a_query_on_the_table_key_reads_only_its_partition_in_key_order(dynamodb: tuple[Any, str]) -> None:
    client, table = dynamodb
    for partition in ("A", "B", "C"):
        for number in (3, 1, 2, 10):
            client.put_item(
                TableName=table, Item={"pk": {"S": partition}, "sk": {"S": f"V#{number:03d}"}, "n": {"N": str(number)}}
            )
    client.put_item(TableName=table, Item={"pk": {"S": "B"}, "sk": {"S": "OTHER"}})

    def sort_keys(**query: Any) -> list[str]:
        answer = client.query(TableName=table, ConsistentRead=True, **query)
        return [item["sk"]["S"] for item in answer["Items"]]

    assert sort_keys(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "B"}}) == [
        "OTHER",
        "V#001",
        "V#002",
        "V#003",
        "V#010",
    ]
    newest = sort_keys(
        KeyConditionExpression="pk = :p AND begins_with(sk, :v)",
        ExpressionAttributeValues={":p": {"S": "B"}, ":v": {"S": "V#"}},
        ScanIndexForward=False,
        Limit=2,
    )
    assert newest == ["V#010", "V#003"]
    assert sort_keys(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "Z"}}) == []


def test_a_query_on_an_index_keeps_the_index_order_and_its_pages(endpoint: str) -> None:
    client: Any = boto3.client("dynamodb", endpoint_url=endpoint, region_name="ap-southeast-1")
    table = ledger_shaped_table(client, "speedup")
    # Two orders share an invoice number (the index key ties: the table key orders them); one item has no index key.
    numbers = {"o-7": "INV-3", "o-2": "INV-1", "o-9": "INV-2", "o-1": "INV-2", "o-5": "INV-10"}
    for order, number in numbers.items():
        for store in ("STORE-B", "STORE-A"):
            client.put_item(
                TableName=table,
                Item={
                    "pk": {"S": order},
                    "sk": {"S": f"ORDER#{store}"},
                    "gsi2pk": {"S": store},
                    "gsi2sk": {"S": number},
                },
            )
    client.put_item(
        TableName=table, Item={"pk": {"S": "o-3"}, "sk": {"S": "ORDER#STORE-A"}, "gsi2pk": {"S": "STORE-A"}}
    )

    def pages(**query: Any) -> list[list[tuple[str, str]]]:
        found: list[list[tuple[str, str]]] = []
        start: dict[str, Any] | None = None
        while True:
            answer = client.query(
                TableName=table, IndexName="gsi2", Limit=2, **query, **({"ExclusiveStartKey": start} if start else {})
            )
            found.append([(item["gsi2sk"]["S"], item["pk"]["S"]) for item in answer["Items"]])
            start = answer.get("LastEvaluatedKey")
            if start is None:
                return found

    everything = pages(KeyConditionExpression="gsi2pk = :p", ExpressionAttributeValues={":p": {"S": "STORE-A"}})
    assert everything == [
        [("INV-1", "o-2"), ("INV-10", "o-5")],
        [("INV-2", "o-1"), ("INV-2", "o-9")],
        [("INV-3", "o-7")],
    ]
    newest_first = pages(
        KeyConditionExpression="gsi2pk = :p AND begins_with(gsi2sk, :h)",
        ExpressionAttributeValues={":p": {"S": "STORE-B"}, ":h": {"S": "INV-1"}},
        ScanIndexForward=False,
    )
    assert newest_first == [[("INV-10", "o-5"), ("INV-1", "o-2")]]
    # moto sets LastEvaluatedKey on a full page followed by an item the range condition rejects.
    one_number = pages(
        KeyConditionExpression="gsi2pk = :p AND gsi2sk = :n",
        ExpressionAttributeValues={":p": {"S": "STORE-A"}, ":n": {"S": "INV-2"}},
    )
    assert one_number == [[("INV-2", "o-1"), ("INV-2", "o-9")], []]
    unlimited = client.query(
        TableName=table,
        IndexName="gsi2",
        KeyConditionExpression="gsi2pk = :p AND gsi2sk = :n",
        ExpressionAttributeValues={":p": {"S": "STORE-B"}, ":n": {"S": "INV-2"}},
    )
    assert [item["pk"]["S"] for item in unlimited["Items"]] == ["o-1", "o-9"]
    assert "LastEvaluatedKey" not in unlimited
    client.delete_table(TableName=table)
