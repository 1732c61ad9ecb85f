"""Stock that agrees: Ginee's stock beside Accurate's per mapped warehouse and SKU, and the Item Adjustments
that make Accurate's equal Ginee's (`omsync stock compare --post`, and once per warehouse `omsync stock init`).

Ginee is the stock master (reference ginee-api §4). The quantity compared is Ginee's ``availableStock``
(shelf stock less what paid-but-unshipped orders lock): Accurate's stock leaves with the Sales Invoice at
payment, Ginee's shelf stock only at shipping, so availability is what both should show. Costs read are
Ginee's ``averagePurchasePrice``; the value of a difference is quantity × that price.

Orders Ginee holds out of its available stock that omsync does not invoice yet are added back to Ginee's
side (`awaiting_invoice`): a store whose trigger comes after payment — a cash-on-delivery order invoiced once
delivered (``cod_trigger_status``, POSTING.md §6), or ``trigger_status`` past PAID — leaves those units in
Accurate until the invoice, while Ginee locked them when the order came and took them off the shelf at
shipping. They are read from Ginee's orders updated in the last `AWAITING_INVOICE_DAYS` days, by status.

Accurate's side of a Ginee warehouse is its mapped warehouse plus the return warehouse of the stores that
sell from it (`return_warehouses`): Ginee puts a returned unit back on the shelf it left, while the mapping
books it into the return warehouse (docs/POSTING.md §8), so both hold that Ginee warehouse's goods.

Cost in Accurate: ``item/list-stock.do`` once per 100 SKUs of a warehouse; Ginee's inventory list once per
50; Items missing in Accurate are created in bulk (100 a request) and each warehouse's adjustment carries up
to 100 lines per Item Adjustment, so a catalogue of N SKUs costs about 3 × N / 100 Accurate requests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from omsync.accurate.client import BULK_LIMIT
from omsync.accurate.documents import Item, ItemAdjustment, ItemAdjustmentType
from omsync.config.mapping import ConnectionMapping
from omsync.errors import OnHold, PermanentError
from omsync.ginee.models import OrderStatus
from omsync.posting.lifecycle import is_cancelled, rank, reached_trigger
from omsync.posting.numbers import fit_number
from omsync.posting.purchases import StockChange, plan_adjustment
from omsync.sync.context import ConnectionContext
from omsync.sync.documents import post_exactly_once

Progress = Callable[[int, int], None]
"""Called with (SKUs done, SKUs in all) as a comparison goes."""

AWAITING_INVOICE_DAYS = 30
"""How far back (days of last update) `awaiting_invoice` reads Ginee's orders: longer than a parcel stays
on its way; an order untouched for longer and still not invoiced shows as a difference."""


@dataclass(frozen=True)
class StockLine:
    """One SKU in one warehouse: Ginee's available stock beside Accurate's quantity on hand."""

    ginee_warehouse: str
    warehouse: str
    sku: str
    name: str
    ginee: Decimal
    accurate: Decimal
    unit_cost: Decimal | None
    in_accurate: bool
    awaiting_invoice: Decimal = Decimal(0)
    """Units of orders Ginee holds out of ``ginee`` that omsync invoices later (`awaiting_invoice`)."""

    @property
    def difference(self) -> Decimal:
        """Ginee (with the units awaiting their invoice) minus Accurate (positive: Accurate has too little)."""
        return self.ginee + self.awaiting_invoice - self.accurate

    @property
    def value(self) -> Decimal | None:
        """The difference valued at Ginee's average purchase price (rupiah), None without a price."""
        return None if self.unit_cost is None else self.difference * self.unit_cost


def mapped_warehouses(
    mapping: ConnectionMapping, *, store: str | None = None, warehouse: str | None = None
) -> dict[str, str]:
    """Ginee warehouse id → Accurate warehouse name: the stores' and ``purchases.warehouses``, narrowed to one
    store (``store``, a Ginee shopId) or one warehouse (``warehouse``, a Ginee id or an Accurate name).

    Raises `PermanentError` naming the store or warehouse when the mapping does not know it.
    """
    found: dict[str, str] = {}
    for shop_id, store_mapping in mapping.stores.items():
        if store is None or store == shop_id:
            found.update({k: v for k, v in store_mapping.warehouses.items() if k not in found})
    if store is None:
        found.update({k: v for k, v in mapping.purchases.warehouses.items() if k not in found})
    elif store not in mapping.stores:
        raise PermanentError(f"store {store} is not in the mapping")
    if warehouse is not None:
        found = {k: v for k, v in found.items() if warehouse in (k, v)}
        if not found:
            raise PermanentError(f"warehouse {warehouse} is not a mapped Ginee warehouse id or Accurate warehouse")
    return found


