"""The oracle: what Accurate's books must say at the end of a scenario, worked out from the facts alone.

It is the independent second opinion behind "the books match" (DESIGN invariant 3). On purpose it
shares no code with `omsync.posting` nor with the Accurate sandbox's book-keeping: it reads the
scenario's facts, the mapping and the seed company, and does the arithmetic an accountant would do by
hand, following docs/POSTING.md. When the two disagree, one of them misreads the rules.

Scope (what the orders, cancellations and settlements flows post):

- an invoice for every order of a mapped store that reached the store's trigger status (a cash-on-delivery
  order: its ``cod_trigger_status``, DELIVERED by default), unless it was
  cancelled afterwards under the ``delete`` rule; orders cancelled before the trigger get nothing;
- a Sales Return of everything for orders cancelled after invoicing under the ``sales_return`` rule
  (assuming the invoice was posted before the cancellation arrived);
- a Sales Return of the returned lines of returned orders (one return per order, ``-R1``), and one of
  the unit returned after settlement (``-R1``, or ``-R2`` after an earlier return); a line's units back at
  their invoiced value, unless the buyer's refund for them is within a rupiah a unit of it: then at the refund
  (the marketplace pro-rates a seller voucher over the units back its own way, §8);
- a line cancelled after the invoice (outcome ``line_cancelled``): the invoice of every line as paid, then a
  Sales Return ``<invoice>-K1`` of the line that left, at its invoiced price (docs/POSTING.md §8a);
- an exchange (outcome ``exchanged``, refund 0): nothing beyond the sale but its stock moves, an Item Transfer
  sent ``<invoice>-XO1`` and received ``-XI1`` from the sale's warehouse to the return warehouse (when they
  differ), between warehouses of one inventory account, so no balance changes (§8b);
- the packages of a marketplace order (outcome ``split_package``: Ginee orders of one shop sharing the marketplace
  number): each its own invoice and receipt; the package created first (a tie: the smallest Ginee order id) has
  the plain number, each other one the number apart (the plain number plus 8 hex digits of its Ginee order id's
  SHA-256, §6), whatever order omsync met them in;
- one component of an exploded bundle returned alone (outcome ``component_returned``): ``-R1`` of that
  component's units at its invoiced share (a store that does not explode bundles is not expected to see one);
- ``settlement: estimate`` stores (settlement rules §A): a Sales Receipt ``<invoice>-P`` per completed,
  not cancelled order whose invoice still has something owing (invoice receivable less its return's),
  each fee of the order a discount (PPN split to PPN Masukan when the marketplace invoices its fees),
  PPh 22 withheld when the store says so;
- a completed or RETURNED order whose invoice owes nothing but which bears fees: a Journal Voucher
  ``<invoice>-PF``, Dr each fee (PPN split as on a receipt), Cr the marketplace balance (docs/POSTING.md §12);
  when its goods came back, only the fee kinds of the store's ``fees_kept_on_return``;
- a return after the estimated receipt (§F): a Journal Voucher ``<return>-J`` moves its receivable out
  of the marketplace balance (Dr Piutang, Cr Saldo);
- the statement the demo imports for ``settlement: file`` stores and for the stores the scenario lists
  under ``settlementFiles``, written from the facts: every order with a payout id is a line (amount =
  kept items at their actual price less the seller voucher, fees = what the file charges, net = the
  released amount) and every return after settlement a refund line (amount − refund, fees − the fees
  given back) in its refund payout; a store listed under ``settlementFiles`` also gets the rows of
  `statements.statement_adjustments` (a seller shipping charge for an order settled in the previous
  payout, return shipping for an order cancelled after shipping, a TikTok adjustment row, a Lazada ads
  top-up of no order, a release below zero, a refund no return covers), booked in the payout's journal
  voucher on their kind's account (docs/POSTING.md §15-§17). Shopee's report names no payout: its payouts
  are its release dates; a listed Shopee store's `statements.early_export` splits its date into the payout
  (the early download's orders) and its supplement ``<id>-S1`` (the rest, §18). Per payout:
  * orders without a receipt (§B): one Sales Receipt numbered prefix + payout id paying what each
    invoice still owes (after every return), the difference to the line's amount on the rounding
    account; a line paying for goods returned since (beyond the tolerance) leaves that part on the
    customer's account in the payout's journal voucher (Cr Piutang);
  * orders receipted by estimate (§C): the payout's journal voucher moves, account by account, what
    the file's fees (PPN split per fee) and amount change against the estimate;
  * refund lines (§D): Dr Piutang what was not moved out yet by §F, the fees given back credited; what
    the order's returns do not cover (beyond the tolerance) holds the payout ``refund_without_return``, or
    with the store's ``price_reduction`` rule is Dr Potongan Penjualan (and PPN Keluaran, PKP: 11/111);
  * a line of no item value (amount 0) of an order omsync invoiced — also one whose invoice was deleted
    by a cancellation — is a charge or credit of the balance;
  * the journal voucher (prefix + payout id + ``-J``) balances on the marketplace balance; none when
    nothing but that line would be on it;
  * a payout is held (nothing posted, one count per payout) when an order in it has no invoice
    (``unknown_order``), a fee kind has no account (``unmapped_fee``), a line's net is not its amount
    less its fees (``payout_unbalanced``) or an amount is off beyond the tolerance (``amount_mismatch``);
- where the mapping sets ``purchases.enabled`` (docs/POSTING.md §21): a Purchase Invoice (or Receive Item,
  per ``purchases.document``) ``<prefix><inbound>-1`` of what each inbound received at its real price
  (Dr Persediaan, Cr Hutang Usaha or Hutang Barang Belum Ditagih), none for an inbound cancelled after it
  was received (``purchases.cancellation: delete``); an Item Adjustment ``<prefix><movement>`` per stock
  adjustment, in at Ginee's average purchase price (Dr Persediaan, Cr the adjustment account), out at
  Accurate's average cost (the reverse);
- the Items omsync writes (docs/POSTING.md §20), as documents of kind ``item`` (number: the master SKU,
  total: its selling price): each product created during the scenario and each one changed from what the
  seller's books opened with, in its last state; bundles are no Item.

Assumptions, stated so a mismatch can be traced:

- the opening position is the seed company's plus the scenario's own stocked products at their cost
  (a seller starts omsync with items and opening stock already in Accurate);
- cost of goods = the item's opening unit cost in the seed company (a SKU the seed does not know: the
  scenario's product cost), so Accurate's moving average must stay at it: the order in which the workers
  post a purchase and a sale is not a fact of the scenario. A scenario that buys a SKU at another price
  and also sells, returns or adjusts it is refused (`ValueError`); Ginee's average purchase price of a SKU
  adjusted in is then its cost, too;
- an exploded bundle's price is split over its components by component price × quantity;
- PPN on a Sales Invoice or Sales Return is Accurate's (reference/accurate-api.md §16): the store's
  ``tax.ppn_rate`` (12%) on the DPP the invoice carries — 11/12 where the store sends "DPP Nilai Lain" or the
  seed company's preference ``defaultDpp1112`` stands for a store that sends none, else 100%; each line's value
  before tax to 6 decimals (net ÷ (1 + rate × DPP) where prices include PPN), the tax on their sum × DPP × rate
  rounded down, what is left of the price on the company's rounding account; elsewhere (receipts, journal
  vouchers) the effective 11% of the mapping, half up (docs/POSTING.md §3);
- the buyer's shipping, where the store books it, is on the invoice (an untaxed charge, or for a PKP store under
  ``revenue_and_expense`` one more taxed line whose value goes to ``accounts.shipping_revenue``, the shipping
  item's sales account, §4) and the estimated receipt deducts it on the store's shipping expense (or clearing)
  account; returns credit goods only;
- PPh 22 is the store's rate on what the receipt pays less the PPN in it (PPN taken out at the
  effective rate, half up), so the same for prices with or without PPN;
- the estimated receipt of an order is posted before its return after settlement (it pays the whole
  invoice), and the settlement files are imported after the whole scenario was played.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from omsync.config.mapping import (
    CancellationRule,
    ConnectionMapping,
    RefundWithoutReturn,
    SettlementMode,
    ShippingRule,
    StoreMapping,
)
from omsync.ginee.models import OrderStatus
from omsync_workshop.scenarios.facts import LineFacts, OrderFacts, Scenario
from omsync_workshop.scenarios.statements import EarlyExport, early_export, statement_adjustments

ITEM = "item"
PURCHASE_INVOICE = "purchase_invoice"
RECEIVE_ITEM = "receive_item"
ITEM_ADJUSTMENT = "item_adjustment"
ITEM_TRANSFER = "item_transfer"
SALES_INVOICE = "sales_invoice"
SALES_RETURN = "sales_return"
SALES_RECEIPT = "sales_receipt"
JOURNAL_VOUCHER = "journal_voucher"

# Fee kinds as Ginee's paymentInfo reports them on an order, in the order a receipt lists them.
_ORDER_FEE_KINDS = ("commission", "service", "payment", "order_processing", "affiliate", "shipping_difference")
_PPH22 = "pph22"
_JAKARTA = ZoneInfo("Asia/Jakarta")

# Ginee statuses in the order an order passes through them; an order "reached" a status once its
# timeline has the matching timestamp.
_REACHED_AT = {
    "PAID": "paid_at",
    "READY_TO_SHIP": "paid_at",
    "SHIPPING": "shipped_at",
    "DELIVERED": "delivered_at",
    "COMPLETED": "completed_at",
}
_STATUS_RANK = {"PENDING_PAYMENT": 0, "PARTIALLY_PAID": 0, "PAID": 1, "READY_TO_SHIP": 2, "SHIPPING": 3}
_STATUS_RANK |= {"DELIVERED": 4, "COMPLETED": 5}


def _rupiah(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)


@dataclass
class ExpectedBooks:
    """Documents per kind (number → total amount) and the trial balance (account → net debit)."""

    documents: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    trial_balance: dict[str, Decimal] = field(default_factory=dict)
    on_hold: dict[str, int] = field(default_factory=dict)
    """Holds the oracle expects, by cause: orders of unmapped stores (``unmapped_store``) and payouts of
    file stores that cannot be posted (one count per payout, settlement causes)."""

    def post(self, account: str, debit: Decimal = Decimal(0), credit: Decimal = Decimal(0)) -> None:
        balance = self.trial_balance.get(account, Decimal(0)) + debit - credit
        self.trial_balance[account] = balance

    def record(self, kind: str, number: str, total: Decimal) -> None:
        self.documents.setdefault(kind, {})[number] = total

    def hold(self, cause: str) -> None:
        """Count one more expected hold of this cause."""
        self.on_hold[cause] = self.on_hold.get(cause, 0) + 1


@dataclass(frozen=True)
class _Accounts:
    receivable: str
    sales: str
    sales_return: str
    output_tax: str
    inventory: str
    cogs: str
    opening_equity: str
    rounding: str | None
    default_dpp_nilai_lain: bool
    """The company's preference "Default DPP 11/12": the base of an invoice that chooses none."""


