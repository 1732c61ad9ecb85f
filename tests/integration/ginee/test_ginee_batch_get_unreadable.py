"""Specification: batch-get reads each order's record on its own; one that does not validate is that order's
outcome only (issue 14), served by the Ginee sandbox's ``malformed`` fault over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from omsync.ginee.client import GineeClient
from omsync.ginee.models import UnreadableRecord
from omsync_workshop.ginee.server import GineeSandbox

PHONE = 6281298765432


@pytest.fixture
def sandbox() -> Iterator[GineeSandbox]:
    box = GineeSandbox(seed=1).start()
    box.state.put_warehouse({"id": "WW1", "name": "Gudang Jakarta", "isDefault": True})
    for order_id in ("SO-A", "SO-B", "SO-C"):
        box.state.create_order(
            {
                "orderId": order_id,
                "shopId": "SH1",
                "orderStatus": "PAID",
                "customerInfo": {"name": "Sekar", "mobile": "081298765432"},
                "items": [{"masterSku": "KAOS", "quantity": 1}, {"masterSku": "KAOS", "quantity": 2}],
            },
            notify=False,
        )
    yield box
    box.stop()


@pytest.fixture
def client(sandbox: GineeSandbox) -> GineeClient:
    return GineeClient(sandbox.base_url, sandbox.access_key, sandbox.secret_key, sleep=lambda _: None)


def serve_malformed(sandbox: GineeSandbox, malformed: dict[str, Any]) -> None:
    """Set the fault through the sandbox's control endpoint, as a test from outside would."""
    response = requests.post(sandbox.base_url + "/sandbox/faults", json={"malformed": malformed}, timeout=10)
    response.raise_for_status()


def test_a_record_that_cannot_be_read_is_its_own_orders_outcome_and_the_others_are_read(
    sandbox: GineeSandbox, client: GineeClient
) -> None:
    # Given Ginee serving one order with a line's quantity as an object, and one with the phone as a number
    serve_malformed(
        sandbox,
        {
            "SO-B": {"items": [{}, {"quantity": {"value": 2, "unit": "pcs"}}]},
            "SO-C": {"customerInfo": {"mobile": PHONE}},
        },
    )

    # When the three orders (and one Ginee does not know) are fetched
    batch = client.batch_get(["SO-A", "SO-B", "SO-C", "SO-MISSING"])

    # Then the readable two are read (the phone as text), in Ginee's order
    assert [order.order_id for order in batch] == ["SO-A", "SO-C"]
    customer = batch[1].customer_info
    assert customer is not None and customer.mobile == str(PHONE)
    # And the unreadable one is named with the field that failed, and no value
    assert batch.unreadable == {"SO-B": UnreadableRecord("SO-B", ("items.1.quantity (int_type)",))}
    # And the stored order is untouched: only what Ginee served was odd
    assert sandbox.state.get_order("SO-B")["items"][1]["quantity"] == 2


def test_a_record_without_a_readable_order_id_makes_the_unanswered_ids_of_its_call_unreadable(
    sandbox: GineeSandbox, client: GineeClient
) -> None:
    # Given Ginee serving one order with its id as an object: which order it was cannot be known
    serve_malformed(sandbox, {"SO-B": {"orderId": {"id": "SO-B"}}})

    batch = client.batch_get(["SO-A", "SO-B", "SO-MISSING"])

    # Then the readable order is read, and every id no readable record answered is unreadable
    assert [order.order_id for order in batch] == ["SO-A"]
    assert set(batch.unreadable) == {"SO-B", "SO-MISSING"}
    assert batch.unreadable["SO-B"].fields == ("orderId (string_type)",)
