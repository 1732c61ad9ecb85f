"""Converge Accurate's Items on Ginee's master products, for one connection's batch of product ids.

Level-triggered, like the orders flow: a message only says "master product X changed" (created, updated
or deleted). For a batch this

1. re-reads each product from Ginee (``master/v1/get``; ``DATA_NOT_EXISTED`` means it was deleted) and its
   binding from the Ledger (the SKUs it had at the last sync, `omsync.ledger.products`);
2. works out each SKU's desired Item (`omsync.posting.items.desired_items`) and which Items to suspend: every
   SKU of a deleted product, and SKUs that left a product; a SKU another product of the batch still has
   is never suspended;
3. reads those Items from Accurate (``item/list.do``, 100 codes a call) and saves in one bulk-save per 100
   only what differs (`item_change`, `suspension`): a duplicate, late or replayed webhook saves nothing;
4. records each product's SKUs in the Ledger once Accurate agrees.

A SKU longer than Accurate's item code (`omsync.posting.items.sku_too_long_hold`) is no Item to save: the
product's other SKUs are, and the product is recorded held ``sku_too_long`` with the fix (never the DLQ).
Shortening the SKU in Ginee changes the product, which brings it back (its webhook, or the reconciler).

Exactly once without a lease: an Item's code is unique in Accurate, so two workers creating one SKU at
once end with one Item (the second is refused "Sudah ada data lain dengan Kode Barang" and compares again),
and two edits towards the same desired state write the same values. Items are never deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from omsync.accurate.client import BULK_LIMIT
from omsync.accurate.documents import ITEM_CODE_MAX_LENGTH, Item
from omsync.accurate.errors import DuplicateNumber
from omsync.errors import OnHold, RetryableError
from omsync.ginee.errors import DataNotExisted, GineeError
from omsync.ginee.models import MasterProduct
from omsync.ledger.products import ProductBindings
from omsync.observability import logger
from omsync.posting.items import ITEM_FIELDS, desired_items, item_change, sku_too_long_hold, suspension
from omsync.sync.context import ConnectionContext
from omsync.sync.steps import Outcome, Result

COMPARE_ROUNDS = 2
"""Compare-and-save rounds per batch: a second one settles Items another worker created in between."""


def sync_products(ctx: ConnectionContext, product_ids: Sequence[str], owner: str) -> dict[str, Outcome]:
    """Make Accurate's Items match the current state of these Ginee master products.

    Returns an `Outcome` per product id: POSTED (an Item was created, edited or suspended), ALREADY_DONE
    (Accurate already agreed), HELD (a SKU too long for Accurate's item code: its other SKUs are Items, the
    hold is recorded with the product's binding), UNKNOWN_ORDER (deleted in Ginee and never synced: nothing to suspend),
    RETRY (Ginee busy, or Accurate still differs after `COMPARE_ROUNDS`) or FAILED (Accurate refused an
    Item, or Ginee refused the read). ``owner`` is unused: no lease is taken (see the module's docstring).
    Raises `OnHold` when the connection has no mapping yet (the batch comes back), and what the Accurate
    client raises for the whole batch (`RetryableError` when Accurate is busy or unreachable).
    """
    del owner
    if ctx.mapping is None:
        raise OnHold(
            "unmapped_connection",
            "master products cannot become Items: this connection has no mapping applied yet",
            "Write the connection's mapping (its items policy gives type, unit and category) and run "
            "`omsync mapping apply FILE --connection ID`.",
        )
    outcomes: dict[str, Outcome] = {}
    products: dict[str, MasterProduct] = {}
    deleted: list[str] = []
    for product_id in dict.fromkeys(product_ids):
        try:
            products[product_id] = ctx.ginee.get_master_product(product_id)
        except DataNotExisted:
            deleted.append(product_id)
        except RetryableError:
            outcomes[product_id] = Outcome(Result.RETRY, "Ginee busy")
        except GineeError as error:
            logger.error("master product cannot be read", extra={"product_id": product_id, "error": error.code})
            outcomes[product_id] = Outcome(Result.FAILED, f"Ginee refused the read: {error.code}")

    bindings = ProductBindings(ctx.connection_id)
    bound = bindings.load([*products, *deleted])
    desired: dict[str, Item] = {}
    skus_of: dict[str, tuple[str, ...]] = {}
    holds: dict[str, OnHold] = {}
    for product_id, product in products.items():
        items = desired_items(product, ctx.mapping.items, ctx.mapping.item_tax_name)
        hold = sku_too_long_hold(product, list(items))
        if hold is not None:
            holds[product_id] = hold
            logger.warning("master product held", extra={"product_id": product_id, "cause": hold.cause})
            items = {sku: item for sku, item in items.items() if len(sku) <= ITEM_CODE_MAX_LENGTH}
        desired.update(items)
        skus_of[product_id] = tuple(items)
    to_suspend: dict[str, str] = {}  # SKU → the product it left
    for product_id in [*products, *deleted]:
        for sku in set(bound.get(product_id, ())) - set(skus_of.get(product_id, ())):
            if sku not in desired:
                to_suspend[sku] = product_id
    for product_id in deleted:
        if product_id not in bound:
            outcomes[product_id] = Outcome(Result.UNKNOWN_ORDER, "deleted in Ginee, never synced")
        skus_of[product_id] = ()

    product_of: dict[str, list[str]] = {}
    for product_id, skus in skus_of.items():
        for sku in skus:
            product_of.setdefault(sku, []).append(product_id)
    for sku, product_id in to_suspend.items():
        product_of.setdefault(sku, []).append(product_id)

    changed, unsettled, refused = _converge(ctx, desired, set(to_suspend))
    for product_id, skus in skus_of.items():
        if product_id in outcomes:
            continue
        mine = set(skus) | {sku for sku, owner_id in to_suspend.items() if owner_id == product_id}
        if mine & set(refused):
            outcomes[product_id] = Outcome(Result.FAILED, "; ".join(sorted(refused[s] for s in mine & set(refused))))
        elif mine & unsettled:
            outcomes[product_id] = Outcome(Result.RETRY, "Accurate still differs")
        else:
            hold = holds.get(product_id)
            if (
                bound.get(product_id) != skus
                or product_id in deleted
                or hold is not None
                or product_id in bindings.held
            ):
                bindings.bind(product_id, skus, deleted=product_id in deleted, hold=hold)
            if hold is not None:
                outcomes[product_id] = Outcome(Result.HELD, hold.cause)
            else:
                outcomes[product_id] = Outcome(Result.POSTED if mine & changed else Result.ALREADY_DONE)
    return outcomes


def _converge(
    ctx: ConnectionContext, desired: Mapping[str, Item], to_suspend: set[str]
) -> tuple[set[str], set[str], dict[str, str]]:
    """Compare and save until Accurate agrees or the rounds run out; returns the SKUs saved, the SKUs still
    differing, and the SKUs Accurate refused (with the refusal's class and redacted text)."""
    changed: set[str] = set()
    refused: dict[str, str] = {}
    pending = set(desired) | to_suspend
    for _round in range(COMPARE_ROUNDS):
        current = _read_items(ctx, sorted(pending))
        edits: list[Item] = []
        for sku in sorted(pending):
            edit = item_change(desired[sku], current.get(sku)) if sku in desired else _suspend(current.get(sku))
            if edit is not None:
                edits.append(edit)
        if not edits:
            return changed, set(), refused
        raced: set[str] = set()
        for row in ctx.accurate.bulk_save(edits):
            sku = str(row.document.key)
            if row.ok:
                changed.add(sku)
            elif isinstance(row.error, DuplicateNumber):
                raced.add(sku)  # created by another worker since the read: compare again
            elif row.error is not None:
                logger.error("Accurate refused an Item", extra={"sku": sku, "error": type(row.error).__name__})
                refused[sku] = f"{type(row.error).__name__}: {row.error}"
        if not raced:
            return changed, set(), refused
        pending = raced
    return changed, pending, refused


def _suspend(current: Mapping[str, Any] | None) -> Item | None:
    return suspension(current) if current is not None else None


def _read_items(ctx: ConnectionContext, skus: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Accurate's Items with these codes (one ``list.do`` per 100 codes), by code."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(skus), BULK_LIMIT):
        chunk = list(skus[start : start + BULK_LIMIT])
        for row in ctx.accurate.list(Item, filters={"no": ("EQUAL", chunk)}, fields=ITEM_FIELDS):
            if str(row.get("no")) in chunk:
                found[str(row["no"])] = row
    return found
