"""Specification: `omsync connection …` against the local stack (moto over HTTP) and the Accurate sandbox.

The commands run in-process through `omsync_ops.cli.main`; every boundary they cross is a real server.
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from omsync import deadline
from omsync.accurate.auth import OAuthAuth
from omsync.errors import RetryableError
from omsync.ledger import credentials
from omsync.ledger.connections import ConnectionRepository, hash_token
from omsync.ledger.credentials import AccurateApiToken, AccurateOAuth, CredentialStore
from omsync.ledger.tables import ledger_table
from omsync.sync.context import ConnectionContext, context_for, forget_contexts
from omsync_ops.cli import main
from omsync_ops.connections import connection_client
from omsync_workshop.accurate.server import AccurateSandbox
from omsync_workshop.stack import LocalStack

SAMPLES = Path(__file__).resolve().parents[3] / "events" / "webhooks"
URL = re.compile(r"https?://\S+")


@pytest.fixture
def stack(local_stack: LocalStack) -> Iterator[LocalStack]:
    credentials.reset()
    yield local_stack
    credentials.reset()


@pytest.fixture
def sandbox() -> Iterator[AccurateSandbox]:
    server = AccurateSandbox(
        api_token="aat.sandbox.token", signature_secret="rahasia", client_id="omsync-app", client_secret="app-secret"
    ).start()
    yield server
    server.stop()


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue() + err.getvalue()


def create(stack: LocalStack, *extra: str) -> tuple[str, str]:
    status, output = run(
        "connection",
        "create",
        "Toko Rapi",
        "--id",
        "toko-rapi",
        "--ginee-url",
        "https://api.ginee.com",
        "--ginee-access-key",
        "ginee-access",
        "--ginee-secret-key",
        "ginee-secret",
        "--webhook-base",
        stack.api_base_url,
        "--skip-check",  # no Ginee answers at api.ginee.com here (test_ops_connection_check.py checks the check)
        *extra,
    )
    assert status == 0, output
    return "toko-rapi", URL.findall(output)[-1]


def post_webhook(url: str) -> int:
    return requests.post(url, data=(SAMPLES / "order-paid.json").read_bytes(), timeout=10).status_code


def test_create_stores_the_secrets_and_the_connection_and_prints_a_working_webhook_url(stack: LocalStack) -> None:
    connection_id, url = create(
        stack,
        "--accurate-api-token",
        "aat.token",
        "--accurate-signature-secret",
        "sig",
        "--accurate-account-url",
        "http://acc",
    )

    connection = ConnectionRepository().get(connection_id)
    assert connection is not None
    token = url.rsplit("/", 1)[1]
    assert url == f"{stack.webhook_base_url}/{connection_id}/{token}"
    assert connection.token_sha256 == hash_token(token)
    store = CredentialStore()
    assert store.ginee(connection.ginee_secret).secret_key == "ginee-secret"
    assert store.accurate(connection.accurate_secret) == AccurateApiToken(
        api_token="aat.token", signature_secret="sig", account_url="http://acc"
    )
    assert post_webhook(url) == 200


def test_show_prints_no_secret(stack: LocalStack) -> None:
    connection_id, url = create(stack, "--accurate-api-token", "aat.token", "--accurate-signature-secret", "sig")

    status, output = run("connection", "show", connection_id)

    assert status == 0
    assert "api_token" in output
    for secret in ("aat.token", "sig\n", "ginee-secret", "ginee-access", url.rsplit("/", 1)[1]):
        assert secret not in output


def test_a_token_rotated_out_without_grace_is_refused_at_once_and_the_new_one_accepted(stack: LocalStack) -> None:
    connection_id, old_url = create(stack)

    status, output = run(
        "connection", "rotate-token", connection_id, "--grace-hours", "0", "--webhook-base", stack.api_base_url
    )

    assert status == 0
    new_url = URL.findall(output)[-1]
    assert new_url != old_url
    assert post_webhook(old_url) == 401
    assert post_webhook(new_url) == 200


def test_a_second_connection_with_the_same_id_is_refused(stack: LocalStack) -> None:
    create(stack)

    status, output = run(
        "connection", "create", "Lain", "--id", "toko-rapi", "--ginee-url", "https://api.ginee.com", "--ginee-access-key", "a",
        "--ginee-secret-key", "k", "--webhook-base", stack.api_base_url,
    )  # fmt: skip

    assert status == 2
    assert "exists already" in output


class _Lines(io.StringIO):
    """stdout of a command running in another thread, readable while it runs."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = threading.Event()

    def write(self, text: str) -> int:
        written = super().write(text)
        if "http" in text:
            self.seen.set()
        return written


def authorize(stack: LocalStack, sandbox: AccurateSandbox, connection_id: str) -> tuple[int, str]:
    out = _Lines()
    result: dict[str, Any] = {}

    def command() -> None:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            result["status"] = main(
                [
                    "connection", "authorize", connection_id, "--client-id", "omsync-app",
                    "--client-secret", "app-secret", "--account-url", sandbox.base_url, "--wait-seconds", "30",
                ]
            )  # fmt: skip

    thread = threading.Thread(target=command)
    thread.start()
    assert out.seen.wait(30), out.getvalue()
    # The seller's browser: the sandbox approves at once and redirects to the loopback callback.
    approve = URL.findall(out.getvalue())[0]
    assert requests.get(approve, timeout=10).status_code == 200
    thread.join(30)
    return int(result["status"]), out.getvalue()


