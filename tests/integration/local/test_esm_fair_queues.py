"""The SQS emulator over a fair queue: a quiet tenant's message is not held behind a noisy tenant's backlog.

Given 240 messages of seller A on a standard queue of the tests' moto, read by the emulator at 2 concurrent
invocations of batches of 40 (a stand-in function that takes 0.1 s a batch and notes what it saw), when seller B's
one message is sent while A's first batch is worked, then B's message is delivered in one of the next few batches
(A, with 40 in flight, is a noisy neighbour; the emulator reads a batch only once an invocation is free for it,
so no batch of A waits in flight ahead of B). Without message groups the same queue hands B's message over after
all of A's: the difference fair queues make.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import boto3

from omsync_workshop.aws import AwsTarget
from omsync_workshop.esm import EsmEmulator, SqsMapping

BACKLOG = 240
BATCH = 40
SECONDS_PER_BATCH = 0.1
WINDOW_SECONDS = 1.0
"""Long enough that a batch fills to 40 from the backlog (a batch closes at its window or its size)."""


class _Function:
    """Stands in for a worker function: notes each batch's message bodies, in the order invoked."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.quiet_sent = threading.Event()
        """Invocations wait for it: the quiet seller's message is sent while A's first batches are worked."""
        self._lock = threading.Lock()

    def invoke(self, logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.batches.append([json.loads(record["body"])["seller"] for record in event["Records"]])
        self.quiet_sent.wait(timeout=30)
        time.sleep(SECONDS_PER_BATCH)
        return {"batchItemFailures": []}

    def messages_before(self, seller: str) -> int | None:
        """How many messages were delivered in batches before the one holding ``seller``'s."""
        with self._lock:
            seen = 0
            for batch in self.batches:
                if seller in batch:
                    return seen
                seen += len(batch)
        return None


def _delivered_before_quiet(endpoint: str, *, grouped: bool) -> int:
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="ap-southeast-1")
    url = sqs.create_queue(QueueName=f"fair-esm-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def send(seller: str, count: int) -> None:
        for start in range(0, count, 10):
            entries: list[Any] = [
                {"Id": str(i), "MessageBody": json.dumps({"seller": seller})} for i in range(min(10, count - start))
            ]
            if grouped:
                for entry in entries:
                    entry["MessageGroupId"] = seller
            sqs.send_message_batch(QueueUrl=url, Entries=entries)

    send("seller-a", BACKLOG)
    function = _Function()
    mapping = SqsMapping("Worker", "Queue", "Queue", url, arn, BATCH, WINDOW_SECONDS, True, 2)
    emulator = EsmEmulator([mapping], function, AwsTarget(endpoint))  # type: ignore[arg-type]
    emulator.start()
    try:
        while not function.batches:
            time.sleep(0.01)
        send("seller-b", 1)
        function.quiet_sent.set()
        emulator.drain_until_idle(timeout=60)
    finally:
        emulator.stop()
    before = function.messages_before("seller-b")
    assert before is not None, "seller B's message was never delivered"
    return before


def test_a_quiet_sellers_message_comes_within_a_few_batches_of_a_noisy_sellers_backlog(moto_endpoint: str) -> None:
    assert _delivered_before_quiet(moto_endpoint, grouped=True) <= 3 * BATCH


def test_without_message_groups_the_quiet_sellers_message_waits_for_the_whole_backlog(moto_endpoint: str) -> None:
    assert _delivered_before_quiet(moto_endpoint, grouped=False) >= BACKLOG - 2 * BATCH
