"""Fakes the upstream tests share: a clock that sleeping advances, and a transport that records and refuses.

`FakeTime` stands in for both the clients' ``sleep`` and the clocks (the governor's and the deadline's),
so a test asserts on the waits requested without waiting. `RecordingAdapter` is mounted on a requests
session for hosts omsync must never call: anything sent there is recorded, and refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import requests
from requests.adapters import BaseAdapter

# A fake Indonesian phone number: buyer data that may sit in an upstream body and must never leave it.
PHONE = "0812-5550-1234"
# A fake buyer's name, for bodies whose content omsync never quotes at all.
NAME = "Siti Rahmawati"
# The API token and signature secret of the Accurate tests: never in an error text, never sent abroad.
API_TOKEN = "aat.fuzz.Rahasia-Token-42"
SIGNATURE_SECRET = "rahasia-tanda-tangan"


@dataclass
class FakeTime:
    """Seconds on a fake monotonic clock; `sleep` records the wait and moves the clock on."""

    now: float = 1_000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)


class RecordingAdapter(BaseAdapter):
    """A requests transport that records each request it is given and answers with a connection error."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, Mapping[str, str]]] = []

    def send(  # type: ignore[override]  # requests' signature is untyped keyword soup
        self, request: requests.PreparedRequest, **kwargs: object
    ) -> requests.Response:
        self.sent.append((str(request.url), dict(request.headers)))
        raise requests.ConnectionError("refused by the test: this host must never be called")

    def close(self) -> None:
        return


# Hosts outside the loopback family of the tests' account host: a foreign one, and Accurate's own (real
# Accurate is not the sandbox, so the sandbox's token must not go there either).
UNCALLED_ORIGINS = tuple(
    f"{scheme}://{host}"
    for scheme in ("http", "https")
    for host in ("evil.example", "zeus.accurate.id", "accurate.id.evil.example", "evilaccurate.id", "192.0.2.1")
)


def guarded_session() -> tuple[requests.Session, RecordingAdapter]:
    """A session whose requests to `UNCALLED_ORIGINS` are recorded and refused instead of sent."""
    session = requests.Session()
    adapter = RecordingAdapter()
    for origin in UNCALLED_ORIGINS:
        session.mount(origin, adapter)
    return session, adapter
