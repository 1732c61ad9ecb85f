"""Order sync records: what omsync has posted for each Ginee order, who is working on it, and why it waits.

One item per order at pk=``CONN#{cid}#ORDER#{orderId}``, sk=``SYNC``. It is the binder between a Ginee
order and its Accurate documents (invoice, returns, receipt), and it carries:

- a *lease* (``lease_owner``, ``lease_until``): taken with a conditional write before any Accurate call,
  so two workers never act on one order at once (invariant 1); it expires on its own if a Lambda dies;
- the *intent* (``intent``): the document number about to be posted, written with the lease, so the
  next attempt after a crash knows to look that number up before posting again;
- a *hold* (cause, reason, hint) with a GSI entry ``CONN#{cid}#HOLD`` / ``{cause}#{orderId}``, so held
  orders are listed by cause and released once fixed (invariant 5);
- a *tombstone*: cancelled before it was ever invoiced, so it never will be.

Writes for a batch go out as PartiQL statements, 25 to a ``BatchExecuteStatement`` request: each its own
conditional write (billed as one, 1 write unit per KB), succeeding or failing on its own, so one contested order
does not hold the others back. No write spans two orders, so nothing needs a transaction (which bills two write
units an item). An ``UPDATE`` changes an item that exists and never creates one (DynamoDB's PartiQL: its WHERE
found no item → ``ConditionalCheckFailed``), so the Ledger remembers which records exist (`OrderLedger.load`
and its own writes): a known record is updated, a record `load` found absent is created with an ``INSERT``
where the update would create it (a lease, whose condition holds on a new record), and a record of which it knows
nothing, or an update PartiQL cannot say (``if_not_exists``), goes as before: transactions of up to 100 items,
item by item when one's condition fails. One write alone is one ``UpdateItem``.

Measured (docs/ARCHITECTURE.md, "Cost per 1M orders"): the workers' writes bill 2.5 write units a document as
statements, 5.0 as transactions. Not tested against AWS itself (no account here): a request or statement DynamoDB
refused as invalid is written again as UpdateItems (`_apply`), so a refusal costs requests, never a lease. One
``UpdateItem`` per order would bill as little as the statements, but was tried and measured: row a's
20,000-order drain took 341 s instead of about 30 (Accurate utilisation 0.07; 35,272 requests where 400 did: the
local moto serves DynamoDB one request at a time), and the warm CPU per order rose from about 1.1 to 4.2 ms, which
a 256 MB function stretches to about 29 ms.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from omsync import deadline
from omsync.errors import OnHold
from omsync.ledger.tables import dynamodb, dynamodb_client, ledger_table
from omsync.posting.numbers import HASH_LENGTH, MAX_NUMBER_LENGTH, fit_number, invoice_number_apart

SYNC_SK = "SYNC"
RETURN_PREFIX = "return#"
REFUND_PREFIX = "refund#"
TRANSACTION_LIMIT = 100
BATCH_STATEMENT_LIMIT = 25
"""Statements in one ``BatchExecuteStatement`` request (DynamoDB's limit)."""
BATCH_GET_LIMIT = 100
EXISTS_REMEMBERED = 10_000
"""Order ids whose existence an `OrderLedger` remembers before `load` forgets them all (the instance lives as long as
its warm Lambda's connection context: about 100 bytes an id, so about 1 MB at most)."""
LEASE_SECONDS = 90
"""Longer than a worker's timeout (60 s), so a lease outlives the attempt that took it but not the next one; the
lease taken outside an invocation (the CLI), and the longest one taken inside (`lease_seconds`)."""
LEASE_AFTER_DEADLINE_SECONDS = 5.0
"""How long a lease taken inside an invocation outlives the invocation's end (Lambda stops it at its timeout)."""


def lease_seconds(longest: float = LEASE_SECONDS) -> float:
    """How long a lease taken now lasts (seconds): inside an invocation, until ``LEASE_AFTER_DEADLINE_SECONDS``
    after Lambda ends it (`omsync.deadline`: the waits' budget plus its safety margin is the time left), at most
    ``longest``; outside one, ``longest``.

    The attempt that took the lease cannot write after its invocation ends, so the lease outlives it, and the
    orders of a worker that died are free for the next attempt as soon as it could have ended (a function with a
    shorter timeout, as the local chaos run gives its workers, frees them sooner)."""
    left = deadline.remaining()
    if left is None:
        return longest
    return min(longest, left + deadline.SAFETY_MARGIN_SECONDS + LEASE_AFTER_DEADLINE_SECONDS)


def order_key(connection_id: str, order_id: str) -> dict[str, str]:
    """The Ledger key of one order's sync record."""
    return {"pk": f"CONN#{connection_id}#ORDER#{order_id}", "sk": SYNC_SK}


def hold_partition(connection_id: str) -> str:
    """The GSI partition that lists a connection's held orders."""
    return f"CONN#{connection_id}#HOLD"


def invoice_partition(connection_id: str) -> str:
    """The ``gsi2`` partition that finds an order by its invoice number (settlement files name orders)."""
    return f"CONN#{connection_id}#INVOICE"


@dataclass(frozen=True)
class PostedLine:
    """One line of a posted invoice or Sales Return, as posted: the record of what was sold (or taken back).

    ``quantity`` in the SKU's units; ``unit_price`` and ``discount`` (the line's whole seller discount) in
    rupiah, tax included when the document's prices include it; ``taxed``: the line carries the store's PPN.
    """

    sku: str
    quantity: int
    unit_price: Decimal
    discount: Decimal
    warehouse: str
    taxed: bool

    def to_item(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "quantity": self.quantity,
            "unit_price": self.unit_price,
            "discount": self.discount,
            "warehouse": self.warehouse,
            "taxed": self.taxed,
        }

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> PostedLine:
        return cls(
            sku=str(item["sku"]),
            quantity=int(item["quantity"]),
            unit_price=Decimal(item["unit_price"]),
            discount=Decimal(item["discount"]),
            warehouse=str(item.get("warehouse", "")),
            taxed=bool(item.get("taxed", False)),
        )


@dataclass(frozen=True)
class PostedDocument:
    """One Accurate document posted for an order: its number, Accurate's id, and the lines it was posted with
    (empty for documents recorded before the Ledger kept lines, and for those found already posted)."""

    number: str
    accurate_id: int
    lines: tuple[PostedLine, ...] = ()
    total: Decimal | None = None
    """What Accurate says the document comes to (its ``totalAmount``, rupiah): an invoice's receivable as
    Accurate booked it. None where Accurate's answer did not carry it (recorded before the Ledger kept it)."""
    tax: Decimal | None = None
    """The PPN Accurate booked on the document (its ``taxAmount``, rupiah), None where its answer did not say."""

    def lines_item(self) -> list[dict[str, Any]]:
        return [line.to_item() for line in self.lines]


def _lines(items: Any) -> tuple[PostedLine, ...]:
    return tuple(PostedLine.from_item(item) for item in items or [])


def _optional_decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


@dataclass(frozen=True)
class ReceiptRecord:
    """The Sales Receipt that paid an order's invoice, and what it booked (to work out later differences)."""

    number: str
    accurate_id: int
    source: str
    """``estimate`` or the payout id."""
    payment: Decimal
    cheque: Decimal
    lines: Mapping[str, Decimal]
    """Discount account → amount."""
    returns: tuple[str, ...] = ()
    """Ginee returns already left out of the payment."""

    def to_item(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "id": self.accurate_id,
            "source": self.source,
            "payment": self.payment,
            "cheque": self.cheque,
            "lines": dict(self.lines),
            "returns": list(self.returns),
        }

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> ReceiptRecord:
        return cls(
            number=str(item["number"]),
            accurate_id=int(item["id"]),
            source=str(item["source"]),
            payment=Decimal(item["payment"]),
            cheque=Decimal(item["cheque"]),
            lines={str(k): Decimal(v) for k, v in dict(item.get("lines", {})).items()},
            returns=tuple(str(r) for r in item.get("returns", [])),
        )


@dataclass(frozen=True)
class Hold:
    """Why an order waits for the seller, and how to fix it."""

    cause: str
    reason: str
    hint: str
    since: float


@dataclass(frozen=True)
class SyncRecord:
    """What the Ledger knows about one order."""

    order_id: str
    invoice: PostedDocument | None = None
    returns: Mapping[str, PostedDocument] = field(default_factory=dict)
    invoice_deleted: bool = False
    tombstone: bool = False
    receipt: ReceiptRecord | None = None
    exact_payout: str | None = None
    """The payout file that settled the order exactly (its receipt's, or a difference against the estimate)."""
    refunds: Mapping[str, Decimal] = field(default_factory=dict)
    """Journal voucher number → refund money it took out of the marketplace balance after the receipt."""
    hold: Hold | None = None
    lease_owner: str | None = None
    lease_until: float = 0.0
    intent: str | None = None

    @property
    def invoiced(self) -> bool:
        """An invoice exists in Accurate for this order (posted and not deleted)."""
        return self.invoice is not None and not self.invoice_deleted

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> SyncRecord:
        invoice = None
        if "invoice_number" in item:
            invoice = PostedDocument(
                str(item["invoice_number"]),
                int(item["invoice_id"]),
                _lines(item.get("invoice_lines")),
                total=_optional_decimal(item.get("invoice_total")),
                tax=_optional_decimal(item.get("invoice_tax")),
            )
        returns = {
            key.removeprefix(RETURN_PREFIX): PostedDocument(
                str(doc["number"]),
                int(doc["id"]),
                _lines(doc.get("lines")),
                total=_optional_decimal(doc.get("total")),
                tax=_optional_decimal(doc.get("tax")),
            )
            for key, doc in item.items()
            if key.startswith(RETURN_PREFIX)
        }
        refunds = {
            key.removeprefix(REFUND_PREFIX): Decimal(value)
            for key, value in item.items()
            if key.startswith(REFUND_PREFIX)
        }
        receipt = ReceiptRecord.from_item(item["receipt"]) if "receipt" in item else None
        hold = None
        if "hold_cause" in item:
            hold = Hold(
                str(item["hold_cause"]),
                str(item.get("hold_reason", "")),
                str(item.get("hold_hint", "")),
                float(item.get("held_at", 0)),
            )
        return cls(
            order_id=str(item["order_id"]),
            invoice=invoice,
            returns=returns,
            invoice_deleted=bool(item.get("invoice_deleted", False)),
            tombstone=bool(item.get("tombstone", False)),
            receipt=receipt,
            exact_payout=str(item["exact_payout"]) if item.get("exact_payout") else None,
            refunds=refunds,
            hold=hold,
            lease_owner=str(item["lease_owner"]) if item.get("lease_owner") else None,
            lease_until=float(item.get("lease_until", 0)),
            intent=str(item["intent"]) if item.get("intent") else None,
        )


@dataclass
class _Update:
    """One conditional UpdateItem (its expressions in UpdateItem's syntax), as a PartiQL statement, a
    transaction item or a single call."""

    order_id: str
    expression: str
    values: dict[str, Any]
    condition: str
    names: dict[str, str] = field(default_factory=dict)
    creates: bool = False
    """The condition holds on a record that does not exist, so the update creates it there (a lease): a record
    known to be absent may be written with an INSERT of what the update sets."""


@dataclass(frozen=True)
class _Statement:
    """One PartiQL statement and its parameters (DynamoDB JSON), in the order of its ``?``."""

    text: str
    parameters: list[dict[str, Any]]


_SET_ITEM = re.compile(r"^\s*(#?[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(:[A-Za-z0-9_]+)\s*$")
_REMOVE_ITEM = re.compile(r"^\s*(#?[A-Za-z_][A-Za-z0-9_]*)\s*$")
_CLAUSE = re.compile(r"\b(SET|REMOVE)\b")
_CONDITION_TOKEN = re.compile(
    r"\s*(?:(attribute_not_exists|attribute_exists)\s*\(\s*(#?[A-Za-z_][A-Za-z0-9_]*)\s*\)"
    r"|(#?[A-Za-z_][A-Za-z0-9_]*)\s*(<>|<=|>=|=|<|>)\s*(:[A-Za-z0-9_]+)"
    r"|(AND|OR)\b|(\(|\)))"
)
# The Ledger's writes are built in this module; these read back only the forms it builds (SET of plain values,
# REMOVE, and conditions of attribute_[not_]exists and comparisons with a value, AND, OR, parentheses): anything
# else (if_not_exists, arithmetic) is left to UpdateItem. Hand-written: boto3 has no PartiQL builder.


def _partiql_actions(update: _Update) -> tuple[list[tuple[str, str]], list[str]] | None:
    """(SET name → placeholder pairs, REMOVE names) of the update, names resolved; None outside the forms."""
    parts = _CLAUSE.split(update.expression)
    if parts[0].strip():
        return None
    sets: list[tuple[str, str]] = []
    removes: list[str] = []
    for keyword, body in zip(parts[1::2], parts[2::2], strict=True):
        for piece in body.split(","):
            matched = (_SET_ITEM if keyword == "SET" else _REMOVE_ITEM).match(piece)
            if matched is None:
                return None
            name = update.names.get(matched.group(1), matched.group(1))
            if '"' in name or "'" in name or name.startswith("#"):
                return None
            if keyword == "SET":
                sets.append((name, matched.group(2)))
            else:
                removes.append(name)
    return sets, removes


def _partiql_condition(update: _Update) -> tuple[str, list[str]] | None:
    """The condition in PartiQL (``"a" IS MISSING``, ``"a" = ?``…) and its placeholders in order; None outside
    the forms."""
    text = update.condition.strip()
    out: list[str] = []
    placeholders: list[str] = []
    position = 0
    while position < len(text):
        matched = _CONDITION_TOKEN.match(text, position)
        if matched is None or matched.end() == position:
            return None
        function, function_name, left, operator, placeholder, connective, paren = matched.groups()
        if function or left:
            name = update.names.get(function_name or left, function_name or left)
            if '"' in name or name.startswith("#"):
                return None
            if function:
                out.append(f'"{name}" IS {"NOT " if function == "attribute_exists" else ""}MISSING')
            else:
                out.append(f'"{name}" {operator} ?')
                placeholders.append(placeholder)
        else:
            out.append(connective or paren)
        position = matched.end()
    return " ".join(out), placeholders


def _number(value: float) -> Decimal:
    # DynamoDB numbers travel as Decimal through boto3's resource layer.
    return Decimal(repr(round(value, 3)))


class OrderLedger:
    """The sync records of one connection's orders."""

    def __init__(self, connection_id: str, clock: Any = time.time) -> None:
        self.connection_id = connection_id
        self._clock = clock
        self.writes = 0
        """Items written by this instance (the benchmark reports DynamoDB writes per order)."""
        self._exists: dict[str, bool] = {}
        """Order id → whether its record exists, as this instance last saw it (`load`, its own writes): which
        PartiQL statement writes it (`_statement`). Records are never deleted; a stale answer costs a retry."""

    # --- reads ----------------------------------------------------------------------------------------

    def load(self, order_ids: Iterable[str]) -> dict[str, SyncRecord]:
        """The sync records that exist for these orders (BatchGetItem, 100 keys a request)."""
        wanted = list(dict.fromkeys(order_ids))
        table_name = ledger_table().name
        found: dict[str, SyncRecord] = {}
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            keys: list[Any] = [order_key(self.connection_id, oid) for oid in wanted[start : start + BATCH_GET_LIMIT]]
            request: dict[str, Any] = {table_name: {"Keys": keys, "ConsistentRead": True}}
            while request:
                answer = dynamodb().batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(table_name, []):
                    record = SyncRecord.from_item(item)
                    found[record.order_id] = record
                request = dict(answer.get("UnprocessedKeys") or {})
        if len(self._exists) > EXISTS_REMEMBERED:
            self._exists.clear()
        self._exists.update((order_id, order_id in found) for order_id in wanted)
        return found

    def held(self) -> list[SyncRecord]:
        """Every order of this connection on hold, grouped by cause through the key order."""
        records: list[SyncRecord] = []
        query: dict[str, Any] = {
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :p",
            "ExpressionAttributeValues": {":p": hold_partition(self.connection_id)},
        }
        while True:
            answer = ledger_table().query(**query)
            records.extend(SyncRecord.from_item(item) for item in answer["Items"])
            if "LastEvaluatedKey" not in answer:
                return records
            query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    # --- leases ---------------------------------------------------------------------------------------

    def lease(self, intents: Mapping[str, str | None], owner: str, seconds: float | None = None) -> set[str]:
        """Take the lease of each order (order id → number about to be posted) for ``seconds`` (default:
        `lease_seconds`); returns the ids taken.

        An order is taken when nobody holds it or its lease has expired; the owner may renew its own.
        """
        seconds = lease_seconds() if seconds is None else seconds
        now = self._clock()
        updates = [
            _Update(
                order_id,
                "SET lease_owner = :me, lease_until = :until, intent = :intent, order_id = :oid, "
                "kind = :kind, connection_id = :cid",
                {
                    ":me": owner,
                    ":until": _number(now + seconds),
                    ":now": _number(now),
                    ":intent": intent or "",
                    ":oid": order_id,
                    ":kind": "order_sync",
                    ":cid": self.connection_id,
                },
                "attribute_not_exists(lease_owner) OR lease_owner = :me OR lease_until < :now",
                creates=True,
            )
            for order_id, intent in intents.items()
        ]
        return self._apply(updates)

    def release(self, order_ids: Iterable[str], owner: str) -> set[str]:
        """Give leases back without recording anything (the work will be retried)."""
        updates = [
            _Update(oid, "REMOVE lease_owner, lease_until, intent", {":me": owner}, "lease_owner = :me")
            for oid in order_ids
        ]
        return self._apply(updates)

    # --- outcomes (each also gives the lease back) ----------------------------------------------------

    def record_invoices(self, posted: Mapping[str, PostedDocument], owner: str) -> set[str]:
        """The invoice of each order exists in Accurate; clears any hold. Indexed by number (``gsi2``).

        A document with lines records them (``invoice_lines``: what was sold); one without leaves any recorded. So
        do Accurate's own totals (``invoice_total``, ``invoice_tax``), where its answer carried them.
        """
        now = _number(self._clock())
        updates = [
            _Update(
                oid,
                "SET invoice_number = :n, invoice_id = :i, updated_at = :t, gsi2pk = :ip, gsi2sk = :n"
                + (", invoice_lines = :l" if doc.lines else "")
                + (", invoice_total = :total" if doc.total is not None else "")
                + (", invoice_tax = :tax" if doc.tax is not None else "")
                + " REMOVE lease_owner, lease_until, intent, hold_cause, hold_reason, hold_hint, held_at, gsi1pk, gsi1sk",
                {
                    ":n": doc.number,
                    ":i": doc.accurate_id,
                    ":t": now,
                    ":me": owner,
                    ":ip": invoice_partition(self.connection_id),
                    ":l": doc.lines_item(),
                    **({":total": doc.total} if doc.total is not None else {}),
                    **({":tax": doc.tax} if doc.tax is not None else {}),
                },
                "lease_owner = :me",
            )
            for oid, doc in posted.items()
        ]
        return self._apply(updates)

    def record_return(self, order_id: str, return_id: str, doc: PostedDocument, owner: str) -> bool:
        """A Sales Return for one of the order's returns (or its cancellation) exists in Accurate, with its lines and
        Accurate's own totals where its answer carried them (``total``, ``tax``).

        Each return is its own attribute (``return#{id}``), so recording one is a single atomic update.
        """
        recorded: dict[str, Any] = {"number": doc.number, "id": doc.accurate_id, "lines": doc.lines_item()}
        recorded |= {name: value for name, value in (("total", doc.total), ("tax", doc.tax)) if value is not None}
        update = _Update(
            order_id,
            "SET #ret = :doc, updated_at = :t",
            {
                ":doc": recorded,
                ":t": _number(self._clock()),
                ":me": owner,
            },
            "lease_owner = :me",
            {"#ret": f"{RETURN_PREFIX}{return_id}"},
        )
        return bool(self._apply([update]))

    def record_receipts(self, receipts: Mapping[str, ReceiptRecord], owner: str) -> set[str]:
        """A Sales Receipt paid each order's invoice (estimated or from a payout); gives the lease back."""
        now = _number(self._clock())
        updates = [
            _Update(
                oid,
                "SET receipt = :r, updated_at = :t "
                "REMOVE lease_owner, lease_until, intent, hold_cause, hold_reason, hold_hint, held_at, gsi1pk, gsi1sk",
                {":r": receipt.to_item(), ":t": now, ":me": owner},
                "lease_owner = :me",
            )
            for oid, receipt in receipts.items()
        ]
        return self._apply(updates)

    def record_refunds(self, refunds: Mapping[str, tuple[str, Decimal]], owner: str) -> set[str]:
        """Journal voucher ``number`` took ``amount`` of each order's refund out of the marketplace balance."""
        now = _number(self._clock())
        updates = [
            _Update(
                oid,
                "SET #ref = :a, updated_at = :t",
                {":a": amount, ":t": now, ":me": owner},
                "lease_owner = :me",
                {"#ref": f"{REFUND_PREFIX}{number}"},
            )
            for oid, (number, amount) in refunds.items()
        ]
        return self._apply(updates)

    def record_exact(self, order_ids: Iterable[str], payout_id: str, owner: str) -> set[str]:
        """Payout ``payout_id`` settled these orders exactly; gives their leases back."""
        updates = [
            _Update(
                oid,
                "SET exact_payout = :p, updated_at = :t REMOVE lease_owner, lease_until, intent",
                {":p": payout_id, ":t": _number(self._clock()), ":me": owner},
                "lease_owner = :me",
            )
            for oid in dict.fromkeys(order_ids)
        ]
        return self._apply(updates)

    def orders_by_invoice(self, invoice_numbers: Iterable[str], *, deleted_too: bool = False) -> dict[str, str]:
        """Invoice number → order id, for the numbers omsync posted (through ``gsi2``); with ``deleted_too``,
        also those whose invoice was deleted since (a payout may still charge a cancelled order)."""
        found: dict[str, str] = {}
        table = ledger_table()
        partition = invoice_partition(self.connection_id)
        for number in dict.fromkeys(invoice_numbers):
            response = table.query(
                IndexName="gsi2",
                KeyConditionExpression="gsi2pk = :p AND gsi2sk = :n",
                ExpressionAttributeValues={":p": partition, ":n": number},
            )
            for item in response.get("Items", []):
                if deleted_too or not item.get("invoice_deleted"):
                    found[number] = str(item["order_id"])
        return found

    def packages_by_invoice(self, invoice_numbers: Iterable[str], *, deleted_too: bool = False) -> dict[str, list[str]]:
        """Invoice number → the ids of every Ginee order of its marketplace number omsync invoiced: the one bearing
        the number first, then those invoiced under a number apart (`invoice_number_apart`: packages of one
        marketplace order, docs/POSTING.md §6), through ``gsi2``, one query per number (two for a number longer than
        `MAX_NUMBER_LENGTH` less a suffix apart). ``deleted_too`` as for
        `orders_by_invoice`; numbers with no order are left out."""
        found: dict[str, list[str]] = {}
        table = ledger_table()
        partition = invoice_partition(self.connection_id)
        for number in dict.fromkeys(invoice_numbers):
            # A number apart begins with the plain number shortened to leave room for its suffix: the plain number
            # itself when it is short enough (one query finds both), else its shortened head (two queries).
            head = fit_number(number, MAX_NUMBER_LENGTH - HASH_LENGTH - 1)
            conditions = [("begins_with(gsi2sk, :h)", head)]
            if head != number:
                conditions.append(("gsi2sk = :h", number))
            items: list[dict[str, Any]] = []
            for condition, value in conditions:
                response = table.query(
                    IndexName="gsi2",
                    KeyConditionExpression=f"gsi2pk = :p AND {condition}",
                    ExpressionAttributeValues={":p": partition, ":h": value},
                )
                items.extend(response.get("Items", []))
            plain: list[str] = []
            apart: list[str] = []
            for item in items:
                if not deleted_too and item.get("invoice_deleted"):
                    continue
                order_id, posted = str(item["order_id"]), str(item["gsi2sk"])
                if posted == number:
                    plain.append(order_id)
                elif posted == invoice_number_apart(number, order_id):
                    apart.append(order_id)
            if plain or apart:
                found[number] = plain + sorted(apart)
        return found

    def record_invoice_deleted(self, order_id: str, owner: str) -> bool:
        """The order's invoice was deleted in Accurate (cancelled before it was paid out)."""
        update = _Update(
            order_id,
            "SET invoice_deleted = :yes, updated_at = :t REMOVE lease_owner, lease_until, intent",
            {":yes": True, ":t": _number(self._clock()), ":me": owner},
            "lease_owner = :me",
        )
        return bool(self._apply([update]))

    def forget_invoice(self, order_id: str, number: str, accurate_id: int) -> bool:
        """Accurate no longer has the order's invoice (deleted there by hand): drop the Ledger's record of it
        (number, id, lines, Accurate's totals, its ``gsi2`` entry), so the orders flow posts it again under the same
        number.

        Only while the record still names that invoice (``number`` and ``accurate_id``), nothing was posted after
        it (no return, receipt, refund or payout), and no worker holds the order's lease: True when it was
        dropped, False when any of these did not hold (nothing is written then).
        """
        now = _number(self._clock())
        update = _Update(
            order_id,
            "SET updated_at = :t REMOVE invoice_number, invoice_id, invoice_lines, invoice_total, invoice_tax, "
            "gsi2pk, gsi2sk",
            {":t": now, ":n": number, ":i": accurate_id, ":now": now, ":no": False},
            "invoice_number = :n AND invoice_id = :i AND attribute_not_exists(receipt) "
            "AND attribute_not_exists(exact_payout) AND (attribute_not_exists(invoice_deleted) OR invoice_deleted = :no) "
            "AND (attribute_not_exists(lease_owner) OR lease_until < :now)",
        )
        return bool(self._apply([update]))

    def tombstone(self, order_id: str, owner: str) -> bool:
        """Cancelled before it was invoiced: no invoice may ever be created for it. Drops any hold."""
        update = _Update(
            order_id,
            "SET tombstone = :yes, updated_at = :t "
            "REMOVE lease_owner, lease_until, intent, hold_cause, hold_reason, hold_hint, held_at, gsi1pk, gsi1sk",
            {":yes": True, ":t": _number(self._clock()), ":me": owner},
            "lease_owner = :me AND attribute_not_exists(invoice_number)",
        )
        return bool(self._apply([update]))

    def hold(self, holds: Mapping[str, OnHold], owner: str) -> set[str]:
        """Park each order with its reason and fix hint, listed under its cause.

        ``held_at`` is when the order went on hold and stays while it is held: an order released and held again
        (for the same cause or another) keeps its first time, so the age of the oldest hold
        (`omsync.sync.holds.HoldCensus`) grows until the cause is fixed. Recording a document clears it.
        """
        now = self._clock()
        updates = [
            _Update(
                oid,
                "SET hold_cause = :c, hold_reason = :r, hold_hint = :h, held_at = if_not_exists(held_at, :t), "
                "gsi1pk = :p, gsi1sk = :s, "
                "order_id = :oid, kind = :kind, connection_id = :cid "
                "REMOVE lease_owner, lease_until, intent",
                {
                    ":c": hold.cause,
                    ":r": hold.reason,
                    ":h": hold.hint,
                    ":t": _number(now),
                    ":p": hold_partition(self.connection_id),
                    ":s": f"{hold.cause}#{oid}",
                    ":oid": oid,
                    ":kind": "order_sync",
                    ":cid": self.connection_id,
                    ":me": owner,
                    ":now": _number(now),
                },
                "attribute_not_exists(lease_owner) OR lease_owner = :me OR lease_until < :now",
            )
            for oid, hold in holds.items()
        ]
        return self._apply(updates)

    # --- the write path -------------------------------------------------------------------------------

    def _apply(self, updates: Sequence[_Update]) -> set[str]:
        """Apply conditional updates; returns the order ids whose condition held (and were written).

        Two or more go as PartiQL statements where `_statement` can say them, 25 a request, each failing alone: a
        ``ConditionalCheckFailed`` is a condition that did not hold (or an UPDATE whose record was not there: not
        written, as an UpdateItem whose condition failed); a ``DuplicateItem`` (an INSERT whose record another
        worker has just created), a conflict with a transaction, a throttled or failed statement, or one DynamoDB
        refused as invalid is retried alone as an UpdateItem, whose own answer counts. The rest go as
        transactions of up to 100 items, each item alone when one's condition fails (a transaction fails whole).
        """
        done: set[str] = set()
        pending: list[_Update] = []
        statements: list[tuple[_Update, _Statement]] = []
        for update in updates:
            statement = self._statement(update) if len(updates) > 1 else None
            if statement is None:
                pending.append(update)
            else:
                statements.append((update, statement))
        for start in range(0, len(statements), BATCH_STATEMENT_LIMIT):
            written, alone = self._batch(statements[start : start + BATCH_STATEMENT_LIMIT])
            done |= written
            for update in alone:
                if self._single(update):
                    done.add(update.order_id)
        for start in range(0, len(pending), TRANSACTION_LIMIT):
            chunk = pending[start : start + TRANSACTION_LIMIT]
            if len(chunk) > 1 and self._transact(chunk):
                done.update(u.order_id for u in chunk)
                continue
            for update in chunk:
                if self._single(update):
                    done.add(update.order_id)
        return done

    def _statement(self, update: _Update) -> _Statement | None:
        """The update as one PartiQL statement: an UPDATE of a record known to exist, an INSERT of one known to be
        absent that the update creates; None when neither is known, or PartiQL cannot say the update."""
        exists = self._exists.get(update.order_id)
        if exists is None or (not exists and not update.creates):
            return None
        actions = _partiql_actions(update)
        condition = _partiql_condition(update)
        if actions is None or condition is None:
            return None
        sets, removes = actions
        key = order_key(self.connection_id, update.order_id)
        table = ledger_table().name
        if not exists:
            attributes = [("pk", key["pk"]), ("sk", key["sk"])] + [(name, update.values[p]) for name, p in sets]
            body = ", ".join(f"'{name}': ?" for name, _ in attributes)
            return _Statement(
                f'INSERT INTO "{table}" VALUE {{{body}}}', [_serialize_value(value) for _, value in attributes]
            )
        text, placeholders = condition
        clauses = [f'SET "{name}" = ?' for name, _ in sets] + [f'REMOVE "{name}"' for name in removes]
        values = [update.values[p] for _, p in sets] + [key["pk"], key["sk"]] + [update.values[p] for p in placeholders]
        # Parentheses only where an OR needs them: DynamoDB refuses redundant ones in its own expressions.
        where = f"({text})" if " OR " in text else text
        return _Statement(
            f'UPDATE "{table}" {" ".join(clauses)} WHERE "pk" = ? AND "sk" = ? AND {where}',
            [_serialize_value(value) for value in values],
        )

    def _batch(self, chunk: Sequence[tuple[_Update, _Statement]]) -> tuple[set[str], list[_Update]]:
        """One ``BatchExecuteStatement``: (order ids written, updates to retry alone)."""
        request: list[Any] = [{"Statement": s.text, "Parameters": s.parameters} for _, s in chunk]
        try:
            answer = dynamodb_client().batch_execute_statement(Statements=request)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ValidationException":
                raise
            # DynamoDB refused the request as a whole: the statements' meaning is UpdateItem's, so say it so.
            # The runtime's Logger is imported here, not with the module: the operator CLI imports the Ledger as its
            # commands register, before the demo points the functions' output at its log file
            # (tests/unit/ops/test_ops_parser_imports.py).
            from omsync.observability import logger

            logger.warning("ledger batch statement refused; writing each order alone", extra={"orders": len(chunk)})
            return set(), [update for update, _ in chunk]
        written: set[str] = set()
        alone: list[_Update] = []
        for (update, _), response in zip(chunk, answer["Responses"], strict=True):
            failure = response.get("Error")
            if failure is None:
                written.add(update.order_id)
                self._exists[update.order_id] = True
                self.writes += 1
            elif failure.get("Code") == "ConditionalCheckFailed":
                continue
            elif failure.get("Code") in _RETRY_ALONE:
                alone.append(update)
            else:
                code, message = str(failure.get("Code")), str(failure.get("Message", ""))
                raise ClientError({"Error": {"Code": code, "Message": message}}, "BatchExecuteStatement")
        return written, alone

    def _transact(self, chunk: Sequence[_Update]) -> bool:
        items: list[Any] = [{"Update": {**self._request(u), "TableName": ledger_table().name}} for u in chunk]
        try:
            dynamodb_client().transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("TransactionCanceledException", "TransactionConflictException"):
                return False
            raise
        self.writes += len(chunk)
        self._exists.update((u.order_id, True) for u in chunk)
        return True

    def _single(self, update: _Update) -> bool:
        request = self._request(update)
        try:
            dynamodb_client().update_item(TableName=ledger_table().name, **request)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        self.writes += 1
        self._exists[update.order_id] = True
        return True

    def _request(self, update: _Update) -> dict[str, Any]:
        request: dict[str, Any] = {
            "Key": _serialize(order_key(self.connection_id, update.order_id)),
            "UpdateExpression": update.expression,
            "ConditionExpression": update.condition,
            "ExpressionAttributeValues": _serialize(
                {k: v for k, v in update.values.items() if k in update.expression or k in update.condition}
            ),
        }
        if update.names:
            request["ExpressionAttributeNames"] = update.names
        return request


@functools.cache
def _serializer() -> Any:
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer()


def _serialize(values: Mapping[str, Any]) -> dict[str, Any]:
    serializer = _serializer()
    return {key: serializer.serialize(value) for key, value in values.items()}


def _serialize_value(value: Any) -> dict[str, Any]:
    return dict(_serializer().serialize(value))


_RETRY_ALONE = frozenset(
    {
        "DuplicateItem",
        "TransactionConflict",
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
        "RequestLimitExceeded",
        "InternalServerError",
        "ValidationError",
    }
)
"""Statement errors after which the update is retried alone as an UpdateItem (API Reference,
``BatchStatementError``); any other (``ResourceNotFound``, ``AccessDenied``, ``ItemCollectionSizeLimitExceeded``)
is raised, as UpdateItem's would be."""
