"""Specification: the per-store mapping is YAML, validated with errors that point at the file's lines."""

from __future__ import annotations

import textwrap

import pytest

from omsync.config.mapping import (
    CancellationRule,
    MappingError,
    ReferenceKind,
    ShippingRule,
    canonical_json,
    content_hash,
    load_mapping,
    mapping_from_json,
    mapping_sort_key,
    next_version,
    version_from_sort_key,
)
from omsync.errors import OnHold

VALID = textwrap.dedent(
    """\
    stores:
      SH-TOKO:
        name: Toko Contoh Tokopedia
        channel: TOKOPEDIA_ID
        customer_no: C-TOKOPEDIA
        branch: Cabang Online
        number_prefix: TP-
        tax:
          pkp: true
          prices_include_ppn: true
          tax_name: PPN
        accounts:
          marketplace_balance: "1104"
          commission: "6101"
          service: "6102"
          payment: "6103"
          order_processing: "6104"
          affiliate: "6105"
          shipping_difference: "6106"
          other: "6107"
          rounding: "7101"
        warehouses:
          WW-1: Gudang Utama
        return_warehouse: Gudang Retur
    items:
      auto_create: true
      unit: PCS
    purchases:
      default_vendor: V-0001
    """
)


def problems_of(text: str) -> list[str]:
    with pytest.raises(MappingError) as invalid:
        load_mapping(text)
    return invalid.value.problems


class TestAValidMapping:
    def test_defaults_fill_what_the_seller_left_out(self) -> None:
        store = load_mapping(VALID).mapping.store("SH-TOKO")

        assert store.trigger_status == "PAID"
        assert store.shipping is ShippingRule.EXCLUDE
        assert store.cancellation is CancellationRule.DELETE
        assert store.explode_bundles is False

    def test_every_accurate_record_it_names_is_listed_with_its_line(self) -> None:
        references = {(ref.kind, ref.value): ref.line for ref in load_mapping(VALID).references()}

        assert references[(ReferenceKind.CUSTOMER, "C-TOKOPEDIA")] == 5
        assert references[(ReferenceKind.BRANCH, "Cabang Online")] == 6
        assert references[(ReferenceKind.TAX, "PPN")] == 11
        assert references[(ReferenceKind.ACCOUNT, "1104")] == 13
        assert references[(ReferenceKind.ACCOUNT, "7101")] == 21
        assert references[(ReferenceKind.WAREHOUSE, "Gudang Utama")] == 23
        assert references[(ReferenceKind.WAREHOUSE, "Gudang Retur")] == 24
        assert references[(ReferenceKind.VENDOR, "V-0001")] == 29
        assert references[(ReferenceKind.UNIT, "PCS")] == 27

    def test_a_reference_says_where_it_is(self) -> None:
        [customer] = [ref for ref in load_mapping(VALID).references() if ref.kind is ReferenceKind.CUSTOMER]

        assert customer.where == "line 5: stores.SH-TOKO.customer_no"

    def test_the_content_hash_ignores_formatting_and_order(self) -> None:
        reordered = VALID.replace("purchases:\n  default_vendor: V-0001\n", "").replace(
            "stores:\n", "purchases: {default_vendor: V-0001}\nstores:\n"
        )

        assert content_hash(load_mapping(reordered).mapping) == content_hash(load_mapping(VALID).mapping)

    def test_the_content_hash_changes_with_any_setting(self) -> None:
        changed = VALID.replace("TP-", "TK-")

        assert content_hash(load_mapping(changed).mapping) != content_hash(load_mapping(VALID).mapping)

    def test_the_stored_json_reads_back_into_the_same_mapping(self) -> None:
        mapping = load_mapping(VALID).mapping

        assert mapping_from_json(canonical_json(mapping)) == mapping


