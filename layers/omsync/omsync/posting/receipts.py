"""The marketplace's money becomes Sales Receipts (Penerimaan Penjualan) — estimated per order, or exact per payout.

Rules, each with a worked journal in docs/POSTING.md §11–§14:

- the money goes into the store's marketplace balance account (Saldo Shopee…), never straight to a bank;
- a receipt pays what the invoice still owes: the invoice's receivable less the receivable of the order's
  Sales Returns (`omsync.posting.amounts`);
- every fee is a ``detailDiscount`` on its expense account; when the store is PKP and the marketplace
  issues tax invoices for its fees, each fee is PPN-inclusive and its PPN (rate ÷ (1 + rate), half up)
  goes to PPN Masukan; PPh 22 the marketplace withheld goes to PPh 22 dibayar dimuka;
- *estimate*: one receipt per completed order (``<invoice>-P``), fees from Ginee's ``paymentInfo``,
  dated the order's completion date;
- *exact*: one receipt per payout (``<prefix><payout id>``) paying every invoice of the payout not yet
  receipted, dated the payout date; what the invoice owes minus what the marketplace settled for it (a
  few rupiah of rounding, within the store's tolerance) goes to the rounding account;
- differences against an estimate, and refunds after a receipt, are one Journal Voucher per payout
  (``<prefix><payout id>-J``), never a second receipt and never a negative one;
- a payout is posted whole or not at all: lines that do not add up, unknown orders, amounts off beyond
  the tolerance, orders settled by another payout, and fee kinds without an account hold it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Final

from omsync.accurate.documents import JournalLine, JournalVoucher, ReceiptDiscount, ReceiptInvoice, SalesReceipt
from omsync.config.mapping import RefundWithoutReturn, StoreMapping
from omsync.errors import OnHold
from omsync.ginee.models import Order, PaymentInfo
from omsync.money import ZERO, round_rupiah
from omsync.payouts.model import PPH22, STANDARD_FEE_KINDS, Payout, PayoutCharge, PayoutLine
from omsync.posting.amounts import document_amounts, split_inclusive
from omsync.posting.invoice import (
    booked_shipping,
    marketplace_order_number,
    plan_sales_invoice,
    require_whole_rupiah,
    seller_voucher_excess,
)
from omsync.posting.lifecycle import is_cancelled
from omsync.posting.numbers import fit_number, invoice_number, jakarta_date, return_number
from omsync.posting.returns import PostedDocuments, ReturnOutcome, plan_sales_returns, return_outcome

ESTIMATE_SOURCE: Final = "estimate"
"""The ``source`` of a receipt posted from Ginee's estimate (a payout receipt's source is its payout id)."""

# Fee kind → the Ginee paymentInfo field it is estimated from (ARCHITECTURE §5).
ESTIMATE_FEE_FIELDS: Final[dict[str, str]] = {
    "commission": "commission_fee",
    "service": "service_fee",
    "payment": "credit_card_transaction_fee",
    "order_processing": "order_processing_fee",
    "affiliate": "affiliate_commission_fee",
    "shipping_difference": "seller_shipping_fee",
}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- numbers ------------------------------------------------------------------------------------------


def estimate_receipt_number(invoice_no: str) -> str:
    """The number of an order's estimated receipt: the invoice number plus ``-P``."""
    return return_number(invoice_no, "-P")


def payout_receipt_number(prefix: str, payout_id: str) -> str:
    """The number of a payout's receipt: the store prefix plus the payout id."""
    return fit_number(f"{prefix}{payout_id}")


def payout_journal_number(prefix: str, payout_id: str) -> str:
    """The number of a payout's journal voucher (differences and refunds): the receipt's plus ``-J``."""
    return return_number(payout_receipt_number(prefix, payout_id), "-J")


def refund_journal_number(return_no: str) -> str:
    """The journal voucher that takes a return's refund out of the marketplace balance: return number + ``-J``."""
    return return_number(return_no, "-J")


# --- what an order owes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Owed:
    """What an order's invoice still owes (receivable) and the revenue without PPN behind it."""

    invoice_no: str
    outstanding: Decimal
    revenue: Decimal
    shipping: Decimal = ZERO
    """Buyer-paid shipping the invoice carries (rules ``revenue_and_expense`` and ``pass_through``; tax included on a
    PKP store's taxed shipping line): passed on to the courier."""
    returned: Decimal = ZERO
    """Receivable the order's returns took off the invoice."""


