"""The oracle: what Accurate's books must say at the end of a scenario, worked out from the facts alone.

It is the independent second opinion behind "the books match" (DESIGN invariant 3). On purpose it
shares no code with `omsync.posting` nor with the Accurate sandbox's book-keeping: it reads the
scenario's facts, the mapping and the seed company, and does the arithmetic an accountant would do by
hand, following docs/POSTING.md. When the two disagree, one of them misreads the rules.

Scope (what the orders and cancellations flows post today):

- an invoice for every order of a mapped store that reached the store's trigger status, unless it was
  cancelled afterwards under the ``delete`` rule; orders cancelled before the trigger get nothing;
- a Sales Return of everything for orders cancelled after invoicing under the ``sales_return`` rule
  (assuming the invoice was posted before the cancellation arrived);
- a Sales Return of the returned lines of returned orders (one return per order, ``-R1``);
- NOT receipts or settlements (not built yet), purchases or stock adjustments.

Assumptions, stated so a mismatch can be traced:

- the opening position is the seed company's plus the scenario's own stocked products at their cost
  (a seller starts omsync with items and opening stock already in Accurate);
- cost of goods = the item's opening unit cost in the seed company (no purchases in the scenario, so
  Accurate's moving average stays at it); a SKU the seed does not know is costed at the scenario's
  product cost;
- an exploded bundle's price is split over its components by component price × quantity;
- PPN is the effective 11% of the mapping, once per document, half up (docs/POSTING.md §3).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from omsync.config.mapping import CancellationRule, ConnectionMapping, ShippingRule, StoreMapping
from omsync.local.scenarios.facts import LineFacts, OrderFacts, Scenario

SALES_INVOICE = "sales_invoice"
SALES_RETURN = "sales_return"

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
    """Orders the oracle expects on hold, by cause (only ``unmapped_store`` is known from facts)."""

    def post(self, account: str, debit: Decimal = Decimal(0), credit: Decimal = Decimal(0)) -> None:
        balance = self.trial_balance.get(account, Decimal(0)) + debit - credit
        self.trial_balance[account] = balance

    def record(self, kind: str, number: str, total: Decimal) -> None:
        self.documents.setdefault(kind, {})[number] = total


@dataclass(frozen=True)
class _Accounts:
    receivable: str
    sales: str
    sales_return: str
    output_tax: str
    inventory: str
    cogs: str
    opening_equity: str


def expected_books(scenario: Scenario, mapping: ConnectionMapping, seed: Mapping[str, Any]) -> ExpectedBooks:
    """The documents and trial balance Accurate should hold after the scenario, opening balances included."""
    defaults = seed["defaults"]
    accounts = _Accounts(
        receivable=defaults["receivableAccountNo"],
        sales=defaults["salesAccountNo"],
        sales_return=defaults["salesReturnAccountNo"],
        output_tax=defaults["outputTaxAccountNo"],
        inventory=defaults["inventoryAccountNo"],
        cogs=defaults["cogsAccountNo"],
        opening_equity=defaults["openingEquityAccountNo"],
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

    for order in scenario.orders:
        store = mapping.stores.get(order.shop_id)
        if store is None:
            if _reached(order, "PAID"):
                books.on_hold["unmapped_store"] = books.on_hold.get("unmapped_store", 0) + 1
            continue
        if not _reached(order, store.trigger_status):
            continue
        cancelled = order.cancelled_at is not None
        if cancelled and store.cancellation is CancellationRule.DELETE:
            continue
        lines = _invoice_lines(order, store, price_of)
        number = _invoice_number(store.number_prefix, order.external_order_sn)
        _book_invoice(books, accounts, store, order, lines, number, cost_of)
        if cancelled:
            everything = {line.key: line.quantity_units for line in lines}
            _book_return(books, accounts, store, lines, everything, _suffixed(number, "-RC"), cost_of)
        elif any(line.returned_quantity for line in order.lines):
            returned = {line.key: line.returned_units for line in lines}
            _book_return(books, accounts, store, lines, returned, _suffixed(number, "-R1"), cost_of)
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
        parts.append(_Line(f"{key}.{sku}", sku, units, per_bundle * line.returned_quantity, unit_price * units, disc))
    # Rounding component prices up leaves a few rupiah over the bundle's price: the last one's discount.
    surplus = sum((part.gross for part in parts), Decimal(0)) - gross
    last = parts[-1]
    parts[-1] = _Line(last.key, last.sku, last.quantity_units, last.returned_units, last.gross, last.discount + surplus)
    return parts


def _split(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    whole = sum(weights, Decimal(0))
    shares = [_rupiah(total * w / whole) if whole > 0 else Decimal(0) for w in weights[:-1]]
    return [*shares, total - sum(shares, Decimal(0))]


def _ppn_and_revenue(store: StoreMapping, amount: Decimal) -> tuple[Decimal, Decimal]:
    rate = store.tax.effective_rate
    if not store.tax.pkp:
        return Decimal(0), amount
    if store.tax.prices_include_ppn:
        ppn = _rupiah(amount * rate / (1 + rate))
        return ppn, amount - ppn
    return _rupiah(amount * rate), amount


def _book_invoice(
    books: ExpectedBooks,
    accounts: _Accounts,
    store: StoreMapping,
    order: OrderFacts,
    lines: list[_Line],
    number: str,
    cost_of: Mapping[str, Decimal],
) -> None:
    net = sum((line.gross - line.discount for line in lines), Decimal(0))
    ppn, revenue = _ppn_and_revenue(store, net)
    shipping = Decimal(0)
    if store.shipping is ShippingRule.REVENUE_AND_EXPENSE and store.accounts.shipping_revenue is not None:
        shipping = order.buyer_shipping if order.buyer_shipping > 0 else Decimal(0)
        books.post(store.accounts.shipping_revenue, credit=shipping)
    books.post(accounts.receivable, debit=revenue + ppn + shipping)
    books.post(accounts.sales, credit=revenue)
    books.post(accounts.output_tax, credit=ppn)
    cost = sum((cost_of[line.sku] * line.quantity_units for line in lines), Decimal(0))
    books.post(accounts.cogs, debit=cost)
    books.post(accounts.inventory, credit=cost)
    books.record(SALES_INVOICE, number, revenue + ppn + shipping)


def _book_return(
    books: ExpectedBooks,
    accounts: _Accounts,
    store: StoreMapping,
    lines: list[_Line],
    units_back: Mapping[str, int],
    number: str,
    cost_of: Mapping[str, Decimal],
) -> None:
    net = Decimal(0)
    cost = Decimal(0)
    for line in lines:
        back = units_back.get(line.key, 0)
        if back <= 0:
            continue
        unit_price = line.gross / line.quantity_units
        discount_back = (
            line.discount if back == line.quantity_units else _rupiah(line.discount * back / line.quantity_units)
        )
        net += unit_price * back - discount_back
        cost += cost_of[line.sku] * back
    if net == 0 and cost == 0:
        return
    ppn, revenue = _ppn_and_revenue(store, net)
    books.post(accounts.sales_return, debit=revenue)
    books.post(accounts.output_tax, debit=ppn)
    books.post(accounts.receivable, credit=revenue + ppn)
    books.post(accounts.inventory, debit=cost)
    books.post(accounts.cogs, credit=cost)
    books.record(SALES_RETURN, number, revenue + ppn)


def _invoice_number(prefix: str, order_number: str) -> str:
    return _shorten(prefix + order_number, 30)


def _suffixed(number: str, suffix: str) -> str:
    return _shorten(number, 30 - len(suffix)) + suffix


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 9] + "-" + hashlib.sha256(text.encode()).hexdigest()[:8].upper()


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
