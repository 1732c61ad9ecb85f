"""Expands a scenario file and a seed into concrete facts: orders with full timelines, product changes,
purchase inbounds and stock adjustments. Same file + same seed → the same scenario, byte for byte.

A scenario file (JSON, in ``events/scenarios/``) names warehouses, products (price, cost, category,
opening stock, bundles), stores (channel, tax setting, fee schedule, order mix), the weights of each
order outcome, and dated product changes, inbounds and adjustments (hours after ``start``). The format
is documented with a minimal example in ``events/scenarios/README.md`` and checked, field by field, by
`omsync_workshop.scenarios.spec` before anything is generated.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Final, get_args

from omsync.ginee.models import OrderStatus, format_timestamp
from omsync.money import ZERO, round_rupiah, to_decimal
from omsync_workshop.scenarios.facts import (
    AdjustmentFacts,
    InboundFacts,
    LateReturn,
    LineFacts,
    OrderFacts,
    ProductFacts,
    Scenario,
    StoreFacts,
    TimelineEvent,
    WebhookFaults,
)
from omsync_workshop.scenarios.fees import FEE_FIELDS, FEE_KINDS, FeeBase, FeeRules, order_fees
from omsync_workshop.scenarios.spec import OutcomeName, ScenarioError, validate_scenario

# Every path an order can take; a file weighs them, ``coverAllPaths`` makes the first orders take each once.
OUTCOMES: Final[tuple[str, ...]] = get_args(OutcomeName)
RETURNED_AFTER_SETTLEMENT: Final = "returned_after_settlement"
"""Completed, settled, then one unit of a voucher-free, non-bundle line comes back (a late return)."""
LINE_CANCELLED: Final = "line_cancelled"
"""Paid and invoiced, then Ginee's order loses its last line (a line cancelled); the rest completes and settles."""
EXCHANGED: Final = "exchanged"
"""Delivered, then one unit of the first line comes back for a replacement (reason EXCHANGE, refund 0); completes."""
SPLIT_PACKAGE: Final = "split_package"
"""Two Ginee orders (packages) of one marketplace order number, the second paid after the first; both complete."""
COMPONENT_RETURNED: Final = "component_returned"
"""Delivered, then one unit of one component of its first line, a bundle, comes back alone; completes."""
RETURN_REJECTED: Final = "return_rejected"
"""Delivered, then the buyer asks to return one unit of the first line and the seller rejects it; completes
(issue 17: a rejected return posts nothing, so the books are the completed order's)."""
OPT_IN_OUTCOMES: Final = frozenset(
    {RETURNED_AFTER_SETTLEMENT, LINE_CANCELLED, EXCHANGED, SPLIT_PACKAGE, COMPONENT_RETURNED, RETURN_REJECTED}
)
"""Paths an order takes only where the scenario file weighs them, so older files expand exactly as before."""
SETTLED_OUTCOMES: Final = frozenset(
    {
        "completed",
        "returned_partial",
        RETURNED_AFTER_SETTLEMENT,
        LINE_CANCELLED,
        EXCHANGED,
        SPLIT_PACKAGE,
        COMPONENT_RETURNED,
        RETURN_REJECTED,
    }
)
FINAL_STATUS: Final = {
    "completed": OrderStatus.COMPLETED,
    "cancelled_unpaid": OrderStatus.CANCELLED,
    "cancelled_paid": OrderStatus.CANCELLED,
    "cancelled_ready": OrderStatus.CANCELLED,
    "cancelled_shipping": OrderStatus.CANCELLED,
    "returned_full": OrderStatus.RETURNED,
    "returned_partial": OrderStatus.COMPLETED,
    "open_paid": OrderStatus.PAID,
    "open_shipping": OrderStatus.SHIPPING,
    "open_delivered": OrderStatus.DELIVERED,
    RETURNED_AFTER_SETTLEMENT: OrderStatus.COMPLETED,  # a partial return keeps the status
    LINE_CANCELLED: OrderStatus.COMPLETED,
    EXCHANGED: OrderStatus.COMPLETED,
    SPLIT_PACKAGE: OrderStatus.COMPLETED,
    COMPONENT_RETURNED: OrderStatus.COMPLETED,
    RETURN_REJECTED: OrderStatus.COMPLETED,
}
SCENARIOS_ENV: Final = "OMSYNC_SCENARIOS_DIR"


def scenarios_dir() -> Path:
    """Where scenario files live: ``$OMSYNC_SCENARIOS_DIR``, else ``events/scenarios`` of the repository."""
    if os.environ.get(SCENARIOS_ENV):
        return Path(os.environ[SCENARIOS_ENV])
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "events" / "scenarios"
        if candidate.is_dir():
            return candidate
    return Path.cwd() / "events" / "scenarios"


def scenario_names() -> list[str]:
    """The scenarios shipped in the scenarios directory."""
    return sorted(path.stem for path in scenarios_dir().glob("*.json"))


