"""The deep pass: per store and business day, Ginee's orders beside the Ledger beside Accurate's Sales Invoices.

The reconciler's poll (`omsync.sync.reconcile`) compares Ginee with the Ledger only; what happened in Accurate
behind omsync's back (an invoice deleted or edited by hand, one typed in for a marketplace customer) shows only
when Accurate itself is read. Nightly (the reconciler's schedule, once a day after `NIGHTLY_AFTER_HOUR` in
Asia/Jakarta, over the day before) and on demand (`omsync reconcile`, `omsync report`), for the days asked:

1. Ginee's orders created from `LOOKBACK` before the first day to the end of the last are listed
   (``createSince``/``createTo``, reference ginee-api §3) and re-read (``batch-get``); each is dated as its
   invoice is (paid, or created for COD, in Asia/Jakarta: `omsync.posting.invoice.plan_sales_invoice`);
2. Accurate's Sales Invoices (Faktur Penjualan) dated those days are listed by number, date, customer and total
   (``sales-invoice/list.do``, ``filter.transDate.op=BETWEEN``, reference accurate-api §6); an invoice the
   Ledger knows (by number, ``gsi2``) whose order step 1 did not list has its order read too;
3. `compare` (pure) sets them side by side. Drift (`DriftKind`):

   - ``missing``: Ginee's order is at or past its store's trigger, the Ledger records no invoice and Accurate has
     none by its number (the order is not on hold): healed by putting it on its queue;
   - ``deleted_by_hand``: the Ledger records the invoice and Accurate has none by its number, on any date: healed,
     when nothing was posted after it (no return, receipt, refund or payout), by dropping the Ledger's record of it
     (`OrderLedger.forget_invoice`) and putting the order on its queue, so the orders flow posts it again under
     the same number, once (DESIGN invariant 1); otherwise reported;
   - ``edited_by_hand``: Accurate's invoice under omsync's number is not what omsync posted: its total differs from
     the one Accurate answered the save with (the Ledger's ``invoice_total``), or it is another record (deleted
     and typed in again), or it is dated another day than Ginee's order: reported;
   - ``amount_mismatch``: Accurate holds what omsync posted, but Ginee's order now comes to another amount
     (`omsync.posting.amounts.document_amounts` of the planned invoice) by more than the store's
     ``settlement_tolerance`` (Accurate rounds PPN down, omsync half up): reported;
   - ``extra``: an invoice to the store's customer those days that no order of the store accounts for, or the
     invoice of an order that should have none (cancelled and deleted, not yet at its trigger): reported.

   Held orders are not drift: they are listed with their cause, reason and hint.
4. Unless asked not to (`omsync report` never heals), the healable drift is healed.

Only Sales Invoices are compared: returns, receipts and journals follow from the invoice and are the flows'.
An order paid more than `LOOKBACK` after it was created is not listed by step 1 unless Accurate has its invoice.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from aws_lambda_powertools.metrics import MetricUnit

from omsync.accurate.documents import SalesInvoice, parse_accurate_date
from omsync.accurate.errors import Transient
from omsync.config.mapping import StoreMapping
from omsync.errors import OnHold, PermanentError
from omsync.ginee.models import Order
from omsync.ledger.connections import ConnectionRepository, ConnectionStatus
from omsync.ledger.deep_passes import DeepPassLog, DeepPassSummary
from omsync.ledger.orders import SyncRecord
from omsync.money import ZERO
from omsync.observability import logger, metrics
from omsync.posting.amounts import document_amounts
from omsync.posting.invoice import plan_sales_invoice, sales_invoice_number
from omsync.posting.lifecycle import is_cancelled, reached_trigger
from omsync.posting.numbers import JAKARTA, jakarta_date
from omsync.sync.context import ConnectionContext, context_for
from omsync.sync.reconcile import enqueue_order

LOOKBACK: Final = timedelta(days=7)
"""How long before the first compared day Ginee's orders are listed: an order is dated by its payment, which
marketplaces expect within days of the order (unpaid ones are cancelled)."""
NIGHTLY_AFTER_HOUR: Final = 1
"""The nightly deep pass runs on the reconciler's first run after this hour (Asia/Jakarta), over the day before."""
HISTORY: Final = timedelta(days=90)
"""Ginee keeps three months of orders at hand; older ones are read with ``historicalData``."""
ACCURATE_FIELDS: Final = ("id", "number", "transDate", "customerNo", "totalAmount")


