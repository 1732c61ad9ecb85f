"""Smoke: a deployed stack's receiver answers as DESIGN §2 promises, and enqueues nothing it refuses.

"Nothing enqueued" is read from the five work queues' approximate counts (visible, in flight,
delayed) before and after: exact on the local stack, approximate on AWS — run these on an idle stack.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
import pytest
import requests

from omsync.config.settings import WorkQueue, settings
from omsync.ledger.connections import Connection, ConnectionRepository, connection_key, hash_token
from omsync.ledger.tables import ledger_table
from omsync_ops.stacks import SETTINGS_VARIABLES, DeployedStack

pytestmark = pytest.mark.e2e

UNROUTED = json.dumps({"id": "E2E-UNROUTED", "entity": "e2e_probe", "action": "UPDATE", "payload": {}}).encode()
ORDER = json.dumps({"id": "E2E-ORDER", "entity": "order", "action": "UPDATE", "payload": {"orderId": "E2E"}}).encode()

if TYPE_CHECKING:
    from mypy_boto3_sqs.literals import QueueAttributeFilterType

COUNTS: list[QueueAttributeFilterType] = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]


@dataclass(frozen=True)
class Probe:
    """A connection of the smoke tests, and the token only they know."""

    connection_id: str
    token: str
    webhook_base: str

    def url(self, connection_id: str | None = None, token: str | None = None) -> str:
        return f"{self.webhook_base.rstrip('/')}/{connection_id or self.connection_id}/{token or self.token}"


@pytest.fixture(scope="session")
def probe(deployed: DeployedStack) -> Iterator[Probe]:
    """Connection `e2e-<random>` in the stack's Ledger (secret names that do not exist), deleted afterwards."""
    connection_id, token = f"e2e-{secrets.token_hex(6)}", secrets.token_urlsafe(32)
    ConnectionRepository().put(
        Connection(
            id=connection_id,
            name="omsync e2e probe",
            token_sha256=hash_token(token),
            ginee_secret="e2e-probe-has-no-secret",
            accurate_secret="e2e-probe-has-no-secret",
        )
    )
    try:
        yield Probe(connection_id, token, deployed.webhook_base)
    finally:
        ledger_table().delete_item(Key=connection_key(connection_id))


def queued() -> int:
    sqs = boto3.client("sqs")
    return sum(
        int(value)
        for queue in WorkQueue
        for value in sqs.get_queue_attributes(QueueUrl=settings().queue_url(queue), AttributeNames=COUNTS)[
            "Attributes"
        ].values()
    )


@pytest.fixture
def nothing_enqueued(deployed: DeployedStack) -> Iterator[None]:
    before = queued()
    yield
    assert queued() == before


def post(url: str, body: bytes) -> requests.Response:
    return requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=30)


def test_the_stack_resolves_to_its_webhook_base_tables_and_queues(deployed: DeployedStack) -> None:
    assert deployed.webhook_base.startswith(("https://", "http://"))
    assert set(deployed.environment) == set(SETTINGS_VARIABLES)
    dynamodb = boto3.client("dynamodb")
    assert dynamodb.describe_table(TableName=settings().ledger_table)["Table"]["TableStatus"] == "ACTIVE"
    assert queued() >= 0


@pytest.mark.usefixtures("nothing_enqueued")
def test_an_unknown_connection_is_404(probe: Probe) -> None:
    answer = post(probe.url(connection_id="e2e-nobody-has-this-id"), ORDER)
    assert (answer.status_code, answer.json()) == (404, {"status": False, "error": "unknown_connection"})


@pytest.mark.usefixtures("nothing_enqueued")
def test_a_wrong_token_is_401(probe: Probe) -> None:
    answer = post(probe.url(token="not-the-token"), ORDER)
    assert (answer.status_code, answer.json()) == (401, {"status": False, "error": "unauthorized"})


@pytest.mark.usefixtures("nothing_enqueued")
def test_a_malformed_body_is_400(probe: Probe) -> None:
    answer = post(probe.url(), b'{"id": "E2E", "entity": "ord')
    assert (answer.status_code, answer.json()) == (400, {"status": False, "error": "malformed"})


@pytest.mark.usefixtures("nothing_enqueued")
def test_a_valid_webhook_omsync_does_not_act_on_is_200(probe: Probe) -> None:
    answer = post(probe.url(), UNROUTED)
    assert (answer.status_code, answer.json()) == (200, {"status": True})


def test_the_warm_receiver_answers_within_the_bound(probe: Probe, pytestconfig: pytest.Config) -> None:
    bound: float = pytestconfig.getoption("latency_bound")
    post(probe.url(token="warm-up"), UNROUTED)  # a cold start is allowed once
    slowest = 0.0
    for _ in range(5):
        started = time.perf_counter()
        assert post(probe.url(token="not-the-token"), UNROUTED).status_code == 401
        slowest = max(slowest, time.perf_counter() - started)
    assert slowest < bound, f"slowest of 5 answers took {slowest:.3f} s (bound {bound} s)"
