"""Specification: a Ginee master product becomes one Accurate Item per master SKU, and only what differs is saved."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from omsync.config.mapping import ItemPolicy
from omsync.ginee.models import MasterProduct
from omsync.posting.items import desired_items, item_change, sku_too_long_hold, suspension

POLICY = ItemPolicy(item_type="INVENTORY", unit="PCS", category="Pakaian")


def product(**overrides: Any) -> MasterProduct:
    data: dict[str, Any] = {
        "productId": "MP0001",
        "name": "Kaos Polos",
        "masterVariationType": "NORMAL",
        "variations": [
            {"sku": "KAOS-M", "name": "Kaos Polos M", "sellingPrice": "55500", "barCode": "8991234567890"},
            {"sku": "KAOS-L", "sellingPrice": 57000},
        ],
    }
    data.update(overrides)
    return MasterProduct.model_validate(data)


def accurate_row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": 501,
        "no": "KAOS-M",
        "name": "Kaos Polos M",
        "itemType": "INVENTORY",
        "unit1Name": "PCS",
        "unitPrice": 55500,
        "itemCategoryName": "Pakaian",
        "upcNo": "8991234567890",
        "suspended": False,
    }
    row.update(overrides)
    return row


def test_each_master_sku_is_an_item_coded_by_its_sku_with_the_policys_type_unit_and_category() -> None:
    items = desired_items(product(), POLICY)

    assert list(items) == ["KAOS-M", "KAOS-L"]
    shirt = items["KAOS-M"]
    assert (shirt.no, shirt.name, shirt.item_type, shirt.unit1_name, shirt.item_category_name) == (
        "KAOS-M",
        "Kaos Polos M",
        "INVENTORY",
        "PCS",
        "Pakaian",
    )
    assert shirt.unit_price == Decimal("55500")
    assert shirt.upc_no == "8991234567890"
    # A variation without a name of its own takes the product's
    assert items["KAOS-L"].name == "Kaos Polos"
    assert items["KAOS-L"].upc_no is None


def test_a_bundle_gets_no_item_its_components_carry_the_stock() -> None:
    bundle = product(
        masterVariationType="BUNDLE",
        variations=[{"sku": "PAKET-2", "bundleSkus": [{"masterSku": "KAOS-M", "quantity": 2}]}],
    )
    assert desired_items(bundle, POLICY) == {}
    mixed = product(variations=[{"sku": "KAOS-M"}, {"sku": "PAKET", "bundleSkus": [{"masterSku": "KAOS-M"}]}])
    assert list(desired_items(mixed, POLICY)) == ["KAOS-M"]


def test_a_new_sku_is_created_whole() -> None:
    desired = desired_items(product(), POLICY)["KAOS-M"]
    assert item_change(desired, None) == desired


def test_an_item_that_already_agrees_is_not_saved_again() -> None:
    desired = desired_items(product(), POLICY)["KAOS-M"]
    assert item_change(desired, accurate_row()) is None
    # Accurate writes amounts as numbers with decimals: 55500.0 is the same price
    assert item_change(desired, accurate_row(unitPrice="55500.000000")) is None


def test_a_renamed_product_keeps_its_code_and_only_the_name_is_sent() -> None:
    renamed = product(
        variations=[{"sku": "KAOS-M", "name": "Kaos Katun M", "sellingPrice": "55500", "barCode": "8991234567890"}]
    )
    edit = item_change(desired_items(renamed, POLICY)["KAOS-M"], accurate_row())

    assert edit is not None
    assert edit.request_body() == {"id": 501, "no": "KAOS-M", "itemType": "INVENTORY", "name": "Kaos Katun M"}


def test_a_new_price_and_barcode_are_sent_but_never_a_new_type_or_unit() -> None:
    changed = product(variations=[{"sku": "KAOS-M", "name": "Kaos Polos M", "sellingPrice": "60000", "barCode": "1"}])
    edit = item_change(
        desired_items(changed, ItemPolicy(item_type="NON_INVENTORY", unit="BOX", category="Pakaian"))["KAOS-M"],
        accurate_row(),
    )

    assert edit is not None
    body = edit.request_body()
    assert body["unitPrice"] == Decimal("60000") and body["upcNo"] == "1"
    assert body["itemType"] == "INVENTORY"  # as Accurate has it
    assert "unit1Name" not in body


def test_a_suspended_item_whose_product_is_back_is_made_active() -> None:
    edit = item_change(desired_items(product(), POLICY)["KAOS-M"], accurate_row(suspended=True))
    assert edit is not None and edit.suspended is False


def test_a_deleted_products_item_is_suspended_once_never_deleted() -> None:
    edit = suspension(accurate_row())
    assert edit is not None
    assert edit.request_body() == {
        "id": 501,
        "no": "KAOS-M",
        "itemType": "INVENTORY",
        "name": "Kaos Polos M",
        "suspended": True,
    }
    assert suspension(accurate_row(suspended=True)) is None


def test_a_sku_longer_than_accurates_item_code_holds_the_product_naming_it_and_its_length() -> None:
    long_sku = "KAOS-POLOS-KATUN-COMBED-30S-XL"  # 30 characters: fits
    longer = long_sku + "L"  # 31: does not

    assert sku_too_long_hold(product(), ["KAOS-M", long_sku]) is None
    hold = sku_too_long_hold(product(), ["KAOS-M", longer])

    assert hold is not None and hold.cause == "sku_too_long"
    assert f"{longer} (31 characters)" in hold.reason and "at most 30" in hold.reason
    assert "KAOS-M " not in hold.reason
    assert "shorten the master SKU in Ginee to 30 characters or fewer" in hold.hint
