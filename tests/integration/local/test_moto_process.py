"""moto in a process of its own: it serves over HTTP and goes when stopped."""

from __future__ import annotations

import boto3
import pytest
import requests

from omsync_workshop.moto_process import MotoProcess


def test_the_child_serves_moto_over_http_and_goes_when_stopped() -> None:
    moto = MotoProcess().start()
    child = moto._child
    try:
        sqs = boto3.client("sqs", endpoint_url=moto.endpoint, region_name="ap-southeast-1")
        url = sqs.create_queue(QueueName="child-queue")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="one")
        sqs.send_message(QueueUrl=url, MessageBody="two")
        bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
        assert bodies == ["one", "two"]
        moto.freeze_heap()  # answers, and the child keeps serving
        assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])[
            "Attributes"
        ] == {"ApproximateNumberOfMessagesNotVisible": "2"}
    finally:
        moto.stop()
    assert child is not None and child.poll() is not None
    with pytest.raises(requests.ConnectionError):
        requests.get(moto.endpoint, timeout=2)
    with pytest.raises(RuntimeError, match="not running"):
        moto.freeze_heap()
