"""The steps every order flow shares: outcomes, holds for Accurate's refusals, leasing, posting.

The orders, cancellations, settlements and payouts flows each converge one kind of document; none of
them imports another (an import-linter contract in `make lint`). What they have in common lives here:

- `Result` and `Outcome`: what became of one order in one attempt (the batch handler turns them into
  partial batch failures);
- the holds for refusals the seller must fix (closed period, insufficient stock, a missing master), and the
  hold of an order whose Ginee record cannot be read (`hold_unreadable`: its own order only, never the batch);
- `decide_and_lease`: decide each re-fetched order, park the holds, lease the rest with the document
  number as intent;
- `number_packages`: number new invoices among the packages of their marketplace order (which one keeps the
  plain number);
- `post_single` and `post_invoices`: post exactly once and record, items auto-created where the
  mapping allows it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Final, TypeVar

from aws_lambda_powertools.metrics import MetricUnit

from omsync import queues
from omsync.accurate.documents import AccurateDocument, Item, SalesInvoice, SalesInvoiceItem, SalesReturn
from omsync.accurate.errors import AccurateError, MasterNotFound, Transient
from omsync.config.mapping import StoreMapping
from omsync.errors import OnHold
from omsync.ginee.errors import GineeError, ServiceBusy
from omsync.ginee.models import Order, UnreadableRecord
from omsync.ledger.orders import PostedDocument, PostedLine, SyncRecord
from omsync.observability import logger, metrics
from omsync.posting.invoice import ginee_order_named, is_buyer_shipping, plain_number_package
from omsync.posting.numbers import invoice_number_apart
from omsync.posting.returns import CHANGE_RETURN_PREFIX, units_gone
from omsync.queues import WorkMessage, WorkQueue
from omsync.sync.context import ConnectionContext
from omsync.sync.documents import PostOutcome, descriptions, post_exactly_once

CLOSED_PERIOD_MARKER = "tanggal kunci periode"


INSUFFICIENT_STOCK_MARKER = "tidak mencukupi"

UNREADABLE_RECORD = "unreadable_record"
"""The hold cause of an order whose Ginee record does not validate (docs/ARCHITECTURE.md, failure isolation)."""


class Result(StrEnum):
    """What became of one order in one attempt."""

    POSTED = "posted"
    ALREADY_DONE = "already_done"
    NOT_READY = "not_ready"
    NOT_OURS = "not_ours"
    UNKNOWN_ORDER = "unknown_order"
    HELD = "held"
    FORWARDED = "forwarded"
    RETRY = "retry"
    FAILED = "failed"

    @property
    def settled(self) -> bool:
        """The message may leave the queue (anything but RETRY and FAILED)."""
        return self not in (Result.RETRY, Result.FAILED)


@dataclass(frozen=True)
class Outcome:
    result: Result
    detail: str = ""


def forward(ctx: ConnectionContext, order: Order, queue: WorkQueue) -> None:
    """Hand the order on to another flow's work queue (as if its webhook had arrived there), with its status."""
    queues.send(
        queue,
        WorkMessage(
            connection_id=ctx.connection_id,
            entity="order",
            action="UPDATE",
            entity_id=order.order_id,
            status_hint=order.order_status,
            received_at=datetime.now(UTC),
        ),
    )


def closed_period_hold(error: AccurateError, when: str) -> OnHold:
    """The hold for a document Accurate refuses because its date falls in a locked period."""
    return OnHold(
        "closed_period",
        f"Accurate refuses {when}: {error}",
        "Open the period in Accurate (Pengaturan > Tutup Buku) or move the lock date; the order is retried automatically.",
    )


def insufficient_stock_hold(error: AccurateError, what: str) -> OnHold:
    """The hold for a document (``what``: "invoice SP-…") Accurate refuses because the item's stock would go below
    zero."""
    return OnHold(
        "insufficient_stock",
        f"Accurate refuses {what}: {error}",
        "Record the goods' arrival in Accurate (a purchase or an opening balance for the item in that warehouse), "
        "or allow negative stock; the order is retried automatically.",
    )


MISSING_SKU = "missing_sku"
"""The hold cause of a document naming an Item that is not in Accurate."""


