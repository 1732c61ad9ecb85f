"""`AccurateSandbox`: the sandbox as a threaded HTTP server on loopback, startable from tests and the CLI."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from omsync_workshop.accurate.models import Company
from omsync_workshop.accurate.responses import AccurateResponses, Faults


def seed_company() -> dict[str, Any]:
    """The bundled seed company: chart of accounts, branches, warehouses, customers, vendor, items."""
    text = resources.files("omsync_workshop.accurate").joinpath("seed_company.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        arrived = time.monotonic()
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = dict(self.headers.items())
        # Header names are case-insensitive on the wire; the contract code reads them in canonical case.
        canonical = {
            "authorization": "Authorization",
            "x-session-id": "X-Session-ID",
            "host": "Host",
            "x-api-timestamp": "X-Api-Timestamp",
            "x-api-signature": "X-Api-Signature",
        }
        headers = {canonical.get(k.lower(), k): v for k, v in headers.items()}
        answer = self.server.responses.handle(
            self.command, parts.path, dict(parse_qsl(parts.query)), headers, body, arrived
        )
        if answer.drop:
            # Timeout after commit: the work is done, the caller never hears about it.
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer.body)

    do_GET = do_POST = do_DELETE = do_PUT = _serve

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], responses: AccurateResponses) -> None:
        super().__init__(address, _Handler)
        self.responses = responses


class AccurateSandbox:
    """An Accurate Online stand-in with a real company's books, on ``127.0.0.1:port`` (0 = any free port).

    The same server is the account host and the data host; ``base_url`` is both. Credentials: an API
    token with its signature secret, and/or an OAuth client id and secret (any or both).
    """

    def __init__(
        self,
        port: int = 0,
        seed: int = 0,
        faults: Faults | dict[str, Any] | str | Path | None = None,
        api_token: str | None = None,
        signature_secret: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        company: dict[str, Any] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        if isinstance(faults, str | Path):
            faults = json.loads(Path(faults).read_text(encoding="utf-8"))
        if isinstance(faults, dict):
            faults = Faults.from_mapping(faults)
        assert faults is None or isinstance(faults, Faults)
        self.company = Company(company or seed_company())
        self.responses = AccurateResponses(
            self.company, faults or Faults(), seed, api_token, signature_secret, client_id, client_secret
        )
        self._server = _Server((host, port), self.responses)
        self._host = host
        self._thread: threading.Thread | None = None
        self.responses.base_url = self.base_url
        self.responses.data_host = self.base_url

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: the account host and (until moved) the data host."""
        return f"http://{self._host}:{self.port}"

    @property
    def faults(self) -> Faults:
        """The live fault settings; tests may change them between calls."""
        return self.responses.faults

    def start(self) -> AccurateSandbox:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="accurate-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Serve in the calling thread (the CLI)."""
        self._server.serve_forever()

    # --- what tests look at -------------------------------------------------------------------------

    def move_database(self, new_host: str) -> None:
        """Move the data host (e.g. to ``http://localhost:<port>``): old-host data calls get HTTP 308."""
        self.responses.data_host = new_host.rstrip("/")

    def expire_sessions(self) -> None:
        """Invalidate every database session."""
        self.responses.expire_sessions()

    def expire_access_tokens(self) -> None:
        """Invalidate every OAuth access token (refresh tokens stay valid)."""
        self.responses.expire_access_tokens()

    @property
    def request_count(self) -> int:
        """Requests received so far, of any kind."""
        return self.responses.request_count

    @property
    def rate_violations(self) -> int:
        """Requests that broke the 8 requests/second rule."""
        return self.responses.violations.rate

    @property
    def parallel_violations(self) -> int:
        """Requests that broke the 8 in flight rule."""
        return self.responses.violations.parallel

    def trial_balance(self) -> dict[str, Decimal]:
        """Balance (debit minus credit) per account number."""
        return {row["accountNo"]: row["balance"] for row in self.company.trial_balance()}

    def journal(self, number: str | None = None) -> list[dict[str, Any]]:
        """Journal lines in posting order, optionally of one document number."""
        return self.company.journal(number)

    def stock(self, item_no: str, warehouse: str | None = None) -> Decimal:
        """Quantity on hand."""
        return self.company.item_stock(item_no, warehouse)
