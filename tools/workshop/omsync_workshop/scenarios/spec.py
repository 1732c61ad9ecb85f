"""The scenario file's format, checked before a scenario is generated (``events/scenarios/README.md``).

Every field the generator reads is declared here with its type and default; a field the generator does
not know is refused (a misspelt ``openingStok`` would otherwise be silently ignored), and the SKUs and
store keys a file refers to must exist. `validate_scenario` returns nothing: the generator reads the
file's own parsed JSON, so a valid file expands exactly as before. A problem is a `ScenarioError`
whose message names the field, e.g. ``stores[0].mix.orders: Input should be a valid integer``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from omsync_workshop.scenarios.fees import FEE_KINDS

OutcomeName = Literal[
    "completed",
    "cancelled_unpaid",
    "cancelled_paid",
    "cancelled_ready",
    "cancelled_shipping",
    "returned_full",
    "returned_partial",
    "open_paid",
    "open_shipping",
    "open_delivered",
    "returned_after_settlement",
    "line_cancelled",
    "exchanged",
    "split_package",
    "component_returned",
    "return_rejected",
]


class ScenarioError(ValueError):
    """A scenario that cannot be loaded: unknown name, unreadable file, not JSON, or not the format."""


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, frozen=True)


class WarehouseSpec(_Part):
    id: str
    name: str = ""
    code: str = ""
    is_default: bool = False


class BundlePartSpec(_Part):
    master_sku: str
    quantity: int = Field(default=1, ge=1)


class ProductSpec(_Part):
    sku: str
    name: str
    category: str = "general"
    price: Decimal
    cost: Decimal | None = None
    """Purchase cost; a bundle's is the sum of its parts'."""
    opening_stock: int = Field(default=0, ge=0)
    bundle: list[BundlePartSpec] = []

    @model_validator(mode="after")
    def _cost_unless_bundle(self) -> ProductSpec:
        if self.cost is None and not self.bundle:
            raise ValueError("cost is required unless the product is a bundle")
        return self


class NewProductSpec(ProductSpec):
    at_hour: Decimal


class FeesSpec(_Part):
    commission: dict[str, Decimal] = {}
    """Rate per product category; ``default`` for the others."""
    service_fee_rate: Decimal = Decimal(0)
    service_fee_cap: Decimal | None = None
    payment_fee_rate: Decimal = Decimal(0)
    payment_fee_flat: Decimal = Decimal(0)
    order_processing_fee: Decimal = Decimal(0)
    affiliate_rate: Decimal = Decimal(0)


class ShippingSpec(_Part):
    fees: list[Decimal] = [Decimal(0)]
    platform_subsidy_share: Decimal = Decimal(0)
    platform_subsidy: Decimal = Decimal(0)
    seller_share: Decimal = Decimal(0)
    seller_amount: Decimal = Decimal(0)


class MixSpec(_Part):
    orders: int = Field(default=0, ge=0)
    skus: list[str] | None = None
    window_minutes: Decimal | None = None
    pay_within_minutes: Decimal = Decimal(30)
    max_lines: int = Field(default=2, ge=1)
    max_quantity: int = Field(default=2, ge=1)
    cod_share: Decimal = Decimal(0)
    affiliate_share: Decimal = Decimal(0)
    item_discount_share: Decimal = Decimal(0)
    item_discount_rate: Decimal = Decimal("0.10")
    seller_voucher_share: Decimal = Decimal(0)
    seller_voucher: Decimal = Decimal(0)
    platform_voucher_share: Decimal = Decimal(0)
    platform_voucher: Decimal = Decimal(0)
    coin_share: Decimal = Decimal(0)
    coin_max: Decimal = Decimal(2000)
    shipping: ShippingSpec = ShippingSpec()


class StoreSpec(_Part):
    key: str
    shop_id: str
    name: str
    channel: str
    external_shop_id: str = ""
    warehouse_id: str | None = None
    pkp: bool = True
    prices_include_ppn: bool = True
    fees: FeesSpec = FeesSpec()
    mix: MixSpec = MixSpec()
    settlement_adjust: dict[str, Decimal] | None = None
    """``share`` of the store's settled orders whose file charges each named fee kind this much more."""

    @model_validator(mode="after")
    def _known_fee_kinds(self) -> StoreSpec:
        unknown = sorted(set(self.settlement_adjust or {}) - {"share", *FEE_KINDS})
        if unknown:
            raise ValueError(f"settlementAdjust: unknown fee kinds {unknown}; known: {', '.join(FEE_KINDS)}")
        return self


