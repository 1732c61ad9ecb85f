"""What a planned sales document comes to in the books: receivable, revenue, PPN — to the rupiah.

Accurate computes the tax of a document itself; this is the rule omsync plans by and docs/POSTING.md
states, so the planned documents can be checked before they are sent:

- the tax is computed once per document, on the sum of its taxed lines (as on a Faktur Pajak), and
  rounded half up to a whole rupiah;
- prices include PPN: PPN = amount × rate ÷ (1 + rate), revenue = amount − PPN
  (111 → 100 + 11 at the effective 11%);
- prices exclude PPN: PPN = amount × rate, added to the receivable;
- not taxable: no PPN.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from omsync.accurate.documents import SalesInvoice, SalesReturn
from omsync.money import ZERO, round_rupiah


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