class DriftKind(StrEnum):
    """What the deep pass found out of step between Ginee, the Ledger and Accurate (see the module's doc)."""

    MISSING = "missing"
    DELETED_BY_HAND = "deleted_by_hand"
    EDITED_BY_HAND = "edited_by_hand"
    AMOUNT_MISMATCH = "amount_mismatch"
    EXTRA = "extra"


DRIFT_MEANING: Final = {
    DriftKind.MISSING: "in Ginee, not in Accurate",
    DriftKind.DELETED_BY_HAND: "posted by omsync, deleted in Accurate",
    DriftKind.EDITED_BY_HAND: "changed by hand in Accurate",
    DriftKind.AMOUNT_MISMATCH: "Accurate's total differs from Ginee's",
    DriftKind.EXTRA: "in Accurate, not from this store's orders",
}
"""A short line per kind, for operators and accountants (status, report)."""


@dataclass(frozen=True)
class AccurateInvoice:
    """A Sales Invoice as ``list.do``/``detail.do`` show it: number, Accurate's id, date, customer, total (rupiah)."""

    number: str
    accurate_id: int
    day: date
    customer_no: str
    total: Decimal

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> AccurateInvoice:
        """Read one row; raises `Transient` (an answer not shaped as documented) when a field is unreadable."""
        try:
            day = parse_accurate_date(row.get("transDate"))
            if not isinstance(day, date):
                raise ValueError("no date")
            return cls(
                number=str(row["number"]),
                accurate_id=int(row["id"]),
                day=day,
                customer_no=str(row.get("customerNo") or ""),
                total=Decimal(str(row["totalAmount"])),
            )
        except (KeyError, ValueError, TypeError, ArithmeticError):
            raise Transient("sales-invoice list: a row lacks a readable number, id, date or total") from None


@dataclass(frozen=True)
class Drift:
    """One thing out of step: its kind, store (Ginee shop id), business day, the invoice number, the Ginee order
    (None for an invoice no order accounts for), both amounts (rupiah; None where a side has none), a note (ids,
    dates, numbers: never buyer data), whether the deep pass can heal it and whether it did."""

    kind: DriftKind
    shop_id: str
    day: date
    invoice_number: str
    order_id: str | None
    ginee_amount: Decimal | None
    accurate_amount: Decimal | None
    note: str = ""
    healable: bool = False
    healed: bool = False

    @property
    def difference(self) -> Decimal:
        """Accurate's amount less Ginee's (a missing side counts 0)."""
        return (self.accurate_amount or ZERO) - (self.ginee_amount or ZERO)


@dataclass(frozen=True)
class HeldOrder:
    """An order on hold among those compared, with what the seller must fix (`omsync.ledger.orders.Hold`)."""

    shop_id: str
    day: date
    order_id: str
    invoice_number: str
    ginee_amount: Decimal | None
    cause: str
    reason: str
    hint: str


@dataclass
class StoreDay:
    """One store's one business day: Ginee's orders that owe an invoice and their total beside Accurate's invoices
    and theirs (rupiah, Accurate's ``totalAmount``: receivable, PPN included)."""

    shop_id: str
    day: date
    ginee_orders: int = 0
    ginee_total: Decimal = ZERO
    accurate_invoices: int = 0
    accurate_total: Decimal = ZERO

    @property
    def difference(self) -> Decimal:
        """Accurate's total less Ginee's."""
        return self.accurate_total - self.ginee_total