def owed(
    order: Order,
    store: StoreMapping,
    component_prices: Mapping[str, Decimal] | None = None,
    *,
    invoice_no: str | None = None,
    invoice_total: Decimal | None = None,
    return_totals: Mapping[str, Decimal] | None = None,
) -> Owed:
    """The invoice's receivable less every return Ginee reports for the order (posted or about to be).

    ``invoice_no``: the number the Ledger recorded for the order's invoice (a second Ginee order with the same
    marketplace number has its own, docs/POSTING.md §6); by default the order's usual number.
    ``invoice_total``: what Accurate says the invoice comes to (its ``totalAmount``, as the Ledger recorded it):
    the receivable is Accurate's figure, not the plan's, which may be a rupiah more where prices exclude PPN
    (Accurate rounds PPN down, docs/POSTING.md §3a); None: the plan's.
    ``return_totals``: what Accurate says each posted Sales Return of the order comes to (return number → its
    ``totalAmount``, as the Ledger recorded it): a return takes Accurate's figure off the invoice, the plan's for a
    return not posted yet or recorded without it.

    A cancelled order owes nothing: its invoice is deleted or credited in full by the cancellation's
    Sales Return (docs/POSTING.md §7), whichever the store's rule chose.
    """
    prices = component_prices or {}
    invoice = plan_sales_invoice(order, store, prices, number=invoice_no)
    rate = store.tax.effective_rate
    amounts = document_amounts(invoice, rate)
    if is_cancelled(order):
        return Owed(invoice.number or "", ZERO, ZERO, ZERO, amounts.receivable)
    outstanding = amounts.receivable if invoice_total is None else invoice_total
    revenue = amounts.revenue
    returned = ZERO
    number = invoice.number or ""
    for sales_return in plan_sales_returns(order, store, PostedDocuments(invoice_number=number), prices):
        back = document_amounts(sales_return, rate)
        receivable = (return_totals or {}).get(sales_return.number or "", back.receivable)
        outstanding -= receivable
        returned += receivable
        revenue -= back.revenue
    shipping = booked_shipping(order, store) if outstanding > ZERO else ZERO
    return Owed(number, outstanding, revenue, shipping, returned)


def voucher_excess_posting(order: Order, store: StoreMapping) -> list[tuple[str, Decimal, str]]:
    """The part of the seller's voucher above the price its line was invoiced at 0 for (``voucher_above_price:
    expense``), as a deduction on ``accounts.seller_voucher_excess``: the marketplace takes it from the payout
    (docs/POSTING.md §2). Empty when there is none; raises `OnHold` as `plan_sales_invoice` says."""
    excess = seller_voucher_excess(order, store)
    if excess == ZERO or store.accounts.seller_voucher_excess is None:
        return []
    return [(store.accounts.seller_voucher_excess, excess, "seller voucher above the price")]


def shipping_posting(due: Owed, store: StoreMapping) -> list[tuple[str, Decimal, str]]:
    """The courier's share of what the invoice owes (the buyer's shipping, `booked_shipping`), as a deduction on
    ``accounts.shipping_expense`` (or the clearing account under ``pass_through``)."""
    if due.shipping == ZERO or store.shipping_accounts is None:
        return []
    return [(store.shipping_accounts[1], due.shipping, "shipping")]


# --- fees ---------------------------------------------------------------------------------------------


def fee_order(kinds: Iterable[str]) -> list[str]:
    """Fee kinds in posting order: the standard ones, PPh 22, then the others alphabetically."""
    present = set(kinds)
    head = [kind for kind in (*STANDARD_FEE_KINDS, PPH22) if kind in present]
    return head + sorted(present - set(head))


def unmapped_fee_hold(kind: str, store: StoreMapping) -> OnHold:
    setting = store.pph22_setting if kind == PPH22 else f"accounts.extra_fees.{kind}"
    return OnHold(
        "unmapped_fee",
        f"fee kind {kind!r} of store {store.name} has no account",
        f"add {setting} to the store in the mapping and apply it, then import the file again",
    )


def fee_postings(fees: Mapping[str, Decimal], store: StoreMapping) -> list[tuple[str, Decimal, str]]:
    """(account, amount, note) per fee (rupiah), PPN split off where the store books PPN for that fee kind
    (`TaxSettings.fee_carries_ppn`). Raises `OnHold` for a kind with no account."""
    accounts = store.accounts.fee_accounts()
    postings: list[tuple[str, Decimal, str]] = []
    for kind in fee_order(fees):
        fee = round_rupiah(fees[kind])
        if fee == ZERO:
            continue
        account = store.pph22_account if kind == PPH22 else accounts.get(kind)
        if account is None:
            raise unmapped_fee_hold(kind, store)
        if kind != PPH22 and store.tax.fee_carries_ppn(kind) and store.accounts.input_tax is not None:
            rate = store.tax.effective_rate
            ppn = round_rupiah(fee * rate / (1 + rate))
            postings.append((account, fee - ppn, kind))
            if ppn != ZERO:
                postings.append((store.accounts.input_tax, ppn, f"PPN {kind}"))
        else:
            postings.append((account, fee, kind))
    return postings


