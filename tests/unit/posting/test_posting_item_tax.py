"""Specification: Items omsync creates carry the tax (issue 17, build item 2; docs/POSTING.md §3a).

Accurate taxes an ordinary invoice's line by its item's tax setting, so an Item created without one may give
untaxed lines. An Item is created with ``items.tax_name``, else the one tax the mapping's PKP stores name; the
tax is not compared afterwards, so a seller's own setting on an existing Item stays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omsync.config.mapping import ItemPolicy, load_mapping
from omsync.ginee.models import MasterProduct
from omsync.posting.items import desired_items, item_change

EXAMPLE = Path(__file__).resolve().parents[3] / "events" / "mapping.example.yaml"


def product() -> MasterProduct:
    return MasterProduct.model_validate(
        {
            "productId": "MP0001",
            "name": "Kaos Polos",
            "masterVariationType": "NORMAL",
            "variations": [{"sku": "KAOS-M", "name": "Kaos Polos M", "sellingPrice": "55500"}],
        }
    )


def example(text: str | None = None) -> Any:
    return load_mapping(text if text is not None else EXAMPLE.read_text(encoding="utf-8")).mapping


def test_an_item_is_created_with_the_tax_the_pkp_stores_name() -> None:
    mapping = example()  # Shopee and Tokopedia are PKP and name PPN; Lazada is not PKP

    [item] = desired_items(product(), mapping.items, mapping.item_tax_name).values()

    assert mapping.item_tax_name == "PPN"
    assert item.tax1_name == "PPN"
    assert item_change(item, None) == item
    assert item.request_body()["tax1Name"] == "PPN"


def test_items_tax_name_names_the_tax_and_is_checked_in_accurate_like_every_reference() -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace("  auto_create: true", "  tax_name: PPN12\n  auto_create: true")
    mapping = example(text)

    assert mapping.item_tax_name == "PPN12"
    assert ("tax", "PPN12", ("items", "tax_name")) in [(r.kind, r.value, r.path) for r in mapping.references()]


def test_an_existing_items_tax_is_left_as_the_seller_set_it() -> None:
    [item] = desired_items(product(), ItemPolicy(), "PPN").values()
    row = {"id": 501, "no": "KAOS-M", "name": "Kaos Polos M", "itemType": "INVENTORY", "unitPrice": 55500}

    assert item_change(item, {**row, "tax1Name": None, "suspended": False}) is None