def missing_master_hold(error: MasterNotFound) -> OnHold:
    """The hold for a document naming a master that is not in Accurate."""
    if error.kind.lower().startswith(("barang", "item")):
        return OnHold(
            MISSING_SKU,
            f"SKU {error.key} is not in Accurate",
            f"Create item {error.key} in Accurate (Barang & Jasa), or set items.auto_create: true in the mapping "
            "and apply it; the order is posted automatically once the item exists.",
        )
    return OnHold(
        "missing_master",
        f"{error.kind} {error.key} is not in Accurate",
        f"Create {error.kind} {error.key} in Accurate or correct the mapping, then apply it.",
    )


def unreadable_hold(record: UnreadableRecord) -> OnHold:
    """The hold for an order Ginee answered with a record omsync cannot read: the fields' paths and error
    types, never their values (they may be the buyer's)."""
    return OnHold(
        UNREADABLE_RECORD,
        f"Ginee sent order {record.order_id} with fields omsync cannot read: {', '.join(record.fields)}",
        "Nothing to fix in the mapping or in Accurate: omsync reads the order again each time held orders are "
        "released (the reconciler does so every few minutes) and posts it once Ginee's record reads. If it stays "
        "held, send the order id and this reason to omsync's maintainers (Ginee changed that field).",
    )


def hold_unreadable(
    ctx: ConnectionContext,
    unreadable: Mapping[str, UnreadableRecord],
    owner: str,
    outcomes: dict[str, Outcome],
) -> None:
    """Park each order whose Ginee record could not be read (`unreadable_hold`), log its id and field paths
    only, and count them (metric ``ginee.unreadable_record``); the rest of the batch goes on."""
    if not unreadable:
        return
    logger.warning(
        "Ginee records that cannot be read are held",
        extra={"connection_id": ctx.connection_id, "fields": {oid: list(r.fields) for oid, r in unreadable.items()}},
    )
    metrics.add_metric(name="ginee.unreadable_record", unit=MetricUnit.Count, value=len(unreadable))
    hold_orders(ctx, {order_id: unreadable_hold(record) for order_id, record in unreadable.items()}, owner, outcomes)


def post_single(ctx: ConnectionContext, document: AccurateDocument, what: str) -> PostedDocument:
    """Post one document exactly once; a refusal the seller must fix raises `OnHold`, others raise as they are.

    ``what`` names the document in messages ("sales return", "journal voucher"…).
    """
    number = document.key or ""
    result = post_exactly_once(ctx.accurate, [document])
    if number in result.saved:
        return result.saved[number]
    if number in result.missing_master:
        raise missing_master_hold(result.missing_master[number])
    if number in result.refused:
        refusal = result.refused[number]
        if CLOSED_PERIOD_MARKER in str(refusal).lower():
            raise closed_period_hold(refusal, f"{what} {number}")
        if INSUFFICIENT_STOCK_MARKER in str(refusal).lower():
            raise insufficient_stock_hold(refusal, f"{what} {number}")
        raise refusal
    raise Transient(f"{what} {number}: Accurate's answer stayed ambiguous")


Plan = TypeVar("Plan")


def decide_and_lease(
    ctx: ConnectionContext,
    order_ids: Sequence[str],
    orders: Mapping[str, Order],
    decide: Callable[[Order], Plan | OnHold | Outcome],
    plan_type: type[Plan],
    number_of: Callable[[Plan], str | None],
    owner: str,
    outcomes: dict[str, Outcome],
) -> dict[str, Plan]:
    """Decide each re-fetched order (a document to post, a hold, or an outcome), park the holds, and take the
    lease of every order with a document (its number as intent); returns the leased orders' documents."""
    plans: dict[str, Plan] = {}
    holds: dict[str, OnHold] = {}
    for order_id in order_ids:
        order = orders.get(order_id)
        if order is None:
            # Ginee does not know it: a forged or mistyped notification. Nothing to converge.
            outcomes[order_id] = Outcome(Result.UNKNOWN_ORDER)
            continue
        decision = decide(order)
        if isinstance(decision, plan_type):
            plans[order_id] = decision
        elif isinstance(decision, OnHold):
            holds[order_id] = decision
        elif isinstance(decision, Outcome):
            outcomes[order_id] = decision
    hold_orders(ctx, holds, owner, outcomes)
    leased = ctx.ledger.lease({oid: number_of(plan) for oid, plan in plans.items()}, owner)
    for order_id in set(plans) - leased:
        outcomes[order_id] = Outcome(Result.RETRY, "another worker holds this order")
    return {oid: plan for oid, plan in plans.items() if oid in leased}


