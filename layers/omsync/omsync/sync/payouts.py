"""import_payouts: a marketplace's settlement file becomes one Sales Receipt per payout (plus a journal voucher
for differences against estimates and for refunds), exactly once, or a held payout with its reasons.

For each payout of one store:

1. a payout the Ledger records as posted is compared by content: the same file twice changes nothing, a
   fuller export of it posts only its new lines (a supplement), changed lines hold it with both versions;
2. its orders are found by invoice number (``gsi2``), re-read from Ginee and from the Ledger, and what each
   invoice still owes is worked out by the posting rules (`omsync.posting.receipts.owed`); a line whose
   order's Ginee record cannot be read is a problem of its own (``unreadable_record``) that holds the payout;
   a marketplace number of several Ginee orders (packages, each invoiced apart) has its line split over the
   packages it pays, matched by the amounts (`omsync.posting.payout_packages`);
3. the pure plan (`plan_payout`) gives the receipt and journal voucher, or the problems that hold the
   payout — then nothing is posted and the Ledger records the payout as held with every reason;
4. under the leases of all its orders, the documents go out exactly once by number, then each order
   records its receipt (or the exact payout that settled it) and any refund moved out of the balance.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from omsync.accurate.documents import AccurateDocument
from omsync.accurate.errors import AccurateError, Transient
from omsync.config.mapping import StoreMapping
from omsync.errors import OnHold
from omsync.ginee.models import UnreadableRecord
from omsync.ledger.orders import PostedDocument, ReceiptRecord
from omsync.ledger.payouts import PayoutLedger, PayoutRecord
from omsync.payouts.content import ContentChange, compare_content, payout_content
from omsync.payouts.model import Payout, PayoutLine
from omsync.posting.amounts import TAX_MISMATCH
from omsync.posting.payout_packages import lines_by_package
from omsync.posting.receipts import (
    ESTIMATE_SOURCE,
    PayoutPlan,
    PayoutProblem,
    ReceiptEntry,
    SettledOrder,
    owed,
    payout_invoice_numbers,
    plan_payout,
)
from omsync.sync.context import ConnectionContext
from omsync.sync.steps import accurate_invoice_total, accurate_return_totals, post_single, unreadable_hold


@dataclass
class PayoutResult:
    """What one payout of the file became."""

    payout_id: str
    amount: Decimal
    orders: int
    status: str
    """``posted``, ``already_posted``, ``held``, or ``would_post`` (dry run)."""
    receipt: str | None = None
    journal: str | None = None
    problems: list[PayoutProblem] = field(default_factory=list)
    held_lines: tuple[str, ...] = ()
    """Order numbers whose lines were left out of what was posted (their order held ``tax_mismatch``): each is a
    problem too, and posted as a supplement of the payout when its file is imported again once it is released."""

    @property
    def documents(self) -> list[str]:
        """The numbers of its receipt and journal voucher (those it has)."""
        return [number for number in (self.receipt, self.journal) if number]


def import_payouts(
    ctx: ConnectionContext, shop_id: str, payouts: Sequence[Payout], *, dry_run: bool = False
) -> list[PayoutResult]:
    """Post (or, with ``dry_run``, only plan) every payout of one store; one result per payout.

    A payout already posted is compared by content (`omsync.payouts.content`): the same → ``already_posted``;
    a fuller export → its new lines are posted as a supplement (``<payout id>-S<n>``); changed lines →
    ``held`` with cause ``payout_changed`` and both versions, nothing posted.
    """
    store = ctx.store(shop_id)
    ledger = PayoutLedger(ctx.connection_id, shop_id)
    results = []
    for payout in payouts:
        existing = ledger.get(payout.payout_id)
        if existing is not None and existing.status == "posted":
            results.append(_import_again(ctx, ledger, store, shop_id, payout, existing, dry_run))
            continue
        results.append(_import_one(ctx, ledger, store, shop_id, payout, dry_run))
    return results


def _import_again(
    ctx: ConnectionContext,
    ledger: PayoutLedger,
    store: StoreMapping,
    shop_id: str,
    payout: Payout,
    existing: PayoutRecord,
    dry_run: bool,
) -> PayoutResult:
    """A payout whose id is posted: already posted, a supplement of its new lines, or held as changed."""
    if existing.content is None:
        # Posted before omsync kept content: only the total and the number of orders can be compared.
        same = existing.amount == payout.amount and existing.orders == len(payout.lines)
        change = ContentChange(
            "same" if same else "changed",
            differences=[
                f"posted {existing.orders} orders, {existing.amount:,}; this file {len(payout.lines)} orders, "
                f"{payout.amount:,} (posted before omsync kept each line: compare them by hand)"
            ],
        )
    else:
        change = compare_content(existing.content, payout, existing.supplements)
    if change.kind == "same":
        return PayoutResult(
            payout.payout_id,
            payout.amount,
            len(payout.lines),
            "already_posted",
            existing.receipt_number,
            existing.journal_number,
        )
    if change.kind == "changed" or change.supplement is None:
        problems = [
            PayoutProblem("payout_changed", f"payout {payout.payout_id} was posted with other lines: {difference}")
            for difference in change.differences
        ]
        if not dry_run:
            ledger.record_conflict(payout.payout_id, [p.message for p in problems])
        return PayoutResult(payout.payout_id, payout.amount, len(payout.lines), "held", problems=problems)
    result = _import_one(ctx, ledger, store, shop_id, change.supplement, dry_run)
    if result.status == "posted":
        # What is posted under the payout's id now: every line but those held again (a later import posts them).
        kept = _without_lines(payout, result.held_lines)
        ledger.record_supplement(payout.payout_id, kept.amount, len(kept.lines), payout_content(kept))
    return result


def _import_one(
    ctx: ConnectionContext, ledger: PayoutLedger, store: StoreMapping, shop_id: str, payout: Payout, dry_run: bool
) -> PayoutResult:
    packages, unreadable, mismatched = _settled_orders(ctx, shop_id, store, payout)
    held_lines = [line for line in payout.lines if line.order_sn in mismatched]
    posting = _without_lines(payout, [line.order_sn for line in held_lines])
    by_package, settled = lines_by_package(posting, packages, store.settlement_tolerance)
    plan = plan_payout(by_package, store, settled)
    plan.problems = [_unreadable_problem(p, unreadable) for p in plan.problems]
    line_holds = [_tax_mismatch_problem(line, mismatched[line.order_sn], payout) for line in held_lines]
    if held_lines and not posting.lines and not posting.charges:
        plan.problems += line_holds  # nothing else to post: the payout waits whole
    result = PayoutResult(
        payout.payout_id,
        payout.amount,
        len(payout.lines),
        "held" if plan.held else "would_post",
        plan.receipt.number if plan.receipt else None,
        plan.journal.number if plan.journal else None,
        [*plan.problems, *(problem for problem in line_holds if problem not in plan.problems)],
        () if plan.held else tuple(line.order_sn for line in held_lines),
    )
    if not dry_run:
        if plan.held:
            _hold(ledger, payout, result.problems)
        else:
            try:
                _post(ctx, ledger, posting, plan, result)
            except OnHold as hold:
                result.status = "held"
                result.problems.append(PayoutProblem(hold.cause, f"{hold.reason}; {hold.hint}"))
                _hold(ledger, payout, result.problems)
    return result


def _without_lines(payout: Payout, order_sns: Sequence[str]) -> Payout:
    """The payout less the lines of these marketplace order numbers (its amount less their net)."""
    left = set(order_sns)
    gone = sum((line.net for line in payout.lines if line.order_sn in left), Decimal(0))
    lines = tuple(line for line in payout.lines if line.order_sn not in left)
    return replace(payout, lines=lines, amount=payout.amount - gone)


def _tax_mismatch_problem(line: PayoutLine, reason: str, payout: Payout) -> PayoutProblem:
    """A line of an order held ``tax_mismatch``: it pays no invoice Accurate booked on another tax than planned."""
    return PayoutProblem(
        TAX_MISMATCH,
        f"order {line.order_sn} is held {TAX_MISMATCH} ({reason}): its line ({line.net:,}) is left out of payout "
        f"{payout.payout_id}, the rest is posted; once the order is released (docs/POSTING.md §3a) import the "
        "file again and the line is posted as the payout's supplement",
        line.source_row,
        line.order_sn,
    )


def _settled_orders(
    ctx: ConnectionContext, shop_id: str, store: StoreMapping, payout: Payout
) -> tuple[dict[str, list[SettledOrder]], dict[str, UnreadableRecord], dict[str, str]]:
    """What omsync knows of each line's orders (by marketplace order number: every Ginee order of it omsync
    invoiced, the one bearing the plain number first), the lines' orders whose Ginee record could not be
    read (by order number), and the lines' orders held ``tax_mismatch`` (order number → the hold's reason)."""
    numbers = payout_invoice_numbers(payout, store)
    by_invoice = ctx.ledger.packages_by_invoice(numbers.values(), deleted_too=True)
    order_ids = {sn: by_invoice[number] for sn, number in numbers.items() if number in by_invoice}
    every_id = [oid for ids in order_ids.values() for oid in ids]
    records = ctx.ledger.load(every_id)
    fetched = ctx.ginee.batch_get(every_id)
    orders = {order.order_id: order for order in fetched}
    unreadable = {
        sn: fetched.unreadable[oid] for sn, ids in order_ids.items() for oid in ids if oid in fetched.unreadable
    }
    prices = ctx.component_prices() if any(i.bundle_skus for o in orders.values() for i in o.items) else {}
    settled: dict[str, list[SettledOrder]] = {}
    mismatched: dict[str, str] = {}
    for sn, order_id in ((sn, oid) for sn, ids in order_ids.items() for oid in ids):
        order, record = orders.get(order_id), records.get(order_id)
        if record is not None and record.hold is not None and record.hold.cause == TAX_MISMATCH:
            mismatched[sn] = record.hold.reason
        if order is None or record is None or record.invoice is None or (order.shop_id or "") != shop_id:
            continue
        receipt = record.receipt
        estimate = None
        if receipt is not None and receipt.source == ESTIMATE_SOURCE:
            estimate = ReceiptEntry(receipt.payment, receipt.cheque, receipt.lines)
        total = accurate_invoice_total(order, store, record, prices)
        due = owed(
            order,
            store,
            prices,
            invoice_no=record.invoice.number,
            invoice_total=total,
            return_totals=accurate_return_totals(record),
        )
        known = SettledOrder(
            order_id=order_id,
            due=due,
            receipt_source=receipt.source if receipt is not None else None,
            estimate=estimate,
            exact_payout=record.exact_payout,
            refunds_reversed=sum(record.refunds.values(), Decimal(0)),
        )
        settled.setdefault(sn, []).append(known)
    return settled, unreadable, mismatched


def _unreadable_problem(problem: PayoutProblem, unreadable: Mapping[str, UnreadableRecord]) -> PayoutProblem:
    """A line's order reads as unknown when Ginee's record of it cannot be read: the problem says so instead."""
    record = unreadable.get(problem.order_sn or "")
    if problem.cause != "unknown_order" or record is None:
        return problem
    hold = unreadable_hold(record)
    return PayoutProblem(
        hold.cause, f"{hold.reason}; import the file again once it reads", problem.row, problem.order_sn
    )


def _hold(ledger: PayoutLedger, payout: Payout, problems: Sequence[PayoutProblem]) -> None:
    described = [f"line {p.row}: {p.message}" if p.row else p.message for p in problems]
    ledger.record_held(payout.payout_id, payout.amount, len(payout.lines), problems[0].cause, described)


def _post(ctx: ConnectionContext, ledger: PayoutLedger, payout: Payout, plan: PayoutPlan, result: PayoutResult) -> None:
    owner = uuid.uuid4().hex
    involved = list(dict.fromkeys([*plan.receipted, *plan.differences, *plan.refunds]))
    intent = result.receipt or result.journal
    leased = ctx.ledger.lease(dict.fromkeys(involved, intent), owner)
    if leased != set(involved):
        ctx.ledger.release(leased, owner)
        raise Transient(f"payout {payout.payout_id}: some of its orders are being worked on; import it again shortly")
    try:
        receipt = _post_one(ctx, plan.receipt, payout) if plan.receipt else None
        journal = _post_one(ctx, plan.journal, payout) if plan.journal else None
    except BaseException:
        ctx.ledger.release(involved, owner)
        raise
    if receipt is not None:
        ctx.ledger.record_receipts(
            {
                oid: ReceiptRecord(receipt.number, receipt.accurate_id, payout.payout_id, e.payment, e.cheque, e.lines)
                for oid, e in plan.receipted.items()
            },
            owner,
        )
    if journal is not None and plan.refunds:
        ctx.ledger.record_refunds({oid: (journal.number, amount) for oid, amount in plan.refunds.items()}, owner)
    ctx.ledger.record_exact([*plan.differences], payout.payout_id, owner)
    ctx.ledger.release(involved, owner)
    ledger.record_posted(
        payout.payout_id,
        payout.amount,
        len(payout.lines),
        receipt.number if receipt else None,
        journal.number if journal else None,
        payout.source,
        payout_content(payout),
    )
    result.status = "posted"


def _post_one(ctx: ConnectionContext, document: AccurateDocument, payout: Payout) -> PostedDocument:
    try:
        return post_single(ctx, document, "document")
    except (OnHold, Transient):
        raise
    except AccurateError as refusal:
        raise OnHold(
            "payout_refused",
            f"Accurate refuses {document.key} of payout {payout.payout_id}: {refusal}",
            "fix what Accurate names, then import the file again",
        ) from refusal
