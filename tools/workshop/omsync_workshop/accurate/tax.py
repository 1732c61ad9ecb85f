"""A document's tax as Accurate computes it (reference/accurate-api.md §16; docs/ARCHITECTURE.md, the Accurate
sandbox), apart from HTTP and the books so that it can be checked on Accurate's documented examples.

- **Six decimals.** Accurate keeps non-whole values to 6 decimals: a line's value before tax, the base (DPP)
  and the tax before rounding are quantized to 0.000001 (half up).
- **The line's value.** A tax-inclusive line is worth its net amount ÷ (1 + rate × DPP fraction); an
  exclusive line its net amount.
- **DPP.** The tax base is the taxed lines' value × the document's DPP fraction: 1 (100%, Accurate's default)
  or 11/12 ("DPP Nilai Lain", PMK 131/2024) — so PPN 12% on 11/12 is an effective 11%.
- **Tax.** The document's tax is the taxed lines' value × the DPP fraction × rate, computed exactly and rounded
  *down* to the whole rupiah (50,000 including 11% → PPN 4,954, not 4,955). The DPP shown (6 decimals) is not
  what the tax is taken from: 2,000 at 12% on 11/12 is PPN 220 (the effective 11% of PMK 131/2024), where the
  6-decimal DPP 1,833.333333 × 12% would give 219.999999 and round down to 219 — which no tax rule asks for.
- **Leftover.** On an inclusive document the gross is what the buyer owes; what neither the lines' values nor
  the tax take (50,000 − 45,045.045045 − 4,954 = 0.954955) goes to the company's rounding account ("Akun
  Pembulatan"). On an exclusive document the total is the lines plus the tax and nothing is left over.

Hand-written: this is the arithmetic under test, and no library carries Accurate's rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction

ZERO = Decimal(0)
HUNDRED = Decimal(100)
SIX_DECIMALS = Decimal("0.000001")
DPP_FULL = Fraction(1)
DPP_OTHER_VALUE = Fraction(11, 12)
"""DPP Nilai Lain 11/12 (PMK 131/2024): the base of PPN 12% on goods that are not luxury goods. A fraction, not a
Decimal: 11/12 has no exact decimal, and the tax is taken from the exact product."""


def six(value: Decimal) -> Decimal:
    """A value to Accurate's 6 decimals, half up."""
    return value.quantize(SIX_DECIMALS, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class DocumentTax:
    """A document's lines and tax as Accurate books them, every value in rupiah.

    ``values`` holds each line's value before tax (6 decimals; an untaxed line's is its net amount);
    ``base`` is the taxed lines' value, ``dpp`` the tax base, ``tax`` the whole-rupiah tax, ``rounding`` the
    leftover for the rounding account and ``total`` what the customer (or vendor) is owed.
    """

    values: tuple[Decimal, ...]
    untaxed: Decimal
    base: Decimal
    dpp: Decimal
    tax: Decimal
    rounding: Decimal
    total: Decimal


def document_tax(
    lines: Sequence[tuple[Decimal, bool]], rate: Decimal, dpp_fraction: Fraction, *, inclusive: bool
) -> DocumentTax:
    """The tax of a document's item lines, each given as (net amount in rupiah, taxed).

    ``rate`` is the tax's rate in percent (12 for PPN 12%), ``dpp_fraction`` the document's base (`DPP_FULL`
    or `DPP_OTHER_VALUE`). Raises `ValueError` for a negative rate or a fraction outside (0, 1].
    """
    if rate < ZERO or not 0 < dpp_fraction <= 1:
        raise ValueError(f"tax rate {rate}% with DPP fraction {dpp_fraction} is not a tax Accurate computes")
    numerator, denominator = Decimal(dpp_fraction.numerator), Decimal(dpp_fraction.denominator)
    effective = rate * numerator / (denominator * HUNDRED)
    values = tuple(six(net / (1 + effective)) if taxed and inclusive else net for net, taxed in lines)
    base = sum((value for value, (_, taxed) in zip(values, lines, strict=True) if taxed), ZERO)
    untaxed = sum((net for net, taxed in lines if not taxed), ZERO)
    dpp = six(base * numerator / denominator)
    # Multiplied first, divided once: exact whenever the tax is a whole rupiah, so rounding down is safe.
    tax = (base * rate * numerator / (denominator * HUNDRED)).quantize(Decimal(1), rounding=ROUND_DOWN)
    if inclusive:
        gross = sum((net for net, taxed in lines if taxed), ZERO)
        return DocumentTax(values, untaxed, base, dpp, tax, gross - base - tax, gross + untaxed)
    return DocumentTax(values, untaxed, base, dpp, tax, ZERO, base + tax + untaxed)
