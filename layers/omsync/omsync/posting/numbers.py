"""Deterministic document numbers: the same fact always gets the same number, so Accurate's refusal of a
duplicate number is omsync's exactly-once guard (DESIGN invariant 1)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

MAX_NUMBER_LENGTH: Final = 30
"""Accurate's spec gives no maximum for ``number``; 30 is the cap integrators observed on item codes, the
most conservative known limit, so every number omsync mints fits it."""

HASH_LENGTH: Final = 8
JAKARTA: Final = ZoneInfo("Asia/Jakarta")


def fit_number(number: str, limit: int = MAX_NUMBER_LENGTH) -> str:
    """``number`` itself when it fits; else its head plus ``-`` and 8 hex digits of its SHA-256.

    The hash is of the whole number, so two long numbers sharing a head still get different results, and
    the same long number always shortens the same way.
    """
    if len(number) <= limit:
        return number
    digest = hashlib.sha256(number.encode("utf-8")).hexdigest()[:HASH_LENGTH].upper()
    return f"{number[: limit - HASH_LENGTH - 1]}-{digest}"


def invoice_number(prefix: str, marketplace_order_number: str) -> str:
    """The Sales Invoice number of an order: store prefix + the marketplace's order number."""
    return fit_number(f"{prefix}{marketplace_order_number}")


def invoice_number_apart(invoice_no: str, ginee_order_id: str) -> str:
    """The Sales Invoice number of a Ginee order whose marketplace number another Ginee order's invoice already
    bears (a marketplace order Ginee split into packages): the plain number plus ``-`` and 8 hex digits of the
    SHA-256 of the Ginee order id, the plain part shortened first so the whole fits ``MAX_NUMBER_LENGTH``.

    Deterministic per Ginee order: each package always gets the same number, and two packages never share one.
    """
    digest = hashlib.sha256(ginee_order_id.encode("utf-8")).hexdigest()[:HASH_LENGTH].upper()
    return f"{fit_number(invoice_no, MAX_NUMBER_LENGTH - HASH_LENGTH - 1)}-{digest}"


def return_number(invoice_no: str, suffix: str) -> str:
    """A Sales Return number: the invoice number plus ``suffix`` (``-R1``, ``-R2``, ``-RC``), always fitting.

    The invoice part is shortened first so the suffix stays readable at the end.
    """
    return fit_number(invoice_no, MAX_NUMBER_LENGTH - len(suffix)) + suffix


def jakarta_date(moment: datetime) -> date:
    """Accurate's business date of an instant: its calendar date in Asia/Jakarta (WIB, UTC+7)."""
    if moment.tzinfo is None:
        raise ValueError("a naive timestamp has no business date")
    return moment.astimezone(JAKARTA).date()