def expected_books(
    scenario: Scenario,
    mapping: ConnectionMapping,
    seed: Mapping[str, Any],
    statements: Collection[str] | None = None,
) -> ExpectedBooks:
    """The documents and trial balance Accurate should hold after the scenario, opening balances included.

    ``statements``: the store keys whose settlement files were imported after the play; by default every
    store that settles from files and every store the scenario lists under ``settlementFiles``.
    """
    if statements is None:
        statements = {
            facts.key
            for facts in scenario.stores
            if (store := mapping.stores.get(facts.shop_id)) is not None and store.settlement is SettlementMode.FILE
        } | set(scenario.settlement_files)
    defaults = seed["defaults"]
    accounts = _Accounts(
        receivable=defaults["receivableAccountNo"],
        sales=defaults["salesAccountNo"],
        sales_return=defaults["salesReturnAccountNo"],
        output_tax=defaults["outputTaxAccountNo"],
        inventory=defaults["inventoryAccountNo"],
        cogs=defaults["cogsAccountNo"],
        opening_equity=defaults["openingEquityAccountNo"],
        rounding=defaults.get("roundingAccountNo"),
        default_dpp_nilai_lain=bool(seed.get("preferences", {}).get("defaultDpp1112", False)),
    )
    books = ExpectedBooks()
    seed_cost: dict[str, Decimal] = {}
    for item in seed.get("items", []):
        for opening in item.get("openingStock", []):
            quantity, cost = Decimal(opening["quantity"]), Decimal(opening["unitCost"])
            seed_cost.setdefault(item["no"], cost)
            books.post(accounts.inventory, debit=quantity * cost)
            books.post(accounts.opening_equity, credit=quantity * cost)
    # The seller's own opening stock of the scenario's products (what `LocalWorld.open_books` enters).
    for product in scenario.products:
        if product.sku not in seed_cost and product.opening_stock and not product.bundle:
            books.post(accounts.inventory, debit=product.opening_stock * product.cost)
            books.post(accounts.opening_equity, credit=product.opening_stock * product.cost)
    cost_of = {product.sku: seed_cost.get(product.sku, product.cost) for product in scenario.products}
    cost_of.update(seed_cost)
    price_of = {product.sku: product.price for product in scenario.products}

    invoiced: dict[str, _Invoiced] = {}
    plain_holders = _plain_number_holders(scenario.orders)
    for order in scenario.orders:
        store = mapping.stores.get(order.shop_id)
        if store is None:
            if _reached(order, "PAID"):
                books.hold("unmapped_store")
            continue
        if not _reached(order, store.trigger_for(order.is_cod)):
            continue
        cancelled = order.cancelled_at is not None
        if cancelled and store.cancellation is CancellationRule.DELETE:
            continue
        if store.trigger_for(order.is_cod) != "PAID" and any(line.cancelled_quantity for line in order.lines):
            # A line that left before the order reached its trigger (a COD order invoiced on delivery) was never
            # invoiced: the invoice is of the lines delivered, and no correction follows (§8a).
            order = _without_cancelled_lines(order)
        lines = _invoice_lines(order, store, price_of)
        number = _invoice_number(store.number_prefix, order.external_order_sn)
        if plain_holders[(order.shop_id, order.external_order_sn)] != order.order_id:
            number = _apart(number, order.order_id)
        receivable = _book_invoice(books, accounts, store, order, lines, number, cost_of)
        owed = receivable
        returns = 0
        gone = {line.key: order.lines[int(line.key)].cancelled_quantity for line in lines if "." not in line.key}
        if any(gone.values()):
            # A line that left the order after its invoice comes back at its invoiced price (§8a).
            owed -= _book_return(books, accounts, store, lines, gone, _suffixed(number, "-K1"), cost_of)
        if cancelled:
            everything = {line.key: line.quantity_units for line in lines}
            owed -= _book_return(books, accounts, store, lines, everything, _suffixed(number, "-RC"), cost_of)
        elif any(line.returned_quantity or line.component_returned_quantity for line in order.lines):
            returned = {line.key: line.returned_units for line in lines}
            refunds = {index: line.refund_amount for index, line in enumerate(order.lines) if line.refund_amount}
            owed -= _book_return(books, accounts, store, lines, returned, _suffixed(number, "-R1"), cost_of, refunds)
            returns = 1
        late = Decimal(0)
        late_number = ""
        if order.late_return is not None and not cancelled:
            late_number = _suffixed(number, f"-R{returns + 1}")
            back = _late_units(order, lines)
            late = _book_return(books, accounts, store, lines, back, late_number, cost_of)
        invoiced[order.order_id] = _Invoiced(number, owed, receivable - owed, late, late_number)
        if not cancelled and any(line.exchanged_quantity for line in order.lines):
            _expect_exchange_transfer(books, store, order, number)

    _book_settlements(books, accounts.receivable, scenario, mapping, invoiced, set(statements))
    _expect_items(books, scenario)
    if mapping.purchases.enabled:
        _book_purchases(books, accounts.inventory, defaults, scenario, mapping, cost_of)
    books.trial_balance = {acct: amount for acct, amount in sorted(books.trial_balance.items()) if amount != 0}
    return books