def scenario_path(name_or_path: str | Path) -> Path:
    """The file of a scenario: a path as given (anything with a folder or ending in ``.json``), or the
    file of that name in the scenarios directory. Raises `ScenarioError` for an unknown name."""
    text = str(name_or_path)
    path = Path(name_or_path)
    if isinstance(name_or_path, Path) or path.suffix == ".json" or "/" in text or os.sep in text or path.is_file():
        return path
    named = scenarios_dir() / f"{text}.json"
    if not named.is_file():
        raise ScenarioError(
            f"no scenario {text!r}; known: {', '.join(scenario_names())} (or give a scenario file's path)"
        )
    return named


def load_scenario(name_or_path: str | Path, seed: int | None = None) -> Scenario:
    """Generate a scenario from its name (``demo``) or a file path; ``seed`` defaults to the file's own.

    Raises `ScenarioError` (one line naming the file and the problem) when the name is unknown or the
    file is unreadable, not JSON, or not the format of `omsync_workshop.scenarios.spec`.
    """
    path = scenario_path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path} is not UTF-8 text: save the scenario as UTF-8 JSON") from None
    try:
        spec = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise ScenarioError(f"{path} is not JSON: line {error.lineno}, column {error.colno}: {error.msg}") from None
    validate_scenario(spec, source=str(path))
    return generate(spec, seed=spec.get("seed", 0) if seed is None else seed)


def _id(rng: random.Random, prefix: str) -> str:
    return f"{prefix}{rng.getrandbits(96):024X}"


def _seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


class _Builder:
    """Accumulates facts and timeline entries while the generator walks the file."""

    def __init__(self, spec: Mapping[str, Any], seed: int) -> None:
        self.spec = spec
        self.seed = seed
        self.rng = random.Random(seed)
        self.start = datetime.fromisoformat(str(spec["start"]))
        self.entries: list[tuple[datetime, int, str, str, str, dict[str, Any]]] = []

    def at(self, hours: object) -> datetime:
        return self.start + timedelta(hours=float(str(hours)))

    def add(self, at: datetime, entity: str, action: str, target: str, data: dict[str, Any] | None = None) -> None:
        self.entries.append((_seconds(at), len(self.entries), entity, action, target, data or {}))

    def timeline(self) -> tuple[TimelineEvent, ...]:
        ordered = sorted(self.entries, key=lambda entry: (entry[0], entry[1]))
        return tuple(
            TimelineEvent(n, at, entity, action, target, data)
            for n, (at, _, entity, action, target, data) in enumerate(ordered)
        )


def generate(spec: Mapping[str, Any], seed: int) -> Scenario:
    """Expand a parsed scenario file with a seed into a `Scenario`."""
    build = _Builder(spec, seed)
    warehouses = tuple(dict(w) for w in spec["warehouses"])
    default_warehouse = next((w["id"] for w in warehouses if w.get("isDefault")), warehouses[0]["id"])
    products = _products(build, spec["products"], default_warehouse)
    by_sku = {p.sku: p for p in products}
    stores = tuple(_store(entry, default_warehouse) for entry in spec["stores"])
    orders = _orders(build, spec, stores, by_sku)
    product_changes = _product_changes(build, spec, by_sku)
    inbounds = _inbounds(build, spec, default_warehouse)
    adjustments = _adjustments(build, spec, default_warehouse)
    return Scenario(
        name=str(spec["name"]),
        seed=seed,
        description=str(spec.get("description", "")),
        start=build.start,
        warehouses=warehouses,
        stores=stores,
        products=products,
        orders=orders,
        inbounds=inbounds,
        adjustments=adjustments,
        product_changes=product_changes,
        events=build.timeline(),
        settlement_files=tuple(str(key) for key in spec.get("settlementFiles", [])),
        webhooks=_webhooks(spec.get("webhooks") or {}),
    )


def _webhooks(entry: dict[str, Any]) -> WebhookFaults:
    return WebhookFaults(
        drop_rate=float(entry.get("dropRate", 0)),
        duplicate_rate=float(entry.get("duplicateRate", 0)),
        reorder_window=int(entry.get("reorderWindow", 0)),
    )


def product_json(product: ProductFacts) -> dict[str, Any]:
    """A product fact as the Ginee master product the sandbox serves."""
    return {
        "productId": product.product_id,
        "name": product.name,
        "spu": product.sku,
        "categoryId": product.category,
        "masterVariationType": "BUNDLE" if product.is_bundle else "NORMAL",
        "variations": [
            {
                "sku": product.sku,
                "name": product.name,
                "sellingPrice": product.price,
                "purchasePrice": None if product.is_bundle else product.cost,
                "bundleSkus": [{"masterSku": sku, "quantity": qty} for sku, qty in product.bundle],
            }
        ],
    }


