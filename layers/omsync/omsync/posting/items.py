"""Master products → Accurate Items (Barang & Jasa): what each Item should be, and what to save to get there.

Pure rules, no I/O. The products flow (`omsync.sync.products`) reads the product from Ginee and the Items
from Accurate, and saves only what these functions return:

- `desired_items`: one Item per master SKU of a product (code = the master SKU, name, unit, type and
  category from the mapping's ``items`` policy, selling price and barcode from the variation). Bundle
  SKUs get no Item: a bundle is exploded into its components on every document (the invoices' rule), so
  Accurate never holds stock or cost of a bundle.
- `item_change`: the Item to save so Accurate's record equals the desired one, or None when it already
  does (a duplicate or late webhook then saves nothing). A new SKU is created whole; an existing Item gets
  its id and only the fields that differ. The code (``no``) never changes, so a renamed product keeps its
  Item; the item type and unit are set when the Item is created and never changed afterwards (Accurate
  refuses both once the item has transactions, and the seller may have chosen them in Accurate).
- `suspension`: the edit that makes an Item inactive (``suspended``) because its product was deleted in
  Ginee or the SKU left it. Items are never deleted: their history stays in the books.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from omsync.accurate.documents import ITEM_CODE_MAX_LENGTH, Item
from omsync.config.mapping import ItemPolicy
from omsync.errors import OnHold
from omsync.ginee.models import MasterProduct, MasterVariation

ITEM_FIELDS = ("id", "no", "name", "itemType", "unit1Name", "unitPrice", "itemCategoryName", "upcNo", "suspended")
"""The fields of an Item read back from Accurate (``list.do``) to compare with the desired one."""


def is_bundle(product: MasterProduct, variation: MasterVariation) -> bool:
    """A bundle SKU: the product is of type BUNDLE, or the variation lists its components."""
    return product.master_variation_type == "BUNDLE" or bool(variation.bundle_skus)


def desired_items(product: MasterProduct, policy: ItemPolicy, tax_name: str | None = None) -> dict[str, Item]:
    """Master SKU → the Item it should be in Accurate, for every non-bundle variation of ``product``.

    The name is the variation's own name, else the product's, else the SKU (Accurate requires a name).
    Prices are rupiah `Decimal` as Ginee gives them; a variation without a selling price leaves the Item's
    price as it is. ``tax_name`` (`ConnectionMapping.item_tax_name`) is the tax an Item is created with; it is
    not compared afterwards (`item_change`), so a seller's own tax setting on an Item stays.
    """
    items: dict[str, Item] = {}
    for variation in product.variations or product.variation_briefs:
        if is_bundle(product, variation):
            continue
        items[variation.sku] = Item(
            no=variation.sku,
            name=(variation.name or product.name or variation.sku).strip() or variation.sku,
            item_type=policy.item_type,
            unit1_name=policy.unit,
            item_category_name=policy.category,
            unit_price=variation.selling_price,
            upc_no=variation.bar_code or None,
            tax1_name=tax_name,
            suspended=False,
        )
    return items


def sku_too_long_hold(product: MasterProduct, skus: Sequence[str]) -> OnHold | None:
    """The hold of a product some of whose master ``skus`` are longer than Accurate's item code (Kode Barang,
    `ITEM_CODE_MAX_LENGTH` characters): no Item can ever carry them, so Accurate would refuse every save.
    ``sku_too_long``, naming each SKU and its length, with the fix; None when every SKU fits."""
    too_long = [sku for sku in skus if len(sku) > ITEM_CODE_MAX_LENGTH]
    if not too_long:
        return None
    shown = ", ".join(f"{sku} ({len(sku)} characters)" for sku in too_long)
    return OnHold(
        "sku_too_long",
        f"master product {product.product_id}: SKU {shown} is longer than Accurate's item code (Kode Barang) takes, "
        f"at most {ITEM_CODE_MAX_LENGTH}",
        f"shorten the master SKU in Ginee to {ITEM_CODE_MAX_LENGTH} characters or fewer (and bind the marketplace "
        "products to it); the Item is created once Ginee's product changes",
    )


def _same_amount(current: object, desired: Decimal) -> bool:
    try:
        return Decimal(str(current)) == desired
    except ArithmeticError:
        return False


def item_change(desired: Item, current: Mapping[str, Any] | None) -> Item | None:
    """The Item to save so that Accurate's record ``current`` (a ``list.do`` row with `ITEM_FIELDS`, None
    when the SKU is not in Accurate) becomes ``desired``; None when nothing differs.

    Compared: name, selling price (``unitPrice``), category, barcode (``upcNo``) and whether it is
    suspended; a field the desired Item leaves None is not compared (it is not Ginee's to set).
    """
    if current is None:
        return desired
    differs: dict[str, Any] = {}
    if str(current.get("name") or "") != desired.name:
        differs["name"] = desired.name
    if desired.unit_price is not None and not _same_amount(current.get("unitPrice"), desired.unit_price):
        differs["unit_price"] = desired.unit_price
    if desired.item_category_name is not None and current.get("itemCategoryName") != desired.item_category_name:
        differs["item_category_name"] = desired.item_category_name
    if desired.upc_no is not None and current.get("upcNo") != desired.upc_no:
        differs["upc_no"] = desired.upc_no
    if bool(current.get("suspended")) != bool(desired.suspended):
        differs["suspended"] = bool(desired.suspended)
    if not differs:
        return None
    return _edit(current, **{"name": desired.name, **differs})


def suspension(current: Mapping[str, Any]) -> Item | None:
    """The edit that suspends an Item (its product was deleted in Ginee, or the SKU left the product);
    None when it is suspended already."""
    if bool(current.get("suspended")):
        return None
    return _edit(current, name=str(current.get("name") or current["no"]), suspended=True)


def _edit(current: Mapping[str, Any], **fields: Any) -> Item:
    # An edit is save.do with the record's id; the spec requires itemType and name on every save, so
    # both are sent (the type as Accurate has it, never changed).
    return Item(
        id=int(current["id"]), no=str(current["no"]), item_type=current.get("itemType") or "INVENTORY", **fields
    )
