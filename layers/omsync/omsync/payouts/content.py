"""What a payout contained, kept once it is posted, so that importing its file again compares content, not ids.

A posted payout's *content* is one entry per line and per charge: a key (the marketplace order number, or
``charge:<label>`` for a row of no order; ``#2``, ``#3``… when the same key comes again in one payout) and
a text of its rupiah amounts. Importing a payout whose id is already posted then means (docs/POSTING.md §18):

- the same content → already posted, nothing changes;
- every posted entry unchanged and some new ones → a *fuller export* of the same payout (Shopee's payout is
  only a release date, so a later download of the day has more orders): the new entries are a supplement;
- an entry changed or missing → held, both versions shown; nothing is posted.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Final, Literal

from omsync.money import ZERO
from omsync.payouts.model import Payout, PayoutCharge, PayoutLine

CHARGE_PREFIX: Final = "charge:"
SUPPLEMENT_MARK: Final = "-S"


def _line_text(line: PayoutLine) -> str:
    fees = ",".join(f"{kind}:{amount}" for kind, amount in sorted(line.fees.items()))
    return f"amount {line.amount}; fees {fees or '-'}; net {line.net}"


def _charge_text(charge: PayoutCharge) -> str:
    return f"{charge.kind} {charge.amount}"


def _numbered(key: str, seen: dict[str, int]) -> str:
    seen[key] = seen.get(key, 0) + 1
    return key if seen[key] == 1 else f"{key}#{seen[key]}"


def _entries(payout: Payout) -> dict[str, PayoutLine | PayoutCharge]:
    seen: dict[str, int] = {}
    entries: dict[str, PayoutLine | PayoutCharge] = {}
    for line in payout.lines:
        entries[_numbered(line.order_sn, seen)] = line
    for charge in payout.charges:
        entries[_numbered(CHARGE_PREFIX + charge.label, seen)] = charge
    return entries


def payout_content(payout: Payout) -> dict[str, str]:
    """Entry key → the text of its amounts (rupiah), for every line and charge of the payout."""
    return {
        key: _line_text(entry) if isinstance(entry, PayoutLine) else _charge_text(entry)
        for key, entry in _entries(payout).items()
    }


@dataclass(frozen=True)
class ContentChange:
    """How a payout read again compares with what was posted under its id."""

    kind: Literal["same", "fuller", "changed"]
    supplement: Payout | None = None
    """``fuller``: the new lines and charges alone, as a payout of their own (id ``<id>-S<n>``)."""
    differences: list[str] = field(default_factory=list)
    """``changed``: one text per entry that differs, both versions shown."""


def compare_content(posted: Mapping[str, str], payout: Payout, supplements_so_far: int) -> ContentChange:
    """Compare the content posted under ``payout.payout_id`` with the payout read now."""
    entries = _entries(payout)
    now = payout_content(payout)
    differences = [
        f"{_describe(key)}: posted {text}; this file {now[key]}"
        if key in now
        else f"{_describe(key)}: posted {text}; this file has no such row"
        for key, text in posted.items()
        if now.get(key) != text
    ]
    if differences:
        return ContentChange("changed", differences=differences)
    new_keys = [key for key in now if key not in posted]
    if not new_keys:
        return ContentChange("same")
    lines = tuple(entry for key, entry in entries.items() if key in new_keys and isinstance(entry, PayoutLine))
    charges = tuple(entry for key, entry in entries.items() if key in new_keys and isinstance(entry, PayoutCharge))
    amount = sum((line.net for line in lines), ZERO) + sum((charge.amount for charge in charges), ZERO)
    supplement = replace(
        payout,
        payout_id=supplement_id(payout.payout_id, supplements_so_far + 1),
        amount=amount,
        lines=lines,
        charges=charges,
    )
    return ContentChange("fuller", supplement=supplement)


def supplement_id(payout_id: str, n: int) -> str:
    """The id of a payout's ``n``-th supplement: ``<payout id>-S<n>``."""
    return f"{payout_id}{SUPPLEMENT_MARK}{n}"


def _describe(key: str) -> str:
    if key.startswith(CHARGE_PREFIX):
        return f"row {key.removeprefix(CHARGE_PREFIX)!r}"
    return f"order {key}"
