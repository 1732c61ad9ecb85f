"""Specification: a refusal only the seller can cure by authorising omsync again is reported once, where it is
raised, so that the workers count it (``AccurateAuthFailed``, the accurate-auth-failed alarm); what the client
heals by itself is not (issue 19, item 7). Against the Accurate sandbox over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from conftest import API_TOKEN, CLIENT_ID, CLIENT_SECRET, SIGNATURE_SECRET

from omsync.accurate.auth import ApiTokenAuth, CallbackKeeper, OAuthAuth, authorize_url, exchange_code
from omsync.accurate.client import AccurateClient
from omsync.accurate.errors import AccurateError, AuthenticationFailed
from omsync.observability import metrics
from omsync.sync import context
from omsync.sync.context import ACCURATE_AUTH_FAILED, authorisation_refused
from omsync_workshop.accurate.server import AccurateSandbox

REDIRECT = "http://127.0.0.1:1/callback"


def oauth_client(sandbox: AccurateSandbox, refused: list[AccurateError]) -> tuple[AccurateClient, str]:
    """A client on the tokens of the authorization-code flow, and the refresh token it holds."""
    approve = requests.get(
        authorize_url(CLIENT_ID, REDIRECT, "item_view", "state-1", sandbox.base_url), allow_redirects=False
    )
    code = parse_qs(urlsplit(approve.headers["Location"]).query)["code"][0]
    tokens = exchange_code(code, REDIRECT, CLIENT_ID, CLIENT_SECRET, sandbox.base_url)
    auth = OAuthAuth(tokens, CLIENT_ID, CLIENT_SECRET, CallbackKeeper(lambda pair: None), sandbox.base_url)
    client = AccurateClient(auth, account_url=sandbox.base_url, database_id=1001, on_refused=refused.append)
    return client, tokens.refresh_token


def test_a_revoked_api_token_is_reported_once(sandbox: AccurateSandbox) -> None:
    refused: list[AccurateError] = []
    client = AccurateClient(
        ApiTokenAuth("aat.revoked.token", SIGNATURE_SECRET), account_url=sandbox.base_url, on_refused=refused.append
    )
    with pytest.raises(AuthenticationFailed) as raised:
        client.get_stock("SKU-A")
    assert refused == [raised.value]


def test_a_wrong_signature_secret_is_reported_once(sandbox: AccurateSandbox) -> None:
    refused: list[AccurateError] = []
    client = AccurateClient(
        ApiTokenAuth(API_TOKEN, "not-the-secret"), account_url=sandbox.base_url, on_refused=refused.append
    )
    with pytest.raises(AuthenticationFailed) as raised:
        client.get_stock("SKU-A")
    assert refused == [raised.value]


def test_an_expired_token_healed_by_a_refresh_is_not_reported_but_a_refused_refresh_is(
    sandbox: AccurateSandbox,
) -> None:
    refused: list[AccurateError] = []
    client, _ = oauth_client(sandbox, refused)
    client.get_stock("SKU-A")
    sandbox.expire_access_tokens()
    client.get_stock("SKU-A")  # invalid_token → refresh → the same call again: healed, nothing to report
    assert refused == []

    # The seller disconnects omsync: the refresh token the client now holds no longer works
    client2, held = oauth_client(sandbox, refused)
    requests.post(
        f"{sandbox.base_url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": held},
        auth=(CLIENT_ID, CLIENT_SECRET),
    ).raise_for_status()
    sandbox.expire_access_tokens()
    with pytest.raises(AuthenticationFailed) as raised:
        client2.get_stock("SKU-A")
    assert refused == [raised.value]


@pytest.fixture
def clean_metrics() -> Iterator[None]:
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


def test_a_workers_report_counts_the_metric_and_forgets_the_connections_cached_clients(clean_metrics: None) -> None:
    marker = object()
    context._contexts["conn-refused"] = marker  # type: ignore[assignment]
    authorisation_refused("conn-refused")(AuthenticationFailed("the API token was refused"))
    assert metrics.metric_set[ACCURATE_AUTH_FAILED]["Value"] == [1.0]
    assert "conn-refused" not in context._contexts
