"""What the receiver does with one Ginee webhook: authenticate, parse, route, enqueue.

Ginee's webhooks are unsigned, so a connection's URL carries a random token whose SHA-256 is in the
Ledger. Every rejection happens before anything is enqueued. Every routed webhook is enqueued, a
re-delivery too: the receiver keeps no record of what it has seen. The workers are level-triggered (each
message re-fetches its entity from Ginee and converges Accurate to what Ginee says now, exactly once), so a
duplicate costs a worker's re-fetch and never a second document; a record per webhook to drop the rare
re-delivery at the door would cost more than the duplicates it saves (docs/ARCHITECTURE.md, "Cost per 1M
orders"). Logs carry ids and outcomes, never the payload (it holds buyer data) nor the token. An accepted
webhook, the routine case, is logged at DEBUG (the dev stage's level) and counted by its metric; staging and
prod (INFO) write a line only for a webhook not routed (INFO) or refused (WARNING): a line per accepted webhook
was about 520 of the 1,000 bytes a webhook wrote to CloudWatch Logs, which bills them per GB.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from omsync import queues
from omsync.config.settings import WorkQueue
from omsync.ginee.webhook import Route, WebhookEnvelope, WrongShape, route
from omsync.ledger.connections import ConnectionRepository, ConnectionStatus
from omsync.observability import logger, metrics

MAX_BODY_BYTES: Final = 256 * 1024


class Outcome(StrEnum):
    """Every way a webhook can end; each has its status code and its metric."""

    ACCEPTED = "accepted"
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
    raises); errors of the Ledger or SQS propagate (boto3's `ClientError`, `BotoCoreError`).
    """
    # An eventually consistent read: half the read units; what a second-old record can do is in its docstring.
    reply, envelope = _receive(connection_id, token, body, connections or ConnectionRepository(consistent=False), now)
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
    if reply.outcome is Outcome.ACCEPTED:
        logger.debug("webhook received", extra=log)
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
    message_id = queues.send(queue, message)
    return Reply(Outcome.ACCEPTED, queue, message_id, message.entity_id)
