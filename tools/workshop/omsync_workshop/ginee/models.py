"""The Ginee sandbox's state and rules: shops, master products, warehouses with stock, orders with their
lifecycle, inbound and outbound orders. No HTTP here (that is `responses`), so the same rules serve the
Open API, the ``/sandbox/`` control endpoints and in-process scenario loading.

Records are kept as Ginee's own JSON (camelCase dicts, money as ``Decimal``, timestamps as ``…Z``
strings), so what a test stores is what a client reads back, unknown fields included.

Stock follows Ginee's help centre: an order *locks* stock when it arrives and *deducts* it when it ships
(a sell outbound is written then, at the SKU's moving-average cost); a cancellation before shipping
unlocks, one after shipping and returned lines put the units back. Bundles move their components.
Every change is announced to the listeners (the webhook sender) as ``(entity, action, payload, at)``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from omsync.ginee.models import OrderStatus, format_timestamp
from omsync.money import ZERO, round_rupiah, to_decimal

MAX_WINDOW: Final = timedelta(days=15)
MAX_PAGE_SIZE: Final = 100
MAX_IDS: Final = 100
HISTORY_HORIZON: Final = timedelta(days=90)

Listener = Callable[[str, str, dict[str, Any], datetime], None]
Json = dict[str, Any]

SHIPPED_STATUSES: Final = frozenset({OrderStatus.SHIPPING, OrderStatus.DELIVERED, OrderStatus.COMPLETED})


RETURN_REQUESTED = "REQUESTED"
RETURN_COMPLETED = "COMPLETED"
RETURN_CLOSED_UNPAID = frozenset({"REJECTED", "CANCELLED"})
RETURN_STATUSES = frozenset({RETURN_REQUESTED, RETURN_COMPLETED, *RETURN_CLOSED_UNPAID})
"""A return's life in the sandbox (Ginee documents no return API; ARCHITECTURE §5): asked, then decided."""
RETURN_REFUND = "RETURN_REFUND"
RETURN_REFUND_ONLY = "REFUND_ONLY"
"""A return's type: goods back then the refund, or the refund while the buyer keeps the goods."""


class SandboxError(Exception):
    """A refusal in Ginee's words: the envelope ``code`` and ``message`` the client will see."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def parse_time(value: object) -> datetime:
    """A Ginee timestamp (ISO-8601, ``Z`` or offset; naive means UTC) or epoch milliseconds, as aware UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(float(value) / 1000, UTC)
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        raise SandboxError("PARAMETER_ERROR", f"not a timestamp: {value!r}")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass
class Stock:
    """One SKU in one warehouse: units on the shelf and units promised to unshipped orders."""

    warehouse_stock: int = 0
    locked_stock: int = 0

    @property
    def available_stock(self) -> int:
        return self.warehouse_stock - self.locked_stock