def hold_orders(
    ctx: ConnectionContext,
    holds: dict[str, OnHold],
    owner: str,
    outcomes: dict[str, Outcome],
) -> None:
    """Park orders on hold (each with its cause, reason and fix hint) and note the outcome."""
    if not holds:
        return
    held = ctx.ledger.hold(holds, owner)
    for order_id, hold in holds.items():
        if order_id in held:
            outcomes[order_id] = Outcome(Result.HELD, hold.cause)
        else:
            outcomes[order_id] = Outcome(Result.RETRY, "another worker holds this order")


def posted_lines(document: SalesInvoice | SalesReturn) -> tuple[PostedLine, ...]:
    """A document's lines as the Ledger keeps them (the record of the goods sold, or taken back): an invoice's line
    of the buyer's shipping (`is_buyer_shipping`) sells no unit of the order, so it is not among them."""
    return tuple(
        PostedLine(
            sku=line.item_no,
            quantity=int(line.quantity),
            unit_price=line.unit_price,
            discount=line.item_cash_discount or Decimal(0),
            warehouse=line.warehouse_name or "",
            taxed=bool(line.use_tax1),
        )
        for line in document.detail_item
        if not (isinstance(line, SalesInvoiceItem) and is_buyer_shipping(line))
    )


def corrections(record: SyncRecord) -> dict[str, PostedDocument]:
    """The corrections posted for lines gone from the order after its invoice (return ids ``change-<k>``)."""
    return {rid: doc for rid, doc in record.returns.items() if rid.startswith(CHANGE_RETURN_PREFIX)}


def corrected_lines(record: SyncRecord) -> list[PostedLine]:
    """Every line the order's corrections took back."""
    return [line for doc in corrections(record).values() for line in doc.lines]


def accurate_invoice_total(
    order: Order, store: StoreMapping, record: SyncRecord, prices: Mapping[str, Decimal]
) -> Decimal | None:
    """What Accurate says the order's invoice comes to, for a receipt to pay (`omsync.posting.receipts.owed`'s
    ``invoice_total``); None where Accurate did not say, or once units left the order after its invoice (a
    correction ``-K<k>`` took them back, or is about to: docs/POSTING.md §8a). Accurate's figure is the invoice
    as posted, so it does not know the correction; what is owed is then the plan of the order as it stands.
    Raises `OnHold` as the invoice's plan does."""
    if record.invoice is None or record.invoice.total is None:
        return None
    if corrections(record) or units_gone(order, store, record.invoice.lines, (), prices):
        return None
    return record.invoice.total


def accurate_return_totals(record: SyncRecord) -> dict[str, Decimal]:
    """What Accurate says each Sales Return recorded for the order comes to (return number → its ``totalAmount``),
    for a receipt or payout to take off the invoice (`omsync.posting.receipts.owed`'s ``return_totals``); returns
    recorded without Accurate's figure are left out (the plan's is used)."""
    return {doc.number: doc.total for doc in record.returns.values() if doc.total is not None}


def number_taken_hold(number: str) -> OnHold:
    """The hold of an order whose invoice number Accurate already holds on a document of no Ginee order of
    this connection's (typed by hand, or its description edited): never taken as already posted."""
    return OnHold(
        "number_taken",
        f"another document in Accurate already has invoice number {number}, and it is not this order's",
        f"check Sales Invoice {number} in Accurate: if it is this order's invoice typed by hand, delete it (omsync "
        "posts its own), else renumber it; the order is posted automatically once the number is free",
    )


PACKAGE_LOOKBACK: Final = timedelta(days=14)
"""How long before an order's own creation its marketplace order's other packages are looked for in Ginee: a
fortnight, so that an order's look-up (up to a second past its creation) is one ``list-order`` window of 15 days."""


