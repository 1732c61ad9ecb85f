"""What the receiver does with one Ginee webhook: authenticate, parse, route, dedupe, enqueue.

Ginee's webhooks are unsigned, so a connection's URL carries a random token whose SHA-256 is in the
Ledger. Every rejection happens before anything is enqueued. A notification seen before (same
connection, same envelope `id`, same routed fields) is answered 200 again but enqueued once:
Powertools idempotency on the Idempotency table remembers it for a week. The same envelope `id` with
different routed fields is not a duplicate: it is reported (`changed_replay`) and enqueued again,
once per distinct content. Logs carry ids and outcomes, never the payload (it holds buyer data) nor
the token.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, cast

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from omsync import queues
from omsync.config.settings import WorkQueue, settings
from omsync.ginee.webhook import Route, WebhookEnvelope, WrongShape, route
from omsync.ledger.connections import ConnectionRepository, ConnectionStatus
from omsync.observability import logger, metrics

MAX_BODY_BYTES: Final = 256 * 1024
# Part of every idempotency record's key: renaming modules or functions must not reset deduplication.
IDEMPOTENCY_KEY_PREFIX: Final = "omsync.receiver.enqueue"
CHANGED_REPLAY_KEY_PREFIX: Final = "omsync.receiver.enqueue-changed"
DEDUPE_WINDOW_SECONDS: Final = 7 * 24 * 3600
# What a replay is compared on (work-message fields): what routing read and what the worker is told;
# the queue follows from them. Left out: `receivedAt` (our clock, new on every delivery), and the
# envelope's `createAt` and the rest of Ginee's payload, which the message never carries because the
# worker re-fetches the entity; comparing them would count a mere re-delivery as new content.
ROUTED_FIELDS: Final = "[entity, action, entityId, statusHint]"


class Outcome(StrEnum):
    """Every way a webhook can end; each has its status code and its metric."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    CHANGED_REPLAY = "changed_replay"
    UNROUTED = "unrouted"
    UNAUTHORIZED = "unauthorized"
    UNKNOWN_CONNECTION = "unknown_connection"
    MALFORMED = "malformed"
    TOO_LARGE = "too_large"

    @property
    def status_code(self) -> int:
        """The HTTP status Ginee receives."""
        return _STATUS[self]

    @property
    def metric_name(self) -> str:
        """The EMF metric counted once per webhook with this outcome."""
        return "Webhook" + "".join(part.capitalize() for part in self.value.split("_"))


_STATUS: Final = {
    Outcome.ACCEPTED: 200,
    Outcome.DUPLICATE: 200,
    Outcome.CHANGED_REPLAY: 200,
    Outcome.UNROUTED: 200,
    Outcome.UNAUTHORIZED: 401,
    Outcome.UNKNOWN_CONNECTION: 404,
    Outcome.MALFORMED: 400,
    Outcome.TOO_LARGE: 413,
}


@dataclass(frozen=True)
class Reply:
    """The receiver's answer, and what it did (the queue, the entity id and the message id when it enqueued)."""

    outcome: Outcome
    queue: WorkQueue | None = None
    message_id: str | None = None
    entity_id: str | None = None

    @property
    def status_code(self) -> int:
        """The HTTP status code."""
        return self.outcome.status_code

    @property
    def body(self) -> dict[str, Any]:
        """The JSON body: Ginee expects `{"status": true}` on success."""
        if self.status_code == 200:
            return {"status": True}
        return {"status": False, "error": self.outcome.value}


def _mark_duplicate(response: Any, idempotent_data: DataRecord) -> Any:
    # Called only when Powertools answers from a stored record, i.e. the envelope was seen before.
    return {**response, "duplicate": True}


# The same key with other routed fields raises IdempotencyValidationError (Powertools' payload validation).
idempotency_config = IdempotencyConfig(
    event_key_jmespath="[connectionId, envelopeId]",
    payload_validation_jmespath=ROUTED_FIELDS,
    raise_on_no_idempotency_key=True,
    expires_after_seconds=DEDUPE_WINDOW_SECONDS,
    response_hook=_mark_duplicate,
)
# A changed replay is enqueued once per distinct content: its records are keyed on the routed fields too.
changed_replay_config = IdempotencyConfig(
    event_key_jmespath="[connectionId, envelopeId, entity, action, entityId, statusHint]",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=DEDUPE_WINDOW_SECONDS,
    response_hook=_mark_duplicate,
)


def register_lambda_context(context: LambdaContext) -> None:
    """Let idempotency records of a timed-out invocation expire with the invocation (call once per invocation)."""
    idempotency_config.register_lambda_context(context)
    changed_replay_config.register_lambda_context(context)


_CONFIGS: Final = {IDEMPOTENCY_KEY_PREFIX: idempotency_config, CHANGED_REPLAY_KEY_PREFIX: changed_replay_config}


def _send_work(message: dict[str, Any], queue: str) -> dict[str, Any]:
    message_id = queues.send(WorkQueue(queue), queues.WorkMessage.model_validate(message))
    return {"queue": queue, "messageId": message_id, "duplicate": False}


