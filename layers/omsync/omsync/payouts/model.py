"""One payout as omsync reads it from a marketplace's settlement export, whatever the file's format.

A payout is money the marketplace moved into the seller's marketplace balance on one date, for many
orders. Each `PayoutLine` is one order's share of it, in the seller's terms:

- ``amount``: the item value the marketplace settles for the order — the seller's net after
  seller-funded discounts and vouchers, PPN included when the store's prices include it (what the order's
  Sales Invoice put on Piutang). Negative for a refund after settlement (a return or a cancellation);
- ``fees``: fee kind → what the marketplace kept (positive) or gave back (negative). Kinds are
  `STANDARD_FEE_KINDS`, ``pph22`` for income tax withheld, or a lower-case slug of the file's own fee
  name for anything else (it then needs an account under ``accounts.extra_fees`` in the mapping);
- ``net``: what the file says this line adds to the payout. It must equal ``amount − Σ fees``.

A `PayoutCharge` is a row that belongs to no order (an ads top-up, a penalty, a reimbursement, a seller
credit): money the marketplace took from (negative) or added to (positive) the balance, of one kind.

``amount`` on the payout is the total the file states; its lines and charges must add up to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Final

from omsync.money import ZERO

STANDARD_FEE_KINDS: Final = (
    "commission",
    "service",
    "payment",
    "order_processing",
    "affiliate",
    "shipping_difference",
)
PPH22: Final = "pph22"


@dataclass(frozen=True)
class PayoutLine:
    """One order's share of a payout."""

    order_sn: str
    amount: Decimal
    fees: Mapping[str, Decimal] = field(default_factory=dict)
    net: Decimal = ZERO
    source_row: int = 0
    """The 1-based line of the file the line was read from (its first row, when it spans several)."""

    @property
    def computed_net(self) -> Decimal:
        return self.amount - sum(self.fees.values(), ZERO)

    @property
    def is_refund(self) -> bool:
        return self.amount < 0


@dataclass(frozen=True)
class PayoutCharge:
    """A payout row of no order: rupiah the marketplace added to (positive) or took from (negative) the balance.

    ``kind`` is a fee kind (`STANDARD_FEE_KINDS`, ``other``, or a slug such as ``advertising``) naming the
    account it is booked on; ``label`` is the file's own name for the row, shown to the seller.
    """

    kind: str
    amount: Decimal
    label: str
    source_row: int = 0


@dataclass(frozen=True)
class Payout:
    """Money the marketplace paid out on one date, for many orders."""

    payout_id: str
    paid_on: date
    amount: Decimal
    lines: tuple[PayoutLine, ...]
    source: str
    """The file format it was read from: ``shopee``, ``tiktok`` or ``lazada``."""
    charges: tuple[PayoutCharge, ...] = ()
    """Rows of no order (seller-level charges and credits)."""

    @property
    def lines_total(self) -> Decimal:
        """What the lines and the charges add up to (rupiah); the file's total must equal it."""
        return sum((line.net for line in self.lines), ZERO) + sum((c.amount for c in self.charges), ZERO)


class SettlementFileError(ValueError):
    """The file cannot be read as the named format; the message names the line and the problem."""
