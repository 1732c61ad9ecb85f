"""A tiny HTTP server on loopback that answers exactly what a test scripts, however broken.

Each request takes the next `Answer` of the script (the last one repeats). An answer can be well formed
or cut short in the ways real networks cut them: a ``Content-Length`` larger than the bytes sent, or a
chunked encoding broken mid-stream; the connection is then closed. Every request is recorded (method,
path with query, headers) so a test can check what the client sent, and where.

http.server is used on purpose: a real framework would refuse to send the malformed answers this exists
to send.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Cut(Enum):
    """How an answer's body reaches the client."""

    WHOLE = "whole"
    SHORT = "short"  # Content-Length promises more than is sent, then the connection closes
    BROKEN_CHUNKS = "broken_chunks"  # Transfer-Encoding: chunked, a chunk cut short, then the connection closes


@dataclass(frozen=True)
class Answer:
    """One scripted answer: status, headers (in order, repeats allowed), body, and how the body is cut."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    body: bytes = b""
    cut: Cut = Cut.WHOLE


@dataclass(frozen=True)
class Seen:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class ScriptedServer:
    """The server's state: the script still to play and the requests seen so far."""

    script: list[Answer] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    base_url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def play(self, answers: Sequence[Answer]) -> None:
        """Answer the next requests with ``answers`` in order (the last repeats) and forget what was seen."""
        with self._lock:
            self.script = list(answers) or [Answer()]
            self.seen = []

    def next_answer(self, seen: Seen) -> Answer:
        with self._lock:
            self.seen.append(seen)
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]


def _handler(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            answer = server.next_answer(Seen(self.command, self.path, dict(self.headers.items())))
            self.send_response_only(answer.status)
            for name, value in answer.headers:
                self.send_header(name, value)
            body = answer.body
            if answer.cut is Cut.BROKEN_CHUNKS:
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Connection", "close")
                self.end_headers()
                half = body[: max(1, len(body) // 2)]
                # Announces the whole body as one chunk, sends half of it and hangs up.
                self.wfile.write(f"{len(body) + 1:x}\r\n".encode() + half)
            elif answer.cut is Cut.SHORT:
                self.send_header("Content-Length", str(len(body) + 100))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            self.wfile.flush()
            if answer.cut is not Cut.WHOLE:
                self.close_connection = True

        do_GET = do_POST = do_DELETE = do_PUT = _answer

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's name
            return

    return Handler


@contextmanager
def scripted_server() -> Iterator[ScriptedServer]:
    """A running `ScriptedServer` on 127.0.0.1 (an ephemeral port), stopped after the block."""
    state = ScriptedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="scripted-http", daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
