"""The facts a scenario generates: what happened, in the seller's and accountant's terms.

The oracle reads these (not the sandbox) to know what the books must say. Money is whole rupiah
``Decimal``; every timestamp is aware UTC. Price fields are as the marketplace shows them: PPN-inclusive
when the store's ``prices_include_ppn`` is set.

Per order line: ``original_price`` (unit list price) − ``seller_discount`` (unit, seller-funded) =
``actual_price``; ``actual_total`` = ``actual_price`` × ``quantity``. Per order: ``seller_net`` =
Σ ``actual_total`` − ``voucher_seller`` (what revenue is computed from); ``voucher_platform`` and
``coin`` are paid by the marketplace; the parcel's ``shipping_fee`` is split into
``shipping_subsidy`` (platform), ``seller_shipping`` (seller: the shipping-difference fee) and
``buyer_shipping`` (buyer, passed through to the courier). ``fees`` are the final fees per kind
(`fees.FEE_KINDS`) after any return; ``settled_fees`` what the settlement file finally charges when
it differs from them; ``released_amount`` = kept seller net − Σ fees as the file charges them. A
``late_return`` comes after the order was completed and settled: Ginee's fees and the settled line stay
as they were, the refund leaves in a later payout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from omsync.money import ZERO
from omsync_workshop.scenarios.fees import FeeRules


@dataclass(frozen=True)
class StoreFacts:
    """A Ginee shop on one marketplace, with the tax setting and fee schedule the scenario uses."""

    key: str
    shop_id: str
    name: str
    channel: str
    external_shop_id: str
    warehouse_id: str
    pkp: bool
    prices_include_ppn: bool
    fee_rules: FeeRules


@dataclass(frozen=True)
class ProductFacts:
    """A master SKU: price, purchase cost, category, opening stock; bundles list their components."""

    product_id: str
    sku: str
    name: str
    category: str
    price: Decimal
    cost: Decimal
    bundle: tuple[tuple[str, int], ...] = ()
    opening_stock: int = 0

    @property
    def is_bundle(self) -> bool:
        return bool(self.bundle)


@dataclass(frozen=True)
class LineFacts:
    """One order line and how much of it came back."""

    item_id: str
    sku: str
    category: str
    quantity: int
    original_price: Decimal
    seller_discount: Decimal
    returned_quantity: int = 0
    refund_amount: Decimal = ZERO
    bundle: tuple[tuple[str, int], ...] = ()
    cancelled_quantity: int = 0
    """Units gone from Ginee's order after it was paid and invoiced (a line cancelled): never delivered."""
    exchanged_quantity: int = 0
    """Units the buyer sent back for a replacement (reason EXCHANGE, refund 0): the sale stands."""
    returned_component: str | None = None
    """A bundle line's component that came back alone (its master SKU), ``component_returned_quantity`` of its
    units, refunded ``refund_amount``; the bundles themselves stay kept."""
    component_returned_quantity: int = 0

    @property
    def actual_price(self) -> Decimal:
        return self.original_price - self.seller_discount

    @property
    def actual_total(self) -> Decimal:
        return self.actual_price * self.quantity

    @property
    def kept_quantity(self) -> int:
        return self.quantity - self.returned_quantity - self.cancelled_quantity

    @property
    def kept_value(self) -> Decimal:
        """What the buyer keeps of the line at its actual price: the kept units, less a component refunded."""
        component_refund = self.refund_amount if self.component_returned_quantity else ZERO
        return self.actual_price * self.kept_quantity - component_refund


@dataclass(frozen=True)
class LateReturn:
    """Units of one line returned after the order was completed and settled.

    ``refund`` is what the buyer gets back (the line's actual price × ``quantity``, which is the Sales
    Return's receivable for a line without bundle or seller voucher); ``fees_back`` the fees the
    marketplace gives back on it (fee kind → amount, positive). The refund leaves the seller's balance as
    a negative row of payout ``refund_payout_id`` on ``refund_paid_at``.
    """

    returned_at: datetime
    item_id: str
    quantity: int
    refund: Decimal
    fees_back: dict[str, Decimal]
    refund_payout_id: str
    refund_paid_at: datetime


