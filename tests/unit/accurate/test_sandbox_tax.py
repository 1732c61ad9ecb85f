"""Specification: the Accurate sandbox computes a document's tax as Accurate documents it (issue 17, build item 1).

Source: reference/accurate-api.md §16 — Accurate keeps 6 decimals, does not round PPN up, and journals the
leftover to the company's rounding account; PPN 12% with "DPP Nilai Lain" 11/12 is an effective 11%, and 100%
is the default base.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from omsync_workshop.accurate.models import Company
from omsync_workshop.accurate.server import seed_company
from omsync_workshop.accurate.tax import DPP_FULL, DPP_OTHER_VALUE, document_tax


def test_fifty_thousand_including_eleven_percent_books_ppn_4954_and_0_954955_to_rounding() -> None:
    # The documented example: 50,000 including 11% → base 45,045.045045, PPN 4,954, leftover 0.954955
    tax = document_tax([(Decimal(50000), True)], Decimal(11), DPP_FULL, inclusive=True)

    assert tax.values == (Decimal("45045.045045"),)
    assert tax.tax == Decimal(4954)
    assert tax.rounding == Decimal("0.954955")
    assert tax.base + tax.tax + tax.rounding == tax.total == Decimal(50000)


def test_ppn_twelve_percent_on_dpp_eleven_twelfths_is_the_same_amount_on_a_smaller_base() -> None:
    eleven = document_tax([(Decimal(50000), True)], Decimal(11), DPP_FULL, inclusive=True)
    twelve = document_tax([(Decimal(50000), True)], Decimal(12), DPP_OTHER_VALUE, inclusive=True)

    assert (twelve.base, twelve.tax, twelve.rounding) == (eleven.base, eleven.tax, eleven.rounding)
    assert twelve.dpp == Decimal("41291.291291")


def test_ppn_twelve_percent_on_a_full_base_overstates_the_tax_as_the_issue_says() -> None:
    # 111,000 including PPN: 11,000 on DPP 11/12, but 11,892 (not rounded up) when 100% stays the default
    right = document_tax([(Decimal(111000), True)], Decimal(12), DPP_OTHER_VALUE, inclusive=True)
    default = document_tax([(Decimal(111000), True)], Decimal(12), DPP_FULL, inclusive=True)

    assert right.tax == Decimal(11000)
    assert default.tax == Decimal(11892)


def test_an_exclusive_document_adds_the_tax_rounded_down_and_leaves_nothing_over() -> None:
    tax = document_tax([(Decimal(45045), True), (Decimal(1000), False)], Decimal(11), DPP_FULL, inclusive=False)

    assert tax.tax == Decimal(4954)  # 4,954.95 rounded down
    assert (tax.rounding, tax.total) == (Decimal(0), Decimal(45045 + 4954 + 1000))


def test_untaxed_lines_keep_their_net_amount() -> None:
    tax = document_tax([(Decimal(55500), True), (Decimal(7000), False)], Decimal(11), DPP_FULL, inclusive=True)

    assert tax.values == (Decimal(50000), Decimal(7000))
    assert (tax.tax, tax.rounding, tax.total) == (Decimal(5500), Decimal(0), Decimal(62500))


def test_a_rate_accurate_cannot_compute_is_refused() -> None:
    with pytest.raises(ValueError, match="not a tax Accurate computes"):
        document_tax([(Decimal(1), True)], Decimal(11), Fraction(0), inclusive=True)


# --- the sandbox's books ---------------------------------------------------------------------------------------

ROUNDING, PPN_KELUARAN, SALES, RECEIVABLE = "7101", "2201", "4101", "1201"


def company(**changes: Any) -> Company:
    """The sandbox's seed company (PPN 12%, default DPP 11/12, rounding account 7101), with ``changes`` merged in."""
    return Company({**seed_company(), **changes})