@dataclass(frozen=True)
class _Line:
    """One invoice line as the accountant writes it: SKU, units, gross and seller discount in rupiah."""

    key: str
    sku: str
    quantity_units: int
    returned_units: int
    gross: Decimal
    discount: Decimal


def _without_cancelled_lines(order: OrderFacts) -> OrderFacts:
    """The order as it stands once its cancelled units left it: each line less them, lines left with none gone."""
    kept = tuple(
        replace(line, quantity=line.quantity - line.cancelled_quantity, cancelled_quantity=0)
        for line in order.lines
        if line.quantity > line.cancelled_quantity
    )
    return replace(order, lines=kept)


def _reached(order: OrderFacts, status: str) -> bool:
    stamp = _REACHED_AT.get(status)
    if stamp is None or getattr(order, stamp) is None:
        return False
    if order.cancel_stage is None:
        return True
    # Cancelled orders keep earlier timestamps; they reached the status only if cancelled after it.
    return _STATUS_RANK.get(order.cancel_stage, 0) >= _STATUS_RANK.get(status, 99)


def _invoice_lines(order: OrderFacts, store: StoreMapping, price_of: Mapping[str, Decimal]) -> list[_Line]:
    nets = [line.actual_total for line in order.lines]
    vouchers = _split(order.voucher_seller, nets)
    result: list[_Line] = []
    for index, (line, voucher) in enumerate(zip(order.lines, vouchers, strict=True)):
        gross = line.original_price * line.quantity
        discount = line.seller_discount * line.quantity + voucher
        if store.explode_bundles and line.bundle:
            result.extend(_components(f"{index}", line, gross, discount, price_of))
        else:
            result.append(_Line(f"{index}", line.sku, line.quantity, line.returned_quantity, gross, discount))
    return result


def _components(
    key: str, line: LineFacts, gross: Decimal, discount: Decimal, price_of: Mapping[str, Decimal]
) -> list[_Line]:
    weights = [price_of.get(sku, Decimal(1)) * per_bundle for sku, per_bundle in line.bundle]
    grosses, discounts = _split(gross, weights), _split(discount, weights)
    parts: list[_Line] = []
    for (sku, per_bundle), share, disc in zip(line.bundle, grosses, discounts, strict=True):
        units = per_bundle * line.quantity
        unit_price = (share / units).to_integral_value(rounding=ROUND_CEILING)
        back = per_bundle * line.returned_quantity
        if line.returned_component == sku:
            back += line.component_returned_quantity  # a component that came back alone (§8)
        parts.append(_Line(f"{key}.{sku}", sku, units, back, unit_price * units, disc))
    # Rounding component prices up leaves a few rupiah over the bundle's price: the last one's discount.
    surplus = sum((part.gross for part in parts), Decimal(0)) - gross
    last = parts[-1]
    parts[-1] = _Line(last.key, last.sku, last.quantity_units, last.returned_units, last.gross, last.discount + surplus)
    return parts


