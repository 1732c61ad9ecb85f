"""Posting documents to Accurate exactly once, in bulk.

Accurate has no idempotency key; what it does have is the refusal of a second document with the same
number. Every document omsync posts carries a deterministic number, so:

- a row answered "Sudah ada data lain dengan …" (`DuplicateNumber`) is a document an earlier attempt
  already posted (a crash after Accurate's answer, a duplicate message): it is looked up and recorded,
  never posted twice;
- a request that fails ambiguously (`Transient`: timeout, 5xx, dropped connection — Accurate may have
  saved some rows) is followed by a look-up of its numbers, and only the ones not found are sent again.

Look-ups go through ``list.do`` with up to 100 numbers in one filter, so even the unhappy paths cost
one call per hundred documents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from omsync.accurate.client import BULK_LIMIT, AccurateClient
from omsync.accurate.documents import AccurateDocument, SalesInvoice
from omsync.accurate.errors import AccurateError, DuplicateNumber, MasterNotFound, Transient
from omsync.ledger.orders import PostedDocument
from omsync.observability import logger

AMBIGUOUS_RETRIES = 4


@dataclass
class PostOutcome:
    """What became of each document, by number."""

    saved: dict[str, PostedDocument] = field(default_factory=dict)
    """Posted now, or found already posted (by an earlier attempt)."""
    missing_master: dict[str, MasterNotFound] = field(default_factory=dict)
    """Refused because a master it names (item, customer, warehouse …) is not in Accurate."""
    refused: dict[str, AccurateError] = field(default_factory=dict)
    """Refused for another stated reason (closed period, validation …)."""
    unresolved: set[str] = field(default_factory=set)
    """Still ambiguous after every retry: neither seen saved nor refused. Try again later."""
    found: set[str] = field(default_factory=set)
    """Numbers in ``saved`` that were found already in Accurate by a look-up (a duplicate number, or after an
    ambiguous failure) rather than answered saved: posted by an earlier attempt — or by something else that
    bears the same number, which only the caller can tell (`descriptions`)."""


def accurate_totals(record: Mapping[str, Any]) -> tuple[Decimal | None, Decimal | None]:
    """(total, tax) of a saved document as Accurate answered it: ``totalAmount`` (reference/accurate-api.md §7.6:
    save.do's ``r`` carries it) and ``taxAmount``, the PPN it booked (the sandbox's name, docs/ARCHITECTURE.md;
    unverified on live Accurate). A figure absent, or not a number, is None: nothing is compared against it."""

    def figure(name: str) -> Decimal | None:
        value = record.get(name)
        if value is None or isinstance(value, bool):
            return None
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None

    return figure("totalAmount"), figure("taxAmount")


def find_posted(client: AccurateClient, module: str, numbers: Sequence[str]) -> dict[str, PostedDocument]:
    """The documents of ``module`` that exist with these numbers (one ``list.do`` per 100 numbers); a Sales
    Invoice's with Accurate's totals (`accurate_totals`), the only kind whose totals omsync keeps."""
    found: dict[str, PostedDocument] = {}
    wanted = list(dict.fromkeys(numbers))
    # Only the fields each kind is known to list: a field some kind lacks is never asked of it.
    fields = ("id", "number", "totalAmount", "taxAmount") if module == SalesInvoice.module else ("id", "number")
    for start in range(0, len(wanted), BULK_LIMIT):
        chunk = wanted[start : start + BULK_LIMIT]
        for row in client.list(module, filters={"number": ("EQUAL", chunk)}, fields=fields):
            number = str(row.get("number"))
            if number in chunk:
                total, tax = accurate_totals(row)
                found[number] = PostedDocument(number, int(row["id"]), total=total, tax=tax)
    return found


def descriptions(client: AccurateClient, module: str, numbers: Sequence[str]) -> dict[str, str]:
    """Number → ``description`` of the documents of ``module`` with these numbers (one ``list.do`` per 100)."""
    found: dict[str, str] = {}
    wanted = list(dict.fromkeys(numbers))
    for start in range(0, len(wanted), BULK_LIMIT):
        chunk = wanted[start : start + BULK_LIMIT]
        for row in client.list(module, filters={"number": ("EQUAL", chunk)}, fields=("id", "number", "description")):
            number = str(row.get("number"))
            if number in chunk:
                found[number] = str(row.get("description") or "")
    return found


def post_exactly_once(client: AccurateClient, documents: Sequence[AccurateDocument]) -> PostOutcome:
    """Make every document exist in Accurate once; report per number what happened.

    All documents must be of one kind and carry their number (``key``).
    """
    outcome = PostOutcome()
    if not documents:
        return outcome
    module = documents[0].module
    by_number: dict[str, AccurateDocument] = {}
    for document in documents:
        if not document.key:
            raise ValueError("a document posted exactly once needs its own number")
        by_number[document.key] = document
    numbers = list(by_number)
    for start in range(0, len(numbers), BULK_LIMIT):
        _post_chunk(client, module, [by_number[n] for n in numbers[start : start + BULK_LIMIT]], outcome)
    return outcome


def _post_chunk(client: AccurateClient, module: str, chunk: list[AccurateDocument], outcome: PostOutcome) -> None:
    pending = {str(d.key): d for d in chunk}
    for _attempt in range(AMBIGUOUS_RETRIES):
        try:
            rows = client.bulk_save(list(pending.values()))
        except Transient as error:
            # "module" is a LogRecord attribute of its own; as an extra key it would raise KeyError.
            logger.warning(
                "bulk-save ambiguous, looking the numbers up",
                extra={"accurate_module": module, "error": type(error).__name__},
            )
            found = _look_up(client, module, list(pending))
            outcome.saved.update(found)
            outcome.found.update(found)
            for number in found:
                pending.pop(number)
            if not pending:
                return
            continue
        duplicates: list[str] = []
        for row in rows:
            number = str(row.document.key)
            if row.saved is not None:
                total, tax = accurate_totals(row.saved.record)
                outcome.saved[number] = PostedDocument(number, row.saved.id, total=total, tax=tax)
            elif isinstance(row.error, DuplicateNumber):
                duplicates.append(number)
            elif isinstance(row.error, MasterNotFound):
                outcome.missing_master[number] = row.error
            elif row.error is not None:
                outcome.refused[number] = row.error
        if duplicates:
            found = _look_up(client, module, duplicates)
            outcome.saved.update(found)
            outcome.found.update(found)
            # A duplicate that cannot be found was deleted in between; leave it for the next attempt.
            outcome.unresolved.update(set(duplicates) - set(found))
        return
    outcome.unresolved.update(pending)


def _look_up(client: AccurateClient, module: str, numbers: list[str]) -> dict[str, PostedDocument]:
    try:
        return find_posted(client, module, numbers)
    except Transient:
        return {}