@dataclass
class Comparison:
    """The deep pass over ``since``..``until`` (business days, inclusive): each store's days, drift, held orders."""

    since: date
    until: date
    days: dict[tuple[str, date], StoreDay] = field(default_factory=dict)
    drift: list[Drift] = field(default_factory=list)
    held: list[HeldOrder] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    """Orders Ginee listed but its batch-get did not answer (not compared; the reconciler's poll reads them again)."""

    def day(self, shop_id: str, day: date) -> StoreDay:
        """The row of one store and day (created empty)."""
        return self.days.setdefault((shop_id, day), StoreDay(shop_id, day))

    def drift_counts(self) -> dict[str, dict[str, int]]:
        """Ginee shop id → drift kind → count."""
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for found in self.drift:
            counts[found.shop_id][found.kind.value] += 1
        return {shop: dict(kinds) for shop, kinds in counts.items()}

    def summary(self, ran_at: datetime, store: str | None, *, nightly: bool = False) -> DeepPassSummary:
        """What the Ledger keeps of this pass for `omsync status`."""
        return DeepPassSummary(
            ran_at=ran_at,
            since=self.since,
            until=self.until,
            store=store,
            drift=self.drift_counts(),
            healed=sum(1 for found in self.drift if found.healed),
            nightly=nightly,
        )


def invoice_expected(order: Order, record: SyncRecord | None, trigger: str) -> bool:
    """Whether Accurate should hold a Sales Invoice for ``order`` now: it reached its trigger and was not cancelled
    before its invoice; a cancelled order keeps its invoice only where the Ledger says it was not deleted (the
    store credits it with a Sales Return, docs/POSTING.md §7)."""
    if record is not None and record.tombstone:
        return False
    if is_cancelled(order):
        return record is not None and record.invoiced
    return reached_trigger(order, trigger) or (record is not None and record.invoiced)


def _planned(
    order: Order, store: StoreMapping, prices: Mapping[str, Decimal], number: str
) -> tuple[Decimal | None, date]:
    """What the order's invoice comes to (receivable, rupiah) and its date; no amount when it cannot be planned
    (the flows hold such an order), then dated as `plan_sales_invoice` would date it (paid, or created)."""
    try:
        invoice = plan_sales_invoice(order, store, prices, number=number)
    except (OnHold, PermanentError):
        moment = order.pay_at or order.create_at
        return None, jakarta_date(moment) if moment is not None else date.min
    return document_amounts(invoice, store.tax.effective_rate).receivable, invoice.trans_date


def _store_of(invoice: AccurateInvoice, stores: Mapping[str, StoreMapping]) -> str | None:
    """The store an invoice no order accounts for belongs to: the one invoicing its customer (the longest number
    prefix it carries first, when stores share a customer); None when no compared store invoices that customer."""
    candidates = [shop for shop, store in stores.items() if store.customer_no == invoice.customer_no]
    if not candidates:
        return None
    prefixed = [shop for shop in candidates if invoice.number.startswith(stores[shop].number_prefix)]
    return max(prefixed, key=lambda shop: len(stores[shop].number_prefix)) if prefixed else candidates[0]


