"""Specification: the Accurate sandbox keeps a document's e-Faktur fields (issue 17, build items 3 and 4).

Source: reference/accurate-spec.json — Sales Invoice ``documentCode`` (enum DIGUNGGUNG, DOCUMENT, EXPORT,
INVOICE), ``taxDate`` ("Tax reporting date, if different from transaction date", dd/MM/yyyy) and ``taxNumber``;
Sales Return ``taxDate`` and ``taxNumber`` (required; an empty number is Accurate's own numbering).
"""

from __future__ import annotations

from typing import Any

import pytest

from omsync_workshop.accurate.models import Company, Refused
from omsync_workshop.accurate.server import seed_company


def invoice(number: str, **fields: Any) -> dict[str, Any]:
    """A tax-inclusive Sales Invoice of one SKU-A at 55,500 to Tokopedia's customer, dated 05/03/2026."""
    return {
        "customerNo": "C-TOKOPEDIA",
        "transDate": "05/03/2026",
        "branchName": "Kantor Pusat",
        "number": number,
        "taxable": True,
        "inclusiveTax": True,
        "detailItem": [{"itemNo": "SKU-A", "unitPrice": 55500, "quantity": 1, "useTax1": True}],
        **fields,
    }


def test_an_invoice_keeps_its_document_code_and_tax_date_the_transaction_date_by_default() -> None:
    books = Company(seed_company())

    digunggung = books.save("sales-invoice", invoice("INV-1", documentCode="DIGUNGGUNG"))
    later = books.save("sales-invoice", invoice("INV-2", documentCode="INVOICE", taxDate="06/03/2026"))

    assert (digunggung["documentCode"], digunggung["taxDate"]) == ("DIGUNGGUNG", "05/03/2026")
    assert (later["documentCode"], later["taxDate"]) == ("INVOICE", "06/03/2026")


def test_a_document_code_outside_accurates_enum_is_refused() -> None:
    with pytest.raises(Refused, match="documentCode"):
        Company(seed_company()).save("sales-invoice", invoice("INV-1", documentCode="CONSUMER"))


def test_a_return_keeps_its_tax_date() -> None:
    books = Company(seed_company())
    books.save("sales-invoice", invoice("INV-1", documentCode="DIGUNGGUNG"))

    saved = books.save(
        "sales-return",
        {
            "customerNo": "C-TOKOPEDIA",
            "returnType": "INVOICE",
            "invoiceNumber": "INV-1",
            "number": "INV-1-R1",
            "transDate": "09/03/2026",
            "branchName": "Kantor Pusat",
            "taxDate": "09/03/2026",
            "taxNumber": "",
            "detailExpense": [],
            "detailItem": [{"itemNo": "SKU-A", "unitPrice": 55500, "quantity": 1}],
        },
    )

    assert (saved["taxDate"], saved["taxNumber"]) == ("09/03/2026", None)
