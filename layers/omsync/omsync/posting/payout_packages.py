"""A payout line of a marketplace order Ginee split into packages: which packages' invoices it pays.

Ginee may split one marketplace order into several Ginee orders (packages) with one marketplace number, each
invoiced apart (docs/POSTING.md §6). The marketplaces' settlement files name the marketplace order, not the
package: Shopee's escrow (``order_income.escrow_amount``, reference/ginee-api.md §5.1) and its income report
are per marketplace order, covering every package of it, and no export carries Ginee's order id. So a line is
matched to packages **by the amounts**: to the fewest packages, in invoice order, whose invoices still owe
together what the line settles (within the store's ``settlement_tolerance``), and split into one line per
package — each its package's amount, the line's fees split over them in proportion (whole rupiah, the last
taking the rest), the net the rest — so every package is receipted against its own invoice.

A refund line goes to the first package whose returns credited something, else the first; a line of no item
value to the first. A line whose amount no set of packages owes stays one line on the first open package, and
the payout plan holds it ``amount_mismatch`` with both figures, as for any order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from itertools import combinations

from omsync.money import ZERO
from omsync.payouts.model import Payout, PayoutLine
from omsync.posting.invoice import split_proportionally
from omsync.posting.receipts import ESTIMATE_SOURCE, SettledOrder

MAX_PACKAGES_MATCHED = 6
"""The most packages of one marketplace order matched by their amounts (every subset is tried: 63 at most)."""


def package_key(order_sn: str, order_id: str) -> str:
    """The key a package's share of a line is known by in the plan: the marketplace number and the Ginee order."""
    return f"{order_sn} (Ginee {order_id})"


def lines_by_package(
    payout: Payout, packages: Mapping[str, Sequence[SettledOrder]], tolerance: Decimal
) -> tuple[Payout, dict[str, SettledOrder]]:
    """The payout with each line of a marketplace number of several packages split over the packages it pays,
    and what omsync knows of each line's order by the line's (new) ``order_sn``.

    ``packages``: marketplace number → its invoiced Ginee orders, the one with the plain invoice number first.
    A number of one package keeps its line and key unchanged. Amounts are rupiah; lines keep their source row.
    """
    lines: list[PayoutLine] = []
    settled: dict[str, SettledOrder] = {}
    taken: set[str] = set()
    for line in payout.lines:
        found = list(packages.get(line.order_sn, ()))
        if len(found) <= 1:
            lines.append(line)
            if found:
                settled[line.order_sn] = found[0]
            continue
        open_packages = [p for p in found if p.order_id not in taken and _open_to(p, payout.payout_id)] or found
        chosen = _chosen(line, open_packages, tolerance)
        taken.update(p.order_id for p in chosen)
        for part, package in zip(_split(line, chosen), chosen, strict=True):
            key = package_key(line.order_sn, package.order_id)
            lines.append(replace(part, order_sn=key))
            settled[key] = package
    return replace(payout, lines=tuple(lines)), settled


def _open_to(package: SettledOrder, payout_id: str) -> bool:
    """A package no other payout settled yet (an estimate receipt is still open to the file)."""
    settled_by = package.exact_payout or (
        package.receipt_source if package.receipt_source not in (None, ESTIMATE_SOURCE) else None
    )
    return settled_by is None or settled_by == payout_id


def _owes(package: SettledOrder) -> Decimal:
    """What a payout line must settle for the package (as `plan_payout` compares it): the estimate's payment or
    the invoice's outstanding, less the buyer's shipping the invoice carries."""
    owes = package.estimate.payment if package.estimate is not None else package.due.outstanding
    return owes - package.due.shipping


def _chosen(line: PayoutLine, packages: Sequence[SettledOrder], tolerance: Decimal) -> list[SettledOrder]:
    if line.is_refund:
        return [next((p for p in packages if p.due.returned > ZERO), packages[0])]
    if line.amount == ZERO:
        return [packages[0]]
    candidates = list(packages[:MAX_PACKAGES_MATCHED])
    for size in range(1, len(candidates) + 1):
        for subset in combinations(candidates, size):
            if abs(sum((_owes(p) for p in subset), ZERO) - line.amount) <= tolerance:
                return list(subset)
    return [packages[0]]


def _split(line: PayoutLine, chosen: Sequence[SettledOrder]) -> list[PayoutLine]:
    """The line as one line per chosen package: each its amount owed (the last the rest of the line's amount),
    the fees split in proportion, the net the amount less the fees (the last the rest of the line's net)."""
    if len(chosen) == 1:
        return [line]
    owed = [_owes(p) for p in chosen]
    amounts = [*owed[:-1], line.amount - sum(owed[:-1], ZERO)]
    fee_shares = {kind: split_proportionally(fee, amounts) for kind, fee in line.fees.items()}
    parts: list[PayoutLine] = []
    for index, amount in enumerate(amounts):
        fees = {kind: shares[index] for kind, shares in fee_shares.items()}
        last = index == len(amounts) - 1
        net = line.net - sum((part.net for part in parts), ZERO) if last else amount - sum(fees.values(), ZERO)
        parts.append(replace(line, amount=amount, fees=fees, net=net))
    return parts