def _products(build: _Builder, entries: Sequence[Mapping[str, Any]], warehouse: str) -> tuple[ProductFacts, ...]:
    costs: dict[str, Decimal] = {}
    products: list[ProductFacts] = []
    for entry in entries:
        bundle = tuple((str(part["masterSku"]), int(part.get("quantity", 1))) for part in entry.get("bundle", []))
        cost = sum((costs[sku] * qty for sku, qty in bundle), ZERO) if bundle else to_decimal(entry["cost"])
        costs[entry["sku"]] = cost
        products.append(
            ProductFacts(
                product_id=_id(build.rng, "MP"),
                sku=str(entry["sku"]),
                name=str(entry["name"]),
                category=str(entry.get("category", "general")),
                price=to_decimal(entry["price"]),
                cost=cost,
                bundle=bundle,
                opening_stock=0 if bundle else int(entry.get("openingStock", 0)),
            )
        )
    return tuple(products)


def _store(entry: Mapping[str, Any], warehouse: str) -> StoreFacts:
    return StoreFacts(
        key=str(entry["key"]),
        shop_id=str(entry["shopId"]),
        name=str(entry["name"]),
        channel=str(entry["channel"]),
        external_shop_id=str(entry.get("externalShopId", "")),
        warehouse_id=str(entry.get("warehouseId", warehouse)),
        pkp=bool(entry.get("pkp", True)),
        prices_include_ppn=bool(entry.get("pricesIncludePpn", True)),
        fee_rules=FeeRules.from_json(entry.get("fees", {})),
    )


def _outcome(rng: random.Random, weights: Mapping[str, Any]) -> str:
    names = [name for name in OUTCOMES if name in weights]
    return rng.choices(names, weights=[float(str(weights[name])) for name in names])[0]


def _chance(rng: random.Random, mix: Mapping[str, Any], key: str) -> bool:
    return rng.random() < float(str(mix.get(key, 0)))


def _external_sn(rng: random.Random, channel: str, moment: datetime) -> str:
    if channel.startswith("SHOPEE"):
        return f"{moment:%y%m%d}{rng.getrandbits(40):010X}"[:14]
    if channel.startswith(("TOKOPEDIA", "TIKTOK")):
        return f"INV/{moment:%Y%m%d}/MPL/{rng.randrange(10**9, 10**10)}"
    return str(rng.randrange(10**14, 10**15))


def _orders(
    build: _Builder, spec: Mapping[str, Any], stores: Sequence[StoreFacts], by_sku: Mapping[str, ProductFacts]
) -> tuple[OrderFacts, ...]:
    rng = build.rng
    weights = spec.get("outcomes", {"completed": 1})
    # ``coverAllPaths``: true → the first orders of the scenario take every path once; "eachStore" → the
    # first orders of every store do.
    each_store = spec.get("coverAllPaths") == "eachStore"
    cover = each_store or spec.get("coverAllPaths") is True
    orders: list[OrderFacts] = []
    # A late return is forced only where the file weighs it, so older files expand exactly as before.
    late = RETURNED_AFTER_SETTLEMENT in weights
    paths = [name for name in OUTCOMES if name not in OPT_IN_OUTCOMES or name in weights]
    forced = list(paths) if cover else []
    for position, (store_spec, store) in enumerate(zip(spec["stores"], stores, strict=True)):
        if each_store and position > 0:
            forced = list(paths)
        elif cover and late and RETURNED_AFTER_SETTLEMENT not in forced:
            forced.insert(0, RETURNED_AFTER_SETTLEMENT)  # every store returns one order after its settlement
        adjust = _SettlementAdjust.from_json(store_spec.get("settlementAdjust"), build.seed, store.key)
        mix = store_spec.get("mix", {})
        skus = [sku for sku in mix.get("skus", list(by_sku)) if sku in by_sku]
        window = timedelta(minutes=float(str(mix.get("windowMinutes", spec.get("durationHours", 24) * 60))))
        for _ in range(int(mix.get("orders", 0))):
            outcome = forced.pop(0) if forced else _outcome(rng, weights)
            created = _seconds(build.start + window * rng.random())
            order = _order(build, store, mix, skus, by_sku, outcome, created, adjust)
            orders.append(order)
            if order.outcome == SPLIT_PACKAGE and order.paid_at is not None:
                # The marketplace order's second package: its own Ginee order, same number, paid after the first.
                second = _order(
                    build,
                    store,
                    mix,
                    skus,
                    by_sku,
                    SPLIT_PACKAGE,
                    order.paid_at + timedelta(minutes=1),
                    adjust,
                    package_of=order,
                )
                orders.append(second)
    return tuple(orders)


