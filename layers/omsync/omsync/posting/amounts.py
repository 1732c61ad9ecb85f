"""What a planned sales document comes to in the books: receivable, revenue, PPN — to the rupiah.

Accurate computes the tax of a document itself; this is the rule omsync plans by and docs/POSTING.md
states, so the planned documents can be checked before they are sent:

- the tax is computed once per document, on the sum of its taxed lines (as on a Faktur Pajak), and
  rounded half up to a whole rupiah;
- prices include PPN: PPN = amount × rate ÷ (1 + rate), revenue = amount − PPN
  (111 → 100 + 11 at the effective 11%);
- prices exclude PPN: PPN = amount × rate, added to the receivable;
- not taxable: no PPN.

After a document is saved omsync keeps Accurate's own totals and uses them (an invoice's and a Sales Return's
``totalAmount``: what a receipt pays, what a refund moves). What Accurate books may differ from that plan by its
rounding only (it rounds PPN down, docs/POSTING.md §3a):
less than a rupiah of tax, so at most Rp1 once both are whole. Anything more means Accurate's tax set-up
computes another tax than the store's mapping says (`tax_mismatch`).
"""

from __future__ import annotations

from collections.abc import Iterable
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
    revenue, ppn = _split(lines, rate, inclusive=bool(document.inclusive_tax))
    return DocumentAmounts(receivable=revenue + ppn + other, revenue=revenue, ppn=ppn, other_revenue=other)


def _split(amount: Decimal, rate: Decimal, *, inclusive: bool) -> tuple[Decimal, Decimal]:
    if inclusive:
        return split_inclusive(amount, rate)
    return amount, round_rupiah(amount * rate)


def planned_ppn(taxed_lines: Iterable[tuple[Decimal, bool]], store: StoreMapping) -> Decimal:
    """The PPN omsync plans (rupiah, the rule above) on a document of the store whose lines are given as (net
    amount in rupiah — unit price × quantity less the line's discount —, taxed): what a document it posted
    should carry, worked out again from the lines the Ledger recorded for it."""
    if not store.tax.pkp:
        return ZERO
    taxed = sum((net for net, is_taxed in taxed_lines if is_taxed), ZERO)
    return _split(taxed, store.tax.effective_rate, inclusive=store.tax.prices_include_ppn)[1]


def tax_mismatch_hold(
    document: SalesInvoice | SalesReturn, store: StoreMapping, accurate_tax: Decimal
) -> OnHold | None:
    """The ``tax_mismatch`` hold of an invoice or Sales Return whose PPN in Accurate (``accurate_tax``, rupiah, what
    its save or detail answer says) differs from omsync's plan by more than the rounding leftover
    (`ROUNDING_LEFTOVER`); None when they agree. The hold names both figures and the store's tax set-up, never the
    buyer."""
    kind = "invoice" if isinstance(document, SalesInvoice) else "return"
    planned = document_amounts(document, store.tax.effective_rate).ppn
    return tax_difference_hold(f"{kind} {document.number}", planned, accurate_tax, store)


def tax_difference_hold(document: str, planned: Decimal, accurate_tax: Decimal, store: StoreMapping) -> OnHold | None:
    """The ``tax_mismatch`` hold of a document (``document``: "invoice SP-1", "return SP-1-R1") whose PPN in
    Accurate differs from the ``planned`` PPN (rupiah) by more than `ROUNDING_LEFTOVER`; None when they agree."""
    if abs(accurate_tax - planned) <= ROUNDING_LEFTOVER:
        return None
    rate = (store.tax.ppn_rate * 100).normalize()
    base = "DPP Nilai Lain 11/12" if store.tax.dpp_nilai_lain else "DPP 100%"
    return OnHold(
        TAX_MISMATCH,
        f"{document}: Accurate booked PPN {accurate_tax:,}, omsync planned {planned:,} (tax "
        f"{store.tax.tax_name} at {rate:f}% on {base}, the store's mapping)",
        f"in Accurate check the rate of tax {store.tax.tax_name} (Perusahaan → Pajak) against the store's "
        f"tax.ppn_rate, and its DPP choice against tax.dpp_nilai_lain; then save {document} again in "
        "Accurate so that it recomputes its tax, or correct the mapping and apply it. No receipt or payout pays the "
        "order meanwhile; it is released once Accurate's PPN is the plan's",
    )