def number_packages(
    ctx: ConnectionContext, plans: Mapping[str, SalesInvoice], orders: Mapping[str, Order]
) -> dict[str, SalesInvoice | Outcome]:
    """Number each planned (not yet posted) invoice among the packages of its marketplace order: ``plans`` (order
    id → invoice planned under the plain number) with each package that `plain_number_package` does not name
    renumbered `invoice_number_apart` (docs/POSTING.md §6).

    The packages are the Ginee orders of the order's shop with its ``externalOrderSn`` created up to
    `PACKAGE_LOOKBACK` before it, read by ``list-order`` (``orderNumbers``, 100 numbers a call; one window per run
    of orders created close together). An order without marketplace number or ``createAt`` keeps its plan. When
    Ginee cannot answer (busy, or refusing), the orders it was asked about get `Result.RETRY` instead of a plan;
    the others go on. One more Ginee call per batch of new invoices created within a fortnight.
    """
    asked = {
        oid: order
        for oid in plans
        if (order := orders[oid]).external_order_sn and order.create_at is not None and order.shop_id
    }
    numbered: dict[str, SalesInvoice | Outcome] = dict(plans)
    if not asked:
        return numbered
    try:
        packages = _packages(ctx, list(asked.values()))
    except (GineeError, ServiceBusy) as error:
        logger.warning("the packages of marketplace orders could not be read", extra={"error": type(error).__name__})
        for order_id in asked:
            numbered[order_id] = Outcome(Result.RETRY, f"Ginee's list of its packages failed: {type(error).__name__}")
        return numbered
    for order_id, order in asked.items():
        siblings = packages.get((order.shop_id or "", order.external_order_sn or ""), [])
        if plain_number_package([order, *siblings]) != order_id:
            plan = plans[order_id]
            numbered[order_id] = plan.model_copy(update={"number": invoice_number_apart(plan.number or "", order_id)})
    return numbered


def _packages(ctx: ConnectionContext, orders: Sequence[Order]) -> dict[tuple[str, str], list[Order]]:
    """Ginee's orders (list rows) by (shop id, marketplace number) for the numbers of ``orders``, each created
    from `PACKAGE_LOOKBACK` before one of them to a second after it; the time spans of orders created close
    together are merged, so that each run is one ``list-order`` window."""
    spans: list[tuple[datetime, datetime, set[str]]] = []
    for order in sorted(orders, key=lambda o: o.create_at or datetime.min.replace(tzinfo=UTC)):
        assert order.create_at is not None and order.external_order_sn
        since, to = order.create_at - PACKAGE_LOOKBACK, order.create_at + timedelta(seconds=1)
        if spans and since <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], to), spans[-1][2] | {order.external_order_sn})
        else:
            spans.append((since, to, {order.external_order_sn}))
    found: dict[tuple[str, str], dict[str, Order]] = {}
    for since, to, numbers in spans:
        for row in ctx.ginee.list_orders(create_since=since, create_to=to, order_numbers=sorted(numbers)):
            key = (row.shop_id or "", row.external_order_sn or "")
            found.setdefault(key, {})[row.order_id] = row
    return {key: list(rows.values()) for key, rows in found.items()}


def post_invoices(
    ctx: ConnectionContext,
    plans: dict[str, SalesInvoice],
    owner: str,
    outcomes: dict[str, Outcome],
) -> dict[str, PostedDocument]:
    """Post leased orders' invoices exactly once and record each outcome (posted, held, retry, failed); returns
    the invoices recorded, by order id, with Accurate's own totals where its answer carried them.

    A number Accurate already holds is this order's only when the document's description names this Ginee
    order (`ginee_order_named`). One naming another Ginee order (two orders, one marketplace number) sends this
    order's invoice again under `invoice_number_apart`; one naming no order holds it (``number_taken``).
    Every order in ``plans`` must be leased by ``owner``; recording the outcome gives the lease back.
    """
    pending = dict(plans)
    first_round = True
    recorded: dict[str, PostedDocument] = {}
    while pending:
        result, by_number = _post_round(ctx, pending)
        taken: dict[str, OnHold] = {}
        again: dict[str, SalesInvoice] = {}
        for number, named in _not_ours(ctx, result, by_number).items():
            order_id = by_number[number]
            del result.saved[number]
            if named is not None and first_round:
                apart = invoice_number_apart(number, order_id)
                again[order_id] = pending[order_id].model_copy(update={"number": apart})
                logger.info("invoice number already another order's; posting apart", extra={"order_id": order_id})
            else:
                taken[order_id] = number_taken_hold(number)
        for number, doc in result.saved.items():
            result.saved[number] = replace(doc, lines=posted_lines(pending[by_number[number]]))
        recorded.update(_record_round(ctx, result, by_number, taken, owner, outcomes))
        pending, first_round = again, False
    return recorded