def return_warehouses(mapping: ConnectionMapping) -> dict[str, tuple[str, ...]]:
    """Ginee warehouse id → the Accurate return warehouses (``return_warehouse``) of the stores that sell from
    it, other than a warehouse the mapping sends sales from. A return warehouse of stores of several Ginee
    warehouses cannot be split between them and is left out (a comparison then shows its units)."""
    selling = {name for store in mapping.stores.values() for name in store.warehouses.values()}
    served: dict[str, set[str]] = {}
    for store in mapping.stores.values():
        if store.return_warehouse is not None and store.return_warehouse not in selling:
            served.setdefault(store.return_warehouse, set()).update(store.warehouses)
    found: dict[str, list[str]] = {}
    for name, ginee_ids in sorted(served.items()):
        if len(ginee_ids) == 1:
            found.setdefault(next(iter(ginee_ids)), []).append(name)
    return {ginee_id: tuple(names) for ginee_id, names in found.items()}


def awaiting_invoice(
    ctx: ConnectionContext, warehouses: dict[str, str], since: datetime | None = None
) -> dict[tuple[str, str], Decimal]:
    """(Ginee warehouse id, master SKU) → units of the orders Ginee holds out of its available stock that
    omsync does not invoice yet: not cancelled, not at their store's trigger (`StoreMapping.trigger_for`,
    so a COD order on its way under ``cod_trigger_status: DELIVERED``), in a mapped store selling from one of
    ``warehouses``; a bundle's units are its components'. Read from Ginee's orders updated since ``since``
    (default: `AWAITING_INVOICE_DAYS` days ago; a world replaying a past day gives its start), by
    ``list-order`` for each status before the latest trigger, then ``batch-get``. Raises what the Ginee
    client raises."""
    mapping = ctx.mapping
    if mapping is None:
        return {}
    stores = {shop: store for shop, store in mapping.stores.items() if set(store.warehouses) & set(warehouses)}
    triggers = [rank(store.trigger_for(cod)) for store in stores.values() for cod in (False, True)]
    latest = max((step for step in triggers if step is not None), default=0)
    statuses = [status for status in OrderStatus if (step := rank(status)) is not None and step < latest]
    if not stores or not statuses:
        return {}
    since = since or datetime.now(UTC) - timedelta(days=AWAITING_INVOICE_DAYS)
    listed = {
        row.order_id
        for status in statuses
        for row in ctx.ginee.list_orders(last_update_since=since, shop_ids=sorted(stores), order_status=status)
    }
    units: dict[tuple[str, str], Decimal] = {}
    for order in ctx.ginee.batch_get(sorted(listed)) if listed else ():
        store = stores.get(order.shop_id or "")
        if store is None or is_cancelled(order) or reached_trigger(order, store.trigger_for(order.is_cod)):
            continue
        for item in order.items:
            warehouse = item.warehouse_id or order.warehouse_id
            if warehouse not in warehouses or not item.master_sku:
                continue
            parts = [(c.master_sku, c.quantity) for c in item.bundle_skus] or [(item.master_sku, 1)]
            for sku, per_unit in parts:
                key = (warehouse, sku)
                units[key] = units.get(key, Decimal(0)) + Decimal(item.quantity * per_unit)
    return units


def compare_stock(
    ctx: ConnectionContext,
    warehouses: dict[str, str],
    progress: Progress | None = None,
    *,
    orders_since: datetime | None = None,
) -> list[StockLine]:
    """Every SKU Ginee has in the given warehouses, with Accurate's quantity beside it (ordered by warehouse
    and SKU): the mapped warehouse's plus its stores' return warehouses' (`return_warehouses`). Items only
    Accurate has are left out: Ginee is the master of the stock it manages, not of every item in the books.
    Each line carries the units awaiting their invoice (`awaiting_invoice`, of orders updated since
    ``orders_since``). Raises what the clients raise."""
    returns = return_warehouses(ctx.mapping) if ctx.mapping is not None else {}
    awaiting = awaiting_invoice(ctx, warehouses, orders_since)
    lines: list[StockLine] = []
    for ginee_id, name in warehouses.items():
        rows = ctx.ginee.list_inventory(ginee_id)
        accurate = dict(ctx.accurate.list_stock(name))
        for other in returns.get(ginee_id, ()):
            for sku, quantity in ctx.accurate.list_stock(other).items():
                accurate[sku] = accurate.get(sku, Decimal(0)) + quantity
        total = len(rows)
        for done, row in enumerate(rows, 1):
            sku = row.master_variation.master_sku
            lines.append(
                StockLine(
                    ginee_id,
                    name,
                    sku,
                    row.master_variation.name or sku,
                    Decimal(row.warehouse_inventory.available_stock),
                    accurate.get(sku, Decimal(0)),
                    row.warehouse_inventory.average_purchase_price,
                    sku in accurate,
                    awaiting.get((ginee_id, sku), Decimal(0)),
                )
            )
            if progress is not None and (done % 50 == 0 or done == total):
                progress(done, total)
    return sorted(lines, key=lambda line: (line.warehouse, line.sku))


