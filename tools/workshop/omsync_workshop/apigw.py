"""The template's HttpApi routes served over HTTP, as API Gateway would call the functions.

Each request becomes an API Gateway HTTP API (payload format 2.0) event; the handler's answer is
turned back into an HTTP response the way API Gateway does (a dict with `statusCode`, or any other
value as a 200 JSON body). An exception is a 500 `{"message": "Internal Server Error"}`. Not
emulated: authorizers, CORS, throttling, custom domains, the 10 MB payload limit.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from omsync_workshop.lambdas import FunctionRunner, FunctionSpec

_PARAMETER = re.compile(r"\{([^}/]+?)(\+?)\}")

# Not omsync.observability: its Powertools objects must be built after the functions' environment is set.
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    """`METHOD /path/{param}` of an HttpApi event, bound to a function."""

    method: str
    path: str
    function: str

    @property
    def route_key(self) -> str:
        """API Gateway's name for the route (`POST /webhooks/ginee/{connectionId}/{token}`)."""
        return f"{self.method} {self.path}"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters when this route serves the request, else None."""
        if self.method not in ("ANY", method):
            return None
        pattern = ""
        last = 0
        for found in _PARAMETER.finditer(self.path):
            pattern += re.escape(self.path[last : found.start()])
            greedy = found.group(2) == "+"
            pattern += f"(?P<{found.group(1)}>{'.+' if greedy else '[^/]+'})"
            last = found.end()
        pattern += re.escape(self.path[last:])
        matched = re.fullmatch(pattern, path)
        return matched.groupdict() if matched else None


def http_api_routes(specs: Iterable[FunctionSpec]) -> list[Route]:
    """Every `Type: HttpApi` event of the functions, as routes."""
    routes = []
    for spec in specs:
        for event in spec.events.values():
            if event.get("Type") == "HttpApi":
                properties = event.get("Properties") or {}
                method = str(properties.get("Method", "ANY")).upper()
                routes.append(Route(method, str(properties.get("Path", "/")), spec.logical_id))
    return routes


def http_api_event(
    route: Route, method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str
) -> dict[str, Any]:
    """An API Gateway v2 (HTTP API) proxy event for this request."""
    url = urlsplit(target)
    parameters = route.match(method, url.path) or {}
    query = dict(parse_qsl(url.query, keep_blank_values=True))
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode("ascii"), True
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": url.path,
        "rawQueryString": url.query,
        "headers": {key.lower(): value for key, value in headers.items()},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": headers.get("host", "localhost"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": url.path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": encoded,
    }
    if parameters:
        event["pathParameters"] = parameters
    if query:
        event["queryStringParameters"] = query
    if body:
        event["body"] = text
    return event


class ApiFront:
    """A threading HTTP server on loopback that serves the routes by invoking the functions."""

    def __init__(self, routes: list[Route], runner: FunctionRunner, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes = routes
        self.runner = runner
        front = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, payload = front.dispatch(
                    self.command, self.path, dict(self.headers.items()), body, self.client_address[0]
                )
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815 - http.server's names

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
                return

        # One invocation at a time through the front: Powertools' event handler keeps the current event and
        # Lambda context on its BaseRouter class (aws_lambda_powertools 3.37, event_handler/api_gateway.py), one
        # per process, which is right on Lambda (one invocation per process) and wrong for concurrent requests in
        # one process: under load a webhook failed with its route's arguments missing or was read as another's.
        self._invoking = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def dispatch(
        self, method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str
    ) -> tuple[int, dict[str, str], bytes]:
        """Route one request and return (status, headers, body) as API Gateway would."""
        path = urlsplit(target).path
        for route in self.routes:
            if route.match(method, path) is not None:
                event = http_api_event(route, method, target, headers, body, source_ip)
                try:
                    with self._invoking:
                        result = self.runner.invoke(route.function, event)
                except Exception:
                    logger.exception("local API front: function raised", extra={"function": route.function})
                    return _json(500, {"message": "Internal Server Error"})
                return _http_response(result)
        return _json(404, {"message": "Not Found"})


def _json(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode("utf-8")


def _http_response(result: Any) -> tuple[int, dict[str, str], bytes]:
    if not (isinstance(result, dict) and "statusCode" in result):
        return _json(200, result)
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    raw = result.get("body") or ""
    payload = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode("utf-8")
    for cookie in result.get("cookies") or []:
        headers.setdefault("Set-Cookie", str(cookie))
    return int(result["statusCode"]), headers, payload
