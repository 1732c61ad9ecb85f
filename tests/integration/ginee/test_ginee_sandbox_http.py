"""The Ginee client against the running sandbox over HTTP: signature, limits, paging, retries, webhooks, stock."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from omsync.ginee.client import GineeClient
from omsync.ginee.errors import ParameterError, ServiceBusy, SignatureRejected
from omsync_workshop.ginee.server import GineeSandbox
from omsync_workshop.ginee.webhooks import DeliveryOptions

NOW = datetime(2025, 9, 30, tzinfo=UTC)


def no_sleep(_: float) -> None:
    return


@pytest.fixture
def sandbox() -> Iterator[GineeSandbox]:
    box = GineeSandbox(seed=1, now=NOW).start()
    box.state.put_warehouse({"id": "WW1", "name": "Gudang Jakarta", "isDefault": True})
    box.state.put_product({"productId": "MP1", "name": "Kaos", "variations": [{"sku": "KAOS", "purchasePrice": 30000}]})
    box.state.put_product(
        {
            "productId": "MP2",
            "name": "Paket 3 Kaos",
            "masterVariationType": "BUNDLE",
            "variations": [{"sku": "PAKET", "bundleSkus": [{"masterSku": "KAOS", "quantity": 3}]}],
        }
    )
    box.state.adjust_stock("WW1", "KAOS", 100, notify=False)
    yield box
    box.stop()


@pytest.fixture
def client(sandbox: GineeSandbox) -> GineeClient:
    return GineeClient(sandbox.base_url, sandbox.access_key, sandbox.secret_key, sleep=no_sleep, clock=lambda: NOW)


def control(sandbox: GineeSandbox, path: str, body: dict[str, Any] | None = None) -> Any:
    response = requests.post(sandbox.base_url + path, json=body or {}, timeout=10)
    response.raise_for_status()
    return response.json()


def test_a_wrong_signature_is_answered_with_http_200_and_iam_failed(sandbox: GineeSandbox) -> None:
    forged = GineeClient(sandbox.base_url, sandbox.access_key, "not-the-secret", sleep=no_sleep)
    with pytest.raises(SignatureRejected) as rejected:
        forged.list_shops()
    assert rejected.value.code == "IAM_FAILED"
    raw = requests.post(
        sandbox.base_url + "/openapi/shop/v1/list", json={}, headers={"Authorization": "x:y"}, timeout=10
    )
    assert raw.status_code == 200
    assert raw.json()["code"] == "IAM_FAILED"


def test_paging_1000_orders_across_several_15_day_windows_returns_each_exactly_once(
    sandbox: GineeSandbox, client: GineeClient
) -> None:
    start = NOW - timedelta(days=50)
    orders = [
        {"orderId": f"SO{n:06d}", "shopId": "SH1", "items": [{"masterSku": "KAOS", "quantity": 1}]} for n in range(1000)
    ]
    for n, order in enumerate(orders):
        # Some share a timestamp so the cursor must break ties by order id.
        sandbox.state.create_order(order, start + timedelta(minutes=140 * (n // 2)), notify=False)
    seen = [order.order_id for order in client.list_orders(create_since=start, create_to=NOW)]
    assert len(seen) == 1000
    assert set(seen) == {order["orderId"] for order in orders}
    # 500 timestamps 140 minutes apart span 48.5 days: four windows, each paged by cursor.
    assert client.calls > 10


def test_the_sandbox_refuses_what_ginee_refuses(sandbox: GineeSandbox, client: GineeClient) -> None:
    # Ginee's own words are kept on the error for code to read, never in its text (they may quote buyers).
    with pytest.raises(ParameterError) as window:
        client.list_order_page({"createSince": NOW - timedelta(days=20), "createTo": NOW})
    assert "15 days" in window.value.message
    with pytest.raises(ParameterError) as size:
        client.list_order_page({"createSince": NOW - timedelta(days=2), "createTo": NOW, "size": 101})
    assert "size" in size.value.message
    with pytest.raises(ParameterError) as history:
        client.list_order_page({"createSince": NOW - timedelta(days=100), "createTo": NOW - timedelta(days=90)})
    assert "3 months" in history.value.message
    with pytest.raises(ParameterError):
        client.call("POST", "/openapi/order/v1/batch-get", {"orderIds": [str(n) for n in range(101)]})


def test_orders_are_listed_by_marketplace_number_100_numbers_a_call(sandbox: GineeSandbox, client: GineeClient) -> None:
    # Given 150 marketplace orders of one day, the first split into two packages (two Ginee orders, one number)
    day = NOW - timedelta(days=1)
    for n in range(150):
        sandbox.state.create_order({"orderId": f"SO{n:04d}", "shopId": "SH1", "externalOrderSn": f"2509{n:04d}"}, day)
    sandbox.state.create_order({"orderId": "SO0000B", "shopId": "SH1", "externalOrderSn": "25090000"}, day)
    wanted = [f"2509{n:04d}" for n in range(150)]

    # When 120 of the numbers are asked for (one 15-day window)
    rows = list(client.list_orders(create_since=day - timedelta(days=1), create_to=NOW, order_numbers=wanted[:120]))

    # Then only their orders come, both packages of the split one among them: the first 100 numbers asked in one
    # request (their 101 orders on two pages of ≤100), the other 20 in another
    assert {row.external_order_sn for row in rows} == set(wanted[:120])
    assert len(rows) == 121
    assert sorted(row.order_id for row in rows if row.external_order_sn == "25090000") == ["SO0000", "SO0000B"]
    assert client.calls == 3
    with pytest.raises(ParameterError) as too_many:
        client.list_order_page({"createSince": day, "createTo": NOW, "orderNumbers": wanted[:101]})
    assert "orderNumbers" in too_many.value.message


def test_windows_older_than_three_months_ask_for_historical_data(sandbox: GineeSandbox, client: GineeClient) -> None:
    old = NOW - timedelta(days=120)
    sandbox.state.create_order({"orderId": "SO-OLD", "shopId": "SH1"}, old, notify=False)
    assert [
        o.order_id for o in client.list_orders(create_since=old - timedelta(days=1), create_to=old + timedelta(days=1))
    ] == ["SO-OLD"]


def test_service_busy_is_retried_and_then_succeeds(sandbox: GineeSandbox, client: GineeClient) -> None:
    control(sandbox, "/sandbox/faults", {"busyNext": 2})
    assert [shop.shop_id for shop in client.list_shops()] == []
    assert client.calls == 3
    assert client.retries == 2


def test_http_429_is_retried_honouring_retry_after(sandbox: GineeSandbox) -> None:
    waits: list[float] = []
    client = GineeClient(sandbox.base_url, sandbox.access_key, sandbox.secret_key, sleep=waits.append)
    control(sandbox, "/sandbox/faults", {"rateLimitNext": 1, "retryAfter": 7})
    assert client.search_warehouses()[0].id == "WW1"
    assert waits == [7.0]


def test_http_429_without_retry_after_is_retried_on_the_clients_own_backoff(sandbox: GineeSandbox) -> None:
    # Given a 429 that carries no Retry-After (noRetryAfterShare 1: a gateway's own refusal)
    waits: list[float] = []
    client = GineeClient(sandbox.base_url, sandbox.access_key, sandbox.secret_key, sleep=waits.append)
    control(sandbox, "/sandbox/faults", {"rateLimitNext": 1, "retryAfter": 7, "noRetryAfterShare": 1})
    # Then the call succeeds after one wait that is the client's jittered backoff, not the 7 s never sent
    assert client.search_warehouses()[0].id == "WW1"
    assert len(waits) == 1 and waits[0] < 7


def test_an_answer_cut_in_half_is_retried_as_a_fault_on_the_way(sandbox: GineeSandbox) -> None:
    # Given Ginee's answers cut in half (truncatedRate 1: HTTP 200, a JSON text that ends midway)
    client = GineeClient(sandbox.base_url, sandbox.access_key, sandbox.secret_key, sleep=no_sleep, max_retries=2)
    control(sandbox, "/sandbox/faults", {"truncatedRate": 1})
    # Then the client retries it and, every answer cut, gives up with a retryable error naming no content
    with pytest.raises(ServiceBusy) as busy:
        client.search_warehouses()
    assert busy.value.retryable and "not a Ginee envelope" in str(busy.value)
    assert client.calls == 3
    # And once answers come whole again, the same call succeeds
    control(sandbox, "/sandbox/faults", {})
    assert client.search_warehouses()[0].id == "WW1"


def test_retries_run_out_as_a_retryable_error(sandbox: GineeSandbox) -> None:
    client = GineeClient(sandbox.base_url, sandbox.access_key, sandbox.secret_key, sleep=no_sleep, max_retries=2)
    control(sandbox, "/sandbox/faults", {"busyNext": 5})
    with pytest.raises(ServiceBusy) as busy:
        client.list_shops()
    assert busy.value.retryable
    assert client.calls == 3


def test_an_order_with_an_unknown_status_and_extra_fields_parses_and_keeps_them(
    sandbox: GineeSandbox, client: GineeClient
) -> None:
    control(sandbox, "/sandbox/orders", {"orderId": "SO-ODD", "shopId": "SH1", "orderStatus": "PAID"})
    control(
        sandbox,
        "/sandbox/orders/SO-ODD/status",
        {"orderStatus": "FAILED_DELIVERY", "extra": {"fakerOrder": False, "deliveryAttempts": 2}},
    )
    (order,) = client.batch_get(["SO-ODD", "SO-MISSING"])
    assert order.order_status == "FAILED_DELIVERY"
    assert order.known_status is None
    assert order.model_extra is not None
    assert order.model_extra["deliveryAttempts"] == 2


def test_batch_get_of_250_ids_makes_3_calls(sandbox: GineeSandbox, client: GineeClient) -> None:
    ids = [f"SO{n:04d}" for n in range(250)]
    for order_id in ids:
        sandbox.state.create_order({"orderId": order_id, "shopId": "SH1"}, NOW, notify=False)
    orders = client.batch_get(ids)
    assert [o.order_id for o in orders] == ids
    assert client.calls == 3


def test_lifecycle_control_endpoints_move_stock(sandbox: GineeSandbox, client: GineeClient) -> None:
    order = {
        "orderId": "SO-LIFE",
        "shopId": "SH1",
        "items": [{"itemId": "L1", "masterSku": "PAKET", "quantity": 2, "actualPrice": 150000}],
    }
    control(sandbox, "/sandbox/orders", order)

    def kaos() -> tuple[int, int]:
        (row,) = client.list_inventory("WW1", master_skus=["KAOS"])
        return row.warehouse_inventory.warehouse_stock, row.warehouse_inventory.locked_stock

    assert kaos() == (100, 6)  # a bundle of 3 × 2 locks six units
    for action in ("pay", "ready_to_ship", "ship"):
        control(sandbox, f"/sandbox/orders/SO-LIFE/{action}")
    assert kaos() == (94, 0)
    assert client.get_sell_outbound("SO-LIFE").items[0].out_quantity == 6
    control(sandbox, "/sandbox/orders/SO-LIFE/deliver")
    control(sandbox, "/sandbox/orders/SO-LIFE/return", {"lines": [{"itemId": "L1", "quantity": 1}]})
    assert kaos() == (97, 0)
    returned = client.batch_get(["SO-LIFE"])[0]
    assert returned.returned_quantity("L1") == 1
    assert returned.payment_info.seller_return_refund_amount == 150000
    inbound = control(
        sandbox,
        "/sandbox/inbounds",
        {"warehouseId": "WW1", "items": [{"masterSku": "KAOS", "planQuantity": 10, "planPrice": 33000}]},
    )
    control(sandbox, f"/sandbox/inbounds/{inbound['inboundOrderId']}/complete")
    assert kaos() == (107, 0)
    assert client.get_inbound(inbound["inboundOrderId"]).status == "COMPLETE"


class _Receiver:
    """A webhook endpoint that records what it gets; it answers 500 to the first ``fail_first`` posts."""

    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[dict[str, Any]] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status = 200
                with lock:
                    if receiver.fail_first > 0:
                        receiver.fail_first -= 1
                        status = 500
                    else:
                        receiver.received.append(body)
                self.send_response(status)
                self.send_header("Content-Length", "15")
                self.end_headers()
                self.wfile.write(b'{"status":true}')

            def log_message(self, *args: Any) -> None:
                return

        lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _make_orders(sandbox: GineeSandbox, count: int) -> None:
    for n in range(count):
        sandbox.state.create_order({"orderId": f"SO-W{n:03d}", "shopId": "SH1"}, NOW)


def test_webhooks_carry_gineees_envelope_and_are_retried_after_a_5xx(sandbox: GineeSandbox) -> None:
    receiver = _Receiver(fail_first=2)
    try:
        sender = sandbox.send_webhooks_to(receiver.url, workers=1, options=DeliveryOptions(retry_backoff=0.001))
        _make_orders(sandbox, 3)
        sender.flush()
        assert [e["payload"]["orderId"] for e in receiver.received] == ["SO-W000", "SO-W001", "SO-W002"]
        envelope = receiver.received[0]
        assert set(envelope) == {"id", "entity", "action", "createAt", "payload"}
        assert (envelope["entity"], envelope["action"], envelope["payload"]["orderStatus"]) == (
            "order",
            "CREATE",
            "PENDING_PAYMENT",
        )
        assert sender.log.attempts == 5
    finally:
        receiver.close()


def test_the_sender_duplicates_reorders_and_drops_as_asked(sandbox: GineeSandbox) -> None:
    receiver = _Receiver()
    try:
        options = DeliveryOptions(duplicate_rate=0.3, drop_rate=0.2, reorder_window=10)
        sender = sandbox.send_webhooks_to(receiver.url, workers=1, options=options, seed=3)
        _make_orders(sandbox, 40)
        sender.flush()
        ids = [e["id"] for e in receiver.received]
        emitted = [e["id"] for e in sender.emitted]
        dropped = {e["id"] for e in sender.log.dropped}
        assert dropped and len(ids) > len(set(ids))  # some dropped, some twice
        assert set(ids) == set(emitted) - dropped
        kept_order = [i for i in emitted if i not in dropped]
        assert list(dict.fromkeys(ids)) != kept_order  # not in emission order
    finally:
        receiver.close()