def _adjustment_account(mapping: ConnectionMapping, opening: bool) -> str:
    account = (mapping.purchases.opening_account if opening else None) or mapping.purchases.adjustment_account
    if account is None:
        raise OnHold(
            "unmapped_adjustment_account",
            "stock adjustments need an account",
            "set purchases.adjustment_account (and purchases.opening_account for opening stock) and apply it",
        )
    return account


def _create_missing_items(ctx: ConnectionContext, mapping: ConnectionMapping, lines: Sequence[StockLine]) -> None:
    missing = {line.sku: line for line in lines if not line.in_accurate and line.difference > 0}
    documents = [
        Item(
            no=sku,
            name=line.name,
            item_type="INVENTORY",
            unit1_name=mapping.items.unit,
            item_category_name=mapping.items.category,
        )
        for sku, line in sorted(missing.items())
    ]
    for row in ctx.accurate.bulk_save(documents):
        if not row.ok and "Sudah ada" not in str(row.error.messages if row.error else ""):
            raise PermanentError(f"item {row.document.key} cannot be created: {type(row.error).__name__}")


def adjust_to_ginee(
    ctx: ConnectionContext, lines: Sequence[StockLine], *, label: str, trans_date: date, opening: bool = False
) -> list[str]:
    """Post the Item Adjustments (IN and OUT, ≤100 lines each, per warehouse) that make Accurate's stock
    equal Ginee's for ``lines`` with a difference; returns their numbers (posted now or found posted).

    Numbers are ``{prefix}{label}-`` plus, for ``opening`` (stock init), the Ginee warehouse, the direction
    and the chunk's position — so a warehouse is initialised once, whatever its stock later — and otherwise
    a hash of the warehouse, direction and lines — so the same differences posted again are found, not
    booked twice. Items missing in Accurate are created first. Opening stock goes against
    ``purchases.opening_account`` (else the adjustment account). Raises `OnHold` without an account,
    `PermanentError` when an IN line has no Ginee price or Accurate refuses.
    """
    if ctx.mapping is None:
        raise PermanentError("the connection has no mapping")
    mapping = ctx.mapping
    account = _adjustment_account(mapping, opening)
    differing = [line for line in lines if line.difference != 0]
    _create_missing_items(ctx, mapping, differing)
    documents: list[ItemAdjustment] = []
    directions: tuple[ItemAdjustmentType, ...] = ("ADJUSTMENT_IN", "ADJUSTMENT_OUT")
    for direction in directions:
        chosen = [line for line in differing if (line.difference > 0) == (direction == "ADJUSTMENT_IN")]
        for ginee_warehouse in sorted({line.ginee_warehouse for line in chosen}):
            here = [line for line in chosen if line.ginee_warehouse == ginee_warehouse]
            for start in range(0, len(here), BULK_LIMIT):
                chunk = here[start : start + BULK_LIMIT]
                if opening:
                    key = f"{ginee_warehouse}-{direction[11]}{start // BULK_LIMIT + 1}"
                else:
                    content = repr([(ginee_warehouse, direction, line.sku, str(line.difference)) for line in chunk])
                    key = hashlib.sha256(content.encode()).hexdigest()[:10].upper()
                number = fit_number(f"{mapping.purchases.number_prefix}{label}-{key}")
                change = StockChange(
                    number, direction, {line.sku: (int(abs(line.difference)), line.unit_cost) for line in chunk}
                )
                try:
                    documents.append(
                        plan_adjustment(
                            change,
                            number=number,
                            account_no=account,
                            warehouse=chunk[0].warehouse,
                            trans_date=trans_date,
                            branch=mapping.purchases.branch,
                        )
                    )
                except ValueError as missing:
                    raise PermanentError(f"{missing}: set its purchase price in Ginee first") from None
    if not documents:
        return []
    outcome = post_exactly_once(ctx.accurate, documents)
    problems = {**outcome.missing_master, **outcome.refused}
    if problems or outcome.unresolved:
        first = next(iter(problems.values()), None)
        raise PermanentError(
            f"{len(problems) + len(outcome.unresolved)} adjustment(s) not posted"
            + (f": {type(first).__name__}: {first}" if first is not None else "; run it again")
        )
    return sorted(outcome.saved)