def _split(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    whole = sum(weights, Decimal(0))
    shares = [_rupiah(total * w / whole) if whole > 0 else Decimal(0) for w in weights[:-1]]
    return [*shares, total - sum(shares, Decimal(0))]


_SIX_DECIMALS = Decimal("0.000001")


def _accurate_tax(store: StoreMapping, nets: list[Decimal], accounts: _Accounts) -> tuple[Decimal, Decimal, Decimal]:
    """(PPN, revenue, rounding leftover) of a document's item lines (their net amounts) as Accurate computes
    them (reference/accurate-api.md §16): a line's value before tax to 6 decimals, the tax — the lines' value ×
    DPP × rate — rounded down to the rupiah, and on prices including PPN what neither takes to the rounding
    account."""
    total = sum(nets, Decimal(0))
    if not store.tax.pkp:
        return Decimal(0), total, Decimal(0)
    # 11/12 as numerator and denominator: multiplied first and divided once, the tax is exact where it is whole.
    share, whole = (11, 12) if store.tax.dpp_nilai_lain or accounts.default_dpp_nilai_lain else (1, 1)
    rate = store.tax.ppn_rate
    if not store.tax.prices_include_ppn:
        return (total * rate * share / whole).quantize(Decimal(1), rounding=ROUND_DOWN), total, Decimal(0)
    effective = rate * share / whole
    revenue = sum(((net / (1 + effective)).quantize(_SIX_DECIMALS, rounding=ROUND_HALF_UP) for net in nets), Decimal(0))
    ppn = (revenue * rate * share / whole).quantize(Decimal(1), rounding=ROUND_DOWN)
    if revenue == revenue.to_integral_value():
        revenue = revenue.quantize(Decimal(1))
    return ppn, revenue, total - revenue - ppn


def _line_value(store: StoreMapping, net: Decimal, accounts: _Accounts) -> Decimal:
    """One taxed line's value before tax as Accurate keeps it: net ÷ (1 + rate × DPP) to 6 decimals where prices
    include PPN, else its net amount (reference/accurate-api.md §16)."""
    if not store.tax.prices_include_ppn:
        return net
    share, whole = (11, 12) if store.tax.dpp_nilai_lain or accounts.default_dpp_nilai_lain else (1, 1)
    return (net / (1 + store.tax.ppn_rate * share / whole)).quantize(_SIX_DECIMALS, rounding=ROUND_HALF_UP)


def _post_rounding(books: ExpectedBooks, accounts: _Accounts, credit: Decimal) -> None:
    """A document's tax leftover on the company's rounding account (credit on a sale; negative: a debit)."""
    if credit == 0:
        return
    if accounts.rounding is None:
        raise ValueError("the seed company has no rounding account (defaults.roundingAccountNo)")
    books.post(accounts.rounding, credit=credit)


def _book_invoice(
    books: ExpectedBooks,
    accounts: _Accounts,
    store: StoreMapping,
    order: OrderFacts,
    lines: list[_Line],
    number: str,
    cost_of: Mapping[str, Decimal],
) -> Decimal:
    """Book the invoice; returns what it puts on Piutang.

    The buyer's shipping, where the store books it: an untaxed charge on its account (revenue of a store that is
    not PKP, or owed on to the courier under ``pass_through``); a PKP store's shipping revenue is one more taxed
    line, its value on ``accounts.shipping_revenue`` (the shipping item's sales account, docs/POSTING.md §4).
    """
    nets = [line.gross - line.discount for line in lines]
    shipping = Decimal(0)
    if store.shipping_accounts is not None:
        shipping = order.buyer_shipping if order.buyer_shipping > 0 else Decimal(0)
    taxed_shipping = shipping > 0 and store.tax.pkp and store.shipping is ShippingRule.REVENUE_AND_EXPENSE
    ppn, revenue, leftover = _accurate_tax(store, nets + ([shipping] if taxed_shipping else []), accounts)
    if taxed_shipping:
        shipping_value = _line_value(store, shipping, accounts)
        books.post(_required(store.accounts.shipping_revenue, "shipping_revenue"), credit=shipping_value)
        revenue -= shipping_value
        receivable = revenue + shipping_value + ppn + leftover
    else:
        if shipping > 0 and store.shipping_accounts is not None:
            books.post(store.shipping_accounts[0], credit=shipping)
        receivable = revenue + ppn + leftover + shipping
    books.post(accounts.receivable, debit=receivable)
    books.post(accounts.sales, credit=revenue)
    books.post(accounts.output_tax, credit=ppn)
    _post_rounding(books, accounts, leftover)
    cost = sum((cost_of[line.sku] * line.quantity_units for line in lines), Decimal(0))
    books.post(accounts.cogs, debit=cost)
    books.post(accounts.inventory, credit=cost)
    books.record(SALES_INVOICE, number, receivable)
    return receivable


def _book_return(
    books: ExpectedBooks,
    accounts: _Accounts,
    store: StoreMapping,
    lines: list[_Line],
    units_back: Mapping[str, int],
    number: str,
    cost_of: Mapping[str, Decimal],
    refunds: Mapping[int, Decimal] | None = None,
) -> Decimal:
    """Book the return (if anything comes back); returns what it takes off Piutang.

    ``refunds``: order line index → rupiah the buyer got back for that line's units. An order line's return is
    credited at its refund when the refund is within a rupiah a unit of the invoiced value of its units back
    (docs/POSTING.md §8, "a return is what it refunds"), the difference on its last part that comes back.
    """
    nets: list[Decimal] = []
    cost = Decimal(0)
    by_order_line: dict[int, list[int]] = {}
    units_of_order_line: dict[int, int] = {}
    for line in lines:
        back = units_back.get(line.key, 0)
        if back <= 0:
            continue
        unit_price = line.gross / line.quantity_units
        discount_back = (
            line.discount if back == line.quantity_units else _rupiah(line.discount * back / line.quantity_units)
        )
        index = int(line.key.split(".")[0])
        by_order_line.setdefault(index, []).append(len(nets))
        units_of_order_line[index] = units_of_order_line.get(index, 0) + back
        nets.append(unit_price * back - discount_back)
        cost += cost_of[line.sku] * back
    for index, refund in (refunds or {}).items():
        positions = by_order_line.get(index, [])
        value = sum((nets[position] for position in positions), Decimal(0))
        if positions and refund > 0 and abs(refund - value) <= units_of_order_line[index]:
            nets[positions[-1]] += refund - value
    if sum(nets, Decimal(0)) == 0 and cost == 0:
        return Decimal(0)
    ppn, revenue, leftover = _accurate_tax(store, nets, accounts)
    books.post(accounts.sales_return, debit=revenue)
    books.post(accounts.output_tax, debit=ppn)
    _post_rounding(books, accounts, -leftover)
    books.post(accounts.receivable, credit=revenue + ppn + leftover)
    books.post(accounts.inventory, debit=cost)
    books.post(accounts.cogs, credit=cost)
    books.record(SALES_RETURN, number, revenue + ppn + leftover)
    return revenue + ppn + leftover


def _expect_exchange_transfer(books: ExpectedBooks, store: StoreMapping, order: OrderFacts, number: str) -> None:
    """An exchange moves its unit from the warehouse the sale left from to the return warehouse: an Item Transfer
    sent ``-XO1`` and received ``-XI1`` (docs/POSTING.md §8b), no journal (total 0); nothing when both are one."""
    shipped_from = store.warehouses.get(order.warehouse_id) or store.default_warehouse
    if shipped_from is None or store.return_warehouse in (None, shipped_from):
        return
    books.record(ITEM_TRANSFER, _suffixed(number, "-XO1"), Decimal(0))
    books.record(ITEM_TRANSFER, _suffixed(number, "-XI1"), Decimal(0))


# --- settlements: the money the marketplace releases -----------------------------------------------


def _late_units(order: OrderFacts, lines: list[_Line]) -> dict[str, int]:
    """Invoice line key → units of the return after settlement (a bundle's components their share)."""
    late = order.late_return
    if late is None:
        return {}
    index = next(i for i, line in enumerate(order.lines) if line.item_id == late.item_id)
    sold = order.lines[index].quantity
    return {
        line.key: line.quantity_units // sold * late.quantity
        for line in lines
        if line.key == f"{index}" or line.key.startswith(f"{index}.")
    }


@dataclass(frozen=True)
class _Invoiced:
    """An order's standing invoice: what it owes after the returns before completion, what those took off
    it, and the Sales Return of the unit returned after settlement (its number and receivable)."""

    number: str
    outstanding: Decimal
    returned: Decimal = Decimal(0)
    late_returned: Decimal = Decimal(0)
    late_number: str = ""

    @property
    def owed_now(self) -> Decimal:
        """What the invoice still owes once every return is posted."""
        return self.outstanding - self.late_returned


@dataclass(frozen=True)
class _Estimate:
    """What an order's estimated receipt did: paid, received (cheque) and debited per account."""

    payment: Decimal
    cheque: Decimal
    lines: dict[str, Decimal]


@dataclass(frozen=True)
class _StatementLine:
    """One line of the settlement statement the demo imports: an order's settlement or a refund."""

    order: OrderFacts
    amount: Decimal
    fees: dict[str, Decimal]
    net: Decimal


class _Held(Exception):
    """A payout that cannot be posted, and why (a settlement hold cause)."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


@dataclass
class _Settled:
    """What the settlements booked so far, per order id."""

    estimates: dict[str, _Estimate] = field(default_factory=dict)
    moved_out: dict[str, Decimal] = field(default_factory=dict)
    """Refunds already taken out of the marketplace balance (§F)."""


def _book_settlements(
    books: ExpectedBooks,
    receivable: str,
    scenario: Scenario,
    mapping: ConnectionMapping,
    invoiced: Mapping[str, _Invoiced],
    imported: set[str],
) -> None:
    settled = _Settled()
    payouts: dict[str, dict[str, list[tuple[date, _StatementLine]]]] = {}
    for order in scenario.orders:
        store = mapping.stores.get(order.shop_id)
        if store is None:
            continue
        invoice = invoiced.get(order.order_id)
        if store.settlement is SettlementMode.ESTIMATE:
            # RETURNED in full: never paid out, only the fees kept on a return are booked (docs/POSTING.md §12)
            returned = order.completed_at is None and order.final_status == OrderStatus.RETURNED
            if (order.completed_at is None and not returned) or order.cancelled_at is not None or invoice is None:
                continue
            if invoice.outstanding <= 0:
                _book_fees_journal(books, store, order, invoice)
            elif not returned:
                settled.estimates[order.order_id] = _book_estimate_receipt(books, receivable, store, order, invoice)
                if invoice.late_returned > 0 and store.accounts.receivable is None:
                    books.hold("unmapped_account")  # the return after the receipt waits for the account
                elif invoice.late_returned > 0:
                    _book_refund_journal(books, store, invoice)
                    settled.moved_out[order.order_id] = invoice.late_returned
        if order.store_key not in imported:
            continue
        rows = payouts.setdefault(order.shop_id, {})
        if order.payout_id is not None:
            # Handmade facts may name a payout without its time; only Shopee's payouts depend on the date.
            released = order.settled_at or order.completed_at or order.created_at
            rows.setdefault(order.payout_id, []).append((_jakarta(released), _statement_line(order)))
        late = order.late_return
        if late is not None:
            rows.setdefault(late.refund_payout_id, []).append((_jakarta(late.refund_paid_at), _refund_line(order)))
    charges: dict[str, list[tuple[str, Decimal]]] = {}
    early: dict[str, EarlyExport] = {}
    for facts in scenario.stores:
        if facts.key not in imported or facts.key not in scenario.settlement_files or facts.shop_id not in payouts:
            continue
        if (download := early_export(scenario, facts.key)) is not None:
            early[facts.shop_id] = download
        by_id = payouts[facts.shop_id]
        by_sn = {order.external_order_sn: order for order in scenario.orders}
        for extra in statement_adjustments(scenario, facts.key):
            if extra.order_sn is None:  # only in Lazada statements, whose payouts keep their ids
                charges.setdefault(extra.payout_id, []).append((extra.kind, extra.amount))
                continue
            payout_rows = by_id[extra.payout_id]
            paid_on = max(day for day, _ in payout_rows)
            line = _StatementLine(by_sn[extra.order_sn], extra.item_amount, extra.fees, extra.amount)
            same = [i for i, (_, row) in enumerate(payout_rows) if row.order.external_order_sn == extra.order_sn]
            if same and facts.channel.upper().startswith("LAZADA"):
                # Lazada's reader adds an order's rows of one statement into one line
                day, row = payout_rows[same[0]]
                fees = dict(row.fees)
                for kind, fee in extra.fees.items():
                    fees[kind] = fees.get(kind, Decimal(0)) + fee
                merged = _StatementLine(row.order, row.amount + extra.item_amount, fees, row.net + extra.amount)
                payout_rows[same[0]] = (day, merged)
                continue
            payout_rows.append((paid_on, line))
    for shop_id, by_id in payouts.items():
        store = mapping.stores[shop_id]
        for payout_id, lines in _payouts_as_read(store, by_id, early.get(shop_id)):
            try:
                _book_payout(books, receivable, store, payout_id, lines, invoiced, settled, charges.get(payout_id, []))
            except _Held as held:
                books.hold(held.cause)


def _jakarta(moment: datetime) -> date:
    return moment.astimezone(_JAKARTA).date()


def _payouts_as_read(
    store: StoreMapping, by_id: Mapping[str, list[tuple[date, _StatementLine]]], early: EarlyExport | None = None
) -> list[tuple[str, list[_StatementLine]]]:
    """The payouts as the import reads them from the statement, in date order: each payout is dated its
    latest line; a Shopee income report names no payout, so there each date is one (``SHOPEE-YYYYMMDD``).

    With an ``early`` download imported first (docs/POSTING.md §18), its date's payout is what it held, and
    the rest of that date's lines are the payout's supplement ``<id>-S1``, posted when the full report comes.
    """
    dated: dict[str, tuple[date, list[_StatementLine]]] = {}
    for payout_id, rows in by_id.items():
        paid_on = max(day for day, _ in rows)
        key = f"SHOPEE-{paid_on:%Y%m%d}" if store.channel.upper().startswith("SHOPEE") else payout_id
        dated.setdefault(key, (paid_on, []))[1].extend(line for _, line in rows)
    read = [(key, lines) for key, (_, lines) in sorted(dated.items(), key=lambda item: (item[1][0], item[0]))]
    if early is None:
        return read
    split: list[tuple[str, list[_StatementLine]]] = []
    for key, lines in read:
        if dated[key][0] != early.paid_on:
            split.append((key, lines))
            continue
        held = [line for line in lines if line.amount > 0 and line.order.order_id in early.order_ids]
        split.append((key, held))
        split.append((f"{key}-S1", [line for line in lines if not any(line is h for h in held)]))
    return split


def _statement_line(order: OrderFacts) -> _StatementLine:
    amount = order.settled_amount
    fees = dict(order.file_fees)
    net = order.released_amount if order.released_amount is not None else amount - sum(fees.values(), Decimal(0))
    return _StatementLine(order, amount, fees, net)


def _refund_line(order: OrderFacts) -> _StatementLine:
    late = order.late_return
    if late is None:
        raise ValueError(f"order {order.order_id} has no return after settlement")
    fees = {kind: -amount for kind, amount in late.fees_back.items() if amount != 0}
    return _StatementLine(order, -late.refund, fees, -late.refund - sum(fees.values(), Decimal(0)))


def _book_estimate_receipt(
    books: ExpectedBooks, receivable: str, store: StoreMapping, order: OrderFacts, invoice: _Invoiced
) -> _Estimate:
    """Settlement rules §A: the order's own fees, estimated from what Ginee reports on it."""
    fees = {kind: order.fees[kind] for kind in _ORDER_FEE_KINDS if kind in order.fees}
    discounts = _fee_discounts(store, fees)
    if store.tax.pph22_withheld:
        pph22 = _rupiah(store.tax.pph22_rate * _without_ppn(store, invoice.outstanding))
        if pph22 != 0:
            discounts.append((_required(store.pph22_account, store.pph22_setting.removeprefix("accounts.")), pph22))
    if store.shipping_accounts is not None and order.buyer_shipping > 0:
        # the buyer's shipping the invoice carries, paid on to the courier: Beban Ongkir (or the clearing account)
        discounts.append((store.shipping_accounts[1], order.buyer_shipping))
    number = _suffixed(invoice.number, "-P")
    cheque = _book_receipt(books, receivable, store, number, invoice.outstanding, discounts)
    return _Estimate(invoice.outstanding, cheque, _by_account(discounts))


def _book_fees_journal(books: ExpectedBooks, store: StoreMapping, order: OrderFacts, invoice: _Invoiced) -> None:
    """An order whose invoice owes nothing but which bears fees (docs/POSTING.md §12): no receipt, a journal
    voucher ``<invoice>-PF`` — Dr each fee (PPN split as on a receipt), Cr the marketplace balance."""
    fees = {kind: order.fees[kind] for kind in _ORDER_FEE_KINDS if kind in order.fees}
    if invoice.returned > 0:  # its goods came back: only the fees the marketplace keeps on a return
        fees = {kind: amount for kind, amount in fees.items() if kind in store.fees_kept_on_return}
    debits = [(account, amount) for account, amount in _fee_discounts(store, fees) if amount != 0]
    if not debits:
        return
    total = sum((amount for _, amount in debits), Decimal(0))
    for account, amount in debits:
        books.post(account, debit=amount)
    books.post(store.accounts.marketplace_balance, credit=total)
    books.record(JOURNAL_VOUCHER, _suffixed(invoice.number, "-PF"), total)


def _book_refund_journal(books: ExpectedBooks, store: StoreMapping, invoice: _Invoiced) -> None:
    """Settlement rules §F: the refund of a return after the receipt leaves the marketplace balance."""
    refund = invoice.late_returned
    books.post(_required(store.accounts.receivable, "receivable"), debit=refund)
    books.post(store.accounts.marketplace_balance, credit=refund)
    books.record(JOURNAL_VOUCHER, _suffixed(invoice.late_number, "-J"), refund)


def _book_payout(
    books: ExpectedBooks,
    receivable: str,
    store: StoreMapping,
    payout_id: str,
    lines: list[_StatementLine],
    invoiced: Mapping[str, _Invoiced],
    settled: _Settled,
    charges: list[tuple[str, Decimal]],
) -> None:
    """Settlement rules §B–§D: one receipt paying the orders not receipted yet and one journal voucher for
    differences, refunds, money paid for goods returned since, lines of no item value and rows of no order
    (``charges``: kind, signed amount; docs/POSTING.md §15) — or a hold for the whole payout."""
    for line in lines:
        if line.net != line.amount - sum((_rupiah(fee) for fee in line.fees.values()), Decimal(0)):
            raise _Held("payout_unbalanced")
    tolerance = store.settlement_tolerance
    paid = Decimal(0)
    discounts: list[tuple[str, Decimal]] = []
    journal: list[tuple[str, Decimal]] = []  # (account, signed debit), one entry per order and account
    for kind, amount in charges:
        account = store.accounts.fee_accounts().get(kind)
        if account is None:
            raise _Held("unmapped_charge")
        journal.append((account, -amount))
    for line in lines:
        invoice = invoiced.get(line.order.order_id)
        # An order cancelled after its invoice under the delete rule has none left, yet omsync knows it (§15).
        deleted = line.order.cancelled_at is not None and _reached(line.order, store.trigger_for(line.order.is_cod))
        if invoice is None and not (deleted and line.amount == 0):
            raise _Held("unknown_order")
        fees = _fee_discounts(store, line.fees)
        if line.amount == 0:  # a line of no item value: a charge or credit of the balance (§15)
            journal.extend(fees)
            continue
        if invoice is None:
            raise _Held("unknown_order")
        if line.amount < 0:  # §D; what no return covers (§17): held, or a price reduction
            refund = -line.amount
            uncovered = refund - invoice.returned - invoice.late_returned
            if uncovered <= tolerance:
                uncovered = Decimal(0)
            elif store.refund_without_return is not RefundWithoutReturn.PRICE_REDUCTION:
                raise _Held("refund_without_return")
            back = refund - uncovered - settled.moved_out.get(line.order.order_id, Decimal(0))
            if back != 0:
                journal.append((_receivable(store), back))
            journal.extend(_price_reduction(store, uncovered))
            journal.extend(fees)
            continue
        estimate = settled.estimates.get(line.order.order_id)
        short = (estimate.payment if estimate is not None else invoice.owed_now) - line.amount
        excess = Decimal(0)
        returned = invoice.returned + invoice.late_returned
        if estimate is None and short < -tolerance and returned > 0:
            excess = min(-short, returned)
            short += excess
        if abs(short) > tolerance:
            raise _Held("amount_mismatch")
        charged = list(fees)  # the line's fees alone, before any rounding difference
        if short != 0:
            fees.append((store.accounts.rounding, short))
        if estimate is not None:  # §C
            exact = _by_account(fees)
            for account in sorted(set(exact) | set(estimate.lines)):
                journal.append((account, exact.get(account, Decimal(0)) - estimate.lines.get(account, Decimal(0))))
            continue
        if excess != 0:
            journal.append((_receivable(store), -excess))
        if invoice.owed_now <= 0:
            journal.extend(fees)  # nothing left to pay: the fees join the journal voucher
            continue
        paid += invoice.owed_now
        if line.net - excess < 0:  # a release below zero (§16): the fees go whole to the journal voucher
            journal.extend(charged)
            discounts.extend(fees[len(charged) :])
            continue
        discounts.extend(fees)
    receipt_number = _invoice_number(store.number_prefix, payout_id)
    if paid != 0:
        _book_receipt(books, receivable, store, receipt_number, paid, discounts)
    _book_payout_journal(books, store, _suffixed(receipt_number, "-J"), journal)


def _book_payout_journal(
    books: ExpectedBooks, store: StoreMapping, number: str, journal: list[tuple[str, Decimal]]
) -> None:
    """The payout's journal voucher: its lines, balanced on the marketplace balance; total = Σ debits."""
    entries = [(account, amount) for account, amount in journal if amount != 0]
    if not entries:
        return
    balance = -sum((amount for _, amount in entries), Decimal(0))
    entries.append((store.accounts.marketplace_balance, balance))
    for account, amount in entries:
        books.post(account, debit=amount)
    books.record(JOURNAL_VOUCHER, number, sum((amount for _, amount in entries if amount > 0), Decimal(0)))


def _price_reduction(store: StoreMapping, refund: Decimal) -> list[tuple[str, Decimal]]:
    """§17: money back without goods back lowers the sale's price — Potongan Penjualan its base and, on a PKP
    store, PPN Keluaran its tax (the refund includes PPN: tax = refund × 11/111, half up)."""
    if refund == 0:
        return []
    reduction = _required(store.accounts.price_reduction, "price_reduction")
    if not store.tax.pkp:
        return [(reduction, refund)]
    rate = store.tax.effective_rate
    tax = _rupiah(refund * rate / (1 + rate))
    return [(reduction, refund - tax), (_required(store.accounts.output_tax, "output_tax"), tax)]


def _receivable(store: StoreMapping) -> str:
    if store.accounts.receivable is None:
        raise _Held("unmapped_account")
    return store.accounts.receivable


def _by_account(lines: list[tuple[str, Decimal]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for account, amount in lines:
        totals[account] += amount
    return dict(totals)


def _fee_discounts(store: StoreMapping, fees: Mapping[str, Decimal]) -> list[tuple[str, Decimal]]:
    """Discount lines (account, amount) of an order's fees: standard kinds first, then PPh 22, then the rest
    alphabetically; each fee's PPN on PPN Masukan when the marketplace issues tax invoices for its fees and the
    fee's kind carries PPN (`TaxSettings.fee_kinds_with_ppn`)."""
    accounts = store.accounts.fee_accounts()
    rate = store.tax.effective_rate
    ranked = sorted(fees, key=_fee_rank)
    result: list[tuple[str, Decimal]] = []
    for kind in ranked:
        fee = _rupiah(fees[kind])
        if fee == 0:
            continue
        if kind == _PPH22:
            result.append((_required(store.pph22_account, store.pph22_setting.removeprefix("accounts.")), fee))
            continue
        if kind not in accounts:
            raise _Held("unmapped_fee")
        if not store.tax.fee_carries_ppn(kind):
            result.append((accounts[kind], fee))
            continue
        ppn = _rupiah(fee * rate / (1 + rate))
        result.append((accounts[kind], fee - ppn))
        if ppn != 0:
            result.append((_required(store.accounts.input_tax, "input_tax"), ppn))
    return result


def _fee_rank(kind: str) -> tuple[int, int, str]:
    if kind in _ORDER_FEE_KINDS:
        return (0, _ORDER_FEE_KINDS.index(kind), "")
    if kind == _PPH22:
        return (1, 0, "")
    return (2, 0, kind)


def _without_ppn(store: StoreMapping, amount: Decimal) -> Decimal:
    """The revenue in an amount a PKP store was paid (PPN included either way), the whole of it otherwise."""
    if not store.tax.pkp:
        return amount
    rate = store.tax.effective_rate
    return amount - _rupiah(amount * rate / (1 + rate))


def _required(account: str | None, name: str) -> str:
    # The mapping's validators guarantee these accounts whenever the setting that needs them is on.
    if account is None:
        raise ValueError(f"the store's mapping has no accounts.{name}")
    return account


def _book_receipt(
    books: ExpectedBooks,
    receivable: str,
    store: StoreMapping,
    number: str,
    paid: Decimal,
    discounts: list[tuple[str, Decimal]],
) -> Decimal:
    """Dr Saldo the cheque, Dr each discount line (a negative one is a credit), Cr Piutang what is paid."""
    cheque = paid - sum((amount for _, amount in discounts), Decimal(0))
    books.post(store.accounts.marketplace_balance, debit=cheque)
    for account, amount in discounts:
        books.post(account, debit=amount)
    books.post(receivable, credit=paid)
    books.record(SALES_RECEIPT, number, cheque)
    return cheque


def _invoice_number(prefix: str, order_number: str) -> str:
    return _shorten(prefix + order_number, 30)


def _suffixed(number: str, suffix: str) -> str:
    return _shorten(number, 30 - len(suffix)) + suffix


def _plain_number_holders(orders: Iterable[OrderFacts]) -> dict[tuple[str, str], str]:
    """Per marketplace order (shop, marketplace number), the Ginee order whose invoice bears the plain number
    (docs/POSTING.md §6): of its packages, the one created first, a tie to the smallest Ginee order id. The
    others are numbered apart, whichever of them was paid or delivered first."""
    holders: dict[tuple[str, str], OrderFacts] = {}
    for order in orders:
        key = (order.shop_id, order.external_order_sn)
        held = holders.get(key)
        if held is None or (order.created_at, order.order_id) < (held.created_at, held.order_id):
            holders[key] = order
    return {key: order.order_id for key, order in holders.items()}


def _apart(number: str, order_id: str) -> str:
    """A second package's invoice number (docs/POSTING.md §6): the plain number, shortened to leave room, plus
    ``-`` and 8 hex digits of the SHA-256 of its Ginee order id."""
    return _shorten(number, 30 - 9) + "-" + hashlib.sha256(order_id.encode()).hexdigest()[:8].upper()


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 9] + "-" + hashlib.sha256(text.encode()).hexdigest()[:8].upper()


# --- products, purchases and stock ------------------------------------------------------------------


def _expect_items(books: ExpectedBooks, scenario: Scenario) -> None:
    """The Items the products flow writes: created, or changed from the opening books, in their last state."""
    opening = {product.sku: (product.name, product.price) for product in scenario.products}
    final: dict[str, tuple[str, Decimal]] = {}
    for change in scenario.product_changes:
        if change.data.get("masterVariationType") == "BUNDLE":
            continue  # a bundle's components are the Items (docs/POSTING.md §5)
        for variation in change.data.get("variations", []):
            final[str(variation["sku"])] = (str(variation["name"]), Decimal(str(variation["sellingPrice"])))
    for sku, item in sorted(final.items()):
        if opening.get(sku) != item:
            books.record(ITEM, sku, item[1])


def _book_purchases(
    books: ExpectedBooks,
    inventory: str,
    defaults: Mapping[str, str],
    scenario: Scenario,
    mapping: ConnectionMapping,
    cost_of: Mapping[str, Decimal],
) -> None:
    """docs/POSTING.md §21: each received inbound's purchase document, each stock adjustment's Item Adjustment."""
    policy = mapping.purchases
    _check_costs_stay(scenario, cost_of)
    receive_item = policy.document == "receive_item"
    kind = RECEIVE_ITEM if receive_item else PURCHASE_INVOICE
    payable = defaults["unbilledPayableAccountNo" if receive_item else "payableAccountNo"]
    for inbound in scenario.inbounds:
        if inbound.cancelled_at is not None:
            continue  # its documents are deleted (``purchases.cancellation: delete``): nothing remains
        value = sum((Decimal(got) * price for _, _, got, price in inbound.lines), Decimal(0))
        if not any(got for _, _, got, _ in inbound.lines):
            continue
        books.post(inventory, debit=value)
        books.post(payable, credit=value)
        books.record(kind, _suffixed(policy.number_prefix + inbound.inbound_id, "-1"), value)
    # Stock in is valued at Ginee's average purchase price (the product's purchase price, kept by buying at
    # it), stock out at Accurate's average cost.
    ginee_cost = {product.sku: product.cost for product in scenario.products}
    for change in scenario.product_changes:
        for variation in change.data.get("variations", []):
            if variation.get("purchasePrice") is not None:
                ginee_cost.setdefault(str(variation["sku"]), Decimal(str(variation["purchasePrice"])))
    for adjustment in scenario.adjustments:
        if not adjustment.movement_id:
            raise ValueError(f"the adjustment of {adjustment.sku} at {adjustment.at} names no Ginee movement")
        if policy.adjustment_account is None:
            books.hold("unmapped_adjustment_account")
            continue
        sign = 1 if adjustment.delta > 0 else -1
        value = abs(adjustment.delta) * _cost(ginee_cost if sign > 0 else cost_of, adjustment.sku)
        books.post(inventory, debit=sign * value)
        books.post(policy.adjustment_account, credit=sign * value)
        books.record(ITEM_ADJUSTMENT, _shorten(policy.number_prefix + adjustment.movement_id, 30), value)


def _cost(cost_of: Mapping[str, Decimal], sku: str) -> Decimal:
    if sku not in cost_of:
        raise ValueError(f"SKU {sku} has no cost in the scenario")
    return cost_of[sku]


def _check_costs_stay(scenario: Scenario, cost_of: Mapping[str, Decimal]) -> None:
    """Refuse a scenario whose cost of goods depends on the order the workers post in (see the assumptions)."""
    costed = {sku for order in scenario.orders for line in order.lines for sku, _ in (line.bundle or ((line.sku, 1),))}
    costed |= {adjustment.sku for adjustment in scenario.adjustments}
    for inbound in scenario.inbounds:
        for sku, _, _, price in inbound.lines:
            if sku in costed and price != _cost(cost_of, sku):
                raise ValueError(
                    f"inbound {inbound.inbound_id} buys {sku} at {price}, not its cost {cost_of[sku]}, and the scenario "
                    "also sells or adjusts it: its cost of goods would depend on the order the workers post in"
                )


# --- comparing with what Accurate holds ------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Where the books differ from the oracle; empty differences mean they match."""

    account_differences: dict[str, tuple[Decimal, Decimal]]
    """account → (expected net debit, actual net debit), only where they differ."""
    document_differences: dict[str, dict[str, tuple[Decimal | None, Decimal | None]]]
    """kind → number → (expected total, actual total); None where the document is missing on one side."""

    @property
    def matches(self) -> bool:
        return not self.account_differences and not self.document_differences

    @property
    def trial_balance_difference(self) -> Decimal:
        """Σ |expected − actual| over every account: 0 when the trial balances agree."""
        return sum((abs(exp - act) for exp, act in self.account_differences.values()), Decimal(0))

    def report(self) -> str:
        """A readable diff, one line per difference."""
        if self.matches:
            return "books match the oracle"
        out = []
        for account, (exp, act) in self.account_differences.items():
            out.append(f"account {account}: expected {exp:,} actual {act:,} (difference {act - exp:,})")
        for kind, numbers in self.document_differences.items():
            for number, (exp_total, act_total) in numbers.items():
                if exp_total is None:
                    out.append(f"{kind} {number}: not expected, Accurate holds it ({act_total:,})")
                elif act_total is None:
                    out.append(f"{kind} {number}: expected ({exp_total:,}), missing in Accurate")
                else:
                    out.append(f"{kind} {number}: expected total {exp_total:,}, actual {act_total:,}")
        return "\n".join(out)


def compare(
    expected: ExpectedBooks,
    actual_trial_balance: Mapping[str, Decimal],
    actual_documents: Mapping[str, Mapping[str, Decimal]],
) -> Comparison:
    """Compare the oracle's books with Accurate's (trial balance as account → net debit)."""
    accounts: dict[str, tuple[Decimal, Decimal]] = {}
    for account in sorted(set(expected.trial_balance) | set(actual_trial_balance)):
        exp = expected.trial_balance.get(account, Decimal(0))
        act = Decimal(actual_trial_balance.get(account, Decimal(0)))
        if exp != act:
            accounts[account] = (exp, act)
    documents: dict[str, dict[str, tuple[Decimal | None, Decimal | None]]] = defaultdict(dict)
    for kind in sorted(set(expected.documents) | set(actual_documents)):
        exp_docs = expected.documents.get(kind, {})
        act_docs = actual_documents.get(kind, {})
        for number in sorted(set(exp_docs) | set(act_docs)):
            exp_total, act_total = exp_docs.get(number), act_docs.get(number)
            if exp_total is None or act_total is None or Decimal(exp_total) != Decimal(act_total):
                documents[kind][number] = (exp_total, act_total)
    return Comparison(accounts, dict(documents))
