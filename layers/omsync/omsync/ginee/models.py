"""What Ginee's Open API answers, as pydantic models that keep what Ginee adds and tolerate what it omits.

Conventions every model here follows:

- Python attributes are snake_case; each has Ginee's camelCase name as its alias (``order_id`` ↔
  ``orderId``). Both spellings are accepted on input (``populate_by_name``); ``to_ginee()`` dumps the
  camelCase JSON Ginee itself sends.
- Unknown fields are kept (``extra="allow"``): they are reachable with ``model.model_extra`` and survive
  a round trip. A status Ginee invents tomorrow is kept as its string; ``known_status`` tells whether
  omsync knows what it means.
- Money is ``Decimal`` (never float); timestamps are timezone-aware UTC (a naive timestamp is read as
  UTC, since Ginee documents every timestamp as UTC).
- Absent fee and discount amounts in ``paymentInfo`` read as zero: Ginee omits what a channel does not
  report, and "not reported" books the same as "none".
- Text fields accept a JSON number as its text (``coerce_numbers_to_str``): Ginee and its channels send
  phone numbers, postal codes and ids as numbers now and then, and refusing a real order for that would
  cost the seller a sale in the books. What still does not validate is an `UnreadableRecord` of its own
  order (`OrderBatch`), never an error of the whole answer.

Where Ginee's documentation is silent (the ``paymentInfo`` table, returns, settlement) the names chosen
are listed in docs/ARCHITECTURE.md §5.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationError
from pydantic.alias_generators import to_camel

from omsync.money import ZERO, to_decimal


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _decimal(value: object) -> object:
    # Let None and already-parsed values through; everything numeric goes through to_decimal (no float).
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        return to_decimal(value)
    return value


def format_timestamp(value: datetime) -> str:
    """Ginee's timestamp format: UTC ISO-8601 with a ``Z`` suffix."""
    text = _as_utc(value).isoformat()
    return text.replace("+00:00", "Z")


UtcDateTime = Annotated[datetime, AfterValidator(_as_utc), PlainSerializer(format_timestamp, when_used="json")]
Money = Annotated[Decimal, BeforeValidator(_decimal)]


class GineeModel(BaseModel):
    """Base of every Ginee model: camelCase aliases, unknown fields kept, both spellings accepted."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        frozen=False,
        coerce_numbers_to_str=True,
        # Validators are built when a model is first used: a function uses a few of Ginee's documents (issue 21).
        defer_build=True,
    )

    def to_ginee(self) -> dict[str, Any]:
        """The model as Ginee's JSON (camelCase keys, extras included, money as strings)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class OrderStatus(StrEnum):
    """Order statuses omsync understands: Ginee's dictionary plus ``COMPLETED``, which integrators see."""

    PENDING_PAYMENT = "PENDING_PAYMENT"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    READY_TO_SHIP = "READY_TO_SHIP"
    SHIPPING = "SHIPPING"
    DELIVERED = "DELIVERED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    RETURNED = "RETURNED"


class Channel(StrEnum):
    """Channel codes from Ginee's dictionary. The ``_ID`` suffix is part of the code, not the country."""

    SHOPEE = "SHOPEE_ID"
    LAZADA = "LAZADA_ID"
    TOKOPEDIA = "TOKOPEDIA_ID"
    TIKTOK = "TIKTOK_ID"
    BUKALAPAK = "BUKALAPAK_ID"
    BLIBLI = "BLIBLI_ID"
    TIKI = "TIKI_ID"
    SHOPIFY = "SHOPIFY_ID"
    WOO_COMMERCE = "WOO_COMMERCE_ID"
    ZALORA = "ZALORA_ID"
    AKULAKU = "AKULAKU_ID"
    GENIE_MASTER = "GENIE_MASTER"
    MANUAL = "MANUAL_ID"


def known_status(status: str | None) -> OrderStatus | None:
    """The status as an `OrderStatus`, or None when Ginee sent one omsync does not know (or none)."""
    if status is None:
        return None
    try:
        return OrderStatus(status)
    except ValueError:
        return None


def _bundle_list(value: object) -> object:
    # Integrators report bundleSkus as a JSON string on some channels and as a list on others.
    if isinstance(value, str):
        return json.loads(value) if value.strip() else []
    return value


