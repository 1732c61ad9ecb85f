"""The Ginee sandbox's contract: routes, signature check, envelopes, limits and fault injection.

Open API routes (``/openapi/…``) need a valid signature; a wrong or missing one is answered like every
Ginee refusal, HTTP 200 with ``{"code": "IAM_FAILED", "message": "signature verification failed"}``
(Ginee answers failures with HTTP 200 and permission failures with IAM_FAILED; the exact wording is our
choice). Control routes (``/sandbox/…``) are the sandbox's own and need no signature.

Faults: ``busyNext``/``rateLimitNext`` make the next N signed calls answer ``SERVICE_BUSY`` or HTTP 429
with ``Retry-After``; ``busyRate``/``rateLimitRate`` do so at random (seeded), and ``noRetryAfterShare`` of
those 429s carry no ``Retry-After`` (a gateway's own refusal). ``truncatedRate`` cuts that share of
successful answers' bodies in half (HTTP 200, a JSON text that ends midway), as a connection closed
mid-answer by a proxy leaves them. ``malformed`` (order id →
fields) serves those orders' ``batch-get`` rows with the given fields in place of the stored ones, as a
Ginee that changed a field's type would (the stored order, its stock and lifecycle are untouched).
``leftOut`` (order id → count) leaves those orders out of their next ``count`` ``batch-get`` answers, as
Ginee's batch-get sometimes answers without an order it has.
"""

from __future__ import annotations

import json
import random
import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from omsync.ginee import signing
from omsync.ginee.models import format_timestamp
from omsync_workshop.ginee.models import GineeState, Json, SandboxError

Answer = tuple[int, dict[str, str], bytes]
BATCH_GET_PATH = "/openapi/order/v1/batch-get"


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return format_timestamp(value)
    raise TypeError(f"not JSON serialisable: {value!r}")


def dumps(value: object) -> bytes:
    """JSON as Ginee writes it: money as numbers (whole rupiah as integers), timestamps as ``…Z``."""
    return json.dumps(value, default=_default, separators=(",", ":")).encode()


@dataclass
class Faults:
    """Injected failures for signed calls."""

    busy_next: int = 0
    rate_limit_next: int = 0
    busy_rate: float = 0.0
    rate_limit_rate: float = 0.0
    retry_after: int = 1
    no_retry_after_share: float = 0.0
    """Share of the injected 429s sent without a ``Retry-After`` header."""
    truncated_rate: float = 0.0
    """Share of successful answers whose body is cut in half."""
    malformed: dict[str, Json] = field(default_factory=dict)
    """Order id → fields its batch-get rows carry instead (merged key by key; a list item by item)."""
    left_out: dict[str, int] = field(default_factory=dict)
    """Order id → how many more ``batch-get`` answers leave it out, as if Ginee did not know it."""