@dataclass(frozen=True)
class OrderFacts:
    """One order from creation to its final state.

    ``outcome`` is one of `generator.OUTCOMES`; ``final_status`` the Ginee status it ends in.
    ``cancel_stage`` is the status it was cancelled from (None if not cancelled).
    """

    order_id: str
    external_order_sn: str
    store_key: str
    shop_id: str
    channel: str
    warehouse_id: str
    outcome: str
    final_status: str
    created_at: datetime
    lines: tuple[LineFacts, ...]
    is_cod: bool
    payment_method: str
    affiliate: bool
    voucher_seller: Decimal
    voucher_platform: Decimal
    coin: Decimal
    shipping_fee: Decimal
    shipping_subsidy: Decimal
    seller_shipping: Decimal
    fees: dict[str, Decimal]
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_stage: str | None = None
    returned_at: datetime | None = None
    settled_at: datetime | None = None
    released_amount: Decimal | None = None
    payout_id: str | None = None
    settled_fees: dict[str, Decimal] | None = None
    """The fees the settlement file charges when they differ from ``fees`` (Ginee keeps showing ``fees``)."""
    late_return: LateReturn | None = None
    first_package: str | None = None
    """The Ginee order id of the first package when this order is a second package of the same marketplace
    order (outcome ``split_package``: both share ``external_order_sn``; this one is paid after the first)."""

    @property
    def file_fees(self) -> dict[str, Decimal]:
        """The fees as the marketplace's settlement file charges them."""
        return self.fees if self.settled_fees is None else self.settled_fees

    @property
    def gmv(self) -> Decimal:
        """Items at list price (before any discount), the marketplace's GMV."""
        return sum((line.original_price * line.quantity for line in self.lines), ZERO)

    @property
    def seller_discounts(self) -> Decimal:
        """Seller-funded item discounts (not the order-level seller voucher)."""
        return sum((line.seller_discount * line.quantity for line in self.lines), ZERO)

    @property
    def seller_net(self) -> Decimal:
        """Item value after seller-funded discounts and voucher: the base of revenue (PPN-inclusive if so priced)."""
        return sum((line.actual_total for line in self.lines), ZERO) - self.voucher_seller

    @property
    def returned_voucher_share(self) -> Decimal:
        """The seller voucher's share of the lines returned before settlement: refunded to the buyer with them.

        The voucher is spread over the items by value (half up, once per order), as marketplaces pro-rate a
        voucher when part of an order is refunded.
        """
        total = sum((line.actual_total for line in self.lines), ZERO)
        returned = sum((line.actual_price * line.returned_quantity for line in self.lines), ZERO)
        if not self.voucher_seller or not returned or not total:
            return ZERO
        return (self.voucher_seller * returned / total).quantize(Decimal(1), rounding=ROUND_HALF_UP)

    @property
    def settled_amount(self) -> Decimal:
        """What the marketplace settles for the items the buyer kept: their value less the voucher they carry."""
        kept = sum((line.kept_value for line in self.lines), ZERO)
        return kept - self.voucher_seller + self.returned_voucher_share

    @property
    def buyer_shipping(self) -> Decimal:
        """Shipping the buyer paid (passes through the marketplace to the courier)."""
        return self.shipping_fee - self.shipping_subsidy - self.seller_shipping

    @property
    def refund_amount(self) -> Decimal:
        return sum((line.refund_amount for line in self.lines), ZERO)

    @property
    def buyer_payment(self) -> Decimal:
        """What the buyer paid: seller net less platform vouchers and coins, plus buyer shipping."""
        return self.seller_net - self.voucher_platform - self.coin + self.buyer_shipping

    @property
    def total_fees(self) -> Decimal:
        return sum(self.fees.values(), ZERO)


@dataclass(frozen=True)
class TimelineEvent:
    """One change in time order. ``entity``: order, product, inbound or stock; ``action`` what the
    sandbox does (order: create, pay, ready_to_ship, ship, deliver, complete, cancel, return, settle)."""

    seq: int
    at: datetime
    entity: str
    action: str
    target: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InboundFacts:
    """A purchase inbound: what was planned and what was received, at which unit price; ``cancelled_at``
    when the seller cancelled it after it was received (Ginee status INVALID: the goods leave the shelf)."""

    inbound_id: str
    warehouse_id: str
    supplier: str
    created_at: datetime
    completed_at: datetime
    lines: tuple[tuple[str, int, int, Decimal], ...]  # (sku, planned, received, unit price)
    cancelled_at: datetime | None = None


@dataclass(frozen=True)
class AdjustmentFacts:
    """A stock adjustment outside orders and purchases (+ in, − out): Ginee records it as the ``ADJUSTMENT``
    inbound (in) or outbound (out) ``movement_id``."""

    at: datetime
    warehouse_id: str
    sku: str
    delta: int
    remark: str
    movement_id: str = ""


@dataclass(frozen=True)
class WebhookFaults:
    """The share of webhooks never delivered (``drop_rate``) and sent twice (``duplicate_rate``), and how many
    consecutive ones are shuffled (``reorder_window``)."""

    drop_rate: float = 0.0
    duplicate_rate: float = 0.0
    reorder_window: int = 0


@dataclass(frozen=True)
class Scenario:
    """A generated scenario: its stores, catalogue, orders and every change in time order."""

    name: str
    seed: int
    description: str
    start: datetime
    warehouses: tuple[dict[str, Any], ...]
    stores: tuple[StoreFacts, ...]
    products: tuple[ProductFacts, ...]
    orders: tuple[OrderFacts, ...]
    inbounds: tuple[InboundFacts, ...]
    adjustments: tuple[AdjustmentFacts, ...]
    product_changes: tuple[TimelineEvent, ...]
    events: tuple[TimelineEvent, ...]
    settlement_files: tuple[str, ...] = ()
    """Store keys whose settlement export the local world imports after the play (``settlementFiles``)."""
    webhooks: WebhookFaults = field(default_factory=WebhookFaults)
    """How Ginee's webhooks reach omsync (``webhooks``): the demo delivers them so unless told otherwise."""

    def store(self, key_or_shop_id: str) -> StoreFacts:
        """A store by its scenario key or Ginee shop id."""
        for store in self.stores:
            if key_or_shop_id in (store.key, store.shop_id):
                return store
        raise KeyError(key_or_shop_id)

    def product(self, sku: str) -> ProductFacts:
        """A product by master SKU."""
        for product in self.products:
            if product.sku == sku:
                return product
        raise KeyError(sku)
