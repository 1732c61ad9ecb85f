"""What Lambda's SQS event source mapping does, for every `Type: SQS` event in the template.

Per mapping, poller threads receive up to `BatchSize` messages, waiting up to
`MaximumBatchingWindowInSeconds` to fill a batch, and invoke the function with an `aws:sqs` event;
at most `MaximumConcurrency` invocations (2 when unset) run at once. As with Lambda, the pollers are
not the function: deleting does not hold one of the function's concurrent invocations, so there are up
to twice as many pollers as invocations. But with `MaximumConcurrency` invocations running, Lambda's
mapping stops reading the queue until one ends (AWS Compute Blog, "Introducing maximum concurrency of
AWS Lambda functions when using Amazon SQS as an event source", 2023): a poller reads a batch only
once an invocation is free for it, so no batch waits in flight for one. That is what lets a fair queue
work: the work messages carry their connection as `MessageGroupId`, and the queue itself (SQS; locally
`omsync_workshop.moto_fair_queues`) hands a poller a quiet tenant's messages before a noisy tenant's
backlog; the records carry the group in `attributes.MessageGroupId`.
Pollers scale as Lambda's do: one polls an idle queue; a poller that finds messages wakes one more,
up to the limit; a poller whose receive finds nothing rests again, with every poller above it (the
first never rests). Success deletes the batch. With `ReportBatchItemFailures` only the reported
messages fail; a raised exception (or an invalid report) fails the whole batch. Failed messages are
made visible again at once, in the order they were received, so their `ApproximateReceiveCount`
grows and moto's redrive policy moves them to the DLQ after `maxReceiveCount` receives.

Differences from AWS, on purpose: failed messages come back immediately instead of after the
queue's VisibilityTimeout (tests and the demo would otherwise wait minutes); pollers scale up at once,
not over minutes; the function's Timeout is not enforced.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from omsync_workshop.aws import AwsTarget, LocalResources
from omsync_workshop.lambdas import FunctionRunner, FunctionSpec
from omsync_workshop.sqs_wire import SqsWire

DEFAULT_CONCURRENCY = 2
POLLERS_PER_INVOCATION = 2
LONG_POLL_SECONDS = 1
"""How long an idle poller waits in one ReceiveMessage call (Lambda's wait 20 s; 1 s keeps `stop` quick)."""
DRAIN_POLL_SECONDS = 0.05
DRAIN_POLL_MAX_SECONDS = 0.5
"""`drain_until_idle` reads the queues' depths again after 0.05 s, doubling the pause up to 0.5 s while they are
not empty (a settled stack is seen at most half a second late)."""

# Not omsync.observability: its Powertools objects must be built after the functions' environment is set.
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SqsMapping:
    """One `Type: SQS` event of a function, with the queue it reads."""

    function: str
    event: str
    queue: str
    queue_url: str
    queue_arn: str
    batch_size: int
    batching_window_seconds: float
    report_batch_item_failures: bool
    concurrency: int

    @property
    def pollers(self) -> int:
        """Poller threads: enough that a batch is ready whenever an invocation ends."""
        return POLLERS_PER_INVOCATION * self.concurrency

    @property
    def key(self) -> str:
        """`<function logical id>.<event name>`, the key of this mapping's counters."""
        return f"{self.function}.{self.event}"


def sqs_mappings(specs: Iterable[FunctionSpec], resources: LocalResources) -> list[SqsMapping]:
    """Every enabled `Type: SQS` event of the functions."""
    mappings = []
    for spec in specs:
        for name, event in spec.events.items():
            if event.get("Type") != "SQS":
                continue
            properties = event.get("Properties") or {}
            if str(properties.get("Enabled", True)).lower() == "false":
                continue
            queue = resources.by_arn(str(properties["Queue"]))
            scaling = properties.get("ScalingConfig") or {}
            mappings.append(
                SqsMapping(
                    function=spec.logical_id,
                    event=name,
                    queue=queue.logical_id,
                    queue_url=resources.queue_url(queue.logical_id),
                    queue_arn=queue.arn,
                    batch_size=int(properties.get("BatchSize", 10)),
                    batching_window_seconds=float(properties.get("MaximumBatchingWindowInSeconds", 0)),
                    report_batch_item_failures="ReportBatchItemFailures"
                    in (properties.get("FunctionResponseTypes") or []),
                    concurrency=int(scaling.get("MaximumConcurrency", DEFAULT_CONCURRENCY)),
                )
            )
    return mappings


class PollerScale:
    """How many of one mapping's pollers poll: poller ``i`` polls while ``i < active``."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.active = 1
        self._changed = threading.Condition()

    def wait_turn(self, index: int, stop: threading.Event) -> bool:
        """Block while poller ``index`` rests; False once the emulator stops."""
        with self._changed:
            while index >= self.active and not stop.is_set():
                self._changed.wait(LONG_POLL_SECONDS)
        return not stop.is_set()

    def found_messages(self) -> None:
        """A receive found work: wake one more poller."""
        with self._changed:
            if self.active < self.total:
                self.active += 1
                self._changed.notify_all()

    def found_nothing(self, index: int) -> None:
        """Poller ``index`` found the queue empty: it rests, with every poller above it (never the first)."""
        with self._changed:
            self.active = max(1, min(self.active, index))

    def wake_all(self) -> None:
        """Let resting pollers see that the emulator stops."""
        with self._changed:
            self._changed.notify_all()


@dataclass
class MappingStats:
    """Counters of one mapping: invocations, records delivered, records failed, whole-batch errors."""

    invocations: int = 0
    records: int = 0
    failed_records: int = 0
    invocation_errors: int = 0


class EsmEmulator:
    """Runs the pollers of every SQS mapping; `drain_until_idle` waits for the queues to empty."""

    def __init__(
        self,
        mappings: list[SqsMapping],
        runner: FunctionRunner,
        target: AwsTarget,
        *,
        idle_wait_seconds: float = 0.2,
        max_batching_window_seconds: float | None = None,
        retry_delay_seconds: int = 1,
    ) -> None:
        self.mappings = mappings
        self.retry_delay_seconds = retry_delay_seconds
        """How long a failed message stays invisible: Lambda leaves it for the queue's visibility timeout
        (minutes); the emulator compresses that to a second, long enough that work another worker holds
        (a lease) is finished before the retry, short enough for tests."""
        self.runner = runner
        self.target = target
        self.idle_wait_seconds = idle_wait_seconds
        self.max_batching_window_seconds = max_batching_window_seconds
        self.stats: dict[str, MappingStats] = {m.key: MappingStats() for m in mappings}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._busy = 0
        self._threads: list[threading.Thread] = []
        self._invocations = {m.key: threading.BoundedSemaphore(m.concurrency) for m in mappings}
        self._scales = {m.key: PollerScale(m.pollers) for m in mappings}

    def start(self) -> None:
        """Start every mapping's pollers."""
        self._stop.clear()
        for mapping in self.mappings:
            # Lambda's pollers are AWS's code: they speak SQS's JSON protocol without botocore (`sqs_wire`).
            sqs = SqsWire(self.target.endpoint, self.target.region, signed=self.target.signed)
            for number in range(mapping.pollers):
                thread = threading.Thread(
                    target=self._poll, args=(mapping, sqs, number), name=f"esm-{mapping.key}-{number}", daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def stop(self) -> None:
        """Stop polling (a batch being processed finishes first)."""
        self._stop.set()
        for scale in self._scales.values():
            scale.wake_all()
        for thread in self._threads:
            thread.join()
        self._threads.clear()

    def drain_until_idle(self, timeout: float = 30.0) -> None:
        """Block until every mapped queue is empty and no batch is being processed.

        Raises TimeoutError when that does not happen within `timeout` seconds (a message keeps failing
        and has no DLQ, or the pollers are not running).
        """
        sqs = self.target.client("sqs")
        deadline = time.monotonic() + timeout
        settled_checks = 0
        pause = DRAIN_POLL_SECONDS
        while settled_checks < 2:  # twice in a row: a batch may start between two reads
            if time.monotonic() > deadline:
                raise TimeoutError(f"queues not idle after {timeout}s: {self.backlog()}")
            if self._idle(sqs):
                settled_checks += 1
                pause = DRAIN_POLL_SECONDS
            else:
                settled_checks = 0
                # Messages waiting out a retry delay or a lease may stay for a minute: reading every queue's
                # depth 20 times a second meanwhile was moto's largest work while a chaos run waited on a lease.
                pause = min(pause * 2, DRAIN_POLL_MAX_SECONDS)
            time.sleep(pause)

    def active_pollers(self) -> dict[str, int]:
        """Pollers currently polling, per mapping key."""
        return {key: scale.active for key, scale in self._scales.items()}

    def backlog(self) -> dict[str, int]:
        """Messages waiting or in flight per mapped queue (logical id)."""
        sqs = self.target.client("sqs")
        return {m.queue: _depth(sqs, m.queue_url) for m in self.mappings}

    def _idle(self, sqs: Any) -> bool:
        with self._lock:
            if self._busy:
                return False
        return all(_depth(sqs, url) == 0 for url in {m.queue_url for m in self.mappings})

    def _poll(self, mapping: SqsMapping, sqs: SqsWire, index: int) -> None:
        scale = self._scales[mapping.key]
        invocations = self._invocations[mapping.key]
        while scale.wait_turn(index, self._stop):
            # With MaximumConcurrency reached, Lambda's mapping stops reading the queue until an invocation
            # ends: a poller reads a batch only once an invocation is free for it. A batch read earlier would
            # wait in flight, where a fair queue cannot put a quiet tenant's message ahead of it.
            if not invocations.acquire(timeout=LONG_POLL_SECONDS):
                continue
            reserved = True
            try:
                messages = self._receive(sqs, mapping, scale.found_messages)
                if not messages:
                    scale.found_nothing(index)
                    continue
                # Received messages are in flight (counted by the queue) until deleted; `_busy` also covers
                # the moments after the deletes, until the batch's bookkeeping is done.
                with self._lock:
                    self._busy += 1
                try:
                    failed = self._invoke_batch(mapping, messages)
                    invocations.release()
                    reserved = False
                    self._settle_batch(sqs, mapping, messages, failed)
                finally:
                    with self._lock:
                        self._busy -= 1
            except Exception:
                logger.exception("local SQS poller failed", extra={"mapping": mapping.key})
                self._stop.wait(self.idle_wait_seconds)
            finally:
                if reserved:
                    invocations.release()

    def _receive(self, sqs: SqsWire, mapping: SqsMapping, found: Callable[[], None]) -> list[dict[str, Any]]:
        """A batch: long-poll for the first messages, then gather more until the batching window closes.

        ``found`` is called as soon as the first messages arrive (another poller may start gathering too).
        """
        window = mapping.batching_window_seconds
        if self.max_batching_window_seconds is not None:
            window = min(window, self.max_batching_window_seconds)
        deadline = 0.0
        messages: list[dict[str, Any]] = []
        while True:
            received = sqs.receive_message(
                QueueUrl=mapping.queue_url,
                MaxNumberOfMessages=min(10, mapping.batch_size - len(messages)),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0 if messages else LONG_POLL_SECONDS,
            ).get("Messages", [])
            if not messages:
                if not received:
                    return messages
                deadline = time.monotonic() + window  # the window opens with the first message, as Lambda's
                found()
            messages.extend(received)
            if len(messages) >= mapping.batch_size or time.monotonic() >= deadline or self._stop.is_set():
                return messages
            if not received:
                time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    def _invoke_batch(self, mapping: SqsMapping, messages: list[dict[str, Any]]) -> set[str]:
        """Invoke the function with a batch (in the invocation the poller holds); the ids of the failed messages."""
        event = {"Records": [lambda_record(m, mapping.queue_arn, self.target.region) for m in messages]}
        return self._invoke(mapping, event, [m["MessageId"] for m in messages])

    def _settle_batch(
        self, sqs: SqsWire, mapping: SqsMapping, messages: list[dict[str, Any]], failed: set[str]
    ) -> None:
        """After the invocation: make the failed messages visible again, delete the others, count the batch."""
        for message in messages:  # receive order, so retries keep the original order
            if message["MessageId"] in failed:
                try:
                    sqs.change_message_visibility(
                        QueueUrl=mapping.queue_url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=self.retry_delay_seconds,
                    )
                except ClientError as error:
                    # The batch outlived the visibility timeout and the message is already visible again
                    # (as with Lambda's own poller); the deletes of the others still go ahead.
                    if error.response["Error"]["Code"] != "ReceiptHandleIsInvalid":
                        raise
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            sqs.delete_message_batch(
                QueueUrl=mapping.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start : start + 10])
                ],
            )
        with self._lock:
            stats = self.stats[mapping.key]
            stats.invocations += 1
            stats.records += len(messages)
            stats.failed_records += len(failed)

    def _invoke(self, mapping: SqsMapping, event: dict[str, Any], ids: list[str]) -> set[str]:
        try:
            result = self.runner.invoke(mapping.function, event)
        except Exception:
            logger.exception("local SQS invocation failed; the whole batch returns", extra={"mapping": mapping.key})
            with self._lock:
                self.stats[mapping.key].invocation_errors += 1
            return set(ids)
        if not mapping.report_batch_item_failures:
            return set()
        return reported_failures(result, ids)


def reported_failures(result: Any, ids: list[str]) -> set[str]:
    """The message ids a ReportBatchItemFailures response marks failed (all of them when it is invalid)."""
    if result is None or not isinstance(result, Mapping):
        return set()
    failures = result.get("batchItemFailures")
    if not failures:
        return set()
    reported: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not identifier or identifier not in ids:
            return set(ids)  # Lambda treats an invalid report as a failure of the whole batch
        reported.add(str(identifier))
    return reported


def lambda_record(message: Mapping[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One SQS message in the shape Lambda delivers it (`Records[]` of an `aws:sqs` event)."""
    attributes = {str(k): str(v) for k, v in (message.get("Attributes") or {}).items()}
    message_attributes = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        binary = value.get("BinaryValue")
        message_attributes[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": _base64(binary) if binary is not None else None,
            "stringListValues": list(value.get("StringListValues") or []),
            "binaryListValues": [_base64(b) for b in value.get("BinaryListValues") or []],
            "dataType": value.get("DataType"),
        }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def _base64(value: bytes | str) -> str:
    """A binary attribute as Lambda's records carry it: base64 text (SQS's JSON answers already are)."""
    return value if isinstance(value, str) else base64.b64encode(value).decode("ascii")


def _depth(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())
