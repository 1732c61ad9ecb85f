"""`GineeSandbox`: the Ginee sandbox as a real HTTP server on loopback, startable in-process.

    sandbox = GineeSandbox(seed=0).start()
    client = GineeClient(sandbox.base_url, sandbox.access_key, sandbox.secret_key)
    ...
    sandbox.stop()

``sandbox.state`` is the in-process door to the same data (create orders, move them, read stock)
without HTTP; ``send_webhooks_to(url, ...)`` attaches a webhook sender for every change.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from omsync_workshop.ginee.models import GineeState, Json
from omsync_workshop.ginee.responses import GineeResponses
from omsync_workshop.ginee.webhooks import DeliveryOptions, WebhookSender

DEFAULT_ACCESS_KEY = "sandbox-access-key"
DEFAULT_SECRET_KEY = "sandbox-secret-key"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients with a session expect
    server: _Server

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, payload = self.server.responses.dispatch(self.command, self.path, dict(self.headers), body)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = do_PUT = _answer

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    responses: GineeResponses


class GineeSandbox:
    """A Ginee Open API stand-in with order lifecycles, stock, inbounds and webhooks."""

    def __init__(
        self,
        port: int = 0,
        seed: int = 0,
        access_key: str = DEFAULT_ACCESS_KEY,
        secret_key: str = DEFAULT_SECRET_KEY,
        scenario: str | None = None,
        host: str = "127.0.0.1",
        now: datetime | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.seed = seed
        self.access_key = access_key
        self.secret_key = secret_key
        self.state = GineeState(now=(lambda: now) if now is not None else (lambda: datetime.now(UTC)))
        self.responses = GineeResponses(self.state, {access_key: secret_key}, seed=seed)
        self.responses.on_webhook_config = self._configure_webhooks
        self.sender: WebhookSender | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        if scenario is not None:
            from omsync_workshop.scenarios import load_scenario, preload

            preload(self.state, load_scenario(scenario, seed=seed))

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` once started."""
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> GineeSandbox:
        """Listen on the port (0: a free one) in a background thread."""
        server = _Server((self.host, self.port), _Handler)
        server.responses = self.responses
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="ginee-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and the webhook sender (after it has delivered what is queued)."""
        if self.sender is not None:
            self.sender.close()
            self.state.listeners.remove(self.sender)
            self.sender = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> GineeSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def send_webhooks_to(
        self, url: str, *, options: DeliveryOptions | None = None, workers: int = 4, seed: int | None = None
    ) -> WebhookSender:
        """Post an envelope to ``url`` for every change from now on (replacing an earlier sender)."""
        if self.sender is not None:
            self.sender.close()
            self.state.listeners.remove(self.sender)
        self.sender = WebhookSender(url, seed=self.seed if seed is None else seed, options=options, workers=workers)
        self.state.listeners.append(self.sender)
        return self.sender

    def _configure_webhooks(self, body: Json) -> Json:
        options = DeliveryOptions(
            duplicate_rate=float(body.get("duplicateRate", 0)),
            drop_rate=float(body.get("dropRate", 0)),
            reorder_window=int(body.get("reorderWindow", 0)),
            delay=float(body.get("delay", 0)),
            max_attempts=int(body.get("maxAttempts", 5)),
        )
        self.send_webhooks_to(str(body["url"]), options=options, workers=int(body.get("workers", 4)))
        return {"url": body["url"], "options": vars(options)}
