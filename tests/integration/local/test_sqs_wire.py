"""The SQS emulator's own client against moto: the same messages and errors as botocore's."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from omsync_workshop.esm import lambda_record
from omsync_workshop.sqs_wire import SqsWire

REGION = "ap-southeast-1"
ATTRIBUTES: dict[str, Any] = {
    "kind": {"DataType": "String", "StringValue": "order"},
    "blob": {"DataType": "Binary", "BinaryValue": b"\x00\xffomsync"},
}


def test_received_messages_make_the_same_lambda_records_as_botocores(moto_endpoint: str) -> None:
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint, region_name=REGION)
    urls = [sqs.create_queue(QueueName=f"wire-{uuid.uuid4().hex[:8]}")["QueueUrl"] for _ in range(2)]
    for url in urls:
        sqs.send_message(QueueUrl=url, MessageBody='{"orderId": "1"}', MessageAttributes=ATTRIBUTES)
    options: dict[str, Any] = {"MaxNumberOfMessages": 10, "AttributeNames": ["All"], "MessageAttributeNames": ["All"]}

    [by_wire] = SqsWire(moto_endpoint, REGION).receive_message(QueueUrl=urls[0], **options)["Messages"]
    [by_boto] = sqs.receive_message(QueueUrl=urls[1], **options)["Messages"]

    wire_record = lambda_record(by_wire, "arn:aws:sqs:ap-southeast-1:123456789012:q", REGION)
    boto_record = lambda_record(by_boto, "arn:aws:sqs:ap-southeast-1:123456789012:q", REGION)
    assert wire_record["messageAttributes"] == boto_record["messageAttributes"]
    assert wire_record["messageAttributes"]["blob"]["binaryValue"] == "AP9vbXN5bmM="
    assert (wire_record["body"], wire_record["md5OfBody"]) == (boto_record["body"], boto_record["md5OfBody"])
    assert wire_record["attributes"]["ApproximateReceiveCount"] == "1"


def test_deletes_remove_messages_and_errors_carry_sqs_codes(moto_endpoint: str) -> None:
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint, region_name=REGION)
    url = sqs.create_queue(QueueName=f"wire-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="one")
    wire = SqsWire(moto_endpoint, REGION)
    [message] = wire.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]

    answer = wire.delete_message_batch(QueueUrl=url, Entries=[{"Id": "0", "ReceiptHandle": message["ReceiptHandle"]}])

    assert [entry["Id"] for entry in answer["Successful"]] == ["0"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]) == (
        "0",
        "0",
    )
    with pytest.raises(ClientError) as refused:
        wire.change_message_visibility(QueueUrl=url, ReceiptHandle="not-a-handle", VisibilityTimeout=1)
    assert refused.value.response["Error"]["Code"] == "ReceiptHandleIsInvalid"
