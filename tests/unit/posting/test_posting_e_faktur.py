"""Specification: e-Faktur readiness (issue 17, build items 3 and 4; docs/POSTING.md §3b).

A PKP store's customer stands for the marketplace's anonymous end consumers: their tax invoices are aggregated
("digunggung", PER-11/PJ/2025). Every Sales Invoice says so (``documentCode: DIGUNGGUNG``, one of Accurate's
documentCode values) and carries its tax date, the day of the sale; a store whose customer is one identified buyer
marks its invoices ``INVOICE`` (a full Faktur Pajak). A Sales Return is dated, and tax-dated, when its goods came
back. A store that is not PKP issues no tax invoice: no e-Faktur field.
"""

from __future__ import annotations

import pytest
from posting_builders import store, worked_example_order
from pydantic import ValidationError

from omsync.ginee.models import Order
from omsync.posting.invoice import plan_sales_invoice
from omsync.posting.returns import PostedDocuments, plan_sales_returns


def test_a_pkp_stores_invoice_is_an_aggregated_tax_invoice_dated_with_the_sale() -> None:
    invoice = plan_sales_invoice(worked_example_order(), store())

    assert invoice.document_code == "DIGUNGGUNG"
    assert invoice.tax_date == invoice.trans_date
    body = invoice.request_body()
    assert body["documentCode"] == "DIGUNGGUNG" and body["taxDate"] == "16/03/2026"  # paid 17:05 UTC, 00:05 WIB


def test_an_identified_buyer_gets_a_full_tax_invoice() -> None:
    identified = store(tax={"pkp": True, "tax_name": "PPN", "buyer": "identified"})
    assert plan_sales_invoice(worked_example_order(), identified).document_code == "INVOICE"


def test_a_store_that_is_not_pkp_sends_no_e_faktur_field() -> None:
    invoice = plan_sales_invoice(worked_example_order(), store(tax={"pkp": False}))
    assert invoice.document_code is None and invoice.tax_date is None
    assert "documentCode" not in invoice.request_body() and "taxDate" not in invoice.request_body()


def test_a_returns_tax_date_is_the_day_its_goods_came_back() -> None:
    data = worked_example_order().model_dump(by_alias=True, mode="json")
    data["orderStatus"] = "COMPLETED"
    data["returnInfos"] = [
        {
            "returnId": "RT-1",
            "status": "COMPLETED",
            "createAt": "2026-03-20T02:00:00Z",
            "receivedAt": "2026-03-22T18:30:00Z",
            "refundAmount": "53650",
            "items": [{"itemId": "IT-SKU-B", "masterSku": "SKU-B", "quantity": 1, "refundAmount": "53650"}],
        }
    ]
    returned = Order.model_validate(data)
    [sales_return] = plan_sales_returns(returned, store(), PostedDocuments(invoice_number="TP-INV/20260315/1001"))
    assert sales_return.request_body()["taxDate"] == "23/03/2026" == sales_return.request_body()["transDate"]
    assert sales_return.request_body()["taxNumber"] == ""  # Accurate's own tax numbering


def test_the_buyer_is_aggregated_or_identified() -> None:
    with pytest.raises(ValidationError, match="tax.buyer"):
        store(tax={"pkp": True, "tax_name": "PPN", "buyer": "anonymous"})