@functools.cache
def _enqueue_once(key_prefix: str) -> Callable[..., dict[str, Any]]:
    # Built on first use: the persistence layer needs the table name from the validated settings. One
    # persistence layer per config: Powertools configures a layer once and keeps that config.
    persistence = DynamoDBPersistenceLayer(table_name=settings().idempotency_table)
    enqueue = idempotent_function(
        _send_work,
        data_keyword_argument="message",
        config=_CONFIGS[key_prefix],
        persistence_store=persistence,
        key_prefix=key_prefix,
    )
    return cast(Callable[..., dict[str, Any]], enqueue)


def reset() -> None:
    """Forget the cached persistence layers (tests and the local stack call it after changing endpoints)."""
    _enqueue_once.cache_clear()


def receive_webhook(
    connection_id: str,
    token: str,
    body: bytes,
    *,
    connections: ConnectionRepository | None = None,
    now: datetime | None = None,
) -> Reply:
    """Handle one webhook POSTed to /webhooks/ginee/{connection_id}/{token} with raw `body`.

    `now` (aware; default the current time) decides whether a rotated-out token is still in its grace
    period, and stamps the work message's `received_at`. Every answer is a `Reply` (bad input never
    raises); errors of the Ledger, the Idempotency table or SQS propagate (boto3's, and Powertools'
    `IdempotencyPersistenceLayerError`).
    """
    reply, envelope = _receive(connection_id, token, body, connections or ConnectionRepository(), now)
    metrics.add_metric(name=reply.outcome.metric_name, unit=MetricUnit.Count, value=1)
    log = {
        "outcome": reply.outcome.value,
        "connection_id": connection_id,
        "status_code": reply.status_code,
        "queue": reply.queue.value if reply.queue else None,
        "message_id": reply.message_id,
        "envelope_id": envelope.id if envelope else None,
        "entity": envelope.entity if envelope else None,
        "action": str(envelope.action) if envelope else None,
        "entity_id": reply.entity_id,
    }
    if reply.outcome is Outcome.CHANGED_REPLAY:
        logger.warning("webhook replayed with different content: enqueued again", extra=log)
    elif reply.status_code == 200:
        logger.info("webhook received", extra=log)
    else:
        logger.warning("webhook rejected", extra=log)
    return reply


def _receive(
    connection_id: str,
    token: str,
    body: bytes,
    connections: ConnectionRepository,
    now: datetime | None,
) -> tuple[Reply, WebhookEnvelope | None]:
    if len(body) > MAX_BODY_BYTES:
        return Reply(Outcome.TOO_LARGE), None
    connection = connections.get(connection_id)
    if connection is None or connection.status is not ConnectionStatus.ACTIVE:
        return Reply(Outcome.UNKNOWN_CONNECTION), None
    now = now or datetime.now(UTC)
    # Tokens are URL-safe base64 (secrets.token_urlsafe), so any other text cannot match; and a lone
    # surrogate, which an API Gateway event can carry in a path parameter, would make hashing raise.
    if not token.isascii() or not connection.accepts_token(token, now):
        return Reply(Outcome.UNAUTHORIZED), None
    try:
        envelope = WebhookEnvelope.model_validate_json(body)
    except ValidationError:
        return Reply(Outcome.MALFORMED), None
    try:
        destination = route(envelope)
    except WrongShape:
        return Reply(Outcome.MALFORMED), envelope
    if destination is None:
        return Reply(Outcome.UNROUTED), envelope

    return _enqueue(work_message(connection.id, envelope, destination, now), destination.queue), envelope


def work_message(
    connection_id: str, envelope: WebhookEnvelope, destination: Route, received_at: datetime
) -> queues.WorkMessage:
    """The work message a routed webhook becomes on ``destination.queue`` (what the workers read)."""
    return queues.WorkMessage(
        connection_id=connection_id,
        entity=envelope.entity,
        action=str(envelope.action),
        entity_id=destination.entity_id,
        envelope_id=envelope.id,
        status_hint=destination.status_hint,
        received_at=received_at,
    )


def _enqueue(message: queues.WorkMessage, queue: WorkQueue) -> Reply:
    data = message.model_dump(mode="json", by_alias=True)
    outcome = Outcome.ACCEPTED
    try:
        try:
            result = _enqueue_once(IDEMPOTENCY_KEY_PREFIX)(message=data, queue=queue.value)
        except IdempotencyValidationError:
            # Seen before with other routed fields (a status moved on, another id): not a duplicate. The
            # worker re-fetches the entity and is exactly-once, so enqueuing it again is safe.
            outcome = Outcome.CHANGED_REPLAY
            result = _enqueue_once(CHANGED_REPLAY_KEY_PREFIX)(message=data, queue=queue.value)
    except IdempotencyAlreadyInProgressError:
        # The same content is being enqueued right now by another invocation; that one answers for it.
        return Reply(Outcome.DUPLICATE, queue, entity_id=message.entity_id)
    if result.get("duplicate"):
        outcome = Outcome.DUPLICATE
    return Reply(outcome, queue, str(result["messageId"]), message.entity_id)
