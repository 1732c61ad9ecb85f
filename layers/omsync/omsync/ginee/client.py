"""The signed Ginee Open API client: one session, envelope checks, retries, and the limits Ginee documents.

Every request is signed (`omsync.ginee.signing`), carries ``X-Advai-Country`` and a JSON body, and its
envelope ``{code, message, data}`` is checked even on HTTP 200. ``SERVICE_BUSY``, HTTP 429 (honouring
``Retry-After``), 5xx and connection failures are retried with exponential backoff and full jitter; when
retries run out the last `ServiceBusy` is raised (a `RetryableError`, so the worker's message returns to
its queue). ``calls`` counts HTTP requests made, retries included, for the benchmark.
"""

from __future__ import annotations

import itertools
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, TypeVar

import requests
from pydantic import BaseModel, ValidationError

from omsync.deadline import Waits, parse_retry_after, request_timeout
from omsync.errors import describe_answer
from omsync.ginee import signing
from omsync.ginee.errors import MalformedAnswer, ServiceBusy, UnknownGineeError, error_for_code
from omsync.ginee.models import (
    InboundOrder,
    InventoryRow,
    MasterProduct,
    Order,
    OrderBatch,
    OrderPage,
    SellOutbound,
    Shop,
    UnreadableRecord,
    Warehouse,
    format_timestamp,
    invalid_fields,
)

MAX_WINDOW: Final = timedelta(days=15)
MAX_PAGE_SIZE: Final = 100
MAX_BATCH_IDS: Final = 100
MAX_ORDER_NUMBERS: Final = 100
"""``list-order``'s ``orderNumbers`` filter takes at most 100 marketplace order numbers (reference/ginee-api.md §3.2)."""
MAX_INVENTORY_PAGE_SIZE: Final = 50
HISTORY_HORIZON: Final = timedelta(days=90)

M = TypeVar("M", bound=BaseModel)

LIST_ORDERS: Final = "/openapi/order/v2/list-order"
BATCH_GET: Final = "/openapi/order/v1/batch-get"
SHOP_LIST: Final = "/openapi/shop/v1/list"
MASTER_PRODUCT_LIST: Final = "/openapi/product/master/v1/list"
MASTER_PRODUCT_GET: Final = "/openapi/product/master/v1/get"
WAREHOUSE_SEARCH: Final = "/openapi/warehouse/v1/search"
INVENTORY_LIST: Final = "/openapi/warehouse-inventory/v1/sku/list"
INBOUND_GET: Final = "/openapi/inbound-order/v1/get"
OUTBOUND_GET: Final = "/openapi/outbound-order/v1/get"
SELL_OUTBOUND_GET: Final = "/openapi/warehouse-inventory/v1/sell-outbound-order/get"


def split_windows(since: datetime, to: datetime, width: timedelta = MAX_WINDOW) -> list[tuple[datetime, datetime]]:
    """Cut ``[since, to)`` into consecutive windows no wider than ``width`` (Ginee allows 15 days)."""
    if to <= since:
        return []
    windows: list[tuple[datetime, datetime]] = []
    start = since
    while start < to:
        end = min(start + width, to)
        windows.append((start, end))
        start = end
    return windows


def chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return format_timestamp(value)
    raise TypeError(f"not JSON serialisable: {value!r}")


