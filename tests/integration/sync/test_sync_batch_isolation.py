"""Specification: any exception of one connection's use case fails that connection's messages only, and is
logged by class, place and ids, never by its text (issue 14, DESIGN invariant 8).

Two connections are registered in the embedded stack (moto over HTTP); `handle_batch` gets one SQS event
holding messages of both and a use case as a worker gets one. The use case fails the way third-party code
does: a `KeyError` or a `TypeError` whose text carries the buyer's data.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime

import pytest

from omsync.observability import logger, metrics
from omsync.queues import WorkMessage
from omsync.sync.batch import handle_batch
from omsync.sync.context import ConnectionContext
from omsync.sync.steps import Outcome, Result
from omsync_workshop.stack import LocalStack

BUYER = "Sekar Ayuningtyas, Jl. Kembang Sepatu Ungu No. 17, 081298765432"


def record(message_id: str, connection_id: str, order_id: str) -> dict[str, str]:
    body = WorkMessage(
        connection_id=connection_id,
        entity="order",
        action="UPDATE",
        entity_id=order_id,
        received_at=datetime(2025, 9, 1, tzinfo=UTC),
    )
    return {"messageId": message_id, "body": body.to_json()}


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """What the functions' Powertools logger writes (through its own formatter), at every level."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    underlying = logging.getLogger(logger.name)
    level = underlying.level
    underlying.addHandler(handler)
    underlying.setLevel(logging.DEBUG)
    yield stream
    underlying.removeHandler(handler)
    underlying.setLevel(level)
    # handle_batch ran outside a handler, so nothing flushed its metrics: leave none for the next test.
    metrics.clear_metrics()


@pytest.mark.parametrize("failure", [KeyError(BUYER), TypeError(f"unsupported operand: {BUYER!r}")])
def test_one_connections_unexpected_error_fails_only_its_messages_and_its_text_is_never_logged(
    local_stack: LocalStack, logged: io.StringIO, failure: Exception
) -> None:
    # Given two sellers, and a batch holding two messages of each
    first = local_stack.register_connection("first seller").connection_id
    second = local_stack.register_connection("second seller").connection_id
    event = {
        "Records": [
            record("m1", first, "SO-A1"),
            record("m2", second, "SO-B1"),
            record("m3", first, "SO-A2"),
            record("m4", second, "SO-B2"),
        ]
    }
    seen: list[str] = []

    def use_case(ctx: ConnectionContext, order_ids: Sequence[str], owner: str) -> Mapping[str, Outcome]:
        seen.append(ctx.connection_id)
        if ctx.connection_id == first:
            raise failure
        return {order_id: Outcome(Result.POSTED, order_id) for order_id in order_ids}

    # When the batch is handled
    answer = handle_batch(event, use_case, flow="orders")

    # Then only the first seller's messages come back; the second seller's were converged
    assert sorted(failure["itemIdentifier"] for failure in answer["batchItemFailures"]) == ["m1", "m3"]
    assert sorted(seen) == sorted([first, second])
    # And the failure is logged with its class, where it was raised and the ids, and no word of its text
    lines = [json.loads(line) for line in logged.getvalue().splitlines()]
    (failed,) = [line for line in lines if line["message"] == "batch of a connection failed unexpectedly"]
    assert failed["connection_id"] == first
    assert failed["order_ids"] == ["SO-A1", "SO-A2"]
    assert failed["error"] == type(failure).__name__
    assert any("use_case" in frame for frame in failed["raised_at"])
    for word in ("Sekar", "Kembang", "081298765432"):
        assert word not in logged.getvalue()