def estimated_fees(order: Order, store: StoreMapping, revenue: Decimal) -> dict[str, Decimal]:
    """Fee kind → amount from the order's ``paymentInfo`` (whole rupiah), plus PPh 22 when the store has it.

    Raises `OnHold` ``fractional_rupiah`` for a fee with a fraction of a rupiah (`require_whole_rupiah`).
    """
    info = order.payment_info
    require_whole_rupiah(
        order,
        [
            (f"paymentInfo.{PaymentInfo.model_fields[name].alias}", getattr(info, name))
            for name in ESTIMATE_FEE_FIELDS.values()
        ],
    )
    fees = {kind: round_rupiah(getattr(info, name)) for kind, name in ESTIMATE_FEE_FIELDS.items()}
    if store.tax.pph22_withheld:
        fees[PPH22] = round_rupiah(revenue * store.tax.pph22_rate)
    return {kind: amount for kind, amount in fees.items() if amount != ZERO}


# --- the estimate ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptEntry:
    """What a receipt did for one invoice, as the Ledger keeps it to work out a later difference."""

    payment: Decimal
    cheque: Decimal
    lines: Mapping[str, Decimal] = field(default_factory=dict)
    """Discount account → amount."""
    returns: tuple[str, ...] = ()
    """The Ginee returns the payment already left out (their refunds never passed through the balance)."""


def _discounts(postings: Sequence[tuple[str, Decimal, str]], label: str) -> list[ReceiptDiscount]:
    return [
        ReceiptDiscount(account_no=acct, amount=amount, discount_notes=f"{label} {note}")
        for acct, amount, note in postings
    ]


