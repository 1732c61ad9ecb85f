"""Converge Accurate on Ginee's purchase inbounds and stock adjustments, one movement at a time.

Level-triggered: a message says only "inbound/outbound X changed". For each id this re-reads the Ledger's
movement record (`omsync.ledger.purchases`) and the movement from Ginee (an inbound; an id Ginee does not
know as an inbound is read as an outbound), then:

- a stale intent (an earlier attempt died after writing it) is settled first: its number is looked up in
  Accurate and booked if found, dropped if not; a live one sends the message back (another worker);
- a purchase inbound that received goods books what is not booked yet as the next *part* (Purchase Invoice
  or Receive Item, `omsync.posting.purchases`), writing the part as an intent before posting and as booked
  after, so each inbound and each received part is posted exactly once;
- a purchase inbound cancelled (``INVALID``) after parts were booked has them deleted (the mapping's
  ``purchases.cancellation: delete``), newest first;
- an ``ADJUSTMENT`` inbound, or an outbound, is one Item Adjustment IN or OUT.

Problems the seller must fix (no vendor, warehouse or adjustment account mapped; a SKU not in Accurate with
``items.auto_create`` off, which otherwise creates its Item from Ginee's catalogue; a closed period; a
purchase Accurate will not delete) are recorded on the movement as a hold and the message leaves the
queue; the next notification of the movement tries again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from omsync.accurate.documents import AccurateDocument
from omsync.accurate.errors import Rejected
from omsync.config.mapping import ConnectionMapping
from omsync.errors import OnHold, PermanentError, RetryableError
from omsync.ginee.errors import DataNotExisted, GineeError
from omsync.ginee.models import InboundOrder, SellOutbound
from omsync.ledger.purchases import BookedPart, MovementLedger, MovementRecord
from omsync.money import ZERO
from omsync.observability import logger
from omsync.posting.numbers import fit_number, jakarta_date
from omsync.posting.purchases import (
    ADJUSTMENT_TYPE,
    CANCELLED_STATUS,
    RECEIVED_STATUSES,
    Received,
    StockChange,
    part_number,
    plan_adjustment,
    plan_purchase,
    received,
    unbooked,
)
from omsync.sync.context import ConnectionContext
from omsync.sync.documents import find_posted
from omsync.sync.steps import MISSING_SKU, Outcome, Result, create_items, post_single


def sync_purchases(ctx: ConnectionContext, movement_ids: Sequence[str], owner: str) -> dict[str, Outcome]:
    """Book each inbound or outbound in Accurate as Ginee has it now; an `Outcome` per id.

    POSTED (a document posted or deleted), NOT_OURS (the mapping leaves purchases off), ALREADY_DONE, NOT_READY (an inbound not received yet),
    UNKNOWN_ORDER (Ginee knows neither an inbound nor an outbound of that id), HELD (cause recorded on the
    movement), RETRY (another worker, or Ginee/Accurate busy or ambiguous), FAILED (refused for a reason
    that is no hold). ``owner`` marks this invocation's intents. Raises `OnHold` when the connection has
    no mapping yet (the batch comes back).
    """
    if ctx.mapping is None:
        raise OnHold(
            "unmapped_connection",
            "purchases cannot be booked: this connection has no mapping applied yet",
            "Write the connection's mapping (its purchases section) and run `omsync mapping apply FILE --connection ID`.",
        )
    if not ctx.mapping.purchases.enabled:
        return {movement_id: Outcome(Result.NOT_OURS, "purchases.enabled is off") for movement_id in movement_ids}
    outcomes: dict[str, Outcome] = {}
    ledger = MovementLedger(ctx.connection_id)
    for movement_id in dict.fromkeys(movement_ids):
        try:
            outcomes[movement_id] = _converge(ctx, ctx.mapping, ledger, movement_id, owner)
        except RetryableError as error:
            outcomes[movement_id] = Outcome(Result.RETRY, type(error).__name__)
        except (GineeError, PermanentError) as error:
            logger.error("movement cannot be booked", extra={"movement_id": movement_id, "error": type(error).__name__})
            outcomes[movement_id] = Outcome(Result.FAILED, type(error).__name__)
    return outcomes


def _converge(
    ctx: ConnectionContext, mapping: ConnectionMapping, ledger: MovementLedger, movement_id: str, owner: str
) -> Outcome:
    record = ledger.load(movement_id)
    if record.intent is not None:
        if record.intent_live(ledger.now()):
            return Outcome(Result.RETRY, "another worker is booking this movement")
        if not _settle_stale_intent(ctx, ledger, record):
            return Outcome(Result.RETRY, "the movement's record changed meanwhile")
    movement = _read(ctx, movement_id)
    if movement is None:
        return Outcome(Result.UNKNOWN_ORDER, "Ginee knows no inbound or outbound of this id")
    try:
        if isinstance(movement, SellOutbound):
            change = StockChange(
                movement_id,
                "ADJUSTMENT_OUT",
                {line.master_sku: (line.out_quantity, line.real_price) for line in movement.items if line.out_quantity},
            )
            return _adjust(ctx, mapping, ledger, record, change, movement.warehouse_id, movement.create_at, owner)
        if movement.inbound_type == ADJUSTMENT_TYPE:
            if movement.status not in RECEIVED_STATUSES:
                return Outcome(Result.NOT_READY)
            change = StockChange(
                movement_id,
                "ADJUSTMENT_IN",
                {
                    line.master_sku: (line.real_quantity, line.real_price)
                    for line in movement.items
                    if line.real_quantity
                },
            )
            when = movement.complete_at or movement.create_at
            return _adjust(ctx, mapping, ledger, record, change, movement.warehouse_id, when, owner)
        if movement.status == CANCELLED_STATUS:
            return _cancel(ctx, ledger, record)
        if movement.status in RECEIVED_STATUSES:
            return _book_part(ctx, mapping, ledger, record, movement, owner)
        return Outcome(Result.NOT_READY)
    except OnHold as hold:
        ledger.write(record, parts=record.parts, hold=hold)
        logger.warning("movement held", extra={"movement_id": movement_id, "cause": hold.cause})
        return Outcome(Result.HELD, hold.cause)


def _read(ctx: ConnectionContext, movement_id: str) -> InboundOrder | SellOutbound | None:
    try:
        return ctx.ginee.get_inbound(movement_id)
    except DataNotExisted:
        pass
    try:
        return ctx.ginee.get_outbound(movement_id)
    except DataNotExisted:
        return None


def _settle_stale_intent(ctx: ConnectionContext, ledger: MovementLedger, record: MovementRecord) -> bool:
    """Book the stale intent if Accurate has its number, drop it if not; False when the record moved on."""
    intent = record.intent
    assert intent is not None
    found = find_posted(ctx.accurate, intent.module, [intent.number]).get(intent.number)
    parts = [*record.parts, replace(intent, accurate_id=found.accurate_id)] if found else record.parts
    return ledger.write(record, parts=parts)


def _post(
    ctx: ConnectionContext,
    ledger: MovementLedger,
    record: MovementRecord,
    document: AccurateDocument,
    lines: dict[str, Received],
    owner: str,
    what: str,
) -> Outcome:
    """Write the intent, post exactly once, book the part. A refusal to hold raises `OnHold` after the
    intent is dropped; an ambiguous answer keeps the intent for the next attempt to look up."""
    number = document.key or ""
    intent = BookedPart(number, document.module, lines)
    if not ledger.write(record, parts=record.parts, intent=intent, owner=owner):
        return Outcome(Result.RETRY, "another worker is booking this movement")
    try:
        try:
            posted = post_single(ctx, document, what)
        except OnHold as hold:
            if hold.cause != MISSING_SKU or not _create_missing_items(ctx, document):
                raise
            posted = post_single(ctx, document, what)
    except (OnHold, PermanentError):
        ledger.write(record, parts=record.parts)
        raise
    ledger.write(record, parts=[*record.parts, replace(intent, accurate_id=posted.accurate_id)])
    return Outcome(Result.POSTED, number)


def _create_missing_items(ctx: ConnectionContext, document: AccurateDocument) -> bool:
    """With ``items.auto_create``, create the document's Items from Ginee's catalogue, as invoices do (an
    inbound of a product created minutes ago can reach Accurate before the products flow made its Item);
    whether every SKU of the document now exists."""
    if ctx.mapping is None or not ctx.mapping.items.auto_create:
        return False
    skus = {str(line.item_no) for line in getattr(document, "detail_item", [])}
    if not skus <= ctx.catalogue().keys():
        ctx.forget_catalogue()  # the product is newer than the catalogue this worker read
    return bool(skus) and create_items(ctx, skus) >= skus


def _business_date(moment: datetime | None) -> datetime:
    return moment or datetime.now(UTC)


def _book_part(
    ctx: ConnectionContext,
    mapping: ConnectionMapping,
    ledger: MovementLedger,
    record: MovementRecord,
    inbound: InboundOrder,
    owner: str,
) -> Outcome:
    booked = [part.lines for part in record.parts if not part.deleted]
    part = unbooked(received(inbound), booked)
    if not part:
        return Outcome(Result.ALREADY_DONE if record.parts else Result.NOT_READY)
    policy = mapping.purchases
    document = plan_purchase(
        inbound,
        part,
        document=policy.document,
        number=part_number(policy.number_prefix, inbound.inbound_order_id, len(record.parts) + 1),
        vendor_no=policy.vendor_for(inbound.supplier_name),
        warehouse=mapping.purchase_warehouse(inbound.warehouse_id),
        trans_date=jakarta_date(_business_date(inbound.complete_at or inbound.create_at)),
        branch=policy.branch,
    )
    return _post(ctx, ledger, record, document, part, owner, "purchase")


def _cancel(ctx: ConnectionContext, ledger: MovementLedger, record: MovementRecord) -> Outcome:
    alive = [part for part in record.parts if not part.deleted]
    if not alive:
        return Outcome(Result.ALREADY_DONE if record.parts else Result.NOT_OURS)
    parts = list(record.parts)
    for index in reversed(range(len(parts))):
        part = parts[index]
        if part.deleted:
            continue
        try:
            if part.accurate_id is not None:
                ctx.accurate.delete_if_present(part.module, id=part.accurate_id)
            else:
                ctx.accurate.delete_if_present(part.module, number=part.number)
        except Rejected as refusal:
            ledger.write(record, parts=parts)
            raise OnHold(
                "purchase_not_deletable",
                f"Ginee cancelled the inbound, but Accurate refuses to delete {part.number}: {refusal}",
                "Undo in Accurate what uses the purchase (its payment, or sales of the goods it brought) or "
                "delete it by hand; the next notification of the inbound books the rest.",
            ) from None
        parts[index] = replace(part, deleted=True)
    ledger.write(record, parts=parts)
    return Outcome(Result.POSTED, "deleted")


def _adjust(
    ctx: ConnectionContext,
    mapping: ConnectionMapping,
    ledger: MovementLedger,
    record: MovementRecord,
    change: StockChange,
    ginee_warehouse: str | None,
    when: datetime | None,
    owner: str,
) -> Outcome:
    if record.parts:
        return Outcome(Result.ALREADY_DONE)
    policy = mapping.purchases
    if policy.adjustment_account is None:
        raise OnHold(
            "unmapped_adjustment_account",
            f"Ginee stock adjustment {change.movement_id} needs an adjustment account",
            "set purchases.adjustment_account (Penyesuaian Persediaan) in the mapping and apply it",
        )
    if not change.lines:
        return Outcome(Result.NOT_READY)
    try:
        document = plan_adjustment(
            change,
            number=fit_number(f"{policy.number_prefix}{change.movement_id}"),
            account_no=policy.adjustment_account,
            warehouse=mapping.purchase_warehouse(ginee_warehouse),
            trans_date=jakarta_date(_business_date(when)),
            branch=policy.branch,
        )
    except ValueError as missing:
        raise OnHold(
            "missing_unit_cost",
            f"Ginee stock adjustment {change.movement_id}: {missing}",
            "set the SKU's purchase price in Ginee; the next notification of the adjustment books it",
        ) from None
    lines = {sku: Received(quantity, (cost or ZERO) * quantity) for sku, (quantity, cost) in change.lines.items()}
    return _post(ctx, ledger, record, document, lines, owner, "item adjustment")