def _post_round(ctx: ConnectionContext, plans: Mapping[str, SalesInvoice]) -> tuple[PostOutcome, dict[str, str]]:
    """Post invoices once each, creating missing items where the mapping allows it; the outcome and number →
    order id."""
    by_number = {plan.number: order_id for order_id, plan in plans.items() if plan.number}
    result = post_exactly_once(ctx.accurate, list(plans.values()))
    missing_skus = {
        number: error
        for number, error in result.missing_master.items()
        if error.kind.lower().startswith(("barang", "item"))
    }
    if missing_skus and ctx.mapping is not None and ctx.mapping.items.auto_create:
        created = create_items(ctx, {error.key for error in missing_skus.values()})
        retry = [plans[by_number[n]] for n, e in missing_skus.items() if e.key in created]
        if retry:
            again = post_exactly_once(ctx.accurate, retry)
            for number in again.saved.keys() | again.missing_master.keys() | again.refused.keys() | again.unresolved:
                result.missing_master.pop(number, None)
            result.saved.update(again.saved)
            result.found.update(again.found)
            result.missing_master.update(again.missing_master)
            result.refused.update(again.refused)
            result.unresolved.update(again.unresolved)
    return result, by_number


def _not_ours(ctx: ConnectionContext, result: PostOutcome, by_number: Mapping[str, str]) -> dict[str, str | None]:
    """Numbers found already in Accurate whose document is not the order's: number → the Ginee order its
    description names (None: it names none)."""
    found = [number for number in result.found if number in result.saved]
    if not found:
        return {}
    texts = descriptions(ctx.accurate, SalesInvoice.module, found)
    foreign: dict[str, str | None] = {}
    for number in found:
        named = ginee_order_named(texts.get(number, ""))
        if named != by_number[number]:
            foreign[number] = named
    return foreign


def _record_round(
    ctx: ConnectionContext,
    result: PostOutcome,
    by_number: Mapping[str, str],
    holds: dict[str, OnHold],
    owner: str,
    outcomes: dict[str, Outcome],
) -> dict[str, PostedDocument]:
    """Record one round's invoices, park its holds, note retries and failures, give the other leases back; returns
    the invoices recorded, by order id."""
    posted = {by_number[number]: doc for number, doc in result.saved.items()}
    recorded = ctx.ledger.record_invoices(posted, owner)
    for order_id in posted:
        if order_id in recorded:
            outcomes[order_id] = Outcome(Result.POSTED, posted[order_id].number)
        else:
            # The lease was lost meanwhile; the invoice exists, the next attempt records it by number.
            outcomes[order_id] = Outcome(Result.RETRY, "lease lost before recording")

    for number, error in result.missing_master.items():
        holds[by_number[number]] = missing_master_hold(error)
    for number, refusal in result.refused.items():
        order_id = by_number[number]
        if CLOSED_PERIOD_MARKER in str(refusal).lower():
            holds[order_id] = closed_period_hold(refusal, f"invoice {number}")
        elif INSUFFICIENT_STOCK_MARKER in str(refusal).lower():
            holds[order_id] = insufficient_stock_hold(refusal, f"invoice {number}")
        else:
            logger.error(
                "Accurate refused an invoice",
                extra={"order_id": order_id, "number": number, "error": type(refusal).__name__},
            )
            outcomes[order_id] = Outcome(Result.FAILED, str(refusal))
    hold_orders(ctx, holds, owner, outcomes)
    failed = [by_number[n] for n in result.refused if by_number[n] not in holds]
    unresolved = [by_number[n] for n in result.unresolved]
    for order_id in unresolved:
        outcomes[order_id] = Outcome(Result.RETRY, "Accurate's answer was ambiguous")
    ctx.ledger.release([*failed, *unresolved], owner)
    return {order_id: doc for order_id, doc in posted.items() if order_id in recorded}


def create_items(ctx: ConnectionContext, skus: set[str]) -> set[str]:
    """Create the items Ginee's catalogue knows (``items.auto_create``: invoices and purchases meeting a SKU
    before the products flow made it); returns the SKUs that now exist."""
    catalogue = ctx.catalogue()
    if ctx.mapping is None:
        return set()
    policy = ctx.mapping.items
    documents: list[Item] = []
    for sku in sorted(skus):
        product = catalogue.get(sku)
        if product is None:
            continue
        variation = next((v for v in product.variations or product.variation_briefs if v.sku == sku), None)
        name = (variation.name if variation and variation.name else None) or product.name or sku
        documents.append(
            Item(
                no=sku,
                name=name,
                item_type=policy.item_type,
                unit1_name=policy.unit,
                item_category_name=policy.category,
                unit_price=variation.selling_price if variation else None,
            )
        )
    if not documents:
        return set()
    created: set[str] = set()
    for row in ctx.accurate.bulk_save(documents):
        if row.ok or (row.error is not None and "Sudah ada" in str(row.error.messages)):
            created.add(str(row.document.key))
    logger.info("items created from Ginee's catalogue", extra={"count": len(created)})
    return created
