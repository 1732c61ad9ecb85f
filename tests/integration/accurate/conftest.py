"""An Accurate sandbox per test, and clients that talk to it over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from omsync.accurate.auth import ApiTokenAuth
from omsync.accurate.client import AccurateClient
from omsync_workshop.accurate.server import AccurateSandbox

API_TOKEN = "aat.sandbox.token"
SIGNATURE_SECRET = "rahasia"
CLIENT_ID = "omsync-test"
CLIENT_SECRET = "client-secret"


@pytest.fixture
def sandbox() -> Iterator[AccurateSandbox]:
    server = AccurateSandbox(
        seed=7,
        api_token=API_TOKEN,
        signature_secret=SIGNATURE_SECRET,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    ).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client(sandbox: AccurateSandbox) -> AccurateClient:
    return AccurateClient(ApiTokenAuth(API_TOKEN, SIGNATURE_SECRET), account_url=sandbox.base_url)