def compare(
    since: date,
    until: date,
    orders: Iterable[Order],
    records: Mapping[str, SyncRecord],
    invoices: Iterable[AccurateInvoice],
    stores: Mapping[str, StoreMapping],
    look_up: Callable[[str], AccurateInvoice | None],
    prices: Mapping[str, Decimal] | None = None,
) -> Comparison:
    """Ginee's ``orders`` and the Ledger's ``records`` (order id → record) beside Accurate's ``invoices`` dated
    ``since``..``until``, for the ``stores`` compared (Ginee shop id → mapping); see the module's doc.

    ``look_up`` finds an invoice by number on any date (None: Accurate has none); it is asked only about an
    invoice expected and not among ``invoices``. ``prices``: master SKU → selling price, for bundles. Pure but
    for ``look_up``.
    """
    result = Comparison(since, until)
    by_number = {invoice.number: invoice for invoice in invoices}
    owner: dict[str, str] = {}
    for order in orders:
        shop = order.shop_id or ""
        store = stores.get(shop)
        if store is None:
            continue
        record = records.get(order.order_id)
        number = record.invoice.number if record is not None and record.invoice else sales_invoice_number(order, store)
        amount, day = _planned(order, store, prices or {}, number)
        in_range = since <= day <= until
        found = by_number.get(number)
        if found is not None:
            owner[number] = shop
        if in_range and record is not None and record.hold is not None:
            hold = record.hold
            result.held.append(HeldOrder(shop, day, order.order_id, number, amount, hold.cause, hold.reason, hold.hint))
        found_drift = _order_drift(order, record, store, number, amount, day, in_range, found, look_up)
        if found_drift is not None:
            result.drift.append(found_drift)
        if in_range and invoice_expected(order, record, store.trigger_for(order.is_cod)):
            row = result.day(shop, day)
            row.ginee_orders += 1
            row.ginee_total += amount or ZERO
    for invoice in by_number.values():
        shop_or_none = owner.get(invoice.number) or _store_of(invoice, stores)
        if shop_or_none is None:
            continue  # not a marketplace customer's invoice: the seller's own business
        row = result.day(shop_or_none, invoice.day)
        row.accurate_invoices += 1
        row.accurate_total += invoice.total
        if invoice.number not in owner:
            result.drift.append(
                Drift(
                    DriftKind.EXTRA,
                    shop_or_none,
                    invoice.day,
                    invoice.number,
                    None,
                    None,
                    invoice.total,
                    f"invoice to {invoice.customer_no} that no order of this store accounts for",
                )
            )
    result.drift.sort(key=lambda d: (d.shop_id, d.day, d.kind.value, d.invoice_number))
    result.held.sort(key=lambda h: (h.shop_id, h.day, h.cause, h.order_id))
    return result


def _order_drift(
    order: Order,
    record: SyncRecord | None,
    store: StoreMapping,
    number: str,
    amount: Decimal | None,
    day: date,
    in_range: bool,
    found: AccurateInvoice | None,
    look_up: Callable[[str], AccurateInvoice | None],
) -> Drift | None:
    """The drift of one order of a compared store (None: in step); see the module's doc for each kind."""
    shop, order_id = order.shop_id or "", order.order_id
    if not invoice_expected(order, record, store.trigger_for(order.is_cod)):
        if found is None:
            return None
        state = "cancelled" if is_cancelled(order) else f"{order.order_status}, before its trigger"
        note = f"order {order_id} is {state}: it owes no invoice"
        return Drift(DriftKind.EXTRA, shop, found.day, number, order_id, None, found.total, note)
    if found is None:
        if not in_range:
            return None  # its invoice is dated outside the days compared
        invoiced = record is not None and record.invoiced
        if record is not None and record.hold is not None and not invoiced:
            return None  # on hold: listed with its cause, not drift
        elsewhere = look_up(number)
        if elsewhere is not None:
            note = f"dated {elsewhere.day.isoformat()} in Accurate, {day.isoformat()} by Ginee's order"
            return Drift(DriftKind.EDITED_BY_HAND, shop, day, number, order_id, amount, elsewhere.total, note)
        if record is not None and invoiced:
            after = bool(record.returns or record.receipt or record.refunds or record.exact_payout)
            note = (
                "documents were posted after it: re-post it by hand" if after else "omsync posts it again, same number"
            )
            return Drift(DriftKind.DELETED_BY_HAND, shop, day, number, order_id, amount, None, note, healable=not after)
        note = "not on hold: the orders flow posts it once on its queue"
        return Drift(DriftKind.MISSING, shop, day, number, order_id, amount, None, note, healable=True)
    posted = record.invoice if record is not None else None
    replaced = posted is not None and posted.accurate_id != found.accurate_id
    changed = posted is not None and posted.total is not None and found.total != posted.total
    if replaced or changed:
        # What Accurate holds is not what omsync posted (its total as Accurate answered the save, or its record).
        what = [f"Accurate's total is {found.total:,}, omsync posted {posted.total:,}"] if changed and posted else []
        if replaced:
            what.append("another record under omsync's number (deleted and entered again by hand)")
        note = "; ".join(what)
        return Drift(DriftKind.EDITED_BY_HAND, shop, found.day, number, order_id, amount, found.total, note)
    if amount is not None and abs(found.total - amount) > store.settlement_tolerance:
        note = (
            f"differs by {found.total - amount:,} beyond the store's tolerance of {store.settlement_tolerance:,}; "
            "Accurate holds what omsync posted"
        )
        return Drift(DriftKind.AMOUNT_MISMATCH, shop, found.day, number, order_id, amount, found.total, note)
    if found.day != day:
        note = f"dated {found.day.isoformat()} in Accurate, {day.isoformat()} by Ginee's order"
        return Drift(DriftKind.EDITED_BY_HAND, shop, found.day, number, order_id, amount, found.total, note)
    return None


