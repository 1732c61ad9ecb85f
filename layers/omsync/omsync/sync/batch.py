"""One SQS batch in, partial-batch failures out: the shell every worker function shares (its Lambda handler,
which imports this module on its first invocation, is `omsync.sync.worker`).

Powertools' `BatchProcessor` calls a handler once per record; omsync's workers must see a batch whole
(grouped per connection, one Ginee batch-get and one Accurate bulk-save per hundred orders), so this
module does the grouping itself and answers in the same ``{"batchItemFailures": [...]}`` shape that
`ReportBatchItemFailures` expects. A message fails (comes back, and after maxReceiveCount goes to its DLQ)
only when its order's outcome is RETRY or FAILED; everything else — posted, already done, on hold,
not ready — leaves the queue. Each failure is noted in the Ledger (`omsync.ledger.failures`: the error's
class or the outcome, first and last time), since a dead letter itself keeps no trace of why it failed.

Within a batch the connections are converged one after the other, the one with the fewest messages first, so a
quiet seller's orders never wait in an invocation behind a noisy seller's (whose work waits on its own Accurate
limit). A fault stays where it started (DESIGN invariant 8): any exception of one connection's use case fails that
connection's messages only, and is logged by class and ids, never by its text. Within a connection, a record
Ginee sends that cannot be read fails (holds) its own order only (`omsync.sync.steps.hold_unreadable`).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from traceback import extract_tb
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from omsync.errors import OnHold, PermanentError, RetryableError
from omsync.ledger.failures import FailureNotes
from omsync.observability import logger, metrics
from omsync.queues import WorkMessage
from omsync.sync.context import ConnectionContext, context_for
from omsync.sync.steps import Outcome, Result

UseCase = Callable[[ConnectionContext, Sequence[str], str], Mapping[str, Outcome]]


def handle_batch(event: Mapping[str, Any], use_case: UseCase, flow: str) -> dict[str, list[dict[str, str]]]:
    """Run ``use_case`` over an SQS event's records, per connection; returns the partial-batch response."""
    failures: list[str] = []
    by_connection: dict[str, list[tuple[str, WorkMessage]]] = defaultdict(list)
    for record in event.get("Records", []):
        message_id = str(record["messageId"])
        try:
            message = WorkMessage.model_validate(json.loads(record["body"]))
        except (ValueError, ValidationError):
            # Not ours to understand: let it fail until it lands in the DLQ, where a person looks.
            logger.error("unreadable work message", extra={"message_id": message_id})
            metrics.add_metric(name=f"{flow}.unreadable", unit=MetricUnit.Count, value=1)
            failures.append(message_id)
            continue
        by_connection[message.connection_id].append((message_id, message))

    owner = uuid.uuid4().hex
    # Fewest messages first: a quiet seller's few orders in a batch that also holds a flash sale's hundred do not
    # wait for that seller's Accurate budget (issue 21; docs/ARCHITECTURE.md, "Fairness between sellers").
    for connection_id, messages in sorted(by_connection.items(), key=lambda item: len(item[1])):
        order_ids = list(dict.fromkeys(message.entity_id for _, message in messages))
        try:
            outcomes = use_case(context_for(connection_id), order_ids, owner)
        except Exception as error:  # noqa: BLE001 - one connection's failure must not fail the others' messages
            _connection_failed(flow, connection_id, order_ids, error)
            failures.extend(message_id for message_id, _ in messages)
            _note_failures(flow, connection_id, dict.fromkeys(order_ids, type(error).__name__))
            continue
        counts: dict[Result, int] = defaultdict(int)
        failed: dict[str, str] = {}
        for message_id, message in messages:
            outcome = outcomes.get(message.entity_id, Outcome(Result.RETRY, "no outcome"))
            counts[outcome.result] += 1
            if not outcome.result.settled:
                failures.append(message_id)
                failed[message.entity_id] = outcome.result.value
        _note_failures(flow, connection_id, failed)
        for result, count in counts.items():
            metrics.add_metric(name=f"{flow}.{result.value}", unit=MetricUnit.Count, value=count)
        logger.info(
            "batch converged",
            extra={"connection_id": connection_id, "flow": flow, **{r.value: n for r, n in counts.items()}},
        )
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failures]}


def _note_failures(flow: str, connection_id: str, errors: dict[str, str]) -> None:
    """Note why each failed message failed (`omsync.ledger.failures`: `omsync dlq list` shows it); a note that
    cannot be written is logged by class and counted, and the batch's answer stands."""
    if not errors:
        return
    try:
        FailureNotes(connection_id).note(flow, errors)
    except Exception as error:  # noqa: BLE001 - the note is for people; the messages' fate is already decided
        logger.warning("failure not noted", extra={"connection_id": connection_id, "error": type(error).__name__})
        metrics.add_metric(name=f"{flow}.failure_not_noted", unit=MetricUnit.Count, value=1)


def _connection_failed(flow: str, connection_id: str, order_ids: Sequence[str], error: Exception) -> None:
    """Log and count one connection's failed batch: its messages come back (and after the queue's receive
    limit reach its DLQ), the other connections' outcomes stand.

    Only the error's class, where it was raised and the ids are logged, never its text: a third party's
    message (pydantic's quotes the input, an HTTP library's the URL) can carry buyer data or a secret.
    """
    expected = isinstance(error, RetryableError | PermanentError | OnHold)
    where = [f"{Path(frame.filename).name}:{frame.lineno} {frame.name}" for frame in extract_tb(error.__traceback__)]
    (logger.warning if expected else logger.error)(
        "batch of a connection failed" if expected else "batch of a connection failed unexpectedly",
        extra={
            "connection_id": connection_id,
            "flow": flow,
            "order_ids": list(order_ids),
            "error": type(error).__name__,
            "cause": error.cause if isinstance(error, OnHold) else None,
            "raised_at": where[-3:],
        },
    )
    metrics.add_metric(name=f"{flow}.connection_failed", unit=MetricUnit.Count, value=1)
    if not expected:
        metrics.add_metric(name=f"{flow}.unexpected_error", unit=MetricUnit.Count, value=1)