def _by_account(postings: Iterable[tuple[str, Decimal, str]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for account, amount, _ in postings:
        totals[account] += amount
    return dict(totals)


@dataclass(frozen=True)
class PlannedReceipt:
    """What the estimate posts for one completed order: its Sales Receipt, or — when the invoice owes nothing —
    the Journal Voucher of its fees (`plan_estimate_fees_journal`); and what it booked, for the Ledger."""

    receipt: SalesReceipt | JournalVoucher
    entry: ReceiptEntry


def plan_estimate_receipt(
    order: Order,
    store: StoreMapping,
    component_prices: Mapping[str, Decimal] | None = None,
    *,
    invoice_no: str | None = None,
    invoice_total: Decimal | None = None,
    return_totals: Mapping[str, Decimal] | None = None,
) -> PlannedReceipt | None:
    """The estimated receipt of a completed order; None when its invoice owes nothing (returned in full).
    ``invoice_no``, ``invoice_total`` and ``return_totals`` as in `owed`: the receipt pays exactly what Accurate
    says the invoice owes after the returns Accurate booked.

    Raises `OnHold` when the fees exceed what the invoice owes (nothing would be received), ``inconsistent``
    when Ginee's order carries the amount the marketplace released and the receipt's money (rupiah) differs
    from it by more than the store's ``estimate_tolerance``, and ``refund_without_return`` when a return
    refunded money while the buyer kept the goods (docs/POSTING.md §8c: no estimate can book it; the payout
    file does, §17).
    """
    _refund_only_hold(order)
    due = owed(
        order, store, component_prices, invoice_no=invoice_no, invoice_total=invoice_total, return_totals=return_totals
    )
    if due.outstanding <= ZERO:
        return None
    postings = (
        fee_postings(estimated_fees(order, store, due.revenue), store)
        + voucher_excess_posting(order, store)
        + shipping_posting(due, store)
    )
    discounts = sum((amount for _, amount, _ in postings), ZERO)
    cheque = due.outstanding - discounts
    sn = marketplace_order_number(order)
    if cheque <= ZERO:
        raise OnHold(
            "fees_exceed_payment",
            f"the fees of order {sn} ({discounts:,}) leave nothing of the {due.outstanding:,} its invoice owes",
            "check the order's fees in Ginee; the receipt is posted once they are corrected, or import the payout file",
        )
    released = _comparable_release(order)
    if released is not None and abs(cheque - released) > store.estimate_tolerance:
        # The marketplace says what it released: an estimate that disagrees beyond the tolerance (a wrong tax
        # flag, a fee Ginee does not show) would book money the balance never received (docs/POSTING.md §12).
        raise OnHold(
            "inconsistent",
            f"order {sn}: the estimate puts {cheque:,} into {store.accounts.marketplace_balance}, the marketplace "
            f"released {released:,} (difference {cheque - released:,}, tolerance {store.estimate_tolerance:,})",
            "check the store's tax and fee settings in the mapping and apply it, or import the payout file",
        )
    completed = order.close_at or order.last_update_at or order.pay_at or order.create_at or _EPOCH
    receipt = SalesReceipt(
        number=estimate_receipt_number(due.invoice_no),
        customer_no=store.customer_no,
        branch_name=store.branch,
        bank_no=store.accounts.marketplace_balance,
        cheque_amount=cheque,
        trans_date=jakarta_date(completed),
        description=f"Estimated settlement of order {sn} ({store.name})",
        detail_invoice=[
            ReceiptInvoice(
                invoice_no=due.invoice_no, payment_amount=due.outstanding, detail_discount=_discounts(postings, sn)
            )
        ],
    )
    covered = tuple(sorted(ret.return_id for ret in order.return_infos))
    return PlannedReceipt(receipt, ReceiptEntry(due.outstanding, cheque, _by_account(postings), covered))


def _refund_only_hold(order: Order) -> None:
    """Raise ``refund_without_return`` for a completed refund-only return that refunded money (§8c)."""
    for ret in order.return_infos:
        if return_outcome(ret) is ReturnOutcome.REFUND_ONLY and ret.refund_amount > ZERO:
            raise OnHold(
                "refund_without_return",
                f"order {marketplace_order_number(order)}: Ginee's return {ret.return_id} refunded "
                f"{ret.refund_amount:,} while the buyer kept the goods; an estimated receipt cannot book a refund "
                "without goods back",
                "import the store's payout file (its refund row is booked per refund_without_return), "
                "or record the return with its goods in Ginee",
            )


def estimate_fees_journal_number(invoice_no: str) -> str:
    """The number of the journal voucher of the fees of an order that owes nothing: the invoice number plus ``-PF``."""
    return return_number(invoice_no, "-PF")


def plan_estimate_fees_journal(
    order: Order,
    store: StoreMapping,
    component_prices: Mapping[str, Decimal] | None = None,
    *,
    invoice_no: str | None = None,
) -> PlannedReceipt | None:
    """The fees the marketplace kept on a finished order (COMPLETED, or RETURNED in full) whose invoice owes
    nothing: they leave the marketplace balance by a Journal Voucher ``<invoice>-PF`` — Dr each fee's account
    (its PPN to PPN Masukan where the store books it), Cr the balance — instead of a receipt that would pay
    nothing (docs/POSTING.md §12). An order that owes nothing because its goods came back bears only the fee
    kinds the marketplace keeps on a return (the store's ``fees_kept_on_return``, by default the order
    processing fee); one invoiced at 0 bears all its fees, and the excess of its seller voucher
    (`voucher_excess_posting`, docs/POSTING.md §2). Dated the completion (``closeAt``), else when the last
    return's goods came back. None when the invoice still owes something or the order bears no such fee.
    ``invoice_no`` as in `owed`; raises `OnHold` for a fee kind with no account.
    """
    due = owed(order, store, component_prices, invoice_no=invoice_no)
    if due.outstanding > ZERO:
        return None
    fees = estimated_fees(order, store, due.revenue)
    if due.returned > ZERO:
        fees = {kind: amount for kind, amount in fees.items() if kind in store.fees_kept_on_return}
    postings = fee_postings(fees, store) + voucher_excess_posting(order, store)
    if not postings:
        return None
    total = sum((amount for _, amount, _ in postings), ZERO)
    sn = marketplace_order_number(order)
    completed = (
        order.close_at or _last_return_back(order) or order.last_update_at or order.pay_at or order.create_at or _EPOCH
    )
    journal = JournalVoucher(
        number=estimate_fees_journal_number(due.invoice_no),
        trans_date=jakarta_date(completed),
        branch_name=store.branch,
        description=f"Fees of order {sn} ({store.name}), whose invoice owes nothing",
        detail_journal_voucher=[
            *(
                JournalLine(account_no=account, amount=amount, amount_type="DEBIT", memo=f"{sn} {note}")
                for account, amount, note in postings
            ),
            JournalLine(
                account_no=store.accounts.marketplace_balance, amount=total, amount_type="CREDIT", memo=f"fees {sn}"
            ),
        ],
    )
    covered = tuple(sorted(ret.return_id for ret in order.return_infos))
    return PlannedReceipt(journal, ReceiptEntry(ZERO, -total, _by_account(postings), covered))


def _last_return_back(order: Order) -> datetime | None:
    """When the last of the order's returns was finished: its goods received, else its refund made."""
    moments = [ret.received_at or ret.refund_at for ret in order.return_infos]
    done = [moment for moment in moments if moment is not None]
    return max(done) if done else None


def _comparable_release(order: Order) -> Decimal | None:
    """What the marketplace released for the order, when Ginee carries it and no return came after the
    release (the release then paid for goods the receipt no longer counts: not comparable)."""
    info = order.settlement_info
    if info is None or info.released_amount is None:
        return None
    released_at = info.released_at
    for ret in order.return_infos:
        if released_at is None or ret.create_at is None or ret.create_at > released_at:
            return None
    return info.released_amount


# --- the payout -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettledOrder:
    """What omsync knows of one payout line's order: its invoice, what it owes, and what was booked before."""

    order_id: str
    due: Owed
    """What its invoice owes now, after every Sales Return."""
    receipt_source: str | None = None
    """``estimate``, the payout id that receipted it, or None when no receipt was posted yet."""
    estimate: ReceiptEntry | None = None
    exact_payout: str | None = None
    """The payout that already settled the order exactly, if any."""
    refunds_reversed: Decimal = ZERO
    """Refund money already taken out of the marketplace balance by journal vouchers (rule F)."""


@dataclass(frozen=True)
class PayoutProblem:
    """Why a payout cannot be posted, pointing at the file's line."""

    cause: str
    message: str
    row: int = 0
    order_sn: str | None = None


@dataclass
class PayoutPlan:
    """The documents one payout becomes, or the problems that hold it."""

    payout: Payout
    receipt: SalesReceipt | None = None
    journal: JournalVoucher | None = None
    problems: list[PayoutProblem] = field(default_factory=list)
    receipted: dict[str, ReceiptEntry] = field(default_factory=dict)
    """Order id → what the payout's receipt did for it."""
    differences: dict[str, Decimal] = field(default_factory=dict)
    """Order id → marketplace-balance effect of its difference (estimated orders)."""
    refunds: dict[str, Decimal] = field(default_factory=dict)
    """Order id → refund money taken out of the marketplace balance."""

    @property
    def held(self) -> bool:
        return bool(self.problems)

    @property
    def hold_cause(self) -> str | None:
        return self.problems[0].cause if self.problems else None


def check_integrity(payout: Payout) -> list[PayoutProblem]:
    """Every line must equal its amount less its fees, and the lines must add up to the payout."""
    problems = [
        PayoutProblem(
            "payout_unbalanced",
            f"order {line.order_sn}: {line.amount:,} less fees {line.amount - line.computed_net:,} is "
            f"{line.computed_net:,}, the file says {line.net:,} (difference {line.net - line.computed_net:,})",
            line.source_row,
            line.order_sn,
        )
        for line in payout.lines
        if line.net != line.computed_net
    ]
    if payout.lines_total != payout.amount:
        problems.append(
            PayoutProblem(
                "payout_unbalanced",
                f"payout {payout.payout_id}: its lines add up to {payout.lines_total:,}, the payout is "
                f"{payout.amount:,} (difference {payout.amount - payout.lines_total:,})",
            )
        )
    return problems


def plan_payout(payout: Payout, store: StoreMapping, orders: Mapping[str, SettledOrder]) -> PayoutPlan:
    """One payout's receipt and journal voucher, or the problems that hold it (then nothing is posted).

    ``orders`` maps the marketplace order number of each line to what omsync knows of its order; a line
    whose order number is missing is an unknown order. Every line has a path (docs/POSTING.md §13–§18):

    - it pays its invoice in the receipt (with its fees as deductions), or books the difference against
      the order's estimated receipt;
    - a line of no item value (``amount`` 0: a fee correction for an order settled earlier, a charge on a
      cancelled or fully returned order) and every `PayoutCharge` of no order are charges or credits of
      the marketplace balance in the journal voucher, each on the account of its kind;
    - a line whose release is below zero pays its invoice in full and moves its fees to the journal
      voucher, so the receipt is never negative;
    - a refund row leaves the balance against the receivable its Sales Return credited; where no return
      covers it, it is held (``refund_without_return``) or, per the store, booked as a price reduction.
    """
    plan = PayoutPlan(payout, problems=check_integrity(payout))
    paid: list[ReceiptInvoice] = []
    cheque = ZERO
    journal: list[tuple[str, Decimal, str, bool]] = []  # (account, signed debit, memo, is receivable)
    for charge in payout.charges:
        _charge(charge, store, journal, plan)
    for line in payout.lines:
        known = orders.get(line.order_sn)
        if known is None:
            plan.problems.append(
                PayoutProblem(
                    "unknown_order",
                    f"order {line.order_sn} has no Sales Invoice of store {store.name}",
                    line.source_row,
                    line.order_sn,
                )
            )
            continue
        try:
            postings = fee_postings(line.fees, store)
        except OnHold as hold:
            plan.problems.append(
                PayoutProblem(hold.cause, f"{hold.reason}; {hold.hint}", line.source_row, line.order_sn)
            )
            continue
        estimate = known.estimate if known.receipt_source == ESTIMATE_SOURCE else None
        if line.amount == ZERO and estimate is not None and estimate.payment == ZERO:
            # The fees of an order that owed nothing, booked by its fees journal ``<invoice>-PF`` when it finished
            # (docs/POSTING.md §12): the file's row moves only what differs from them, never books them twice.
            _difference(line, known, estimate, postings, ZERO, store, journal, plan)
            continue
        if line.amount == ZERO:
            # No item value: what the row charges or gives back settles no invoice (docs/POSTING.md §15).
            journal.extend((account, amount, f"{note} {line.order_sn}", False) for account, amount, note in postings)
            continue
        if line.is_refund:
            _refund(line, known, store, postings, journal, plan)
            continue
        owes = known.estimate.payment if known.estimate is not None else known.due.outstanding
        short = owes - known.due.shipping - line.amount
        excess = ZERO
        if short < -store.settlement_tolerance and known.due.returned > ZERO:
            # Paid for goods returned since (their Sales Return is already posted, and the receipt — by this
            # payout or the estimate — pays only what the invoice owes after it): the rest waits on the
            # customer's account for the refund row (rule D).
            excess = min(-short, known.due.returned)
            short += excess
        if abs(short) > store.settlement_tolerance:
            plan.problems.append(
                PayoutProblem(
                    "amount_mismatch",
                    f"order {line.order_sn}: the payout settles {line.amount:,}, its invoice owes "
                    f"{known.due.outstanding:,} (difference {short:,}, tolerance {store.settlement_tolerance:,})",
                    line.source_row,
                    line.order_sn,
                )
            )
            continue
        settled_by = known.exact_payout or (known.receipt_source if known.receipt_source != ESTIMATE_SOURCE else None)
        if settled_by is not None and settled_by != payout.payout_id:
            plan.problems.append(
                PayoutProblem(
                    "already_settled",
                    f"order {line.order_sn} was already settled by payout {settled_by}",
                    line.source_row,
                    line.order_sn,
                )
            )
            continue
        if excess != ZERO:
            if store.accounts.receivable is None:
                plan.problems.append(
                    PayoutProblem(
                        "unmapped_account",
                        f"order {line.order_sn}: the payout pays for goods since returned; that needs the "
                        "store's receivable account",
                        line.source_row,
                        line.order_sn,
                    )
                )
                continue
            journal.append((store.accounts.receivable, -excess, f"returned {line.order_sn}", True))
        if known.receipt_source == ESTIMATE_SOURCE and known.estimate is not None:
            _difference(line, known, known.estimate, postings, short, store, journal, plan)
            continue
        postings += shipping_posting(known.due, store)
        if known.due.outstanding <= ZERO:
            # Returned in full before the file came: nothing left to pay, so its fees join the journal.
            if short != ZERO:
                postings.append((store.accounts.rounding, short, "selisih"))
            journal.extend((account, amount, f"{note} {line.order_sn}", False) for account, amount, note in postings)
            plan.differences[known.order_id] = line.net
            continue
        received = line.net - excess
        if received < ZERO:
            # Charges beyond the order's value (docs/POSTING.md §16): the receipt pays the invoice with the
            # money the row settles, and the fees, whole, are charges of the balance in the journal voucher.
            journal.extend((account, amount, f"{note} {line.order_sn}", False) for account, amount, note in postings)
            received += sum((amount for _, amount, _ in postings), ZERO)
            postings = []
        if short != ZERO:
            postings.append((store.accounts.rounding, short, "selisih"))
        paid.append(
            ReceiptInvoice(
                invoice_no=known.due.invoice_no,
                payment_amount=known.due.outstanding,
                detail_discount=_discounts(postings, line.order_sn),
            )
        )
        cheque += received
        plan.receipted[known.order_id] = ReceiptEntry(known.due.outstanding, received, _by_account(postings))
    if plan.held:
        plan.receipted.clear()
        return plan
    if paid:
        plan.receipt = SalesReceipt(
            number=payout_receipt_number(store.number_prefix, payout.payout_id),
            customer_no=store.customer_no,
            branch_name=store.branch,
            bank_no=store.accounts.marketplace_balance,
            cheque_amount=cheque,
            trans_date=payout.paid_on,
            description=f"Payout {payout.payout_id} of {store.name} ({len(paid)} orders)",
            detail_invoice=paid,
        )
    plan.journal = _journal(payout, store, journal)
    return plan


def unmapped_charge_hold(charge: PayoutCharge, store: StoreMapping) -> OnHold:
    """A row of no order whose kind has no account: the payout waits for the mapping entry it names."""
    return OnHold(
        "unmapped_charge",
        f"{charge.label!r} ({charge.amount:,}) is a charge of kind {charge.kind!r}; store {store.name} has no "
        "account for it",
        f"add accounts.extra_fees.{charge.kind} to the store in the mapping and apply it, then import the file again",
    )


def _charge(
    charge: PayoutCharge, store: StoreMapping, journal: list[tuple[str, Decimal, str, bool]], plan: PayoutPlan
) -> None:
    """A row of no order (docs/POSTING.md §15): a charge (Dr its account) or a credit (Cr) of the balance."""
    account = store.accounts.fee_accounts().get(charge.kind)
    if account is None:
        hold = unmapped_charge_hold(charge, store)
        plan.problems.append(PayoutProblem(hold.cause, f"{hold.reason}; {hold.hint}", charge.source_row))
        return
    journal.append((account, -charge.amount, charge.label, False))


def _refund(
    line: PayoutLine,
    known: SettledOrder,
    store: StoreMapping,
    postings: list[tuple[str, Decimal, str]],
    journal: list[tuple[str, Decimal, str, bool]],
    plan: PayoutPlan,
) -> None:
    """Rule D: the refund leaves the marketplace balance against the receivable its Sales Return credited.

    What no return of the order covers (the buyer kept the goods), docs/POSTING.md §17: held ``refund_without_return``,
    or — with the store's ``refund_without_return: price_reduction`` — revenue and PPN Keluaran reduced by
    the refund's base and tax, the order's receivable untouched.
    """
    refund = -line.amount
    uncovered = refund - known.due.returned
    if uncovered <= store.settlement_tolerance:
        uncovered = ZERO
    if uncovered != ZERO and store.refund_without_return is not RefundWithoutReturn.PRICE_REDUCTION:
        plan.problems.append(
            PayoutProblem(
                "refund_without_return",
                f"order {line.order_sn}: the payout refunds {refund:,} but the order's returns in Ginee cover "
                f"{known.due.returned:,}: money back without goods back; record the return in Ginee, or set "
                "refund_without_return: price_reduction for the store and apply the mapping, then import again",
                line.source_row,
                line.order_sn,
            )
        )
        return
    back = refund - uncovered - known.refunds_reversed
    if back > ZERO:
        if store.accounts.receivable is None:
            plan.problems.append(
                PayoutProblem(
                    "unmapped_account",
                    f"order {line.order_sn}: a refund needs the store's receivable account",
                    line.source_row,
                    line.order_sn,
                )
            )
            return
        journal.append((store.accounts.receivable, back, f"refund {line.order_sn}", True))
    if uncovered != ZERO:
        journal.extend(price_reduction_postings(uncovered, store, line.order_sn))
    for account, amount, note in postings:
        journal.append((account, amount, f"{note} {line.order_sn}", False))
    if refund - uncovered != ZERO:
        plan.refunds[known.order_id] = refund - uncovered


def price_reduction_postings(
    refund: Decimal, store: StoreMapping, order_sn: str
) -> list[tuple[str, Decimal, str, bool]]:
    """docs/POSTING.md §17: a refund of ``refund`` rupiah (what the buyer got back, PPN included on a PKP store)
    as debits (signed journal lines) of Potongan Penjualan (its base) and PPN Keluaran (its tax, 11/111 half up).

    Raises `OnHold` when the store has no such accounts (the mapping's validation requires them).
    """
    reduction, output_tax = store.accounts.price_reduction, store.accounts.output_tax
    if reduction is None or (store.tax.pkp and output_tax is None):
        raise OnHold(
            "unmapped_account",
            f"order {order_sn}: a price reduction needs accounts.price_reduction (and output_tax on a PKP store)",
            "add them to the store in the mapping and apply it",
        )
    if not store.tax.pkp or output_tax is None:
        return [(reduction, refund, f"price reduction {order_sn}", False)]
    base, tax = split_inclusive(refund, store.tax.effective_rate)
    return [
        (reduction, base, f"price reduction {order_sn}", False),
        (output_tax, tax, f"PPN price reduction {order_sn}", False),
    ]


def _difference(
    line: PayoutLine,
    known: SettledOrder,
    estimate: ReceiptEntry,
    postings: list[tuple[str, Decimal, str]],
    short: Decimal,
    store: StoreMapping,
    journal: list[tuple[str, Decimal, str, bool]],
    plan: PayoutPlan,
) -> None:
    """Rule C: only what the exact fees and amount change against the estimate, account by account."""
    exact = _by_account([*postings, *shipping_posting(known.due, store)])
    if short != ZERO:
        exact[store.accounts.rounding] = exact.get(store.accounts.rounding, ZERO) + short
    for account in sorted(set(exact) | set(estimate.lines)):
        change = exact.get(account, ZERO) - estimate.lines.get(account, ZERO)
        if change != ZERO:
            journal.append((account, change, f"selisih {line.order_sn}", False))
    plan.differences[known.order_id] = line.net - estimate.cheque


def _journal(payout: Payout, store: StoreMapping, lines: list[tuple[str, Decimal, str, bool]]) -> JournalVoucher | None:
    if not lines:
        return None
    balance = -sum((amount for _, amount, _, _ in lines), ZERO)
    entries = [
        JournalLine(
            account_no=account,
            amount=abs(amount),
            amount_type="DEBIT" if amount > 0 else "CREDIT",
            memo=memo,
            subsidiary_type="CUSTOMER" if receivable else None,
            customer_no=store.customer_no if receivable else None,
        )
        for account, amount, memo, receivable in lines
        if amount != ZERO
    ]
    if balance != ZERO:
        entries.append(
            JournalLine(
                account_no=store.accounts.marketplace_balance,
                amount=abs(balance),
                amount_type="DEBIT" if balance > 0 else "CREDIT",
                memo=f"payout {payout.payout_id}",
            )
        )
    if len(entries) < 2:
        return None
    return JournalVoucher(
        number=payout_journal_number(store.number_prefix, payout.payout_id),
        trans_date=payout.paid_on,
        branch_name=store.branch,
        description=f"Payout {payout.payout_id} of {store.name}: differences and refunds",
        detail_journal_voucher=entries,
    )


# --- money back after a receipt (rule F) -------------------------------------------------------------------


def plan_refund_journal(
    return_no: str, refund: Decimal, when: date, store: StoreMapping, order_sn: str
) -> JournalVoucher:
    """A return after the estimated receipt: the refund leaves the marketplace balance (never a negative receipt).

    Raises `OnHold` when the store has no receivable account mapped.
    """
    if store.accounts.receivable is None:
        raise OnHold(
            "unmapped_account",
            f"order {order_sn} was returned after its receipt; moving the refund needs the store's receivable account",
            "add accounts.receivable (Piutang Usaha) to the store in the mapping and apply it",
        )
    return JournalVoucher(
        number=refund_journal_number(return_no),
        trans_date=when,
        branch_name=store.branch,
        description=f"Refund of {return_no} (order {order_sn}) out of {store.name}'s marketplace balance",
        detail_journal_voucher=[
            JournalLine(
                account_no=store.accounts.receivable,
                amount=refund,
                amount_type="DEBIT",
                memo=f"refund {order_sn}",
                subsidiary_type="CUSTOMER",
                customer_no=store.customer_no,
            ),
            JournalLine(
                account_no=store.accounts.marketplace_balance,
                amount=refund,
                amount_type="CREDIT",
                memo=f"refund {order_sn}",
            ),
        ],
    )


def payout_invoice_numbers(payout: Payout, store: StoreMapping) -> dict[str, str]:
    """Marketplace order number → the invoice number its order would have (to look the orders up)."""
    return {line.order_sn: invoice_number(store.number_prefix, line.order_sn) for line in payout.lines}