def test_authorize_completes_the_oauth_flow_and_stores_the_tokens_with_the_database(
    stack: LocalStack, sandbox: AccurateSandbox
) -> None:
    connection_id, _ = create(stack)

    status, output = authorize(stack, sandbox, connection_id)

    assert status == 0, output
    assert "database 1001" in output
    connection = ConnectionRepository().get(connection_id)
    assert connection is not None
    stored = CredentialStore().accurate(connection.accurate_secret)
    assert isinstance(stored, AccurateOAuth)
    assert stored.database_id == 1001
    assert stored.client_id == "omsync-app"
    assert stored.expires_at > time.time()


def test_a_refresh_rotates_the_tokens_into_the_secret(stack: LocalStack, sandbox: AccurateSandbox) -> None:
    connection_id, _ = create(stack)
    authorize(stack, sandbox, connection_id)
    connection = ConnectionRepository().get(connection_id)
    assert connection is not None
    before = CredentialStore().accurate(connection.accurate_secret)
    assert isinstance(before, AccurateOAuth)
    client = connection_client(connection)
    sandbox.expire_access_tokens()

    customers = list(client.list("customer", fields=("id", "customerNo")))

    assert {c["customerNo"] for c in customers} >= {"C-SHOPEE", "C-TOKOPEDIA"}
    after = CredentialStore().accurate(connection.accurate_secret)
    assert isinstance(after, AccurateOAuth)
    assert after.refresh_token != before.refresh_token
    assert after.access_token != before.access_token
    # The client now works with the pair the secret holds: the next Lambda reading it can refresh too.
    auth = client._auth
    assert isinstance(auth, OAuthAuth)
    assert auth.tokens.refresh_token == after.refresh_token
    lease = ledger_table().get_item(Key={"pk": f"CONN#{connection_id}", "sk": credentials.TOKEN_LOCK_SK})
    assert lease["Item"]["expires_at"] == 0  # given back


def _two_warm_workers(connection_id: str) -> tuple[ConnectionContext, ConnectionContext]:
    """Two execution environments' contexts of one connection, built from the same stored pair."""
    forget_contexts()
    first = context_for(connection_id)
    forget_contexts()
    second = context_for(connection_id)
    forget_contexts()
    assert first.accurate is not second.accurate
    return first, second


def _stored_pair(connection_id: str) -> AccurateOAuth:
    connection = ConnectionRepository().get(connection_id)
    assert connection is not None
    stored = CredentialStore().accurate(connection.accurate_secret)
    assert isinstance(stored, AccurateOAuth)
    return stored


def _customers(ctx: ConnectionContext) -> set[str]:
    return {str(c["customerNo"]) for c in ctx.accurate.list("customer", fields=("id", "customerNo"))}


def test_a_worker_refused_after_another_refreshed_adopts_the_stored_pair(
    stack: LocalStack, sandbox: AccurateSandbox
) -> None:
    connection_id, _ = create(stack)
    authorize(stack, sandbox, connection_id)
    first, second = _two_warm_workers(connection_id)
    sandbox.expire_access_tokens()

    # The first worker refreshes; the second still holds the pair whose refresh token is now dead.
    assert "C-SHOPEE" in _customers(first)
    assert "C-SHOPEE" in _customers(second)

    stored = _stored_pair(connection_id)
    for ctx in (first, second):
        auth = ctx.accurate._auth
        assert isinstance(auth, OAuthAuth)
        assert auth.tokens.refresh_token == stored.refresh_token


def test_two_workers_refused_together_refresh_once_and_both_go_on(stack: LocalStack, sandbox: AccurateSandbox) -> None:
    connection_id, _ = create(stack)
    authorize(stack, sandbox, connection_id)
    workers = _two_warm_workers(connection_id)
    before = _stored_pair(connection_id)
    sandbox.expire_access_tokens()
    start = threading.Barrier(len(workers))
    seen: list[set[str]] = []
    failed: list[BaseException] = []

    def work(ctx: ConnectionContext) -> None:
        start.wait()
        try:
            seen.append(_customers(ctx))
        except BaseException as error:  # noqa: BLE001 - the test reports whatever a worker met
            failed.append(error)

    threads = [threading.Thread(target=work, args=(ctx,)) for ctx in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert failed == []
    assert all("C-SHOPEE" in customers for customers in seen)
    after = _stored_pair(connection_id)
    assert after.refresh_token != before.refresh_token
    # Exactly one refresh: both workers run on the stored pair, and it is the one Accurate still accepts.
    assert {ctx.accurate._auth.tokens.access_token for ctx in workers} == {after.access_token}  # type: ignore[attr-defined]


def test_a_lease_held_elsewhere_sends_the_work_back_within_the_invocations_budget(
    stack: LocalStack, sandbox: AccurateSandbox
) -> None:
    connection_id, _ = create(stack)
    authorize(stack, sandbox, connection_id)
    (worker, _) = _two_warm_workers(connection_id)
    sandbox.expire_access_tokens()
    # Another worker holds the lease (and stays alive) while this one is refused.
    ledger_table().put_item(
        Item={
            "pk": f"CONN#{connection_id}",
            "sk": credentials.TOKEN_LOCK_SK,
            "holder": "elsewhere",
            "expires_at": int(time.time()) + 60,
        }
    )

    started = time.monotonic()
    with deadline.within(1.0), pytest.raises(credentials.TokenLockBusy) as busy:
        _customers(worker)

    assert isinstance(busy.value, RetryableError)
    assert time.monotonic() - started < 5