class BundleComponent(GineeModel):
    """One component of a bundle master SKU: which SKU and how many per bundle unit."""

    master_sku: str
    quantity: int = 1


class OrderItem(GineeModel):
    """One order line. ``actual_price`` is the unit price after seller-funded item discounts."""

    item_id: str | None = None
    sku: str | None = None
    master_sku: str | None = None
    master_sku_type: str | None = None
    product_name: str | None = None
    variation_name: str | None = None
    quantity: int = 0
    original_price: Money | None = None
    original_total_price: Money | None = None
    discounted_price: Money | None = None
    actual_price: Money | None = None
    actual_total_price: Money | None = None
    is_gift: bool = False
    bundle_skus: Annotated[list[BundleComponent], BeforeValidator(_bundle_list)] = Field(default_factory=list)
    warehouse_id: str | None = None

    @property
    def is_bundle(self) -> bool:
        """True when the line sells a bundle whose stock lives in its components."""
        return bool(self.bundle_skus) or self.master_sku_type == "BUNDLE"


class PaymentInfo(GineeModel):
    """Money of an order before settlement. Ginee's table for it was not found; see ARCHITECTURE §5.

    Shipping: ``total_shipping_fee`` is the courier's fee for the parcel; the platform pays
    ``shipping_fee_paid_by_system`` of it, the seller ``seller_shipping_fee`` (the shipping difference,
    a fee), and the buyer ``final_shipping_fee``. Seller-funded item discounts are already inside the
    items' ``actual_price`` and total ``seller_rebate``; ``voucher_seller`` is an order-level seller voucher
    not spread over the lines. ``voucher_platform``, ``discount_platform`` and ``coin`` are funded by the
    marketplace. ``credit_card_transaction_fee`` is the payment fee; ``order_processing_fee`` (Rp1,250)
    and ``affiliate_commission_fee`` are names omsync chose where Ginee's are unknown.
    """

    currency: str | None = None
    sub_total: Money = ZERO
    total_shipping_fee: Money = ZERO
    shipping_fee_paid_by_system: Money = ZERO
    seller_shipping_fee: Money = ZERO
    final_shipping_fee: Money = ZERO
    insurance_fee: Money = ZERO
    total_discounts: Money = ZERO
    total_discount_product: Money = ZERO
    total_discount_shipping: Money = ZERO
    voucher_seller: Money = ZERO
    voucher_platform: Money = ZERO
    seller_rebate: Money = ZERO
    discount_platform: Money = ZERO
    coin: Money = ZERO
    coin_cash_back: Money = ZERO
    cashback: Money = ZERO
    commission_fee: Money = ZERO
    service_fee: Money = ZERO
    credit_card_transaction_fee: Money = ZERO
    credit_card_service_fee: Money = ZERO
    credit_card_promotion: Money = ZERO
    order_processing_fee: Money = ZERO
    affiliate_commission_fee: Money = ZERO
    taxation_fee: Money = ZERO
    total_taxation: Money = ZERO
    buyer_payment_amount: Money = ZERO
    cod_total_amount: Money = ZERO
    seller_return_refund_amount: Money = ZERO
    seller_total_amount: Money | None = None


class LogisticsInfo(GineeModel):
    """One parcel's courier and tracking number."""

    logistics_tracking_number: str | None = None
    logistics_provider_name: str | None = None
    delivery_type: str | None = None
    shipped_at: UtcDateTime | None = None
    delivered_at: UtcDateTime | None = None


class CancelInfo(GineeModel):
    """Why and when an order was cancelled (reason codes from Ginee's dictionary)."""

    cancel_reason: str | None = None
    cancel_remark: str | None = None
    cancel_by: str | None = None
    cancel_at: UtcDateTime | None = None


class ReturnLine(GineeModel):
    """One returned order line: which item, how many units, how much was refunded for them."""

    item_id: str | None = None
    master_sku: str | None = None
    quantity: int = 0
    refund_amount: Money = ZERO


