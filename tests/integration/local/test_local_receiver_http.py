"""The receiver over HTTP through the local API front: what Ginee sees and what lands on the queues.

Each test starts from a reset moto holding template.yaml's resources; messages are read back from moto.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from omsync.observability import logger
from omsync_workshop.stack import LocalStack, RegisteredConnection

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "events" / "webhooks"
TEMPLATE = ROOT / "template.yaml"
WORK_QUEUES = ("OrdersQueue", "CancellationsQueue", "SettlementsQueue", "ProductsQueue", "PurchasesQueue")


@pytest.fixture
def local_stack(moto_endpoint: str) -> Iterator[LocalStack]:
    """The stack without its SQS pollers: the messages the receiver enqueues stay where we can count them."""
    with LocalStack(TEMPLATE, endpoint=moto_endpoint, run_event_sources=False) as stack:
        yield stack


@pytest.fixture
def store(local_stack: LocalStack) -> Iterator[RegisteredConnection]:
    yield local_stack.register_connection("Toko Uji")


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SAMPLES / name).read_text())
    return loaded


def messages(stack: LocalStack, queue: str) -> list[dict[str, Any]]:
    sqs = stack.target.client("sqs")
    received = sqs.receive_message(QueueUrl=stack.resources.queue_url(queue), MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in received.get("Messages", [])]


def nothing_enqueued(stack: LocalStack) -> bool:
    return all(depth == 0 for depth in stack.queue_depths().values())


def test_a_valid_order_webhook_puts_exactly_one_message_on_the_orders_queue(
    local_stack: LocalStack, store: RegisteredConnection
) -> None:
    response = requests.post(store.webhook_url, json=sample("order-paid.json"), timeout=10)

    assert response.status_code == 200
    assert response.json() == {"status": True}
    depths = local_stack.queue_depths()
    assert depths["OrdersQueue"] == 1
    assert sum(depths.values()) == 1
    [body] = messages(local_stack, "OrdersQueue")
    assert {k: v for k, v in body.items() if k != "receivedAt"} == {
        "connectionId": store.connection_id,
        "entity": "order",
        "action": "UPDATE",
        "entityId": "SO6123A1C44CEDFD0001D75C0C",
        "envelopeId": "GENIE6543A1C44CEABD00018A98BC",
        "statusHint": "PAID",
    }


def test_the_same_envelope_sent_three_times_is_enqueued_three_times(
    local_stack: LocalStack, store: RegisteredConnection
) -> None:
    # The receiver keeps no record of what it has seen: a re-delivery costs a worker's re-fetch from Ginee, never
    # a second document (tests/integration/flows: "webhooks delivered three times ... leave the same books").
    paid = sample("order-paid.json")
    later = _with(_with(paid, ("createAt",), "2026-11-02T03:09:00Z"), ("payload", "payAt"), "2026-11-02T03:08:00Z")

    answers = [requests.post(store.webhook_url, json=body, timeout=10) for body in (paid, paid, later)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.headers["X-Omsync-Outcome"] for a in answers] == ["accepted", "accepted", "accepted"]
    assert local_stack.queue_depths()["OrdersQueue"] == 3
    assert {m["envelopeId"] for m in messages(local_stack, "OrdersQueue")} == {paid["id"]}


def test_the_same_envelope_id_from_two_connections_is_two_messages(local_stack: LocalStack) -> None:
    first = local_stack.register_connection("Toko A")
    second = local_stack.register_connection("Toko B")

    for store in (first, second):
        assert requests.post(store.webhook_url, json=sample("order-paid.json"), timeout=10).status_code == 200

    assert sorted(m["connectionId"] for m in messages(local_stack, "OrdersQueue")) == sorted(
        [first.connection_id, second.connection_id]
    )


@pytest.mark.parametrize(
    ("file", "queue", "entity_id", "status_hint"),
    [
        ("order-cancelled.json", "CancellationsQueue", "SO6123A1C44CEDFD0001D75C0D", "CANCELLED"),
        ("master-product.json", "ProductsQueue", "MP6123A1C44CEDFD0001D7AA01", None),
        ("inbound.json", "PurchasesQueue", "IB6123A1C44CEDFD0001D7BB02", "COMPLETE"),
    ],
)
def test_each_entity_is_routed_to_its_queue(
    local_stack: LocalStack,
    store: RegisteredConnection,
    file: str,
    queue: str,
    entity_id: str,
    status_hint: str | None,
) -> None:
    assert requests.post(store.webhook_url, json=sample(file), timeout=10).status_code == 200

    [body] = messages(local_stack, queue)
    assert (body["entityId"], body["statusHint"]) == (entity_id, status_hint)
    assert sum(local_stack.queue_depths().values()) == 1


def test_a_returned_order_goes_to_cancellations(local_stack: LocalStack, store: RegisteredConnection) -> None:
    returned = sample("order-paid.json")
    returned["id"] = "GENIE-RETURNED-1"
    returned["payload"]["orderStatus"] = "RETURNED"

    assert requests.post(store.webhook_url, json=returned, timeout=10).status_code == 200

    assert [m["statusHint"] for m in messages(local_stack, "CancellationsQueue")] == ["RETURNED"]
    assert local_stack.queue_depths()["OrdersQueue"] == 0


def test_an_unknown_entity_is_answered_200_and_not_enqueued(
    local_stack: LocalStack, store: RegisteredConnection
) -> None:
    response = requests.post(store.webhook_url, json=sample("unknown-entity.json"), timeout=10)

    assert response.status_code == 200
    assert response.json() == {"status": True}
    assert response.headers["X-Omsync-Outcome"] == "unrouted"
    assert nothing_enqueued(local_stack)


def _forged(store: RegisteredConnection, base: str) -> tuple[str, bytes]:
    return f"{base}/{store.connection_id}/not-the-token", json.dumps(sample("order-paid.json")).encode()


def _unknown(store: RegisteredConnection, base: str) -> tuple[str, bytes]:
    return f"{base}/conn-nobody/{store.token}", json.dumps(sample("order-paid.json")).encode()


def _malformed(store: RegisteredConnection, base: str) -> tuple[str, bytes]:
    return store.webhook_url, (SAMPLES / "malformed.json.txt").read_bytes()


def _wrong_shape(store: RegisteredConnection, base: str) -> tuple[str, bytes]:
    return store.webhook_url, (SAMPLES / "wrong-shape.json").read_bytes()


def _order_without_id(store: RegisteredConnection, base: str) -> tuple[str, bytes]:
    body = sample("order-paid.json")
    del body["payload"]["orderId"]
    return store.webhook_url, json.dumps(body).encode()


def _oversize(store: RegisteredConnection, base: str) -> tuple[str, bytes]:
    body = sample("order-paid.json")
    body["payload"]["padding"] = "x" * (256 * 1024)
    return store.webhook_url, json.dumps(body).encode()


@pytest.mark.parametrize(
    ("request_for", "status"),
    [
        (_forged, 401),
        (_unknown, 404),
        (_malformed, 400),
        (_wrong_shape, 400),
        (_order_without_id, 400),
        (_oversize, 413),
    ],
    ids=["forged-token", "unknown-connection", "malformed-json", "wrong-shape", "order-without-id", "oversize"],
)
def test_each_rejection_has_its_status_and_enqueues_nothing(
    local_stack: LocalStack, store: RegisteredConnection, request_for: Any, status: int
) -> None:
    url, body = request_for(store, local_stack.webhook_base_url)

    response = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=10)

    assert response.status_code == status
    assert response.json()["status"] is False
    assert nothing_enqueued(local_stack)


def test_a_rejected_envelope_is_not_remembered_as_seen(local_stack: LocalStack, store: RegisteredConnection) -> None:
    forged_url, body = _forged(store, local_stack.webhook_base_url)
    assert requests.post(forged_url, data=body, timeout=10).status_code == 401

    assert requests.post(store.webhook_url, data=body, timeout=10).headers["X-Omsync-Outcome"] == "accepted"
    assert local_stack.queue_depths()["OrdersQueue"] == 1


def test_routes_the_template_does_not_declare_are_404(local_stack: LocalStack) -> None:
    assert requests.get(local_stack.webhook_base_url, timeout=10).status_code == 404


def _with(body: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = json.loads(json.dumps(body))
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("payload", "orderId"), int("9" * 4001)),  # its Ledger key would break DynamoDB's key-size limit
        (("payload", "orderId"), "SO\uffff1"),
        (("payload", "orderStatus"), "PAID\uffff"),
        (("id",), "GENIE\ufffe1"),
        (("action",), "UPDATE\uffff"),
        (("entity",), "order\uffff"),
        (("id",), "G" * 4001),
    ],
    ids=[
        "integer-order-id-4001-digits",
        "order-id-u+ffff",
        "status-u+ffff",
        "id-u+fffe",
        "action-u+ffff",
        "entity-u+ffff",
        "id-4001-chars",
    ],
)
def test_a_string_sqs_or_the_ledger_cannot_keep_is_400_and_nothing_enqueued(
    local_stack: LocalStack, store: RegisteredConnection, path: tuple[str, ...], value: Any
) -> None:
    body = _with(sample("order-paid.json"), path, value)

    response = requests.post(store.webhook_url, data=json.dumps(body), timeout=10)

    assert (response.status_code, response.headers["X-Omsync-Outcome"]) == (400, "malformed")
    assert nothing_enqueued(local_stack)


def test_a_replay_with_different_content_is_enqueued_where_its_content_routes(
    local_stack: LocalStack, store: RegisteredConnection, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a paid order's webhook, then the same envelope id saying CANCELLED (twice), then PAID again
    paid = _with(sample("order-paid.json"), ("payload", "buyerName"), "Siti Aminah")
    cancelled = _with(paid, ("payload", "orderStatus"), "CANCELLED")
    caplog.set_level(logging.DEBUG, logger=logger.name)

    answers = [requests.post(store.webhook_url, json=body, timeout=10) for body in (paid, cancelled, cancelled, paid)]

    # Then each delivery is accepted and enqueued where its own content routes it
    assert [a.status_code for a in answers] == [200, 200, 200, 200]
    assert [a.headers["X-Omsync-Outcome"] for a in answers] == ["accepted"] * 4
    assert [m["statusHint"] for m in messages(local_stack, "CancellationsQueue")] == ["CANCELLED", "CANCELLED"]
    assert local_stack.queue_depths()["OrdersQueue"] == 2
    # And each log line names the ids, never the payload; an accepted webhook is logged at DEBUG only (the dev
    # stage's level: staging and prod log what is not routine)
    received = [r for r in caplog.records if r.getMessage() == "webhook received"]
    assert {r.levelno for r in received} == {logging.DEBUG}
    assert [(vars(r)["envelope_id"], vars(r)["entity_id"], vars(r)["queue"]) for r in received] == [
        (paid["id"], paid["payload"]["orderId"], queue)
        for queue in ("orders", "cancellations", "cancellations", "orders")
    ]
    assert not any("Siti" in repr(vars(record)) for record in caplog.records)


def test_webhooks_sent_at_once_each_reach_the_queue_as_sent(
    local_stack: LocalStack, store: RegisteredConnection
) -> None:
    # Powertools' event handler keeps the current event on a class, one per process: the local API front runs
    # one invocation at a time. Overlapping, under load a webhook failed (route arguments missing) or was read
    # as another's (a clean-clone make test enqueued one order twice and lost another).
    paid = sample("order-paid.json")
    orders = [f"SO{n:024d}" for n in range(24)]
    bodies = [
        _with(_with(paid, ("payload", "orderId"), order), ("id",), f"GENIE{n:024d}") for n, order in enumerate(orders)
    ]
    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(
            pool.map(lambda body: requests.post(store.webhook_url, json=body, timeout=30).status_code, bodies)
        )

    assert statuses == [200] * len(bodies)
    enqueued: list[tuple[str, str]] = []
    while batch := messages(local_stack, "OrdersQueue"):
        enqueued += [(body["entityId"], body["envelopeId"]) for body in batch]
    assert sorted(enqueued) == sorted((order, f"GENIE{n:024d}") for n, order in enumerate(orders))


def test_a_webhook_reads_its_connection_eventually_consistently(
    local_stack: LocalStack, store: RegisteredConnection
) -> None:
    # Half a read unit a webhook (issue 21, row e); ConnectionRepository says what a second-old record can do.
    from omsync_workshop.bench_cost import AwsUsageCounter

    counter = AwsUsageCounter()
    with counter.counting():
        response = requests.post(store.webhook_url, json=sample("order-paid.json"), timeout=10)

    assert response.status_code == 200
    assert counter.calls["dynamodb.GetItem"] == 1
    assert counter.dynamodb_rru == 0.5