def _order(
    build: _Builder,
    store: StoreFacts,
    mix: Mapping[str, Any],
    skus: Sequence[str],
    by_sku: Mapping[str, ProductFacts],
    outcome: str,
    created: datetime,
    adjust: _SettlementAdjust | None = None,
    package_of: OrderFacts | None = None,
) -> OrderFacts:
    rng = build.rng
    order_id = _id(rng, "SO")
    line_count = 1 + rng.randrange(int(mix.get("maxLines", 2)))
    if outcome == LINE_CANCELLED:
        line_count = max(line_count, 2)  # one line leaves, one stays
    lines: list[LineFacts] = []
    picked = rng.sample(list(skus), min(line_count, len(skus)))
    if outcome == COMPONENT_RETURNED:
        bundles = [sku for sku in skus if by_sku[sku].bundle]
        if bundles:
            bundle = rng.choice(bundles)
            picked = [bundle, *(sku for sku in picked if sku != bundle)][:line_count]
        else:
            outcome = "completed"  # no bundle to take a component of
    for index, sku in enumerate(picked, start=1):
        product = by_sku[sku]
        quantity = 1 + rng.randrange(int(mix.get("maxQuantity", 2)))
        if outcome in ("returned_partial", EXCHANGED, COMPONENT_RETURNED) and index == 1:
            quantity = max(quantity, 2)  # a partial return (or exchange) needs something left to keep
        discount = ZERO
        if _chance(rng, mix, "itemDiscountShare"):
            discount = round_rupiah(product.price * to_decimal(mix.get("itemDiscountRate", "0.10")))
        lines.append(
            LineFacts(
                item_id=f"{order_id}-{index}",
                sku=sku,
                category=product.category,
                quantity=quantity,
                original_price=product.price,
                seller_discount=discount,
                bundle=product.bundle,
            )
        )
    if outcome == RETURNED_AFTER_SETTLEMENT:
        lines, outcome = _late_return_lines(lines)
    if outcome == LINE_CANCELLED:
        lines, outcome = _line_cancelled_lines(lines)
    items_total = sum((line.actual_total for line in lines), ZERO)
    voucher_seller = to_decimal(mix.get("sellerVoucher", 0)) if _chance(rng, mix, "sellerVoucherShare") else ZERO
    voucher_seller = min(voucher_seller, items_total // 2)
    if outcome in (RETURNED_AFTER_SETTLEMENT, LINE_CANCELLED, COMPONENT_RETURNED):
        voucher_seller = ZERO  # so the refund is the line's price, exactly what the Sales Return credits
    voucher_platform = to_decimal(mix.get("platformVoucher", 0)) if _chance(rng, mix, "platformVoucherShare") else ZERO
    voucher_platform = min(voucher_platform, (items_total - voucher_seller) // 2)
    coin = ZERO
    if _chance(rng, mix, "coinShare"):
        coin = Decimal(rng.randrange(1, int(mix.get("coinMax", 2000)) // 100 + 1) * 100)
    shipping = mix.get("shipping", {})
    shipping_fee = to_decimal(rng.choice(list(shipping.get("fees", [0]))))
    subsidy = ZERO
    if _chance(rng, shipping, "platformSubsidyShare"):
        subsidy = min(shipping_fee, to_decimal(shipping.get("platformSubsidy", 0)))
    seller_shipping = ZERO
    if _chance(rng, shipping, "sellerShare"):
        seller_shipping = min(shipping_fee - subsidy, to_decimal(shipping.get("sellerAmount", 0)))
    is_cod = _chance(rng, mix, "codShare")
    affiliate = _chance(rng, mix, "affiliateShare")
    payment_method = "COD" if is_cod else rng.choice(["VIRTUAL_ACCOUNT", "E_WALLET", "CREDIT_CARD", "PAYLATER"])

    def fees_for(kept: Sequence[LineFacts]) -> dict[str, Decimal]:
        amounts = [(line.category, line.kept_value) for line in kept]
        net = sum((amount for _, amount in amounts), ZERO)
        base = FeeBase(
            amounts, min(voucher_seller, net), shipping_fee - subsidy - seller_shipping, seller_shipping, affiliate
        )
        return order_fees(store.fee_rules, base)

    estimated = fees_for(lines)
    external_sn = _external_sn(rng, store.channel, created)
    facts = OrderFacts(
        order_id=order_id,
        external_order_sn=package_of.external_order_sn if package_of is not None else external_sn,
        store_key=store.key,
        shop_id=store.shop_id,
        channel=store.channel,
        warehouse_id=store.warehouse_id,
        outcome=outcome,
        final_status=FINAL_STATUS[outcome].value,
        created_at=created,
        lines=tuple(lines),
        is_cod=is_cod,
        payment_method=payment_method,
        affiliate=affiliate,
        voucher_seller=voucher_seller,
        voucher_platform=voucher_platform,
        coin=coin,
        shipping_fee=shipping_fee,
        shipping_subsidy=subsidy,
        seller_shipping=seller_shipping,
        fees=estimated,
        first_package=package_of.order_id if package_of is not None else None,
    )
    return _timeline(build, store, mix, facts, by_sku, fees_for, adjust)


def _late_return_lines(lines: list[LineFacts]) -> tuple[list[LineFacts], str]:
    """The lines of an order to be returned after settlement, and its outcome.

    The first non-bundle line is the one a unit comes back from; an order of one unit gets a second so it
    stays partly kept (status COMPLETED). An order of bundles only cannot take this path: it completes.
    """
    position = next((i for i, line in enumerate(lines) if not line.bundle), None)
    if position is None:
        return lines, "completed"
    if sum(line.quantity for line in lines) == 1:
        lines = [replace(lines[position], quantity=2)]
    return lines, RETURNED_AFTER_SETTLEMENT


def _line_cancelled_lines(lines: list[LineFacts]) -> tuple[list[LineFacts], str]:
    """The lines of an order that loses one after its invoice, and its outcome.

    The line that leaves is the last plain (non-bundle) one whose SKU no other line carries (as itself or a
    bundle's component), so what leaves is unambiguous per SKU; without one the order simply completes.
    """
    for position in range(len(lines) - 1, -1, -1):
        line = lines[position]
        others = [other for i, other in enumerate(lines) if i != position]
        carried = {other.sku for other in others} | {sku for other in others for sku, _ in other.bundle}
        if not line.bundle and line.sku not in carried and others:
            moved = [*others, line]  # the leaving line last, so the kept ones keep their places
            return moved, LINE_CANCELLED
    return lines, "completed"


@dataclass(frozen=True)
class _SettlementAdjust:
    """``settlementAdjust`` of a store: for ``share`` of its settled orders the settlement file charges
    other fees than Ginee estimated (fee kind → rupiah added, never below zero). Drawn from its own seeded
    stream so the rest of the scenario does not move."""

    share: float
    deltas: Mapping[str, Decimal]
    rng: random.Random

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None, seed: int, store_key: str) -> _SettlementAdjust | None:
        if not data:
            return None
        deltas = {str(kind): to_decimal(value) for kind, value in data.items() if kind != "share"}
        unknown = set(deltas) - set(FEE_KINDS)
        if unknown:
            raise ValueError(f"settlementAdjust of store {store_key}: unknown fee kinds {sorted(unknown)}")
        return cls(float(str(data.get("share", 1))), deltas, random.Random(f"{seed}/{store_key}/settlementAdjust"))

    def settled_fees(self, fees: Mapping[str, Decimal]) -> dict[str, Decimal] | None:
        """The fees the file charges for the next settled order, or None when they are Ginee's."""
        if self.rng.random() >= self.share:
            return None
        return {kind: max(ZERO, amount + self.deltas.get(kind, ZERO)) for kind, amount in fees.items()}


def _payment_info(facts: OrderFacts, fees: Mapping[str, Decimal]) -> dict[str, Any]:
    info: dict[str, Any] = {
        "currency": "IDR",
        "subTotal": facts.gmv,
        "totalShippingFee": facts.shipping_fee,
        "shippingFeePaidBySystem": facts.shipping_subsidy,
        "finalShippingFee": facts.buyer_shipping,
        "totalDiscountShipping": facts.shipping_subsidy + facts.seller_shipping,
        "totalDiscountProduct": facts.seller_discounts,
        "sellerRebate": facts.seller_discounts,
        "voucherSeller": facts.voucher_seller,
        "voucherPlatform": facts.voucher_platform,
        "coin": facts.coin,
        "totalDiscounts": facts.seller_discounts + facts.voucher_seller + facts.voucher_platform + facts.coin,
        "buyerPaymentAmount": facts.buyer_payment,
        "codTotalAmount": facts.buyer_payment if facts.is_cod else ZERO,
        "sellerReturnRefundAmount": ZERO,
    }
    for kind in FEE_KINDS:
        info[FEE_FIELDS[kind]] = fees[kind]
    return info


def order_json(facts: OrderFacts, store: StoreFacts, by_sku: Mapping[str, ProductFacts]) -> dict[str, Any]:
    """The order as Ginee reports it when it arrives (PENDING_PAYMENT, estimated fees)."""
    order: dict[str, Any] = {
        "orderId": facts.order_id,
        "externalOrderId": facts.external_order_sn.replace("/", ""),
        "externalOrderSn": facts.external_order_sn,
        "shopId": store.shop_id,
        "externalShopId": store.external_shop_id,
        "channel": store.channel,
        "orderStatus": OrderStatus.PENDING_PAYMENT.value,
        "externalOrderStatus": "UNPAID",
        "orderType": "NORMAL",
        "country": "ID",
        "currency": "IDR",
        "totalAmount": facts.buyer_payment,
        "isCod": facts.is_cod,
        "paymentMethod": facts.payment_method,
        "warehouseId": facts.warehouse_id,
        "createAt": format_timestamp(facts.created_at),
        "customerInfo": {"name": f"Pembeli {facts.order_id[-6:]}"},
        "paymentInfo": _payment_info(facts, facts.fees),
        "items": [
            {
                "itemId": line.item_id,
                "sku": line.sku,
                "masterSku": line.sku,
                "masterSkuType": "BUNDLE" if line.bundle else "NORMAL",
                "productName": by_sku[line.sku].name,
                "quantity": line.quantity,
                "originalPrice": line.original_price,
                "originalTotalPrice": line.original_price * line.quantity,
                "discountedPrice": line.actual_price,
                "actualPrice": line.actual_price,
                "actualTotalPrice": line.actual_total,
                "isGift": False,
                "bundleSkus": [{"masterSku": sku, "quantity": qty} for sku, qty in line.bundle],
            }
            for line in facts.lines
        ],
    }
    if store.channel.startswith("TOKOPEDIA"):
        order["purchasedOn"] = "TIKTOK" if int(facts.order_id[-1], 16) % 2 else "TOKOPEDIA"
    return order


def _timeline(
    build: _Builder,
    store: StoreFacts,
    mix: Mapping[str, Any],
    facts: OrderFacts,
    by_sku: Mapping[str, ProductFacts],
    fees_for: Any,
    adjust: _SettlementAdjust | None = None,
) -> OrderFacts:
    rng = build.rng
    oid, outcome = facts.order_id, facts.outcome
    pay_minutes = float(str(mix.get("payWithinMinutes", 30)))
    build.add(facts.created_at, "order", "create", oid, {"order": order_json(facts, store, by_sku)})
    zero_fees = {FEE_FIELDS[kind]: ZERO for kind in FEE_KINDS}
    # Collected and applied once: dataclasses.replace is the hot spot of a 20,000-order scenario.
    changes: dict[str, Any] = {}

    def done() -> OrderFacts:
        return replace(facts, **changes)

    def cancel(at: datetime, stage: str) -> OrderFacts:
        reason = "OUT_OF_STOCK" if stage == "READY_TO_SHIP" else "CUSTOMER_PROBLEM"
        if stage == "SHIPPING":
            reason = "LOGISTICS_PROBLEM"
        build.add(at, "order", "cancel", oid, {"reason": reason, "paymentInfo": zero_fees})
        fees = dict.fromkeys(FEE_KINDS, ZERO)
        return replace(facts, **changes, cancelled_at=_seconds(at), cancel_stage=stage, fees=fees)

    if outcome == "cancelled_unpaid":
        return cancel(facts.created_at + timedelta(minutes=30 + 90 * rng.random()), "PENDING_PAYMENT")
    paid = _seconds(facts.created_at + timedelta(minutes=0.5 + pay_minutes * rng.random()))
    build.add(paid, "order", "pay", oid)
    changes["paid_at"] = paid
    if outcome == "cancelled_paid":
        return cancel(paid + timedelta(hours=0.2 + 3 * rng.random()), "PAID")
    if outcome == "open_paid":
        return done()
    if outcome == LINE_CANCELLED:
        *kept_lines, leaving = facts.lines
        gone = replace(leaving, cancelled_quantity=leaving.quantity)
        changes["lines"] = (*kept_lines, gone)
        changes["fees"] = fees_for(changes["lines"])
        now = replace(facts, **changes)
        kept_json = [item for item in order_json(now, store, by_sku)["items"] if item["itemId"] != leaving.item_id]
        patch = {FEE_FIELDS[kind]: changes["fees"][kind] for kind in FEE_KINDS}
        patch["subTotal"] = sum((line.original_price * line.quantity for line in kept_lines), ZERO)
        build.add(
            paid + timedelta(minutes=6),
            "order",
            "status",
            oid,
            {"orderStatus": OrderStatus.PAID.value, "extra": {"items": kept_json}, "paymentInfo": patch},
        )
    ready = paid + timedelta(hours=0.5 + 6 * rng.random())
    build.add(ready, "order", "ready_to_ship", oid)
    if outcome == "cancelled_ready":
        return cancel(ready + timedelta(hours=0.5 + 3 * rng.random()), "READY_TO_SHIP")
    shipped = _seconds(ready + timedelta(hours=1 + 23 * rng.random()))
    build.add(
        shipped,
        "order",
        "ship",
        oid,
        {
            "logistics": {
                "logisticsProviderName": rng.choice(["J&T Express", "SiCepat", "AnterAja", "SPX Express"]),
                "logisticsTrackingNumber": f"JP{rng.randrange(10**11, 10**12)}",
            }
        },
    )
    changes["shipped_at"] = shipped
    if outcome == "cancelled_shipping":
        return cancel(shipped + timedelta(hours=12 + 36 * rng.random()), "SHIPPING")
    if outcome == "open_shipping":
        return done()
    delivered = _seconds(shipped + timedelta(days=1 + 2 * rng.random()))
    build.add(delivered, "order", "deliver", oid)
    changes["delivered_at"] = delivered
    if outcome == "open_delivered":
        return done()
    if outcome == EXCHANGED:
        first, *rest = facts.lines
        exchanged = _seconds(delivered + timedelta(days=0.5 + rng.random()))
        build.add(
            exchanged,
            "order",
            "return",
            oid,
            {
                "lines": [{"itemId": first.item_id, "quantity": 1, "refundAmount": ZERO}],
                "reason": "EXCHANGE",
                "returnId": f"RX{oid[2:]}",
            },
        )
        changes["lines"] = (replace(first, exchanged_quantity=1), *rest)
        delivered = exchanged
    if outcome == RETURN_REJECTED:
        asked = _seconds(delivered + timedelta(days=0.5 + rng.random()))
        return_id = f"RJ{oid[2:]}"
        request = {"itemId": facts.lines[0].item_id, "quantity": 1}
        build.add(asked, "order", "return", oid, {"lines": [request], "returnId": return_id, "status": "REQUESTED"})
        delivered = _seconds(asked + timedelta(days=0.5 + rng.random()))
        build.add(delivered, "order", "return", oid, {"returnId": return_id, "status": "REJECTED"})
    if outcome == COMPONENT_RETURNED:
        first, *rest = facts.lines
        component = first.bundle[0][0]
        # The buyer gets back the component's share of one bundle, by its list price (as the invoice splits it).
        weights = [by_sku[sku].price * per_bundle for sku, per_bundle in first.bundle]
        refund = round_rupiah(first.actual_price * weights[0] / sum(weights, ZERO) / first.bundle[0][1])
        apart = replace(first, returned_component=component, component_returned_quantity=1, refund_amount=refund)
        changes["lines"] = (apart, *rest)
        changes["fees"] = fees_for(changes["lines"])
        returned = _seconds(delivered + timedelta(days=0.5 + rng.random()))
        patch = {FEE_FIELDS[kind]: changes["fees"][kind] for kind in FEE_KINDS}
        build.add(
            returned,
            "order",
            "return",
            oid,
            {
                "lines": [{"itemId": first.item_id, "masterSku": component, "quantity": 1, "refundAmount": refund}],
                "reason": "BUYER_RETURN",
                "returnId": f"RC{oid[2:]}",
                "paymentInfo": {**patch, "sellerReturnRefundAmount": refund},
            },
        )
        changes["returned_at"] = returned
        delivered = returned
    if outcome in ("returned_full", "returned_partial"):
        returned = _seconds(delivered + timedelta(days=0.5 + rng.random()))
        if outcome == "returned_full":
            # The buyer gets back what they paid: each line's value less its share of the seller voucher.
            shares = _voucher_shares(facts)
            kept = [
                replace(line, returned_quantity=line.quantity, refund_amount=line.actual_total - share)
                for line, share in zip(facts.lines, shares, strict=True)
            ]
        else:
            first, *rest = facts.lines
            back = max(1, first.quantity // 2)
            kept = [replace(first, returned_quantity=back), *rest]
            # The buyer gets back what they paid for the units: their price less their share of the voucher.
            share = replace(facts, lines=tuple(kept)).returned_voucher_share
            kept[0] = replace(kept[0], refund_amount=first.actual_price * back - share)
        returned_lines = [line for line in kept if line.returned_quantity]
        fees = dict.fromkeys(FEE_KINDS, ZERO) if outcome == "returned_full" else fees_for(kept)
        refund = sum((line.refund_amount for line in returned_lines), ZERO)
        patch = {FEE_FIELDS[kind]: fees[kind] for kind in FEE_KINDS}
        build.add(
            returned,
            "order",
            "return",
            oid,
            {
                "lines": [
                    {"itemId": line.item_id, "quantity": line.returned_quantity, "refundAmount": line.refund_amount}
                    for line in returned_lines
                ],
                "reason": "BUYER_RETURN",
                "returnId": f"RT{oid[2:]}",
                "paymentInfo": {**patch, "sellerReturnRefundAmount": refund},
            },
        )
        changes.update(lines=tuple(kept), returned_at=returned, fees=fees)
        if outcome == "returned_full":
            return done()
        delivered = returned
    completed = _seconds(delivered + timedelta(days=1 + rng.random()))
    build.add(completed, "order", "complete", oid)
    settled = _seconds(completed + timedelta(days=0.5 + 1.5 * rng.random()))
    final = done()
    settled_fees = adjust.settled_fees(final.fees) if adjust is not None else None
    charged = final.fees if settled_fees is None else settled_fees
    released = final.settled_amount - sum(charged.values(), ZERO)
    payout = f"PO-{store.key}-{settled:%Y%m%d}"
    build.add(settled, "order", "settle", oid, {"releasedAmount": released, "payoutId": payout})
    late_return = _late_return(build, store, final, settled) if outcome == RETURNED_AFTER_SETTLEMENT else None
    return replace(
        final,
        completed_at=completed,
        settled_at=settled,
        released_amount=released,
        payout_id=payout,
        settled_fees=settled_fees,
        late_return=late_return,
    )


def _late_return(build: _Builder, store: StoreFacts, facts: OrderFacts, settled: datetime) -> LateReturn:
    """One unit of the order's first non-bundle line comes back 1–2 days after settlement; its refund (less
    the commission given back) leaves in the payout of the next day. Ginee's fees stay as estimated."""
    line = next(line for line in facts.lines if not line.bundle)
    returned = _seconds(settled + timedelta(days=1 + build.rng.random()))
    refund = line.actual_price
    commission = round_rupiah(refund * store.fee_rules.commission_rate(line.category))
    paid = returned + timedelta(days=1)
    build.add(
        returned,
        "order",
        "return",
        facts.order_id,
        {
            "lines": [{"itemId": line.item_id, "quantity": 1, "refundAmount": refund}],
            "reason": "BUYER_RETURN",
            "returnId": f"RL{facts.order_id[2:]}",
            "paymentInfo": {"sellerReturnRefundAmount": refund},
        },
    )
    return LateReturn(
        returned_at=returned,
        item_id=line.item_id,
        quantity=1,
        refund=refund,
        fees_back={"commission": commission} if commission else {},
        refund_payout_id=f"PO-{store.key}-{paid:%Y%m%d}",
        refund_paid_at=paid,
    )


def _product_changes(
    build: _Builder, spec: Mapping[str, Any], by_sku: Mapping[str, ProductFacts]
) -> tuple[TimelineEvent, ...]:
    changes: list[TimelineEvent] = []
    for entry in spec.get("newProducts", []):
        product = _products(build, [entry], "")[0]
        data = product_json(product)
        build.add(build.at(entry["atHour"]), "product", "create", product.product_id, data)
        changes.append(
            TimelineEvent(len(changes), build.at(entry["atHour"]), "product", "create", product.product_id, data)
        )
    for entry in spec.get("productChanges", []):
        product = by_sku[entry["sku"]]
        changed = replace(
            product, price=to_decimal(entry.get("price", product.price)), name=str(entry.get("name", product.name))
        )
        data = product_json(changed)
        build.add(build.at(entry["atHour"]), "product", "update", product.product_id, data)
        changes.append(
            TimelineEvent(len(changes), build.at(entry["atHour"]), "product", "update", product.product_id, data)
        )
    return tuple(changes)


def _inbounds(build: _Builder, spec: Mapping[str, Any], warehouse: str) -> tuple[InboundFacts, ...]:
    inbounds: list[InboundFacts] = []
    for entry in spec.get("inbounds", []):
        inbound_id = _id(build.rng, "IB")
        created = _seconds(build.at(entry["atHour"]))
        completed = _seconds(created + timedelta(hours=float(str(entry.get("completeAfterHours", 4)))))
        target = str(entry.get("warehouseId", warehouse))
        lines = tuple(
            (str(i["masterSku"]), int(i["quantity"]), int(i.get("received", i["quantity"])), to_decimal(i["price"]))
            for i in entry["items"]
        )
        build.add(
            created,
            "inbound",
            "create",
            inbound_id,
            {
                "inboundOrderId": inbound_id,
                "warehouseId": target,
                "supplierName": entry.get("supplier", ""),
                "purchaseOrderId": f"PO{inbound_id[2:12]}",
                "items": [
                    {"masterSku": sku, "planQuantity": plan, "planPrice": price} for sku, plan, _, price in lines
                ],
            },
        )
        received = {sku: {"realQuantity": got, "realPrice": price} for sku, _, got, price in lines}
        build.add(completed, "inbound", "complete", inbound_id, {"received": received})
        cancelled = None
        if entry.get("cancelAfterHours") is not None:
            cancelled = _seconds(completed + timedelta(hours=float(str(entry["cancelAfterHours"]))))
            build.add(cancelled, "inbound", "cancel", inbound_id)
        supplier = str(entry.get("supplier", ""))
        inbounds.append(InboundFacts(inbound_id, target, supplier, created, completed, lines, cancelled))
    return tuple(inbounds)


def _adjustments(build: _Builder, spec: Mapping[str, Any], warehouse: str) -> tuple[AdjustmentFacts, ...]:
    adjustments: list[AdjustmentFacts] = []
    for entry in spec.get("adjustments", []):
        delta = int(entry["delta"])
        fact = AdjustmentFacts(
            at=_seconds(build.at(entry["atHour"])),
            warehouse_id=str(entry.get("warehouseId", warehouse)),
            sku=str(entry["masterSku"]),
            delta=delta,
            remark=str(entry.get("remark", "")),
            # Ginee records stock added as an ADJUSTMENT inbound, stock taken out as an outbound.
            movement_id=_id(build.rng, "IB" if delta >= 0 else "OB"),
        )
        build.add(
            fact.at,
            "stock",
            "adjust",
            fact.sku,
            {
                "warehouseId": fact.warehouse_id,
                "delta": fact.delta,
                "remark": fact.remark,
                "movementId": fact.movement_id,
            },
        )
        adjustments.append(fact)
    return tuple(adjustments)


def _voucher_shares(facts: OrderFacts) -> list[Decimal]:
    """The seller voucher spread over the order's lines by value (half up, the last line the remainder), as
    marketplaces pro-rate it when an order is refunded in full."""
    total = sum((line.actual_total for line in facts.lines), ZERO)
    if not facts.voucher_seller or not total:
        return [ZERO] * len(facts.lines)
    shares = [
        (facts.voucher_seller * line.actual_total / total).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        for line in facts.lines[:-1]
    ]
    return [*shares, facts.voucher_seller - sum(shares, ZERO)]
