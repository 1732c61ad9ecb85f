"""What a planned sales document comes to in the books: receivable, revenue, PPN — to the rupiah.

Accurate computes the tax of a document itself; this is the rule omsync plans by and docs/POSTING.md
states, so the planned documents can be checked before they are sent:

- the tax is computed once per document, on the sum of its taxed lines (as on a Faktur Pajak), and
  rounded half up to a whole rupiah;
- prices include PPN: PPN = amount × rate ÷ (1 + rate), revenue = amount − PPN
  (111 → 100 + 11 at the effective 11%);
- prices exclude PPN: PPN = amount × rate, added to the receivable;
- not taxable: no PPN.

What Accurate books may differ from that plan by its rounding only (it rounds PPN down, docs/POSTING.md §3a):
less than a rupiah of tax, so at most Rp1 once both are whole. Anything more means Accurate's tax set-up
computes another tax than the store's mapping says (`tax_mismatch`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from omsync.accurate.documents import SalesInvoice, SalesReturn
from omsync.config.mapping import StoreMapping
from omsync.errors import OnHold
from omsync.money import ZERO, round_rupiah

TAX_MISMATCH = "tax_mismatch"
ROUNDING_LEFTOVER = Decimal(1)
"""The most Accurate's PPN may differ from omsync's plan by rounding alone (rupiah): half up against down."""


@dataclass(frozen=True)
class DocumentAmounts:
    """The journal of a sales document by role: receivable = revenue + ppn + other_revenue.

    For an invoice the receivable is debited and the rest credited; a sales return reverses each.
    """

    receivable: Decimal
    revenue: Decimal
    ppn: Decimal
    other_revenue: Decimal
    """Invoice expense lines (e.g. buyer shipping booked as revenue), outside the tax."""


def split_inclusive(amount: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """(revenue, PPN) of a tax-inclusive amount; the PPN rounds half up, revenue takes the rest."""
    ppn = round_rupiah(amount * rate / (1 + rate))
    return amount - ppn, ppn


def document_amounts(document: SalesInvoice | SalesReturn, rate: Decimal) -> DocumentAmounts:
    """Receivable, revenue and PPN of a planned invoice or return under the rule above."""
    lines = sum(
        (line.unit_price * line.quantity - (line.item_cash_discount or ZERO) for line in document.detail_item), ZERO
    )
    other = sum((expense.expense_amount for expense in document.detail_expense), ZERO)
    if not document.taxable:
        return DocumentAmounts(receivable=lines + other, revenue=lines, ppn=ZERO, other_revenue=other)
    if document.inclusive_tax:
        revenue, ppn = split_inclusive(lines, rate)
    else:
        revenue, ppn = lines, round_rupiah(lines * rate)
    return DocumentAmounts(receivable=revenue + ppn + other, revenue=revenue, ppn=ppn, other_revenue=other)


def tax_mismatch_hold(invoice: SalesInvoice, store: StoreMapping, accurate_tax: Decimal) -> OnHold | None:
    """The ``tax_mismatch`` hold of an invoice whose PPN in Accurate (``accurate_tax``, rupiah, what its save or
    detail answer says) differs from omsync's plan by more than the rounding leftover (`ROUNDING_LEFTOVER`);
    None when they agree. The hold names both figures and the store's tax set-up, never the buyer."""
    planned = document_amounts(invoice, store.tax.effective_rate).ppn
    if abs(accurate_tax - planned) <= ROUNDING_LEFTOVER:
        return None
    rate = (store.tax.ppn_rate * 100).normalize()
    base = "DPP Nilai Lain 11/12" if store.tax.dpp_nilai_lain else "DPP 100%"
    return OnHold(
        TAX_MISMATCH,
        f"invoice {invoice.number}: Accurate booked PPN {accurate_tax:,}, omsync planned {planned:,} (tax "
        f"{store.tax.tax_name} at {rate:f}% on {base}, the store's mapping)",
        f"in Accurate check the rate of tax {store.tax.tax_name} (Perusahaan → Pajak) against the store's "
        f"tax.ppn_rate, and its DPP choice against tax.dpp_nilai_lain; then save invoice {invoice.number} again in "
        "Accurate so that it recomputes its tax, or correct the mapping and apply it. No receipt is posted for the "
        "order meanwhile; it is released once Accurate's PPN is the plan's",
    )
