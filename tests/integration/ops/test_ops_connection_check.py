"""Specification: `omsync connection create` checks that Ginee and Accurate answer and accept the credentials
before it stores anything, and refuses in one line naming which and why, never a secret (issue 19, item 5).

Against the Ginee and Accurate sandboxes over HTTP, and the local stack's moto (one stack for the module).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from omsync.ledger import credentials
from omsync.ledger.connections import ConnectionRepository
from omsync.ledger.credentials import secret_name
from omsync_ops.cli import main
from omsync_workshop.accurate.server import AccurateSandbox
from omsync_workshop.ginee.server import GineeSandbox
from omsync_workshop.stack import LocalStack

TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"
API_TOKEN = "aat.sandbox.token"
SIGNATURE_SECRET = "rahasia-tanda-tangan"


@pytest.fixture(scope="module")
def world(moto_endpoint: str) -> Iterator[tuple[LocalStack, GineeSandbox, AccurateSandbox]]:
    ginee = GineeSandbox(seed=1).start()
    accurate = AccurateSandbox(
        api_token=API_TOKEN, signature_secret=SIGNATURE_SECRET, client_id="app", client_secret="app-secret"
    ).start()
    try:
        with LocalStack(TEMPLATE, endpoint=moto_endpoint, run_event_sources=False) as stack:
            credentials.reset()
            yield stack, ginee, accurate
    finally:
        credentials.reset()
        ginee.stop()
        accurate.stop()


def create(
    world: tuple[LocalStack, GineeSandbox, AccurateSandbox],
    connection_id: str,
    *,
    ginee_url: str | None = None,
    ginee_secret: str | None = None,
    api_token: str = API_TOKEN,
    extra: tuple[str, ...] = (),
) -> tuple[int, list[str]]:
    stack, ginee, accurate = world
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(
            [
                "connection", "create", "Toko Rapi", "--id", connection_id,
                "--ginee-url", ginee_url or ginee.base_url,
                "--ginee-access-key", ginee.access_key,
                "--ginee-secret-key", ginee_secret or ginee.secret_key,
                "--accurate-api-token", api_token,
                "--accurate-signature-secret", SIGNATURE_SECRET,
                "--accurate-account-url", accurate.base_url,
                "--webhook-base", stack.api_base_url,
                *extra,
            ]
        )  # fmt: skip
    return status, out.getvalue().splitlines()


def assert_nothing_stored(connection_id: str) -> None:
    assert ConnectionRepository().get(connection_id) is None
    for kind in ("ginee", "accurate"):
        with pytest.raises(ClientError, match="ResourceNotFoundException"):
            credentials.secretsmanager().describe_secret(SecretId=secret_name(connection_id, kind))


def test_credentials_both_sides_accept_are_stored(world: tuple[LocalStack, GineeSandbox, AccurateSandbox]) -> None:
    status, lines = create(world, "toko-baik")
    assert status == 0, lines
    assert ConnectionRepository().get("toko-baik") is not None


def test_a_wrong_accurate_token_is_refused_in_one_line_and_nothing_is_stored(
    world: tuple[LocalStack, GineeSandbox, AccurateSandbox],
) -> None:
    status, lines = create(world, "toko-salah", api_token="aat.revoked.token")
    assert status != 0
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: not created: Accurate refused the API token (AuthenticationFailed")
    assert "--accurate-api-token" in lines[0]
    assert "aat.revoked.token" not in lines[0] and SIGNATURE_SECRET not in lines[0]
    assert_nothing_stored("toko-salah")


def test_a_wrong_ginee_secret_key_is_refused_in_one_line_and_nothing_is_stored(
    world: tuple[LocalStack, GineeSandbox, AccurateSandbox],
) -> None:
    status, lines = create(world, "toko-kunci", ginee_secret="not-the-secret-key")
    assert status != 0
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: not created: Ginee refused the access key and secret key")
    assert "not-the-secret-key" not in lines[0]
    assert_nothing_stored("toko-kunci")


def test_a_ginee_that_does_not_answer_is_refused_unless_the_check_is_skipped(
    world: tuple[LocalStack, GineeSandbox, AccurateSandbox],
) -> None:
    silent = "http://127.0.0.1:9"  # the discard port: nothing answers
    status, lines = create(world, "toko-sepi", ginee_url=silent)
    assert status != 0
    assert lines == [
        f"error: not created: Ginee did not answer at {silent} (ServiceBusy); check --ginee-url and try again "
        "(or --skip-check)"
    ]
    assert_nothing_stored("toko-sepi")

    status, lines = create(world, "toko-sepi", ginee_url=silent, extra=("--skip-check",))
    assert status == 0, lines
    assert ConnectionRepository().get("toko-sepi") is not None
