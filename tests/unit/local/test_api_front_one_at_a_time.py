"""Why the local API front runs one invocation at a time: Powertools' event handler keeps the current event on a
class, one per process (right on Lambda, one invocation per process; wrong for concurrent requests in one)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from omsync_workshop.lambdas import LambdaContext


def http_event(path: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {},
        "requestContext": {"http": {"method": "POST", "path": path, "sourceIp": "127.0.0.1"}, "stage": "$default"},
        "body": "",
        "isBase64Encoded": False,
    }


def test_resolving_an_event_in_one_resolver_makes_it_every_resolvers_current_event() -> None:
    context: Any = LambdaContext("receiver", 128, "arn:aws:lambda:::function:receiver", 3)
    first, second = APIGatewayHttpResolver(), APIGatewayHttpResolver()
    first.resolve(http_event("/webhooks/first"), context)
    second.resolve(http_event("/webhooks/second"), context)

    assert first.current_event.path == "/webhooks/second"
