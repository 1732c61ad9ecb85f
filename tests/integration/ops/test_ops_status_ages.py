"""Specification: `omsync status` shows, per work queue and per DLQ, how long the oldest message has waited
(issue 19, item 5), without ever receiving a work queue's messages (each receive would count toward its DLQ
limit).

On the local stack as the operator finds a deployed one (moto over HTTP). A work queue's age is CloudWatch's
``AWS/SQS`` ``ApproximateAgeOfOldestMessage``, which SQS publishes on AWS and moto does not: the test writes the
datapoint SQS would have written, then reads what status prints.
"""

from __future__ import annotations

import contextlib
import io
import re
import time
from datetime import UTC, datetime

import boto3

from omsync.config.settings import WorkQueue, settings
from omsync_ops.cli import main
from omsync_ops.dlq import dead_letter_url
from omsync_workshop.stack import LocalStack


def omsync(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(list(argv))
    return status, out.getvalue()


def test_status_shows_the_oldest_message_of_each_work_queue_and_dlq(deployed_stack: LocalStack) -> None:
    sqs = boto3.client("sqs")
    # Given an order waiting on the orders queue for seven minutes, as SQS reports it to CloudWatch
    status, _ = omsync("status", "--stack", "omsync-local")  # settings of the stack, read as the operator does
    assert status == 0
    orders_url = settings().queue_url(WorkQueue.ORDERS)
    sqs.send_message(QueueUrl=orders_url, MessageBody='{"waiting": "order"}')
    boto3.client("cloudwatch").put_metric_data(
        Namespace="AWS/SQS",
        MetricData=[
            {
                "MetricName": "ApproximateAgeOfOldestMessage",
                "Dimensions": [{"Name": "QueueName", "Value": orders_url.rsplit("/", 1)[-1]}],
                "Timestamp": datetime.now(UTC),
                "Value": 420.0,
                "Unit": "Seconds",
            }
        ],
    )
    # And a product change waiting on the products queue, of which CloudWatch knows nothing yet
    sqs.send_message(QueueUrl=settings().queue_url(WorkQueue.PRODUCTS), MessageBody='{"waiting": "product"}')
    # And a dead letter of the cancellations queue sent two seconds ago
    dlq = dead_letter_url(sqs, settings().queue_url(WorkQueue.CANCELLATIONS))
    sqs.send_message(QueueUrl=dlq, MessageBody='{"dead": "letter"}')
    time.sleep(2)

    # When the operator asks where things stand
    status, shown = omsync("status", "--stack", "omsync-local")

    # Then each queue's line shows its oldest message's age, or n/a and why
    assert status == 0, shown
    assert re.search(r"^orders\s+1\s+0\s+7 min\s+0\s+-$", shown, re.M), shown
    assert re.search(r"^products\s+1\s+0\s+n/a\s+0\s+-$", shown, re.M), shown
    assert re.search(r"^cancellations\s+0\s+0\s+-\s+1\s+\d+ s$", shown, re.M), shown
    assert re.search(r"^n/a: CloudWatch has no ApproximateAgeOfOldestMessage", shown, re.M), shown
    # And no work queue message was received to date it: each is still at its first receive
    answer = sqs.receive_message(QueueUrl=orders_url, AttributeNames=["ApproximateReceiveCount"], WaitTimeSeconds=0)
    [message] = answer["Messages"]
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