class TestErrorsPointAtTheLine:
    def test_a_missing_account_names_the_line_of_its_section_and_the_field(self) -> None:
        text = VALID.replace('      commission: "6101"\n', "")

        assert problems_of(text) == ["line 12: stores.SH-TOKO.accounts.commission: field required"]

    def test_a_misspelt_key_is_an_error_not_ignored(self) -> None:
        text = VALID.replace("explode", "x").replace("number_prefix: TP-", "number_prefx: TP-")

        assert "line 7: stores.SH-TOKO.number_prefx: extra inputs are not permitted" in problems_of(text)

    def test_a_wrong_rule_names_the_allowed_values(self) -> None:
        text = VALID.replace(
            "    return_warehouse: Gudang Retur\n", "    return_warehouse: Gudang Retur\n    cancellation: void\n"
        )

        [problem] = problems_of(text)
        assert problem.startswith("line 25: stores.SH-TOKO.cancellation: ")
        assert "'delete'" in problem and "'sales_return'" in problem

    def test_a_pkp_store_without_a_tax_name_is_refused(self) -> None:
        text = VALID.replace("      tax_name: PPN\n", "")

        assert problems_of(text) == [
            "line 8: stores.SH-TOKO.tax: a PKP store needs tax_name (the Accurate tax, e.g. PPN)"
        ]

    def test_booking_shipping_needs_its_two_accounts(self) -> None:
        text = VALID.replace("    number_prefix: TP-\n", "    number_prefix: TP-\n    shipping: revenue_and_expense\n")

        [problem] = problems_of(text)
        assert problem.startswith("line 2: stores.SH-TOKO: shipping: revenue_and_expense needs")

    def test_a_duplicate_key_is_an_error(self) -> None:
        text = VALID.replace("    channel: TOKOPEDIA_ID\n", "    channel: TOKOPEDIA_ID\n    channel: SHOPEE_ID\n")

        assert problems_of(text) == ["line 5: stores.SH-TOKO.channel: duplicate key"]

    def test_two_stores_sharing_a_prefix_are_refused(self) -> None:
        second = VALID.split("items:")[0].replace("SH-TOKO:", "SH-TOKO2:").replace("stores:\n", "")
        text = VALID.replace("items:", second + "items:", 1)

        [problem] = problems_of(text)
        assert "share number_prefix 'TP-'" in problem

    def test_broken_yaml_names_its_line(self) -> None:
        [problem] = problems_of("stores:\n  SH-1: [unclosed\n")

        assert problem.startswith("line 3: not valid YAML")

    def test_an_empty_file_is_refused(self) -> None:
        assert problems_of("") == ["line 1: the mapping is empty"]


class TestHolds:
    def test_an_order_of_an_unmapped_store_is_held_with_the_fix(self) -> None:
        with pytest.raises(OnHold) as held:
            load_mapping(VALID).mapping.store("SH-UNKNOWN")

        assert held.value.cause == "unmapped_store"
        assert "stores.SH-UNKNOWN" in held.value.hint


class TestVersions:
    def test_versions_sort_as_text_in_the_ledger(self) -> None:
        assert mapping_sort_key(7) == "MAPPING#000007"
        assert mapping_sort_key(10) > mapping_sort_key(9)
        assert version_from_sort_key("MAPPING#000012") == 12

    def test_the_first_version_is_one_and_each_apply_adds_one(self) -> None:
        assert next_version(None) == 1
        assert next_version(3) == 4


@pytest.mark.parametrize("trigger", ["paid", "PAYED", "CANCELLED", "RETURNED"])
def test_a_trigger_status_that_is_not_a_lifecycle_step_is_refused_naming_the_steps(trigger: str) -> None:
    # A status omsync cannot rank would leave every order of the store "not ready" for ever, silently
    text = VALID.replace("    number_prefix: TP-\n", f"    number_prefix: TP-\n    trigger_status: {trigger}\n")
    problems = problems_of(text)
    assert len(problems) == 1 and "trigger_status" in problems[0], problems
    assert "'PAID'" in problems[0] and "'COMPLETED'" in problems[0], problems


def test_each_lifecycle_step_is_a_trigger_status() -> None:
    for trigger in ("PAID", "READY_TO_SHIP", "SHIPPING", "DELIVERED", "COMPLETED"):
        text = VALID.replace("    number_prefix: TP-\n", f"    number_prefix: TP-\n    trigger_status: {trigger}\n")
        assert load_mapping(text).mapping.store("SH-TOKO").trigger_status == trigger
