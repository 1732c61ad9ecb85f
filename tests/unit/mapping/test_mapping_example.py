"""Specification: the shipped example mapping is valid and names only records the demo company has."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import omsync_workshop.accurate
from omsync.config.mapping import ReferenceKind, load_mapping

EXAMPLE = Path(__file__).resolve().parents[3] / "events" / "mapping.example.yaml"
SEED = Path(omsync_workshop.accurate.__path__[0]) / "seed_company.json"


def seed_records(seed: dict[str, Any]) -> dict[ReferenceKind, set[str]]:
    return {
        ReferenceKind.ACCOUNT: {account["no"] for account in seed["accounts"]},
        ReferenceKind.BRANCH: set(seed["branches"]),
        ReferenceKind.WAREHOUSE: set(seed["warehouses"]),
        ReferenceKind.CUSTOMER: {customer["customerNo"] for customer in seed["customers"]},
        ReferenceKind.TAX: {tax["taxCode"] for tax in seed["taxes"]},
        ReferenceKind.VENDOR: {vendor["vendorNo"] for vendor in seed["vendors"]},
        ReferenceKind.UNIT: {item["unit1Name"] for item in seed["items"]},
        ReferenceKind.ITEM: {item["no"] for item in seed["items"]},
    }


def test_the_example_maps_the_three_demo_stores() -> None:
    mapping = load_mapping(EXAMPLE.read_text()).mapping

    assert sorted(store.channel for store in mapping.stores.values()) == ["LAZADA_ID", "SHOPEE_ID", "TOKOPEDIA_ID"]


def test_every_record_the_example_names_exists_in_the_demo_company() -> None:
    known = seed_records(json.loads(SEED.read_text()))

    missing = [ref.where for ref in load_mapping(EXAMPLE.read_text()).references() if ref.value not in known[ref.kind]]

    assert missing == []