class ReturnInfo(GineeModel):
    """A return (after-sales) of some or all lines. Ginee documents no return API; see ARCHITECTURE §5.

    ``status`` is ``REQUESTED``, ``REJECTED``, ``CANCELLED`` or ``COMPLETED``; ``return_type`` is
    ``RETURN_REFUND`` (goods back, then the refund) or ``REFUND_ONLY`` (the buyer keeps the goods);
    ``create_at`` is when the buyer asked, ``received_at`` when the goods came back into the warehouse,
    ``refund_at`` when the refund was made (the sandbox's shape, ARCHITECTURE §5).
    """

    return_id: str
    status: str | None = None
    return_type: str | None = None
    reason: str | None = None
    create_at: UtcDateTime | None = None
    received_at: UtcDateTime | None = None
    refund_at: UtcDateTime | None = None
    warehouse_id: str | None = None
    refund_amount: Money = ZERO
    items: list[ReturnLine] = Field(default_factory=list)


class SettlementInfo(GineeModel):
    """The marketplace's release of the order's money (sandbox extension; Ginee shows it only in its UI)."""

    status: str | None = None
    released_at: UtcDateTime | None = None
    released_amount: Money | None = None
    payout_id: str | None = None


class CustomerInfo(GineeModel):
    """The buyer as Ginee reports them."""

    customer_id: str | None = None
    external_customer_id: str | None = None
    name: str | None = None
    mobile: str | None = None
    email: str | None = None


class Order(GineeModel):
    """A Ginee order (``batch-get`` and ``list-order`` rows share it; list rows carry fewer fields)."""

    order_id: str
    external_order_id: str | None = None
    external_order_sn: str | None = None
    shop_id: str | None = None
    external_shop_id: str | None = None
    channel: str | None = None
    order_status: str | None = None
    external_order_status: str | None = None
    order_type: str | None = None
    country: str | None = None
    currency: str | None = None
    total_amount: Money | None = None
    total_quantity: int | None = None
    is_cod: bool = False
    payment_method: str | None = None
    warehouse_id: str | None = None
    create_at: UtcDateTime | None = None
    pay_at: UtcDateTime | None = None
    close_at: UtcDateTime | None = None
    last_update_at: UtcDateTime | None = None
    customer_info: CustomerInfo | None = None
    payment_info: PaymentInfo = Field(default_factory=PaymentInfo)
    items: list[OrderItem] = Field(default_factory=list)
    logistics_infos: list[LogisticsInfo] = Field(default_factory=list)
    cancel_info: CancelInfo | None = None
    return_infos: list[ReturnInfo] = Field(default_factory=list)
    settlement_info: SettlementInfo | None = None

    @property
    def known_status(self) -> OrderStatus | None:
        """The order status if omsync knows it, else None (the raw string stays in ``order_status``)."""
        return known_status(self.order_status)

    def returned_quantity(self, item_id: str) -> int:
        """Units of one line returned so far, over every return of the order."""
        return sum(line.quantity for ret in self.return_infos for line in ret.items if line.item_id == item_id)


def invalid_fields(error: ValidationError) -> tuple[str, ...]:
    """Where and why a record failed validation, as ``path.to.field (error_type)`` (Ginee's spelling of the
    path), each once. Never the value: pydantic's own text (``str(error)``) quotes the input, which can be
    the buyer's name, phone or address, so it must not reach a log line, an error text or a hold reason."""
    return tuple(
        dict.fromkeys(
            f"{'.'.join(str(part) for part in detail['loc']) or '(record)'} ({detail['type']})"
            for detail in error.errors(include_url=False, include_context=False, include_input=False)
        )
    )


@dataclass(frozen=True)
class UnreadableRecord:
    """An order Ginee answered with a record that does not validate: its id and `invalid_fields`."""

    order_id: str
    fields: tuple[str, ...]


class OrderBatch(list[Order]):
    """``batch-get``'s answer: the orders that were read, in Ginee's order, and by order id those whose
    record could not be read (``unreadable``), each the outcome of its own order only."""

    def __init__(self, orders: Iterable[Order] = (), unreadable: Iterable[UnreadableRecord] = ()) -> None:
        super().__init__(orders)
        self.unreadable: dict[str, UnreadableRecord] = {record.order_id: record for record in unreadable}


class OrderPage(GineeModel):
    """One page of ``list-order``: rows, whether more follow, and the cursor to send back."""

    content: list[Order] = Field(default_factory=list)
    more: bool = False
    next_cursor: Any = None