def invoice(number: str, price: int, **line: Any) -> dict[str, Any]:
    """A tax-inclusive Sales Invoice of one SKU-A at ``price`` to Tokopedia's customer."""
    return {
        "customerNo": "C-TOKOPEDIA",
        "transDate": "05/03/2026",
        "branchName": "Kantor Pusat",
        "number": number,
        "taxable": True,
        "inclusiveTax": True,
        "detailItem": [{"itemNo": "SKU-A", "unitPrice": price, "quantity": 1, **line}],
    }


def net(books: Company, number: str) -> dict[str, Decimal]:
    """Net debit per account of one document's journal."""
    out: dict[str, Decimal] = {}
    for row in books.journal(number):
        out[row["accountNo"]] = out.get(row["accountNo"], Decimal(0)) + row["debit"] - row["credit"]
    return out


def test_the_sandbox_books_50000_inclusive_as_accurate_ppn_4954_and_the_leftover_to_rounding() -> None:
    books = company()

    saved = books.save("sales-invoice", invoice("INV-1", 50000, useTax1=True))

    journal = net(books, "INV-1")
    assert journal[RECEIVABLE] == Decimal(50000)
    assert journal[SALES] == Decimal("-45045.045045")
    assert journal[PPN_KELUARAN] == Decimal(-4954)
    assert journal[ROUNDING] == Decimal("-0.954955")
    assert (saved["taxAmount"], saved["roundingAmount"], saved["totalAmount"]) == (
        Decimal(4954),
        Decimal("0.954955"),
        Decimal(50000),
    )


def test_a_line_without_use_tax1_is_taxed_by_its_items_setting() -> None:
    books = company()
    books.save("item", {"no": "SKU-T", "name": "Taxed", "itemType": "SERVICE", "tax1Name": "PPN"})

    books.save("sales-invoice", {**invoice("INV-T", 55500), "detailItem": [{"itemNo": "SKU-T", "unitPrice": 55500}]})
    books.save("sales-invoice", invoice("INV-U", 55500))  # SKU-A carries no tax in the seed

    assert net(books, "INV-T")[PPN_KELUARAN] == Decimal(-5500)
    assert PPN_KELUARAN not in net(books, "INV-U")
    assert net(books, "INV-U")[SALES] == Decimal(-55500)


def test_ppn_12_percent_follows_the_documents_dpp_choice_and_the_companys_default() -> None:
    full = company(preferences={"defaultDpp1112": False})
    preferred = company()  # the seed follows Accurate's 2025 guidance: PPN 12%, "Default DPP 11/12" ticked

    full.save("sales-invoice", invoice("INV-100", 111000, useTax1=True))
    full.save("sales-invoice", {**invoice("INV-1112", 111000, useTax1=True), "taxType": "DPP_NILAILAIN"})
    preferred.save("sales-invoice", invoice("INV-DEF", 111000, useTax1=True))

    # 100% is Accurate's default: 111,000 / 1.12 → PPN 11,892 (overstated); 11/12 gives the effective 11%: 11,000
    assert net(full, "INV-100")[PPN_KELUARAN] == Decimal(-11892)
    assert net(full, "INV-1112")[PPN_KELUARAN] == Decimal(-11000)
    assert net(preferred, "INV-DEF")[PPN_KELUARAN] == Decimal(-11000)
    assert full.master("sales-invoice", "INV-1112").record["dppFraction"] == "11/12"
    assert full.master("sales-invoice", "INV-100").record["dppFraction"] == "1"


def test_ppn_on_dpp_eleven_twelfths_is_taken_from_the_exact_base_not_its_six_decimal_display() -> None:
    # 2,000 excluding PPN: DPP 1,833.333333 shown, PPN 220 (the effective 11%), not 219.999999 rounded down to 219
    tax = document_tax([(Decimal(2000), True)], Decimal(12), DPP_OTHER_VALUE, inclusive=False)

    assert tax.dpp == Decimal("1833.333333")
    assert (tax.tax, tax.total) == (Decimal(220), Decimal(2220))


def test_the_seed_company_follows_accurates_2025_guidance() -> None:
    seed = seed_company()

    assert {tax["taxCode"]: tax["rate"] for tax in seed["taxes"]}["PPN"] == "12"
    assert seed["preferences"] == {"defaultDpp1112": True}