# --- the shell: read both sides, heal ------------------------------------------------------------------


def _stores(ctx: ConnectionContext, store: str | None) -> dict[str, StoreMapping]:
    if ctx.mapping is None:
        return {}
    return {shop: mapped for shop, mapped in ctx.mapping.stores.items() if store is None or shop == store}


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), JAKARTA).astimezone(UTC)


def deep_pass(
    ctx: ConnectionContext,
    since: date,
    until: date,
    *,
    store: str | None = None,
    heal: bool = True,
    now: datetime | None = None,
) -> Comparison:
    """Read Ginee, the Ledger and Accurate for ``since``..``until`` (business days, inclusive; one store, a Ginee
    shop id, or all the mapping's), `compare` them and (with ``heal``) heal what can be healed; the comparison,
    each healed drift marked ``healed``. A connection without a mapping compares nothing.

    Raises what the clients raise (`GineeError`, `ServiceBusy`, `AccurateError`); nothing is healed then.
    """
    if until < since:
        raise ValueError("until is before since")
    stores = _stores(ctx, store)
    if not stores:
        return Comparison(since, until)
    clock = now or datetime.now(UTC)
    first = _start_of(since) - LOOKBACK
    last = min(_start_of(until + timedelta(days=1)), clock)
    historical = first < clock - HISTORY
    shop_ids = sorted(stores) if len(stores) <= 50 else None  # Ginee takes at most 50 shop ids a call
    listed = [row.order_id for row in ctx.ginee.list_orders(create_since=first, create_to=last, shop_ids=shop_ids)]
    listed = list(dict.fromkeys(listed))
    customers = {mapped.customer_no for mapped in stores.values()}
    rows = ctx.accurate.list(SalesInvoice, {"transDate": ("BETWEEN", [since, until])}, fields=ACCURATE_FIELDS)
    invoices = [invoice for invoice in map(AccurateInvoice.from_row, rows) if invoice.customer_no in customers]
    fetched = ctx.ginee.batch_get(listed, historical=historical) if listed else []
    orders = {order.order_id: order for order in fetched}
    records = ctx.ledger.load(orders)
    known = {record.invoice.number for record in records.values() if record.invoice is not None}
    unknown = [invoice.number for invoice in invoices if invoice.number not in known]
    behind = [oid for oid in ctx.ledger.orders_by_invoice(unknown, deleted_too=True).values() if oid not in orders]
    if behind:
        for order in ctx.ginee.batch_get(behind, historical=True):
            orders[order.order_id] = order
        records.update(ctx.ledger.load(behind))
    prices = ctx.component_prices() if any(item.bundle_skus for o in orders.values() for item in o.items) else {}

    def look_up(number: str) -> AccurateInvoice | None:
        found = ctx.accurate.find_by_number(SalesInvoice, number)
        return AccurateInvoice.from_row(found) if found is not None else None

    result = compare(since, until, orders.values(), records, invoices, stores, look_up, prices)
    result.left_out = [oid for oid in listed if oid not in orders]
    if heal:
        result.drift = [_healed(ctx, found, records, orders) for found in result.drift]
    logger.info(
        "deep pass",
        extra={
            "connection_id": ctx.connection_id,
            "since": since.isoformat(),
            "until": until.isoformat(),
            "drift": result.drift_counts(),
            "healed": sum(1 for found in result.drift if found.healed),
        },
    )
    return result


