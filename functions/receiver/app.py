"""Ginee webhook receiver: POST /webhooks/ginee/{connectionId}/{token} → a work queue."""

from __future__ import annotations

import base64
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from omsync.config.settings import settings
from omsync.observability import capture_lambda_handler, logger, metrics

settings()  # a misconfigured deploy fails here, at cold start
app = APIGatewayHttpResolver()


@app.post("/webhooks/ginee/<connectionId>/<token>")
def ginee_webhook(connectionId: str, token: str) -> Response[dict[str, Any]]:  # noqa: N803 - the route's name
    event = app.current_event
    raw = event.body or ""
    body = base64.b64decode(raw) if event.is_base64_encoded else raw.encode("utf-8")
    # Imported by the first webhook, not at cold start: the use case brings boto3 and pydantic's models of Ginee's
    # envelope, the connection and the work message, twice issue 21's 250 ms (docs/ARCHITECTURE.md, "The bench table").
    from omsync.receive import receive_webhook

    reply = receive_webhook(connectionId, token, body)
    return Response(
        status_code=reply.status_code,
        content_type=content_types.APPLICATION_JSON,
        body=reply.body,
        # Ginee only reads the status; the outcome helps whoever replays a webhook by hand.
        headers={"X-Omsync-Outcome": reply.outcome.value},
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