class GineeResponses:
    """Turns HTTP requests into calls on `GineeState` and answers in Ginee's envelope."""

    def __init__(self, state: GineeState, keys: dict[str, str], *, seed: int = 0) -> None:
        self.state = state
        self.keys = keys
        self.faults = Faults()
        self.calls: Counter[str] = Counter()
        self.on_webhook_config: Callable[[Json], Json] | None = None
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    # -- plumbing ------------------------------------------------------------------------------------

    def dispatch(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        """Answer one HTTP request."""
        url = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        try:
            payload = json.loads(body, parse_float=Decimal) if body.strip() else {}
        except ValueError:
            return self._envelope("PARAMETER_ERROR", "request body is not JSON")
        try:
            if url.path.startswith("/sandbox/"):
                return 200, {"Content-Type": "application/json"}, dumps(self._control(method, url.path, payload))
            if url.path.startswith("/openapi/"):
                return self._openapi(method, url.path, query, headers, payload)
        except SandboxError as error:
            return self._envelope(error.code, error.message)
        except (KeyError, ValueError, TypeError) as error:
            return self._envelope("PARAMETER_ERROR", f"bad request: {error}")
        return 404, {"Content-Type": "application/json"}, dumps({"code": "NOT_FOUND", "message": url.path})

    def _envelope(self, code: str, message: str, data: object = None, status: int = 200) -> Answer:
        body = {
            "code": code,
            "message": message,
            "data": data,
            "extra": None,
            "transactionId": uuid.uuid4().hex,
            "pricingStrategy": "PAY",
        }
        return status, {"Content-Type": "application/json"}, dumps(body)

    def _inject(self) -> Answer | None:
        with self._lock:
            faults = self.faults
            if faults.rate_limit_next > 0 or (faults.rate_limit_rate and self._rng.random() < faults.rate_limit_rate):
                faults.rate_limit_next = max(faults.rate_limit_next - 1, 0)
                headers = {"Content-Type": "application/json"}
                if not (faults.no_retry_after_share and self._rng.random() < faults.no_retry_after_share):
                    headers["Retry-After"] = str(faults.retry_after)
                return 429, headers, dumps({"code": "TOO_MANY_REQUESTS", "message": "too many requests"})
            if faults.busy_next > 0 or (faults.busy_rate and self._rng.random() < faults.busy_rate):
                faults.busy_next = max(faults.busy_next - 1, 0)
                return self._envelope("SERVICE_BUSY", "service is busy, please try again later")
        return None

    # -- Ginee's Open API ----------------------------------------------------------------------------

    def _openapi(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: Json) -> Answer:
        with self._lock:
            self.calls[path] += 1
        lowered = {k.lower(): v for k, v in headers.items()}
        if not signing.verify(lowered.get("authorization"), self.keys, method, path):
            return self._envelope("IAM_FAILED", "signature verification failed")
        if not lowered.get("x-advai-country"):
            return self._envelope("PARAMETER_ERROR", "header X-Advai-Country is required")
        fault = self._inject()
        if fault is not None:
            return fault
        route = _OPENAPI.get((method, path))
        if route is None:
            return self._envelope("PARAMETER_ERROR", f"no such API: {method} {path}")
        data = route(self.state, body, query)
        if path == BATCH_GET_PATH and self.faults.left_out:
            data = self._leave_out(data)
        if path == BATCH_GET_PATH and self.faults.malformed:
            data = [_overlay(row, self.faults.malformed.get(str(row.get("orderId")), {})) for row in data]
        status, headers, answer = self._envelope("SUCCESS", "OK", data)
        if self.faults.truncated_rate:
            with self._lock:
                truncated = self._rng.random() < self.faults.truncated_rate
            if truncated:
                answer = answer[: len(answer) // 2]
        return status, headers, answer

    def _leave_out(self, rows: list[Json]) -> list[Json]:
        kept = []
        with self._lock:
            for row in rows:
                order_id = str(row.get("orderId"))
                if self.faults.left_out.get(order_id, 0) > 0:
                    self.faults.left_out[order_id] -= 1
                    continue
                kept.append(row)
        return kept

    # -- the sandbox's own control endpoints -----------------------------------------------------------

    def _control(self, method: str, path: str, body: Json) -> object:
        state = self.state
        at = body.get("at")
        if (method, path) == ("POST", "/sandbox/orders"):
            return state.create_order(body.get("order", body), at)
        if (method, path) == ("POST", "/sandbox/orders/bulk"):
            notify = bool(body.get("notify", True))
            return {"orderIds": [state.create_order(o, at, notify=notify)["orderId"] for o in body["orders"]]}
        match = re.fullmatch(r"/sandbox/orders/([^/]+)/([a-z_]+)", path)
        if method == "POST" and match:
            details = {k: v for k, v in body.items() if k != "at"}
            return state.transition(match[1], match[2], at, **details)
        match = re.fullmatch(r"/sandbox/orders/([^/]+)", path)
        if method == "GET" and match:
            return state.get_order(match[1])
        if (method, path) == ("POST", "/sandbox/shops"):
            return state.put_shop(body)
        if (method, path) == ("POST", "/sandbox/warehouses"):
            return state.put_warehouse(body)
        if (method, path) == ("POST", "/sandbox/products"):
            return state.put_product(body.get("product", body), at)
        match = re.fullmatch(r"/sandbox/products/([^/]+)", path)
        if method == "DELETE" and match:
            state.delete_product(match[1], at)
            return {"deleted": match[1]}
        if (method, path) == ("POST", "/sandbox/inbounds"):
            return state.create_inbound(body.get("inbound", body), at)
        match = re.fullmatch(r"/sandbox/inbounds/([^/]+)/complete", path)
        if method == "POST" and match:
            return state.complete_inbound(match[1], body.get("received"), at)
        if (method, path) == ("POST", "/sandbox/stock/adjust"):
            return state.adjust_stock(
                body["warehouseId"], body["masterSku"], int(body["delta"]), body.get("remark", ""), at
            )
        if (method, path) == ("GET", "/sandbox/stock"):
            return [
                {"warehouseId": w, "masterSku": s, "warehouseStock": c.warehouse_stock, "lockedStock": c.locked_stock}
                for (w, s), c in sorted(state.stock.items())
            ]
        if (method, path) == ("POST", "/sandbox/faults"):
            with self._lock:
                self.faults = Faults(
                    busy_next=int(body.get("busyNext", 0)),
                    rate_limit_next=int(body.get("rateLimitNext", 0)),
                    busy_rate=float(body.get("busyRate", 0)),
                    rate_limit_rate=float(body.get("rateLimitRate", 0)),
                    retry_after=int(body.get("retryAfter", 1)),
                    no_retry_after_share=float(body.get("noRetryAfterShare", 0)),
                    truncated_rate=float(body.get("truncatedRate", 0)),
                    malformed=dict(body.get("malformed") or {}),
                    left_out={str(k): int(v) for k, v in dict(body.get("leftOut") or {}).items()},
                )
            return {"faults": vars(self.faults)}
        if (method, path) == ("GET", "/sandbox/calls"):
            with self._lock:
                return dict(self.calls)
        if (method, path) == ("POST", "/sandbox/webhooks") and self.on_webhook_config is not None:
            return self.on_webhook_config(body)
        raise SandboxError("PARAMETER_ERROR", f"no such control endpoint: {method} {path}")


def _paged(rows: list[Json], body: Json, max_size: int) -> Json:
    # Ginee's page/size lists count pages from 0.
    page, size = int(body.get("page", 0)), int(body.get("size", 10))
    if page < 0 or not 1 <= size <= max_size:
        raise SandboxError("PARAMETER_ERROR", f"size must be between 1 and {max_size}")
    return {"content": rows[page * size : (page + 1) * size], "page": page, "size": size, "total": len(rows)}


def _overlay(stored: Any, served: Any) -> Any:
    """``served`` laid over a copy of ``stored``: dicts key by key, lists item by item, anything else replaced."""
    if isinstance(stored, dict) and isinstance(served, dict):
        merged = deepcopy(stored)
        for key, value in served.items():
            merged[key] = _overlay(stored.get(key), value)
        return merged
    if isinstance(stored, list) and isinstance(served, list):
        return [_overlay(stored[i] if i < len(stored) else None, v) for i, v in enumerate(served)] + deepcopy(
            stored[len(served) :]
        )
    return deepcopy(served)


def _batch_get(state: GineeState, body: Json, query: dict[str, str]) -> object:
    return state.batch_get([str(i) for i in body.get("orderIds") or []])


def _shops(state: GineeState, body: Json, query: dict[str, str]) -> object:
    return _paged(list(state.shops.values()), body, 200)


def _products(state: GineeState, body: Json, query: dict[str, str]) -> object:
    rows = [
        {**{k: v for k, v in p.items() if k != "variations"}, "variationBriefs": p.get("variations", [])}
        for p in state.products.values()
    ]
    return _paged(rows, body, 100)


def _product(state: GineeState, body: Json, query: dict[str, str]) -> object:
    product = state.products.get(query.get("productId", ""))
    if product is None:
        raise SandboxError("DATA_NOT_EXISTED", f"master product {query.get('productId')} not found")
    return state.product_view(product)


def _warehouses(state: GineeState, body: Json, query: dict[str, str]) -> object:
    rows = [
        w
        for w in state.warehouses.values()
        if not body.get("warehouseStatus") or w["status"] == body["warehouseStatus"]
    ]
    return _paged(rows, body, 100)


def _inventory(state: GineeState, body: Json, query: dict[str, str]) -> object:
    rows = state.inventory(str(body["warehouseId"]))
    if body.get("masterSkuList"):
        wanted = set(body["masterSkuList"])
        rows = [r for r in rows if r["masterVariation"]["masterSku"] in wanted]
    return _paged(rows, body, 50)


def _inbound(state: GineeState, body: Json, query: dict[str, str]) -> object:
    inbound = state.inbounds.get(query.get("inboundOrderId", ""))
    if inbound is None:
        raise SandboxError("DATA_NOT_EXISTED", f"inbound order {query.get('inboundOrderId')} not found")
    return inbound


def _outbound(state: GineeState, body: Json, query: dict[str, str]) -> object:
    outbound = state.outbounds.get(query.get("outboundOrderId", ""))
    if outbound is None:
        raise SandboxError("DATA_NOT_EXISTED", f"outbound order {query.get('outboundOrderId')} not found")
    return outbound


def _sell_outbound(state: GineeState, body: Json, query: dict[str, str]) -> object:
    outbound = state.sell_outbounds.get(query.get("orderId", ""))
    if outbound is None:
        raise SandboxError("DATA_NOT_EXISTED", f"no sell outbound for order {query.get('orderId')}")
    return outbound


Route = Callable[[GineeState, Json, dict[str, str]], Any]

_OPENAPI: dict[tuple[str, str], Route] = {
    ("POST", "/openapi/order/v2/list-order"): lambda state, body, query: state.list_orders(body),
    ("POST", BATCH_GET_PATH): _batch_get,
    ("POST", "/openapi/shop/v1/list"): _shops,
    ("POST", "/openapi/product/master/v1/list"): _products,
    ("GET", "/openapi/product/master/v1/get"): _product,
    ("POST", "/openapi/warehouse/v1/search"): _warehouses,
    ("POST", "/openapi/warehouse-inventory/v1/sku/list"): _inventory,
    ("GET", "/openapi/inbound-order/v1/get"): _inbound,
    ("GET", "/openapi/outbound-order/v1/get"): _outbound,
    ("GET", "/openapi/warehouse-inventory/v1/sell-outbound-order/get"): _sell_outbound,
}