class Shop(GineeModel):
    """A store connected to Ginee (``shopId`` prefix ``SH``)."""

    shop_id: str
    channel: str | None = None
    name: str | None = None
    authorization_status: str | None = None
    external_shop_id: str | None = None
    create_time: UtcDateTime | None = None
    update_time: UtcDateTime | None = None


class MasterVariation(GineeModel):
    """One master SKU of a master product: price, cost and, for bundles, its components."""

    variation_id: str | None = None
    sku: str
    name: str | None = None
    selling_price: Money | None = None
    average_cost_price: Money | None = None
    purchase_price: Money | None = None
    stock: int | None = None
    bundle_skus: Annotated[list[BundleComponent], BeforeValidator(_bundle_list)] = Field(default_factory=list)
    option_values: list[Any] = Field(default_factory=list)
    bar_code: str | None = None
    """The variation's barcode (``barCode``, the spelling of the master-product list's filter)."""


class MasterProduct(GineeModel):
    """A master product (``productId`` prefix ``MP``) with its variations (one master SKU each)."""

    product_id: str
    name: str | None = None
    spu: str | None = None
    master_variation_type: str | None = None
    sale_status: str | None = None
    category_id: str | None = None
    variations: list[MasterVariation] = Field(default_factory=list)
    variation_briefs: list[MasterVariation] = Field(default_factory=list)
    cost_info: dict[str, Any] | None = None
    create_at: UtcDateTime | None = None
    update_at: UtcDateTime | None = None

    @property
    def is_bundle(self) -> bool:
        """True for a bundle product (its stock lives in the component SKUs)."""
        return self.master_variation_type == "BUNDLE"


class Warehouse(GineeModel):
    """A Ginee warehouse (``id`` prefix ``WW``)."""

    id: str
    name: str | None = None
    code: str | None = None
    status: str | None = None
    is_default: bool = False
    warehouse_type: str | None = None


class InventoryVariation(GineeModel):
    """The master SKU an inventory row counts."""

    master_sku: str
    master_variation_id: str | None = None
    name: str | None = None


class WarehouseInventory(GineeModel):
    """Stock figures of one SKU in one warehouse."""

    warehouse_stock: int = 0
    available_stock: int = 0
    locked_stock: int = 0
    spare_stock: int = 0
    promotion_stock: int = 0
    transport_stock: int = 0
    safety_stock: int = 0
    average_purchase_price: Money | None = None
    currency_code: str | None = None


class InventoryRow(GineeModel):
    """One row of the warehouse inventory list."""

    id: str | None = None
    master_variation: InventoryVariation
    warehouse_inventory: WarehouseInventory = Field(default_factory=WarehouseInventory)
    warehouse: Warehouse | None = None


class InboundItem(GineeModel):
    """One purchased SKU of an inbound: planned and received quantity and unit price."""

    master_sku: str
    plan_quantity: int | None = None
    real_quantity: int = 0
    plan_price: Money | None = None
    real_price: Money | None = None


class InboundOrder(GineeModel):
    """A purchase inbound (status CREATE, PENDING, PART_COMPLETE, PART_INVALID, COMPLETE, INVALID)."""

    inbound_order_id: str
    inbound_type: str | None = None
    """``PURCHASE``, or ``ADJUSTMENT`` for stock added outside purchases (the sandbox's spelling)."""
    warehouse_id: str | None = None
    purchase_order_id: str | None = None
    supplier_name: str | None = None
    status: str | None = None
    plan_amount: Money | None = None
    real_amount: Money | None = None
    create_at: UtcDateTime | None = None
    complete_at: UtcDateTime | None = None
    items: list[InboundItem] = Field(default_factory=list)


class SellOutboundItem(GineeModel):
    """A SKU that left the warehouse for an order; ``real_price`` is the purchase unit cost."""

    master_sku: str
    out_quantity: int = 0
    real_price: Money | None = None


class SellOutbound(GineeModel):
    """The sell-outbound order of an order: what left which warehouse, at which cost."""

    outbound_order_id: str | None = None
    order_id: str
    warehouse_id: str | None = None
    status: str | None = None
    create_at: UtcDateTime | None = None
    items: list[SellOutboundItem] = Field(default_factory=list)
