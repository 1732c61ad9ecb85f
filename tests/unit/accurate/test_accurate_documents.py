"""Documents serialise to Accurate's field names, dd/MM/yyyy dates and exact Decimal numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from omsync.accurate.documents import (
    ReceiptDiscount,
    ReceiptInvoice,
    SalesInvoice,
    SalesInvoiceItem,
    SalesReceipt,
    SalesReturn,
    SalesReturnItem,
    from_json,
    to_json,
)


def test_a_sales_invoice_body_uses_spec_names_and_dates() -> None:
    invoice = SalesInvoice(
        customer_no="C-TOKOPEDIA",
        trans_date=date(2026, 3, 1),
        number="TKP-1001",
        branch_name="Kantor Pusat",
        detail_item=[
            SalesInvoiceItem(item_no="SKU-B", unit_price=Decimal("55500"), quantity=Decimal(3), use_tax1=True)
        ],
    )
    assert invoice.request_body() == {
        "customerNo": "C-TOKOPEDIA",
        "transDate": "01/03/2026",
        "number": "TKP-1001",
        "branchName": "Kantor Pusat",
        "detailItem": [{"itemNo": "SKU-B", "unitPrice": Decimal("55500"), "quantity": Decimal(3), "useTax1": True}],
        "detailExpense": [],
        "detailDownPayment": [],
    }


def test_a_receipt_nests_fee_discounts_under_the_invoice_it_pays() -> None:
    receipt = SalesReceipt(
        customer_no="C-TOKOPEDIA",
        bank_no="1104",
        cheque_amount=Decimal("149043"),
        trans_date=date(2026, 3, 9),
        detail_invoice=[
            ReceiptInvoice(
                invoice_no="TKP-1001",
                payment_amount=Decimal("160950"),
                detail_discount=[ReceiptDiscount(account_no="6101", amount=Decimal("9657"))],
            )
        ],
    )
    body = receipt.request_body()
    assert body["detailInvoice"] == [
        {
            "invoiceNo": "TKP-1001",
            "paymentAmount": Decimal("160950"),
            "detailDiscount": [{"accountNo": "6101", "amount": Decimal("9657")}],
        }
    ]


def test_a_sales_return_sends_the_tax_fields_the_spec_requires() -> None:
    sales_return = SalesReturn(
        customer_no="C-1",
        return_type="INVOICE",
        invoice_number="SI-1",
        trans_date=date(2026, 4, 2),
        detail_item=[SalesReturnItem(item_no="SKU-A", unit_price=Decimal(100))],
    )
    body = sales_return.request_body()
    assert (body["taxDate"], body["taxNumber"], body["detailExpense"]) == ("02/04/2026", "", [])


def test_models_read_back_what_accurate_writes() -> None:
    """A record in Accurate's spelling (camelCase, dd/MM/yyyy) validates into the same model."""
    invoice = SalesInvoice.model_validate(
        {"customerNo": "C-1", "transDate": "31/12/2026", "detailItem": [{"itemNo": "A", "unitPrice": "10.5"}]}
    )
    assert invoice.trans_date == date(2026, 12, 31)
    assert invoice.detail_item[0].unit_price == Decimal("10.5")


def test_unknown_return_types_are_refused_before_any_call() -> None:
    with pytest.raises(ValidationError):
        SalesReturn(
            customer_no="C",
            return_type="CANCEL",
            trans_date=date(2026, 1, 1),
            detail_item=[SalesReturnItem(item_no="A", unit_price=Decimal(1))],
        )


def test_amounts_travel_as_exact_json_numbers() -> None:
    text = to_json({"a": Decimal("95275.123456"), "b": Decimal("1E+3"), "c": Decimal("160950.00"), "d": [True, None]})
    assert text == '{"a":95275.123456,"b":1000,"c":160950,"d":[true,null]}'
    assert from_json(text)["a"] == Decimal("95275.123456")