class ProductChangeSpec(_Part):
    at_hour: Decimal
    sku: str
    price: Decimal | None = None
    name: str | None = None


class InboundItemSpec(_Part):
    master_sku: str
    quantity: int = Field(ge=0)
    received: int | None = Field(default=None, ge=0)
    price: Decimal


class InboundSpec(_Part):
    at_hour: Decimal
    complete_after_hours: Decimal = Decimal(4)
    cancel_after_hours: Decimal | None = Field(default=None, gt=0)
    """Hours after its completion when the seller cancels the inbound in Ginee (status INVALID)."""
    supplier: str = ""
    warehouse_id: str | None = None
    items: list[InboundItemSpec] = Field(min_length=1)


class AdjustmentSpec(_Part):
    at_hour: Decimal
    master_sku: str
    delta: int
    remark: str = ""
    warehouse_id: str | None = None


class WebhooksSpec(_Part):
    """How Ginee's webhooks reach omsync in this scenario (the demo's default delivery; 0: every one, once)."""

    drop_rate: Decimal = Field(default=Decimal(0), ge=0, lt=1)
    duplicate_rate: Decimal = Field(default=Decimal(0), ge=0, le=1)
    reorder_window: int = Field(default=0, ge=0)


class ScenarioSpec(_Part):
    """A whole scenario file."""

    name: str
    description: str = ""
    seed: int = 0
    start: AwareDatetime
    duration_hours: Decimal = Field(default=Decimal(24), gt=0)
    cover_all_paths: bool | Literal["eachStore"] = False
    settlement_files: list[str] = []
    """Store keys whose settlement export the demo writes and imports after the play."""
    webhooks: WebhooksSpec = WebhooksSpec()
    warehouses: list[WarehouseSpec] = Field(min_length=1)
    products: list[ProductSpec] = Field(min_length=1)
    stores: list[StoreSpec] = Field(min_length=1)
    outcomes: dict[OutcomeName, Decimal] = {"completed": Decimal(1)}
    new_products: list[NewProductSpec] = []
    product_changes: list[ProductChangeSpec] = []
    inbounds: list[InboundSpec] = []
    adjustments: list[AdjustmentSpec] = []

    @model_validator(mode="after")
    def _references_exist(self) -> ScenarioSpec:
        skus = {product.sku for product in self.products}
        named = [
            *(f"products: bundle part {p.master_sku}" for q in self.products for p in q.bundle),
            *(f"stores: mix.skus {sku}" for store in self.stores for sku in store.mix.skus or ()),
            *(f"productChanges: {change.sku}" for change in self.product_changes),
        ]
        # Goods can be bought and counted of a product created during the day, too.
        later = skus | {product.sku for product in self.new_products}
        moved = [
            *(f"inbounds: {item.master_sku}" for inbound in self.inbounds for item in inbound.items),
            *(f"adjustments: {adjustment.master_sku}" for adjustment in self.adjustments),
        ]
        unknown = [where for where in named if where.rsplit(" ", 1)[-1] not in skus]
        unknown += [where for where in moved if where.rsplit(" ", 1)[-1] not in later]
        if unknown:
            raise ValueError(f"SKU not among products: {unknown[0]}")
        keys = [store.key for store in self.stores]
        if len(set(keys)) != len(keys):
            raise ValueError(f"store keys must be unique: {', '.join(keys)}")
        strays = [key for key in self.settlement_files if key not in keys]
        if strays:
            raise ValueError(f"settlementFiles names no store {strays[0]!r}; stores: {', '.join(keys)}")
        return self


def validate_scenario(data: Any, source: str) -> None:
    """Check a parsed scenario file; raise `ScenarioError` naming ``source`` and the first bad field."""
    try:
        ScenarioSpec.model_validate(data)
    except ValidationError as error:
        problems = error.errors(include_url=False)
        first = problems[0]
        where = _location(first["loc"])
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        problem = f"{where}: {first['msg']}" if where else str(first["msg"])
        raise ScenarioError(f"{source} is not a valid scenario file: {problem}{more}") from None


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
