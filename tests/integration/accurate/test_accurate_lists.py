"""Specification: list.do of the sandbox's master tables and the `no` filter of customers and vendors, over HTTP."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from omsync.accurate.client import AccurateClient
from omsync.accurate.documents import Customer, SalesInvoice, SalesInvoiceItem, Vendor
from omsync.accurate.errors import Rejected


def customer_numbers(client: AccurateClient, filters: dict[str, object]) -> list[str]:
    return [str(row["customerNo"]) for row in client.list("customer", filters, fields=("id", "customerNo"))]


def vendor_numbers(client: AccurateClient, filters: dict[str, object]) -> list[str]:
    return [str(row["vendorNo"]) for row in client.list("vendor", filters, fields=("id", "vendorNo"))]


def test_the_units_of_the_demo_company_are_listed_page_by_page(client: AccurateClient) -> None:
    rows = list(client.list("unit", fields=("id", "name"), page_size=2))

    assert [row["name"] for row in rows] == ["PCS", "BOX", "SET", "KG", "LUSIN"]
    assert len({row["id"] for row in rows}) == 5


def test_item_categories_are_listed_with_the_default_one_marked(client: AccurateClient) -> None:
    rows = list(client.list("item-category", fields=("id", "name", "defaultCategory")))

    assert [row["name"] for row in rows] == ["Umum", "Pakaian", "Aksesoris", "Jasa"]
    assert [row["name"] for row in rows if row["defaultCategory"]] == ["Umum"]


def test_customers_filtered_on_several_numbers_are_the_ones_that_exist(client: AccurateClient) -> None:
    found = customer_numbers(client, {"no": ("EQUAL", ["C-SHOPEE", "C-NOPE", "C-LAZADA"])})

    assert sorted(found) == ["C-LAZADA", "C-SHOPEE"]


def test_a_customer_filtered_on_one_number_is_found_and_an_unknown_one_is_not(client: AccurateClient) -> None:
    assert customer_numbers(client, {"no": "C-TOKOPEDIA"}) == ["C-TOKOPEDIA"]
    assert customer_numbers(client, {"no": "C-NOPE"}) == []


def test_a_customer_saved_through_the_api_is_found_by_its_number(client: AccurateClient) -> None:
    client.save(Customer(name="Lazada - Toko B", trans_date=date(2026, 3, 1), customer_no="C-LZD-B"))

    assert customer_numbers(client, {"no": ("EQUAL", ["C-LZD-B", "C-LAZADA"])}) == ["C-LAZADA", "C-LZD-B"]


def test_the_customer_number_can_also_be_filtered_under_its_record_name(client: AccurateClient) -> None:
    assert customer_numbers(client, {"customerNo": "C-SHOPEE"}) == ["C-SHOPEE"]


def test_not_equal_on_several_numbers_leaves_the_other_customers(client: AccurateClient) -> None:
    assert customer_numbers(client, {"no": ("NOT_EQUAL", ["C-SHOPEE", "C-LAZADA"])}) == ["C-TOKOPEDIA"]


def test_vendors_are_filtered_on_their_number_under_either_name(client: AccurateClient) -> None:
    client.save(Vendor(name="CV Kemasan Jaya", trans_date=date(2026, 3, 1), vendor_no="V-0002"))

    assert vendor_numbers(client, {"no": ("EQUAL", ["V-0002", "V-0001", "V-9999"])}) == ["V-0001", "V-0002"]
    assert vendor_numbers(client, {"no": "V-9999"}) == []
    assert vendor_numbers(client, {"vendorNo": "V-0002"}) == ["V-0002"]


def _invoice(number: str, day: date) -> SalesInvoice:
    return SalesInvoice(
        customer_no="C-SHOPEE",
        trans_date=day,
        number=number,
        branch_name="Kantor Pusat",
        detail_item=[
            SalesInvoiceItem(
                item_no="SKU-A", unit_price=Decimal(1000), quantity=Decimal(1), warehouse_name="Gudang Utama"
            )
        ],
    )


def test_sales_invoices_are_listed_by_date_between_two_days_both_included(client: AccurateClient) -> None:
    for number, day in (("SI-1", date(2026, 3, 1)), ("SI-2", date(2026, 3, 2)), ("SI-3", date(2026, 3, 4))):
        client.save(_invoice(number, day))

    def numbers(filters: dict[str, object]) -> list[str]:
        return [
            str(row["number"]) for row in client.list(SalesInvoice, filters, fields=("id", "number", "totalAmount"))
        ]

    assert numbers({"transDate": ("BETWEEN", [date(2026, 3, 2), date(2026, 3, 4)])}) == ["SI-2", "SI-3"]
    assert numbers({"transDate": ("BETWEEN", [date(2026, 3, 1), date(2026, 3, 1)])}) == ["SI-1"]
    assert numbers({"transDate": ("NOT_BETWEEN", [date(2026, 3, 2), date(2026, 3, 3)])}) == ["SI-1", "SI-3"]
    assert numbers({"transDate": ("GREATER_THAN", date(2026, 3, 1))}) == ["SI-2", "SI-3"]
    assert numbers({"totalAmount": ("LESS_EQUAL_THAN", "1000")}) == ["SI-1", "SI-2", "SI-3"]


def test_a_date_compared_with_a_number_is_refused_as_accurate_refuses_a_bad_value(client: AccurateClient) -> None:
    client.save(_invoice("SI-1", date(2026, 3, 1)))

    with pytest.raises(Rejected, match="transDate"):
        list(client.list(SalesInvoice, {"transDate": ("GREATER_THAN", "5")}))
