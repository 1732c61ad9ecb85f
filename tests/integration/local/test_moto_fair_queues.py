"""A standard queue whose messages carry a MessageGroupId delivers as an SQS fair queue (`moto_fair_queues`).

Over HTTP with boto3, on the tests' own moto (fidelity patches) and on one patched as `omsync bench` patches it
(speed): a tenant with more than 10% of the messages in flight and at least 30 of them is a noisy neighbour,
and a quiet tenant's message is delivered before the rest of its backlog. Moto as released delivers in the order
sent (the quiet message comes after the backlog): the reason for the patch.
"""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest

from omsync_workshop.moto_fair_queues import NOISY_MIN_IN_FLIGHT, next_group, noisy_tenants

PATCHED = ["moto_endpoint", "moto_with_speed_patches"]


@pytest.fixture(name="sqs", params=PATCHED, ids=["fidelity", "speed"])
def fixture_sqs(request: pytest.FixtureRequest) -> Any:
    endpoint: str = request.getfixturevalue(request.param)
    return boto3.client("sqs", endpoint_url=endpoint, region_name="ap-southeast-1")


def _send(sqs: Any, url: str, group: str, count: int) -> None:
    for start in range(0, count, 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "MessageBody": f"{group}-{start + i}", "MessageGroupId": group}
                for i in range(min(10, count - start))
            ],
        )


def _receive(sqs: Any, url: str, count: int) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    while len(received) < count:
        batch = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=min(10, count - len(received)), AttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            break
        received += batch
    return received


def test_a_quiet_tenants_message_comes_before_a_noisy_tenants_backlog(sqs: Any) -> None:
    url = sqs.create_queue(QueueName=f"fair-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    _send(sqs, url, "seller-a", 80)
    in_flight = _receive(sqs, url, NOISY_MIN_IN_FLIGHT)  # seller A: 30 in flight, all of them: noisy
    _send(sqs, url, "seller-b", 2)

    following = _receive(sqs, url, 4)

    assert [m["Body"] for m in in_flight] == [f"seller-a-{i}" for i in range(NOISY_MIN_IN_FLIGHT)]
    assert [m["Body"] for m in following] == ["seller-b-0", "seller-b-1", "seller-a-30", "seller-a-31"]
    assert following[0]["Attributes"]["MessageGroupId"] == "seller-b"


def test_below_the_noisy_threshold_messages_come_in_the_order_sent(sqs: Any) -> None:
    url = sqs.create_queue(QueueName=f"fair-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    _send(sqs, url, "seller-a", 40)
    _receive(sqs, url, NOISY_MIN_IN_FLIGHT - 1)
    _send(sqs, url, "seller-b", 1)

    assert [m["Body"] for m in _receive(sqs, url, 2)] == ["seller-a-29", "seller-a-30"]


def test_once_the_noisy_tenants_messages_are_deleted_the_order_sent_returns(sqs: Any) -> None:
    url = sqs.create_queue(QueueName=f"fair-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    _send(sqs, url, "seller-a", 40)
    for message in _receive(sqs, url, NOISY_MIN_IN_FLIGHT):
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    _send(sqs, url, "seller-b", 1)

    assert [m["Body"] for m in _receive(sqs, url, 2)] == ["seller-a-30", "seller-a-31"]


def test_moto_as_released_holds_the_quiet_tenant_behind_the_backlog(moto_as_released: str) -> None:
    sqs = boto3.client("sqs", endpoint_url=moto_as_released, region_name="ap-southeast-1")
    url = sqs.create_queue(QueueName=f"fair-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    _send(sqs, url, "seller-a", 40)
    _receive(sqs, url, NOISY_MIN_IN_FLIGHT)
    _send(sqs, url, "seller-b", 1)

    assert [m["Body"] for m in _receive(sqs, url, 11)][-1] == "seller-b-0"


def test_the_rule_quiet_first_then_the_noisy_tenant_with_fewest_in_flight() -> None:
    # Share above 10% and at least 30 in flight: A (60 of 100) and B (30) are noisy, C (10) is not.
    assert noisy_tenants({"a": 60, "b": 30, "c": 10}) == {"a", "b"}
    # 30 in flight but 10% or less of all: not noisy.
    assert noisy_tenants({"a": 300, "b": 30}) == {"a"}
    heads: dict[str | None, int] = {"a": 1, "b": 2, "c": 3}
    assert next_group(heads, {"a": 60, "b": 30, "c": 10}) == "c"
    assert next_group({"a": 1, "b": 2}, {"a": 60, "b": 30}) == "b"
    assert next_group({"a": 1, None: 5}, {"a": 60}) is None  # a message without a group is its own tenant
    assert next_group({"a": 1, "b": 2}, {"a": 20}) == "a"  # nobody noisy: the oldest first