@dataclass
class GineeState:
    """Everything the sandbox knows, behind one lock (the HTTP server is threaded)."""

    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    shops: dict[str, Json] = field(default_factory=dict)
    products: dict[str, Json] = field(default_factory=dict)
    warehouses: dict[str, Json] = field(default_factory=dict)
    orders: dict[str, Json] = field(default_factory=dict)
    inbounds: dict[str, Json] = field(default_factory=dict)
    outbounds: dict[str, Json] = field(default_factory=dict)
    sell_outbounds: dict[str, Json] = field(default_factory=dict)
    stock: dict[tuple[str, str], Stock] = field(default_factory=dict)
    average_cost: dict[str, Decimal] = field(default_factory=dict)
    listeners: list[Listener] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _sku_variation: dict[str, Json] = field(default_factory=dict)
    _order_times: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    _shipped: set[str] = field(default_factory=set)
    _counter: int = 0

    # -- events --------------------------------------------------------------------------------------

    def _emit(self, entity: str, action: str, payload: Json, at: datetime) -> None:
        for listener in self.listeners:
            listener(entity, action, payload, at)

    def _next_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter:022d}"

    def _at(self, at: object | None) -> datetime:
        return parse_time(at) if at is not None else self.now()

    # -- shops and warehouses --------------------------------------------------------------------------

    def put_shop(self, shop: Json) -> Json:
        """Create or replace a shop (``shopId`` generated when missing)."""
        with self.lock:
            record = {"authorizationStatus": "CONNECTED", "externalShopId": "", **shop}
            record.setdefault("shopId", self._next_id("SH"))
            self.shops[record["shopId"]] = record
            return record

    def put_warehouse(self, warehouse: Json) -> Json:
        """Create or replace a warehouse (``id`` generated when missing)."""
        with self.lock:
            record = {"status": "ENABLE", "isDefault": False, "warehouseType": "MY_WAREHOUSE", **warehouse}
            record.setdefault("id", self._next_id("WW"))
            self.warehouses[record["id"]] = record
            return record

    def default_warehouse_id(self) -> str:
        """The default warehouse, else the first one; an order without a warehouse ships from it."""
        for warehouse in self.warehouses.values():
            if warehouse.get("isDefault"):
                return str(warehouse["id"])
        if not self.warehouses:
            self.put_warehouse({"id": "WW0000000000000000000001", "name": "Gudang Utama", "isDefault": True})
        return str(next(iter(self.warehouses)))

    # -- master products -----------------------------------------------------------------------------

    def put_product(self, product: Json, at: object | None = None, *, notify: bool = True) -> Json:
        """Create or update a master product; announces ``master_product_create`` or ``_update``."""
        with self.lock:
            moment = self._at(at)
            product_id = product.get("productId") or self._next_id("MP")
            existing = self.products.get(product_id)
            record = {**(existing or {}), **product, "productId": product_id}
            record.setdefault("masterVariationType", "NORMAL")
            record.setdefault("saleStatus", "FOR_SALE")
            record.setdefault("createAt", format_timestamp(moment))
            record["updateAt"] = format_timestamp(moment)
            for variation in record.get("variations", []):
                variation.setdefault("variationId", self._next_id("MV"))
                self._sku_variation[variation["sku"]] = variation
                if variation.get("purchasePrice") is not None:
                    self.average_cost.setdefault(variation["sku"], to_decimal(variation["purchasePrice"]))
            self.products[product_id] = record
            if notify:
                kind = "update" if existing else "create"
                self._emit(f"master_product_{kind}", kind.upper(), {"masterProductId": product_id}, moment)
            return record

    def delete_product(self, product_id: str, at: object | None = None) -> None:
        """Remove a master product; announces ``master_product_delete``."""
        with self.lock:
            if self.products.pop(product_id, None) is None:
                raise SandboxError("DATA_NOT_EXISTED", f"master product {product_id} not found")
            self._emit("master_product_delete", "DELETE", {"masterProductId": product_id}, self._at(at))

    def product_view(self, record: Json) -> Json:
        """A product as Ginee answers it: variations carry the current stock and average cost."""
        variations = []
        for variation in record.get("variations", []):
            sku = variation["sku"]
            view = {**variation, "stock": sum(s.available_stock for (_, k), s in self.stock.items() if k == sku)}
            if sku in self.average_cost:
                view["averageCostPrice"] = self.average_cost[sku]
            variations.append(view)
        return {**record, "variations": variations}

    def _components(self, sku: str, bundle: Iterable[Json] | None = None) -> list[tuple[str, int]]:
        # A bundle's stock lives in its components; the order line's own bundleSkus win over the catalogue.
        parts = list(bundle or [])
        if not parts:
            parts = list(self._sku_variation.get(sku, {}).get("bundleSkus") or [])
        if not parts:
            return [(sku, 1)]
        return [(str(part["masterSku"]), int(part.get("quantity", 1))) for part in parts]

    # -- stock ---------------------------------------------------------------------------------------

    def stock_of(self, warehouse_id: str, sku: str) -> Stock:
        """The stock cell (created empty on first use)."""
        key = (warehouse_id, sku)
        if key not in self.stock:
            self.stock[key] = Stock()
        return self.stock[key]

    def _move_lines(self, order: Json, *, lock: int = 0, shelf: int = 0, only: dict[str, int] | None = None) -> None:
        default = order.get("warehouseId") or self.default_warehouse_id()
        for item in order.get("items", []):
            quantity = int(item.get("quantity", 0)) if only is None else only.get(str(item.get("itemId")), 0)
            if not quantity or not item.get("masterSku"):
                continue
            warehouse = item.get("warehouseId") or default
            for sku, per_unit in self._components(item["masterSku"], item.get("bundleSkus")):
                cell = self.stock_of(warehouse, sku)
                cell.locked_stock += lock * quantity * per_unit
                cell.warehouse_stock += shelf * quantity * per_unit

    def adjust_stock(
        self,
        warehouse_id: str,
        sku: str,
        delta: int,
        remark: str = "",
        at: object | None = None,
        *,
        notify: bool = True,
        movement_id: str | None = None,
    ) -> Json:
        """Change shelf stock outside orders and purchases: an ADJUSTMENT inbound (+) or outbound (−), whose id
        is ``movement_id`` when given (a scenario names its movements), else the sandbox's next one."""
        with self.lock:
            moment = self._at(at)
            self.stock_of(warehouse_id, sku).warehouse_stock += delta
            cost = self.average_cost.get(sku)
            record: Json
            line = {"masterSku": sku, "realQuantity": abs(delta), "realPrice": cost}
            if delta >= 0:
                record = {
                    "inboundOrderId": movement_id or self._next_id("IB"),
                    "inboundType": "ADJUSTMENT",
                    "warehouseId": warehouse_id,
                    "status": "COMPLETE",
                    "remark": remark,
                    "createAt": format_timestamp(moment),
                    "completeAt": format_timestamp(moment),
                    "items": [{**line, "planQuantity": delta, "planPrice": cost}],
                }
                self.inbounds[record["inboundOrderId"]] = record
                entity, key = "inbound_order", "inboundOrderId"
            else:
                record = {
                    "outboundOrderId": movement_id or self._next_id("OB"),
                    "outboundType": "ADJUSTMENT",
                    "warehouseId": warehouse_id,
                    "status": "COMPLETE",
                    "remark": remark,
                    "createAt": format_timestamp(moment),
                    "items": [{"masterSku": sku, "outQuantity": -delta, "realPrice": cost}],
                }
                self.outbounds[record["outboundOrderId"]] = record
                entity, key = "outbound_order", "outboundOrderId"
            if notify:
                payload = {key: record[key], "warehouseId": warehouse_id, "status": "COMPLETE"}
                self._emit(entity, "CREATE", payload, moment)
            return record

    # -- inbound purchases -----------------------------------------------------------------------------

    def create_inbound(self, inbound: Json, at: object | None = None, *, notify: bool = True) -> Json:
        """Record a purchase inbound in status CREATE (nothing on the shelf yet)."""
        with self.lock:
            moment = self._at(at)
            record = {"inboundType": "PURCHASE", "status": "CREATE", **inbound, "createAt": format_timestamp(moment)}
            record.setdefault("inboundOrderId", self._next_id("IB"))
            record.setdefault("warehouseId", self.default_warehouse_id())
            record["planAmount"] = sum(
                (to_decimal(i.get("planPrice", 0)) * int(i.get("planQuantity", 0)) for i in record.get("items", [])),
                ZERO,
            )
            self.inbounds[record["inboundOrderId"]] = record
            if notify:
                payload = {"inboundOrderId": record["inboundOrderId"], "warehouseId": record["warehouseId"]}
                self._emit("inbound_order", "CREATE", {**payload, "status": record["status"]}, moment)
            return record

    def complete_inbound(
        self, inbound_id: str, received: dict[str, Any] | None = None, at: object | None = None, *, notify: bool = True
    ) -> Json:
        """Receive an inbound: shelf stock up by ``realQuantity`` and the moving-average cost updated.

        ``received`` may give per-SKU ``{masterSku: {realQuantity, realPrice}}``; by default the plan is
        received in full. An inbound receiving less than planned ends PART_COMPLETE.
        """
        with self.lock:
            record = self.inbounds.get(inbound_id)
            if record is None:
                raise SandboxError("DATA_NOT_EXISTED", f"inbound order {inbound_id} not found")
            if record["status"] in ("COMPLETE", "PART_COMPLETE", "INVALID"):
                raise SandboxError("BUSINESS_ERROR", f"inbound order {inbound_id} is already {record['status']}")
            moment = self._at(at)
            short = False
            real_amount = ZERO
            for item in record.get("items", []):
                sku = item["masterSku"]
                got = (received or {}).get(sku, {})
                quantity = int(got.get("realQuantity", item.get("planQuantity", 0)))
                price = to_decimal(got.get("realPrice", item.get("planPrice", 0)))
                item["realQuantity"], item["realPrice"] = quantity, price
                short = short or quantity < int(item.get("planQuantity", 0))
                cell = self.stock_of(record["warehouseId"], sku)
                on_hand = sum(s.warehouse_stock for (_, k), s in self.stock.items() if k == sku)
                old_cost = self.average_cost.get(sku, price)
                if on_hand + quantity > 0:
                    moving = (old_cost * max(on_hand, 0) + price * quantity) / (max(on_hand, 0) + quantity)
                    self.average_cost[sku] = moving.quantize(Decimal("0.01"))
                cell.warehouse_stock += quantity
                real_amount += price * quantity
            record["status"] = "PART_COMPLETE" if short else "COMPLETE"
            record["realAmount"] = real_amount
            record["completeAt"] = format_timestamp(moment)
            if notify:
                payload = {
                    "inboundOrderId": inbound_id,
                    "warehouseId": record["warehouseId"],
                    "status": record["status"],
                }
                self._emit("inbound_order", "UPDATE", payload, moment)
            return record

    def cancel_inbound(self, inbound_id: str, at: object | None = None, *, notify: bool = True) -> Json:
        """Cancel an inbound (status INVALID); goods it received leave the shelf again.

        Ginee documents INVALID but not how a received inbound reaches it; the sandbox takes the received
        quantities back off the shelf (and leaves the average cost as it was), announcing ``UPDATE``.
        """
        with self.lock:
            record = self.inbounds.get(inbound_id)
            if record is None:
                raise SandboxError("DATA_NOT_EXISTED", f"inbound order {inbound_id} not found")
            if record["status"] == "INVALID":
                raise SandboxError("BUSINESS_ERROR", f"inbound order {inbound_id} is already INVALID")
            moment = self._at(at)
            if record["status"] in ("COMPLETE", "PART_COMPLETE"):
                for item in record.get("items", []):
                    self.stock_of(record["warehouseId"], item["masterSku"]).warehouse_stock -= int(
                        item.get("realQuantity", 0)
                    )
            record["status"] = "INVALID"
            if notify:
                payload = {"inboundOrderId": inbound_id, "warehouseId": record["warehouseId"], "status": "INVALID"}
                self._emit("inbound_order", "UPDATE", payload, moment)
            return record

    # -- orders --------------------------------------------------------------------------------------

    def _touch(self, order: Json, moment: datetime, action: str, notify: bool) -> None:
        order["lastUpdateAt"] = format_timestamp(moment)
        created = self._order_times.get(order["orderId"], (moment, moment))[0]
        self._order_times[order["orderId"]] = (created, moment)
        if notify:
            payload = {
                "orderId": order["orderId"],
                "channel": order.get("channel"),
                "shopId": order.get("shopId"),
                "externalShopId": order.get("externalShopId", ""),
                "orderStatus": order.get("orderStatus"),
                "createAt": order.get("createAt"),
                "payAt": order.get("payAt"),
            }
            self._emit("order", action, payload, moment)

    def create_order(self, order: Json, at: object | None = None, *, notify: bool = True) -> Json:
        """Store an order given in Ginee's JSON; missing ids, status and timestamps are filled in.

        The order's units are locked in its warehouse (already deducted if it arrives shipped).
        """
        with self.lock:
            moment = self._at(at if at is not None else order.get("createAt"))
            record = dict(order)
            record.setdefault("orderId", self._next_id("SO"))
            if record["orderId"] in self.orders:
                raise SandboxError("BUSINESS_ERROR", f"order {record['orderId']} already exists")
            record.setdefault("orderStatus", OrderStatus.PENDING_PAYMENT.value)
            record.setdefault("currency", "IDR")
            record.setdefault("country", "ID")
            record.setdefault("createAt", format_timestamp(moment))
            record.setdefault("items", [])
            record.setdefault("paymentInfo", {})
            shop = self.shops.get(str(record.get("shopId")))
            if shop is not None:
                record.setdefault("channel", shop.get("channel"))
                record.setdefault("externalShopId", shop.get("externalShopId", ""))
            for index, item in enumerate(record["items"], start=1):
                item.setdefault("itemId", f"{record['orderId']}-{index}")
            record.setdefault("warehouseId", self.default_warehouse_id())
            self.orders[record["orderId"]] = record
            self._order_times[record["orderId"]] = (parse_time(record["createAt"]), moment)
            status = record["orderStatus"]
            if status != OrderStatus.CANCELLED:
                self._move_lines(record, lock=1)
            if status in SHIPPED_STATUSES:
                self._ship(record, moment)
            self._touch(record, moment, "CREATE", notify)
            return record

    def get_order(self, order_id: str) -> Json:
        """One order, or DATA_NOT_EXISTED."""
        order = self.orders.get(order_id)
        if order is None:
            raise SandboxError("DATA_NOT_EXISTED", f"order {order_id} not found")
        return order

    def _ship(self, order: Json, moment: datetime) -> None:
        if order["orderId"] in self._shipped:
            return
        self._shipped.add(order["orderId"])
        self._move_lines(order, lock=-1, shelf=-1)
        lines: dict[str, int] = {}
        for item in order.get("items", []):
            if item.get("masterSku"):
                for sku, per_unit in self._components(item["masterSku"], item.get("bundleSkus")):
                    lines[sku] = lines.get(sku, 0) + int(item.get("quantity", 0)) * per_unit
        self.sell_outbounds[order["orderId"]] = {
            "outboundOrderId": f"SOB{order['orderId']}",
            "orderId": order["orderId"],
            "warehouseId": order.get("warehouseId"),
            "status": "COMPLETE",
            "createAt": format_timestamp(moment),
            "items": [
                {"masterSku": sku, "outQuantity": qty, "realPrice": self.average_cost.get(sku)}
                for sku, qty in lines.items()
            ],
        }

    def transition(
        self,
        order_id: str,
        action: str,
        at: object | None = None,
        *,
        notify: bool = True,
        **details: Any,
    ) -> Json:
        """Move an order through its life: ``pay``, ``ready_to_ship``, ``ship``, ``deliver``,
        ``complete``, ``cancel`` (``reason``), ``return`` (``lines`` [{itemId, quantity, refundAmount}],
        ``reason``, ``status``, ``returnType``, ``requestedAt``, ``returnId``: see `_return`), ``settle`` (``releasedAmount``, ``payoutId``) or ``status`` (any ``orderStatus``).

        Any action may carry ``paymentInfo`` (merged into the order's) and ``extra`` (fields merged into
        the order as they are, unknown ones included).
        """
        with self.lock:
            order = self.get_order(order_id)
            moment = self._at(at)
            stamp = format_timestamp(moment)
            status = order.get("orderStatus")
            if action == "pay":
                self._require(order, {OrderStatus.PENDING_PAYMENT, OrderStatus.PARTIALLY_PAID}, action)
                order["orderStatus"], order["payAt"] = OrderStatus.PAID.value, stamp
            elif action == "ready_to_ship":
                self._require(order, {OrderStatus.PAID}, action)
                order["orderStatus"] = OrderStatus.READY_TO_SHIP.value
            elif action == "ship":
                self._require(order, {OrderStatus.PAID, OrderStatus.READY_TO_SHIP}, action)
                order["orderStatus"] = OrderStatus.SHIPPING.value
                logistics = details.get("logistics") or {"logisticsTrackingNumber": f"TRK{order_id[-10:]}"}
                order["logisticsInfos"] = [{**logistics, "shippedAt": stamp}]
                self._ship(order, moment)
            elif action == "deliver":
                self._require(order, {OrderStatus.SHIPPING}, action)
                order["orderStatus"] = OrderStatus.DELIVERED.value
                for parcel in order.get("logisticsInfos", []):
                    parcel["deliveredAt"] = stamp
            elif action == "complete":
                self._require(order, {OrderStatus.DELIVERED, OrderStatus.SHIPPING}, action)
                order["orderStatus"], order["closeAt"] = OrderStatus.COMPLETED.value, stamp
            elif action == "cancel":
                if status in (OrderStatus.CANCELLED, OrderStatus.COMPLETED, OrderStatus.RETURNED):
                    raise SandboxError("BUSINESS_ERROR", f"order {order_id} is {status} and cannot be cancelled")
                if order_id in self._shipped:
                    # A parcel cancelled on its way comes back to the shelf.
                    self._move_lines(order, shelf=1)
                else:
                    self._move_lines(order, lock=-1)
                order["orderStatus"] = OrderStatus.CANCELLED.value
                order["cancelInfo"] = {
                    "cancelReason": details.get("reason", "CUSTOMER_PROBLEM"),
                    "cancelBy": details.get("by", "BUYER"),
                    "cancelAt": stamp,
                }
            elif action == "return":
                self._return(order, details, moment)
            elif action == "settle":
                self._require(order, {OrderStatus.COMPLETED, OrderStatus.DELIVERED}, action)
                order["settlementInfo"] = {
                    "status": "RELEASED",
                    "releasedAt": stamp,
                    "releasedAmount": to_decimal(details.get("releasedAmount", order.get("totalAmount", 0))),
                    "payoutId": details.get("payoutId") or f"PO{moment:%Y%m%d}",
                }
            elif action == "status":
                order["orderStatus"] = str(details["orderStatus"])
            else:
                raise SandboxError("PARAMETER_ERROR", f"unknown order action {action!r}")
            if details.get("paymentInfo"):
                order["paymentInfo"] = {**order.get("paymentInfo", {}), **details["paymentInfo"]}
            if details.get("extra"):
                for index, item in enumerate(details["extra"].get("items") or [], start=1):
                    item.setdefault("itemId", f"{order['orderId']}-{index}")  # as `create_order` numbers them
                if "items" in details["extra"] and order.get("orderStatus") != OrderStatus.CANCELLED:
                    self._restock_changed_lines(order, details["extra"]["items"])
                order.update(details["extra"])
            self._touch(order, moment, "UPDATE", notify)
            return order

    def _restock_changed_lines(self, order: Json, items: list[Json]) -> None:
        """Units a change of the order's lines takes off it (a line cancelled after payment, issue 16) leave its
        stock lock, or come back to the shelf once it shipped; units added are locked (or taken off the shelf)."""
        now = {str(item["itemId"]): int(item.get("quantity", 0)) for item in items}
        delta = {
            str(item["itemId"]): int(item.get("quantity", 0)) - now.get(str(item["itemId"]), 0)
            for item in order.get("items", [])
        }
        gone = {item_id: units for item_id, units in delta.items() if units > 0}
        added = {item_id: -units for item_id, units in delta.items() if units < 0}
        shipped = order["orderId"] in self._shipped
        if gone:
            self._move_lines(order, **({"shelf": 1} if shipped else {"lock": -1}), only=gone)
        if added:
            self._move_lines(order, **({"shelf": -1} if shipped else {"lock": 1}), only=added)

    @staticmethod
    def _require(order: Json, allowed: set[OrderStatus], action: str) -> None:
        if order.get("orderStatus") not in allowed:
            raise SandboxError(
                "BUSINESS_ERROR", f"cannot {action} order {order['orderId']} in status {order.get('orderStatus')}"
            )

    def _return(self, order: Json, details: dict[str, Any], moment: datetime) -> None:
        """A return as its life goes (issue 17): ``status`` ``REQUESTED``, ``REJECTED``, ``CANCELLED`` or
        ``COMPLETED`` (the default), ``returnType`` ``RETURN_REFUND`` (the default) or ``REFUND_ONLY``;
        ``requestedAt`` is when the buyer asked (default: now). A ``returnId`` already on the order moves that
        return on to the given status. Only a completed return with goods puts units back on the shelf;
        only a completed one refunds (``refundAt``, ``sellerReturnRefundAmount``)."""
        self._require(order, {OrderStatus.SHIPPING, OrderStatus.DELIVERED, OrderStatus.COMPLETED}, "return")
        status = str(details.get("status", RETURN_COMPLETED)).upper()
        if status not in RETURN_STATUSES:
            raise SandboxError("PARAMETER_ERROR", f"unknown return status {status!r}")
        existing = next(
            (ret for ret in order.get("returnInfos", []) if ret["returnId"] == details.get("returnId")), None
        )
        if existing is not None:
            self._decide_return(order, existing, status, moment)
            return
        by_id = {str(item["itemId"]): item for item in order.get("items", [])}
        already = self._units_in_returns(order)
        lines: list[Json] = []
        for asked in details.get("lines") or [{"itemId": i, "quantity": int(by_id[i]["quantity"])} for i in by_id]:
            item = by_id.get(str(asked["itemId"]))
            if item is None:
                raise SandboxError("PARAMETER_ERROR", f"order {order['orderId']} has no item {asked['itemId']}")
            quantity = int(asked["quantity"])
            if quantity <= 0 or already.get(item["itemId"], 0) + quantity > int(item["quantity"]):
                raise SandboxError("BUSINESS_ERROR", f"cannot return {quantity} of item {item['itemId']}")
            unit = to_decimal(item.get("actualPrice", 0))
            refund = to_decimal(asked.get("refundAmount", self._default_refund(order, unit * quantity)))
            lines.append(
                {
                    "itemId": item["itemId"],
                    # A bundle's component returned alone names the component (issue 16, case R4).
                    "masterSku": asked.get("masterSku") or item.get("masterSku"),
                    "quantity": quantity,
                    "refundAmount": refund,
                }
            )
            already[item["itemId"]] = already.get(item["itemId"], 0) + quantity
        requested = self._at(details["requestedAt"]) if details.get("requestedAt") else moment
        ret: Json = {
            "returnId": details.get("returnId") or f"RT{order['orderId']}-{len(order.get('returnInfos', [])) + 1}",
            "status": RETURN_REQUESTED,
            "returnType": str(details.get("returnType", RETURN_REFUND)).upper(),
            "reason": details.get("reason", "BUYER_RETURN"),
            "createAt": format_timestamp(requested),
            "warehouseId": details.get("warehouseId") or order.get("warehouseId"),
            "refundAmount": sum((ln["refundAmount"] for ln in lines), ZERO),
            "items": lines,
        }
        order.setdefault("returnInfos", []).append(ret)
        self._decide_return(order, ret, status, moment)

    def _shelve_returned(self, order: Json, ret: Json) -> None:
        """The units a completed return puts back on the shelf of its warehouse (issue 16): a line naming one
        component of a bundle line brings that component alone (its quantity in the component's units); an
        exchange (reason ``EXCHANGE``, refund 0) brings nothing net, its unit back and the replacement out."""
        if str(ret.get("reason") or "").upper() == "EXCHANGE" and ret["refundAmount"] == ZERO:
            return
        by_id = {str(item["itemId"]): item for item in order.get("items", [])}
        whole: dict[str, int] = {}
        for line in ret["items"]:
            item = by_id[str(line["itemId"])]
            parts = dict(self._components(item["masterSku"], item.get("bundleSkus")))
            named = line.get("masterSku")
            if named != item["masterSku"] and named in parts:
                # The shelf `_move_lines` would use: the line's warehouse, else the return's.
                warehouse = item.get("warehouseId") or ret["warehouseId"] or self.default_warehouse_id()
                self.stock_of(warehouse, named).warehouse_stock += int(line["quantity"])
            else:
                whole[line["itemId"]] = whole.get(line["itemId"], 0) + int(line["quantity"])
        if whole:
            self._move_lines({**order, "warehouseId": ret["warehouseId"]}, shelf=1, only=whole)

    @staticmethod
    def _default_refund(order: Json, value: Decimal) -> Decimal:
        """What the buyer gets back for items worth ``value`` when a return names no refund: their value less
        their share of the seller voucher, spread by value (half up) as marketplaces pro-rate a voucher on a
        refund (the buyer never paid the voucher's part)."""
        voucher = to_decimal((order.get("paymentInfo") or {}).get("voucherSeller", 0))
        total = sum(
            (to_decimal(item.get("actualPrice", 0)) * int(item["quantity"]) for item in order.get("items", [])), ZERO
        )
        share = (voucher * value / total).quantize(Decimal(1), rounding=ROUND_HALF_UP) if voucher and total else ZERO
        return round_rupiah(value - share)

    def _units_in_returns(self, order: Json) -> dict[str, int]:
        """Units per order item already named by a return that was not rejected or cancelled."""
        units: dict[str, int] = {}
        for previous in order.get("returnInfos", []):
            if previous.get("status") in RETURN_CLOSED_UNPAID:
                continue
            for line in previous.get("items", []):
                units[line["itemId"]] = units.get(line["itemId"], 0) + int(line["quantity"])
        return units

    def _decide_return(self, order: Json, ret: Json, status: str, moment: datetime) -> None:
        """Move a ``REQUESTED`` return to ``status``: completed with goods, they come back to the shelf of the
        return's warehouse (``receivedAt``); completed, it is refunded (``refundAt``); rejected or cancelled, its
        refund is 0. A return already decided cannot change."""
        if ret["status"] != RETURN_REQUESTED:
            raise SandboxError("BUSINESS_ERROR", f"return {ret['returnId']} is already {ret['status']}")
        ret["status"] = status
        if status in RETURN_CLOSED_UNPAID:
            ret["refundAmount"] = ZERO
            for line in ret["items"]:
                line["refundAmount"] = ZERO
            return
        if status != RETURN_COMPLETED:
            return
        stamp = format_timestamp(moment)
        if ret["returnType"] != RETURN_REFUND_ONLY:
            self._shelve_returned(order, ret)
            ret["receivedAt"] = stamp
        ret["refundAt"] = stamp
        payment = order.setdefault("paymentInfo", {})
        payment["sellerReturnRefundAmount"] = (
            to_decimal(payment.get("sellerReturnRefundAmount", 0)) + ret["refundAmount"]
        )
        back: dict[str, int] = {}
        for done in order.get("returnInfos", []):
            if (
                done.get("status", RETURN_COMPLETED) == RETURN_COMPLETED
                and done.get("returnType") != RETURN_REFUND_ONLY
            ):
                for line in done.get("items", []):
                    back[line["itemId"]] = back.get(line["itemId"], 0) + int(line["quantity"])
        if all(back.get(str(item["itemId"]), 0) >= int(item["quantity"]) for item in order.get("items", [])):
            order["orderStatus"] = OrderStatus.RETURNED.value

    # -- queries ---------------------------------------------------------------------------------------

    def list_orders(self, request: Json) -> Json:
        """``list-order``: one page of orders in a ≤15-day window, oldest first, cursor ``[epochMs, orderId]``;
        ``orderNumbers`` (≤100 marketplace order numbers) keeps only their orders."""
        with self.lock:
            if request.get("lastUpdateSince") is not None:
                key, since, to = 1, request.get("lastUpdateSince"), request.get("lastUpdateTo")
            elif request.get("createSince") is not None:
                key, since, to = 0, request.get("createSince"), request.get("createTo")
            else:
                raise SandboxError(
                    "PARAMETER_ERROR", "createSince/createTo or lastUpdateSince/lastUpdateTo is required"
                )
            start = parse_time(since)
            end = parse_time(to) if to is not None else start + MAX_WINDOW
            if end < start:
                raise SandboxError("PARAMETER_ERROR", "the end of the time range is before its start")
            if end - start > MAX_WINDOW:
                raise SandboxError("PARAMETER_ERROR", "time range cannot exceed 15 days")
            if start < self.now() - HISTORY_HORIZON and not request.get("historicalData"):
                raise SandboxError("PARAMETER_ERROR", "date range cannot exceed 3 months, use historicalData")
            size = int(request.get("size") or 10)
            if not 1 <= size <= MAX_PAGE_SIZE:
                raise SandboxError("PARAMETER_ERROR", f"size must be between 1 and {MAX_PAGE_SIZE}")
            shops = set(request.get("shopIdList") or ([request["shopId"]] if request.get("shopId") else []))
            numbers = set(request.get("orderNumbers") or [])
            if len(numbers) > MAX_IDS:
                raise SandboxError("PARAMETER_ERROR", f"orderNumbers cannot exceed {MAX_IDS}")
            channel, status = request.get("channel"), request.get("orderStatus")
            cursor = request.get("nextCursor")
            after = (int(cursor[0]), str(cursor[1])) if cursor else None
            rows: list[tuple[int, str]] = []
            for order_id, times in self._order_times.items():
                moment = times[key]
                if not start <= moment < end:
                    continue
                order = self.orders[order_id]
                if shops and order.get("shopId") not in shops:
                    continue
                if channel and order.get("channel") != channel:
                    continue
                if status and order.get("orderStatus") != status:
                    continue
                if numbers and order.get("externalOrderSn") not in numbers:
                    continue
                position = (int(moment.timestamp() * 1000), order_id)
                if after is None or position > after:
                    rows.append(position)
            rows.sort()
            page = rows[:size]
            content = [_list_row(self.orders[order_id]) for _, order_id in page]
            more = len(rows) > size
            return {"content": content, "more": more, "nextCursor": list(page[-1]) if more else None}

    def batch_get(self, order_ids: list[str]) -> list[Json]:
        """``batch-get``: the known orders among ≤100 ids, in the order asked."""
        if not order_ids:
            raise SandboxError("PARAMETER_ERROR", "orderIds must not be empty")
        if len(order_ids) > MAX_IDS:
            raise SandboxError("PARAMETER_ERROR", f"orderIds cannot exceed {MAX_IDS}")
        with self.lock:
            return [self.orders[i] for i in order_ids if i in self.orders]

    def inventory(self, warehouse_id: str) -> list[Json]:
        """Rows of the warehouse inventory list, one per SKU that ever had stock there."""
        with self.lock:
            if warehouse_id not in self.warehouses:
                raise SandboxError("DATA_NOT_EXISTED", f"warehouse {warehouse_id} not found")
            rows = []
            for (warehouse, sku), cell in sorted(self.stock.items()):
                if warehouse != warehouse_id:
                    continue
                variation = self._sku_variation.get(sku, {})
                rows.append(
                    {
                        "id": f"{warehouse}:{sku}",
                        "masterVariation": {
                            "masterSku": sku,
                            "masterVariationId": variation.get("variationId"),
                            "name": variation.get("name"),
                        },
                        "warehouseInventory": {
                            "warehouseStock": cell.warehouse_stock,
                            "availableStock": cell.available_stock,
                            "lockedStock": cell.locked_stock,
                            "averagePurchasePrice": self.average_cost.get(sku),
                            "currencyCode": "IDR",
                        },
                        "warehouse": {"id": warehouse, "name": self.warehouses[warehouse].get("name")},
                    }
                )
            return rows


_LIST_FIELDS: Final = (
    "orderId",
    "externalOrderId",
    "externalOrderSn",
    "shopId",
    "externalShopId",
    "channel",
    "orderStatus",
    "externalOrderStatus",
    "currency",
    "totalAmount",
    "isCod",
    "createAt",
    "payAt",
    "closeAt",
    "lastUpdateAt",
)


def _list_row(order: Json) -> Json:
    # List rows are lighter than batch-get detail: workers re-fetch the full order by id.
    row: Json = {name: order[name] for name in _LIST_FIELDS if name in order}
    row["totalQuantity"] = sum(int(item.get("quantity", 0)) for item in order.get("items", []))
    return row
