"""Money is `Decimal`, rounded explicitly. Accurate books Indonesian rupiah in whole units."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Final

ZERO: Final = Decimal(0)
RUPIAH: Final = Decimal(1)


def to_decimal(value: object) -> Decimal:
    """Turn a JSON number or string into a Decimal without passing through float."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not an amount")
    if isinstance(value, int | str):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    raise TypeError(f"not an amount: {value!r}")


def round_rupiah(amount: Decimal) -> Decimal:
    """Round half up to a whole rupiah, as Accurate stores IDR amounts."""
    return amount.quantize(RUPIAH, rounding=ROUND_HALF_UP)