def _healed(
    ctx: ConnectionContext, found: Drift, records: Mapping[str, SyncRecord], orders: Mapping[str, Order]
) -> Drift:
    """Heal one drift when it can be (see the module's doc); the drift, marked ``healed`` when it was."""
    if not found.healable or found.order_id is None:
        return found
    order = orders.get(found.order_id)
    if found.kind is DriftKind.DELETED_BY_HAND:
        record = records.get(found.order_id)
        if record is None or record.invoice is None:
            return found
        if not ctx.ledger.forget_invoice(found.order_id, record.invoice.number, record.invoice.accurate_id):
            return replace(found, note="not healed: the order changed or is being worked on; the next pass sees it")
    enqueue_order(ctx.connection_id, found.order_id, order)
    return replace(found, healed=True)


def nightly_due(through: date | None, now: datetime) -> date | None:
    """The day the nightly deep pass should compare now (the day before, in Asia/Jakarta), or None: it already
    did, or it is before `NIGHTLY_AFTER_HOUR`."""
    local = now.astimezone(JAKARTA)
    yesterday = local.date() - timedelta(days=1)
    if local.hour < NIGHTLY_AFTER_HOUR or (through is not None and through >= yesterday):
        return None
    return yesterday


@dataclass(frozen=True)
class NightlyRun:
    """What the nightly deep pass did for one connection: the day compared and its drift, or why it did not run
    (``skipped``: not due, disabled or unmapped; ``failed``: the class of the error that stopped it)."""

    day: date | None = None
    drift: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    healed: int = 0
    skipped: str | None = None
    failed: str | None = None

    @property
    def drift_found(self) -> int:
        """Every drift found, healed or not."""
        return sum(sum(kinds.values()) for kinds in self.drift.values())

    def summary(self) -> dict[str, object]:
        if self.skipped or self.failed:
            return {"skipped": self.skipped} if self.skipped else {"failed": self.failed}
        return {"day": self.day.isoformat() if self.day else None, "drift": self.drift, "healed": self.healed}


def nightly(connection_id: str, *, now: datetime | None = None) -> NightlyRun:
    """The nightly deep pass of one connection when due (`nightly_due`): the day before, every store, healing;
    its summary kept in the Ledger (`DeepPassLog`). Raises what `deep_pass` raises."""
    clock = now or datetime.now(UTC)
    log = DeepPassLog(connection_id)
    day = nightly_due(log.nightly_through(), clock)
    if day is None:
        return NightlyRun(skipped="not due")
    connection = ConnectionRepository().get(connection_id)
    if connection is None or connection.status is not ConnectionStatus.ACTIVE:
        return NightlyRun(skipped="disabled" if connection is not None else "unknown")
    ctx = context_for(connection_id)
    if ctx.mapping is None:
        return NightlyRun(skipped="no mapping")
    result = deep_pass(ctx, day, day, now=clock)
    summary = result.summary(clock, None, nightly=True)
    log.record(summary)
    return NightlyRun(day=day, drift=summary.drift, healed=summary.healed)


def nightly_all(*, now: datetime | None = None) -> dict[str, NightlyRun]:
    """`nightly` for every connection (the reconciler's schedule calls this after its poll). A connection whose
    pass fails is logged (class only) and counted (``reconcile.deep_pass_failed``); the others run all the same,
    and its day stays due for the next run."""
    outcome: dict[str, NightlyRun] = {}
    for connection_id in ConnectionRepository().ids():
        try:
            outcome[connection_id] = nightly(connection_id, now=now)
        except Exception as error:  # noqa: BLE001 - one connection's failure must not stop the others'
            logger.error("deep pass failed", extra={"connection_id": connection_id, "error": type(error).__name__})
            metrics.add_metric(name="reconcile.deep_pass_failed", unit=MetricUnit.Count, value=1)
            outcome[connection_id] = NightlyRun(failed=type(error).__name__)
    return outcome