class GineeClient:
    """A signed client for one Ginee account (access key + secret key)."""

    def __init__(
        self,
        base_url: str,
        access_key: str,
        secret_key: str,
        country: str = "ID",
        session: requests.Session | None = None,
        max_retries: int = 5,
        backoff_base: float = 0.25,
        backoff_cap: float = 20.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.access_key = access_key
        self._secret_key = secret_key
        self.country = country
        self.session = session or requests.Session()
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.timeout = timeout
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self.calls = 0
        self.retries = 0

    # -- transport ---------------------------------------------------------------------------------

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, query: dict[str, str] | None = None
    ) -> Any:
        """Send one signed request and return the envelope's ``data``, retrying what is retryable.

        A `ServiceBusy` is retried up to ``max_retries`` times after a wait (seconds) of the larger of the
        backoff (exponential, full jitter, capped at ``backoff_cap``) and Ginee's ``Retry-After``. A wait
        that would pass the invocation's deadline (`omsync.deadline`) is not started. Raises `ServiceBusy`
        (retryable) when retries or time run out, a `GineeError` (permanent) when Ginee refused.
        """
        waits = Waits(self._sleep)
        attempt = 0
        while True:
            try:
                return self._call_once(method, path, body, query)
            except ServiceBusy as busy:
                if attempt >= self.max_retries:
                    raise
                delay = self._delay(attempt, busy.retry_after)
                if not waits.sleep(delay):
                    raise ServiceBusy(
                        f"{busy}; not retried: a wait of {delay:.1f} s would pass the deadline",
                        retry_after=busy.retry_after,
                        status=busy.status,
                    ) from busy
                self.retries += 1
                attempt += 1

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        jittered = self._rng.uniform(0, min(self.backoff_cap, self.backoff_base * (2**attempt)))
        return max(jittered, retry_after) if retry_after is not None else jittered

    def _call_once(self, method: str, path: str, body: dict[str, Any] | None, query: dict[str, str] | None) -> Any:
        headers = {
            "Authorization": signing.authorization(self.access_key, self._secret_key, method, path),
            "X-Advai-Country": self.country,
            "Content-Type": "application/json",
        }
        data = json.dumps(body, default=_json_default) if body is not None else None
        self.calls += 1
        try:
            # Ginee documents no redirects; the signature covers the path, so one is not followed.
            response = self.session.request(
                method,
                self.base_url + path,
                params=query,
                data=data,
                headers=headers,
                timeout=request_timeout(self.timeout),
                allow_redirects=False,
            )
        except (requests.RequestException, ValueError) as exc:
            # Sending, or reading the body (a connection cut mid-answer, a broken chunked encoding, a body
            # that does not decompress): Ginee may answer the next try. ValueError: requests (2.34) prepares
            # the next hop of a redirect even when not following it, and urlsplit raises on a malformed
            # Location. The text names the kind, not the URL (whose query may carry ids).
            raise ServiceBusy(f"{path}: {type(exc).__name__}") from exc
        status = response.status_code
        if status == 429 or status >= 500:
            raise ServiceBusy(
                f"{path}: HTTP {status}",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                status=status,
            )
        try:
            envelope = json.loads(response.content, parse_float=Decimal)
        except (ValueError, RecursionError):
            envelope = None
        if not isinstance(envelope, dict) or "code" not in envelope:
            what = f"HTTP {status}: not a Ginee envelope ({describe_answer(response)})"
            if 200 <= status < 300:
                # An empty, truncated or foreign answer with a success status is a fault on the way.
                raise ServiceBusy(f"{path}: {what}", status=status)
            raise UnknownGineeError(f"HTTP_{status}", path=path, detail=describe_answer(response))
        code = str(envelope["code"])
        if code != "SUCCESS":
            transaction_id = envelope.get("transactionId")
            raise error_for_code(
                code,
                str(envelope.get("message") or ""),
                path=path,
                transaction_id=str(transaction_id) if transaction_id is not None else None,
            )
        return envelope.get("data")

    def _model(self, model: type[M], data: Any, path: str) -> M:
        """``data`` as ``model``; a shape other than documented raises `MalformedAnswer` naming no values."""
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            # pydantic's text quotes the offending input (buyer data): only the count is kept.
            raise MalformedAnswer(
                "MALFORMED_DATA", path=path, detail=f"{exc.error_count()} field(s) not as {model.__name__} expects"
            ) from None

    # -- orders ------------------------------------------------------------------------------------

    def list_order_page(self, request: dict[str, Any]) -> OrderPage:
        """One raw ``list-order`` page for a request the caller built (window ≤ 15 days, size ≤ 100)."""
        return self._model(OrderPage, self.call("POST", LIST_ORDERS, request) or {}, LIST_ORDERS)

    def list_orders(
        self,
        *,
        last_update_since: datetime | None = None,
        last_update_to: datetime | None = None,
        create_since: datetime | None = None,
        create_to: datetime | None = None,
        shop_ids: Sequence[str] | None = None,
        channel: str | None = None,
        order_status: str | None = None,
        order_numbers: Sequence[str] | None = None,
        size: int = MAX_PAGE_SIZE,
    ) -> Iterator[Order]:
        """Every order updated (or created) in the range, oldest window first, each window paged by cursor.

        Give either the ``last_update_*`` or the ``create_*`` pair; ``*_to`` defaults to now. The range is
        cut into 15-day windows; a window that starts more than three months ago asks for
        ``historicalData``. ``order_numbers`` (marketplace order numbers, Ginee's ``externalOrderSn``) keeps
        only their orders, asked 100 numbers at a time (``orderNumbers``). Rows are list rows: re-fetch with
        `batch_get` for the full order. Raises what `call` raises, and `MalformedAnswer` when a page's cursor
        repeats one already given.
        """
        if (last_update_since is None) == (create_since is None):
            raise ValueError("give exactly one of last_update_since or create_since")
        size = min(max(size, 1), MAX_PAGE_SIZE)
        by_update = last_update_since is not None
        since = last_update_since if by_update else create_since
        assert since is not None
        to = (last_update_to if by_update else create_to) or self._clock()
        horizon = self._clock() - HISTORY_HORIZON
        since_key, to_key = ("lastUpdateSince", "lastUpdateTo") if by_update else ("createSince", "createTo")
        number_chunks: list[list[str] | None] = [None]
        if order_numbers is not None:
            number_chunks = [*chunks(list(dict.fromkeys(order_numbers)), MAX_ORDER_NUMBERS)]
        for (start, end), number_chunk in itertools.product(split_windows(since, to), number_chunks):
            request: dict[str, Any] = {since_key: start, to_key: end, "size": size}
            if shop_ids:
                request["shopIdList"] = list(shop_ids)
            if channel:
                request["channel"] = channel
            if order_status:
                request["orderStatus"] = order_status
            if number_chunk is not None:
                request["orderNumbers"] = number_chunk
            if start < horizon:
                request["historicalData"] = True
            cursors: set[str] = set()
            while True:
                page = self.list_order_page(request)
                yield from page.content
                if not page.more or page.next_cursor is None:
                    break
                # A cursor Ginee already gave would page the same window forever.
                cursor = json.dumps(page.next_cursor, sort_keys=True, default=str)
                if cursor in cursors:
                    raise MalformedAnswer("MALFORMED_DATA", path=LIST_ORDERS, detail="the page cursor repeats")
                cursors.add(cursor)
                request = {**request, "nextCursor": page.next_cursor}

    def batch_get(self, order_ids: Iterable[str], *, historical: bool = False) -> OrderBatch:
        """Full orders by Ginee id, ≤100 ids per call, as an `OrderBatch` (a list of `Order`).

        Ids Ginee does not know are left out of the answer. Each row is read on its own: a row that does not
        validate is an `UnreadableRecord` of its order in ``unreadable`` (field paths and error types only,
        never values), so one odd record never fails the others. A row whose own ``orderId`` cannot be read
        makes every id of its call that no readable row answered unreadable (which one it was is unknown).
        Raises what `call` raises (`GineeError`, `ServiceBusy`).
        """
        wanted = list(dict.fromkeys(order_ids))
        batch = OrderBatch()
        for chunk in chunks(wanted, MAX_BATCH_IDS):
            body: dict[str, Any] = {"orderIds": chunk}
            if historical:
                body["historicalData"] = True
            rows = self.call("POST", BATCH_GET, body) or []
            if not isinstance(rows, list):
                rows = [rows]
            unattributed: tuple[str, ...] = ()
            for row in rows:
                try:
                    batch.append(Order.model_validate(row))
                except ValidationError as error:
                    order_id = row.get("orderId") if isinstance(row, dict) else None
                    if isinstance(order_id, str) and order_id in chunk:
                        batch.unreadable[order_id] = UnreadableRecord(order_id, invalid_fields(error))
                    else:
                        unattributed += invalid_fields(error)
            if unattributed:
                answered = {order.order_id for order in batch} | set(batch.unreadable)
                for order_id in chunk:
                    if order_id not in answered:
                        batch.unreadable[order_id] = UnreadableRecord(order_id, tuple(dict.fromkeys(unattributed)))
        return batch

    # -- catalogue, stock and purchases --------------------------------------------------------------

    def _pages(self, path: str, body: dict[str, Any], size: int) -> Iterator[dict[str, Any]]:
        # Ginee's paged lists count pages from 0 and answer {content, page, size, total}.
        page = 0
        while True:
            data = self.call("POST", path, {**body, "page": page, "size": size}) or {}
            content = (data.get("content") or []) if isinstance(data, dict) else None
            total = data.get("total") if isinstance(data, dict) else None
            if not isinstance(content, list) or not all(isinstance(row, dict) for row in content):
                raise MalformedAnswer("MALFORMED_DATA", path=path, detail="not a page of records")
            if total is not None and (isinstance(total, bool) or not isinstance(total, int | Decimal | str)):
                raise MalformedAnswer("MALFORMED_DATA", path=path, detail="page total is not a number")
            yield from content
            try:
                last = total is not None and (page + 1) * size >= int(total)
            except ValueError:
                raise MalformedAnswer("MALFORMED_DATA", path=path, detail="page total is not a number") from None
            if len(content) < size or last:
                return
            page += 1

    def list_shops(self) -> list[Shop]:
        """Every store connected to the Ginee account."""
        return [self._model(Shop, row, SHOP_LIST) for row in self._pages(SHOP_LIST, {}, 200)]

    def list_master_products(self, *, size: int = 100) -> list[MasterProduct]:
        """Every master product (list rows: ``variationBriefs`` rather than full variations)."""
        rows = self._pages(MASTER_PRODUCT_LIST, {}, size)
        return [self._model(MasterProduct, row, MASTER_PRODUCT_LIST) for row in rows]

    def get_master_product(self, product_id: str) -> MasterProduct:
        """One master product with its variations, prices, costs and bundle composition."""
        data = self.call("GET", MASTER_PRODUCT_GET, query={"productId": product_id})
        return self._model(MasterProduct, data, MASTER_PRODUCT_GET)

    def search_warehouses(self, *, status: str | None = None) -> list[Warehouse]:
        """Every warehouse (optionally only those with ``warehouseStatus`` = status)."""
        body = {"warehouseStatus": status} if status else {}
        return [self._model(Warehouse, row, WAREHOUSE_SEARCH) for row in self._pages(WAREHOUSE_SEARCH, body, 100)]

    def list_inventory(self, warehouse_id: str, *, master_skus: Sequence[str] | None = None) -> list[InventoryRow]:
        """Stock of every SKU in one warehouse (50 per page, Ginee's limit for this list)."""
        body: dict[str, Any] = {"warehouseId": warehouse_id}
        if master_skus:
            body["masterSkuList"] = list(master_skus)
        rows = self._pages(INVENTORY_LIST, body, MAX_INVENTORY_PAGE_SIZE)
        return [self._model(InventoryRow, row, INVENTORY_LIST) for row in rows]

    def get_inbound(self, inbound_id: str) -> InboundOrder:
        """One purchase inbound with its received quantities and prices."""
        data = self.call("GET", INBOUND_GET, query={"inboundOrderId": inbound_id})
        return self._model(InboundOrder, data, INBOUND_GET)

    def get_outbound(self, outbound_id: str) -> SellOutbound:
        """A non-sale outbound (a stock adjustment out). The path mirrors the inbound one; see ARCHITECTURE §5."""
        data = self.call("GET", OUTBOUND_GET, query={"outboundOrderId": outbound_id}) or {}
        if not isinstance(data, dict):
            raise MalformedAnswer("MALFORMED_DATA", path=OUTBOUND_GET, detail="not a record")
        return self._model(SellOutbound, {"orderId": "", **data}, OUTBOUND_GET)

    def get_sell_outbound(self, order_id: str) -> SellOutbound:
        """The sell-outbound of an order: SKUs out of the warehouse and their purchase cost."""
        data = self.call("GET", SELL_OUTBOUND_GET, query={"orderId": order_id})
        return self._model(SellOutbound, data, SELL_OUTBOUND_GET)
