"""Settlement exports written from a scenario's facts, in the formats `omsync.payouts.files` reads.

`write_statement` writes what a marketplace would export for one store: every order of the store
that was settled (has a ``payout_id``), its kept items at their list price less seller discounts and
voucher, the fees the marketplace charged (``settled_fees`` when the file's differ from Ginee's) and the
released amount; and every return after settlement as a refund row in its refund payout (amount − the
refund, the fees given back negative, net − refund + fees given back). Lines read back from it carry
exactly those amounts, fees and nets. TikTok and Lazada files name the payout by the facts' payout id;
a Shopee income report names none, so read back its payouts are keyed by release date
(``SHOPEE-YYYYMMDD``).

With ``adjustments`` (the stores a scenario lists under ``settlementFiles``) the export also carries the
rows a real one has beyond its orders' own (`statement_adjustments`, issue 15): a seller shipping charge
for an order settled in the previous payout (a fee correction, a line of no item value), a return
shipping charge on an order cancelled after shipping and, by format, what only that format has: a TikTok
Shop/Tokopedia adjustment row (a logistics reimbursement); in a Lazada statement an ads top-up of no
order, an order whose charges take its release below zero and a refund no return covers. A Shopee income
report also has an early download (`early_export`): part of one release date, which the full report
then completes (a supplement of the payout).

`write_payouts` writes any list of `Payout`s, so tests can build a file with a changed fee, a refund
or a wrong total. For a well-formed list, ``read_payouts(write_payouts(payouts, fmt), fmt)`` gives the
same payouts back apart from ``source_row`` (the line in the new file): sorted by date and id, no zero
fee, one line per order in a Lazada statement, and what the format can state — Shopee payout ids are
``SHOPEE-YYYYMMDD`` of their date and Shopee and TikTok totals are the sum of their lines (only a Lazada
statement states its total apart). A payout the format cannot express raises ValueError.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from omsync.money import ZERO
from omsync.payouts import files
from omsync.payouts.model import PPH22, Payout
from omsync.posting.numbers import jakarta_date
from omsync_workshop.scenarios.facts import OrderFacts, Scenario


@dataclass(frozen=True)
class _Item:
    """One order item's credit: list price × quantity, and the seller's discount on it."""

    item_no: str
    price: Decimal
    discount: Decimal = ZERO


@dataclass(frozen=True)
class _Order:
    """One order's share of a statement, as detailed as the facts allow."""

    order_sn: str
    items: tuple[_Item, ...]
    fees: Mapping[str, Decimal]
    net: Decimal
    voucher: Decimal = ZERO
    platform_voucher: Decimal = ZERO
    coin: Decimal = ZERO
    adjustment: str | None = None
    """A TikTok Shop/Tokopedia adjustment row's Type (its fees are of that Type's kind, in no fee column)."""

    @property
    def amount(self) -> Decimal:
        return sum((item.price - item.discount for item in self.items), ZERO) - self.voucher


@dataclass(frozen=True)
class _Charge:
    """A row of no order (Lazada): its Transaction Type, Fee Name and signed amount."""

    row_type: str
    name: str
    amount: Decimal


@dataclass(frozen=True)
class _Statement:
    payout_id: str
    paid_on: date
    orders: tuple[_Order, ...]
    amount: Decimal | None = None
    """The stated total when the format states one apart from its lines (Lazada); else Σ nets."""
    charges: tuple[_Charge, ...] = ()

    @property
    def total(self) -> Decimal:
        if self.amount is not None:
            return self.amount
        return sum((order.net for order in self.orders), ZERO) + sum((c.amount for c in self.charges), ZERO)


ADS_TOP_UP: Final = ("Other Services", "Sponsored Discovery - Top up", Decimal(-10000))
"""The Lazada ads top-up `statement_adjustments` puts in a statement: type, fee name, amount (rupiah)."""
LATE_SHIPPING_CHARGE: Final = Decimal(1000)
"""The seller shipping `statement_adjustments` charges again for an order settled in the previous payout."""
NEGATIVE_RELEASE_MARGIN: Final = Decimal(5000)
"""How far below zero `statement_adjustments` takes one Lazada order's release (a seller shipping charge
beyond its value, in its own statement: Lazada's reader adds the row to the order's line)."""
RETURN_SHIPPING_CHARGE: Final = Decimal(15000)
"""The return shipping `statement_adjustments` charges for an order cancelled after shipping (case E10)."""
LOGISTICS_REIMBURSEMENT: Final = ("Logistics reimbursement", Decimal(8000))
"""The TikTok Shop/Tokopedia adjustment row `statement_adjustments` adds: its Type and amount (a credit, rupiah)."""
REFUND_WITHOUT_RETURN: Final = (Decimal(10000), Decimal(700))
"""The Lazada refund no return covers that `statement_adjustments` adds: refund and commission given back."""

FEE_CORRECTION: Final = "fee_correction"
CANCELLED_ORDER_CHARGE: Final = "cancelled_order_charge"
NO_ORDER_ROW: Final = "no_order_row"
ADJUSTMENT_TYPE: Final = "adjustment_type"
NEGATIVE_RELEASE: Final = "negative_release"
REFUND_WITHOUT_RETURN_ROW: Final = "refund_without_return"
LINE_KINDS: Final = (
    FEE_CORRECTION,
    CANCELLED_ORDER_CHARGE,
    NO_ORDER_ROW,
    ADJUSTMENT_TYPE,
    NEGATIVE_RELEASE,
    REFUND_WITHOUT_RETURN_ROW,
)
"""The kinds of `StatementAdjustment.line_kind`, as the demo's report counts them."""


@dataclass(frozen=True)
class StatementAdjustment:
    """A row of a store's export beyond its orders' own: ``order_sn`` None for a row of no order.

    ``amount`` is the row's net, signed as the balance sees it (negative: charged); ``item_amount`` the item
    value it settles (negative: a refund; 0 for a charge or credit); ``kind`` is how omsync books the rest (a
    fee kind); ``line_kind`` one of `LINE_KINDS`.
    """

    payout_id: str
    order_sn: str | None
    kind: str
    amount: Decimal
    row_type: str
    name: str
    line_kind: str = FEE_CORRECTION
    item_amount: Decimal = ZERO

    @property
    def fees(self) -> dict[str, Decimal]:
        """The row's fees as a payout line holds them (positive: kept by the marketplace), zero ones left out."""
        fee = self.item_amount - self.amount
        return {self.kind: fee} if fee else {}


@dataclass(frozen=True)
class EarlyExport:
    """A Shopee income report downloaded before its release date was over: the orders it already holds."""

    paid_on: date
    order_ids: frozenset[str]
    """The Ginee orders (packages) whose rows it holds: a marketplace order split in packages released on
    different days has a row on each day, and an early download holds only the rows released by then."""


def statement_adjustments(scenario: Scenario, store_key: str) -> list[StatementAdjustment]:
    """The extra rows of a store's export (``write_statement(..., adjustments=True)``), by payout id of the facts.

    None when the store has fewer than two payouts. Otherwise, with the first payout's orders that come back in
    no later payout as candidates (in the facts' order):

    - in the second payout, a seller shipping charge of `LATE_SHIPPING_CHARGE` for the first candidate (a fee
      correction for an order settled earlier);
    - in the last payout, a return shipping charge of `RETURN_SHIPPING_CHARGE` for the store's first order
      cancelled after shipping, when it has one (not paid by COD);
    - TikTok Shop/Tokopedia: in the last payout, the `LOGISTICS_REIMBURSEMENT` adjustment row for the first
      other order settled before it (and not returned later);
    - Lazada: the `ADS_TOP_UP` row of no order in the first payout; in the second, a seller shipping charge on
      the order released least there that takes its release `NEGATIVE_RELEASE_MARGIN` below zero; in the last,
      a refund of `REFUND_WITHOUT_RETURN` for the last order settled before it that has no return at all (the
      buyer kept the goods) and no other row here.
    """
    store = scenario.store(store_key)
    dated: dict[str, date] = {}
    first_orders: dict[str, list[str]] = {}
    returned_later = {o.external_order_sn for o in scenario.orders if o.late_return is not None}
    for order in scenario.orders:
        if order.store_key == store.key and order.payout_id is not None:
            day = _settled_on(order)
            dated[order.payout_id] = max(day, dated.get(order.payout_id, day))
            first_orders.setdefault(order.payout_id, []).append(order.external_order_sn)
    for order in scenario.orders:
        late = order.late_return
        if order.store_key == store.key and late is not None:
            day = jakarta_date(late.refund_paid_at)
            dated[late.refund_payout_id] = max(day, dated.get(late.refund_payout_id, day))
    ordered = sorted(dated, key=lambda payout_id: (dated[payout_id], payout_id))
    if len(ordered) < 2:
        return []
    candidates = [sn for sn in first_orders.get(ordered[0], []) if sn not in returned_later]
    earlier = [sn for payout_id in ordered[:-1] for sn in first_orders.get(payout_id, []) if sn not in returned_later]
    adjustments = []
    fmt = files.format_for_channel(store.channel)
    shipping = _LAZADA_NAMES["shipping_difference"]
    if candidates:
        adjustments.append(
            StatementAdjustment(
                ordered[1], candidates[0], "shipping_difference", -LATE_SHIPPING_CHARGE, "Orders-Lazada Fees", shipping
            )
        )
    # Not a COD order: the example mapping invoices COD on delivery, so one cancelled in shipping has no invoice
    # for the charge to name (the import holds such a row unknown_order).
    cancelled = [
        o.external_order_sn
        for o in scenario.orders
        if o.store_key == store.key and o.cancelled_at is not None and o.shipped_at is not None and not o.is_cod
    ]
    if cancelled:
        adjustments.append(
            StatementAdjustment(
                ordered[-1],
                cancelled[0],
                "shipping_difference",
                -RETURN_SHIPPING_CHARGE,
                "Orders-Logistics",
                shipping,
                CANCELLED_ORDER_CHARGE,
            )
        )
    others = [sn for sn in earlier if sn not in candidates[:1]]
    if fmt == "tiktok" and others:
        row_type, credit = LOGISTICS_REIMBURSEMENT
        adjustments.append(
            StatementAdjustment(
                ordered[-1], others[0], files.charge_kind(row_type), credit, row_type, row_type, ADJUSTMENT_TYPE
            )
        )
    if fmt == "lazada":
        row_type, name, amount = ADS_TOP_UP
        adjustments.append(
            StatementAdjustment(ordered[0], None, files.charge_kind(name), amount, row_type, name, NO_ORDER_ROW)
        )
        released = {
            o.external_order_sn: o.released_amount
            for o in scenario.orders
            if o.store_key == store.key and o.payout_id == ordered[1]
        }
        cheapest = sorted(
            (net, sn)
            for sn, net in released.items()
            if net is not None and sn not in returned_later and sn not in candidates[:1]
        )
        if cheapest:
            net, sn = cheapest[0]
            charge = -(net + NEGATIVE_RELEASE_MARGIN)
            adjustments.append(
                StatementAdjustment(
                    ordered[1], sn, "shipping_difference", charge, "Orders-Logistics", shipping, NEGATIVE_RELEASE
                )
            )
        returned = {o.external_order_sn for o in scenario.orders if any(line.returned_quantity for line in o.lines)}
        charged = {extra.order_sn for extra in adjustments}
        kept = [sn for sn in others if sn not in returned and sn not in charged]
        if kept:
            refund, commission_back = REFUND_WITHOUT_RETURN
            adjustments.append(
                StatementAdjustment(
                    ordered[-1],
                    kept[-1],
                    "commission",
                    -refund + commission_back,
                    "Refunds-Sales",
                    files.LAZADA_REVERSAL + "Item Price",
                    REFUND_WITHOUT_RETURN_ROW,
                    item_amount=-refund,
                )
            )
    return adjustments


def early_export(scenario: Scenario, store_key: str) -> EarlyExport | None:
    """The early download a listed Shopee store's export has (a Shopee payout is only a release date): the
    release date with the most orders (the latest of equals), holding the first half of its marketplace orders
    (rounded up) by first release time, each with its packages released that day (a package released another
    day is in that day's report only). Importing it, then the full report, posts that date's other orders as a
    supplement. None for other formats and for a store without a date of two orders."""
    store = scenario.store(store_key)
    if files.format_for_channel(store.channel) != "shopee":
        return None
    by_day: dict[date, list[tuple[datetime, str, str]]] = {}
    for order in scenario.orders:
        if order.store_key == store.key and order.payout_id is not None and order.settled_at is not None:
            by_day.setdefault(_settled_on(order), []).append(
                (order.settled_at, order.external_order_sn, order.order_id)
            )
    if not by_day:
        return None
    paid_on = max(by_day, key=lambda day: (len(by_day[day]), day))
    released = sorted(by_day[paid_on])
    numbers = list(dict.fromkeys(sn for _, sn, _ in released))  # by first release
    if len(numbers) < 2:
        return None
    early = set(numbers[: (len(numbers) + 1) // 2])
    return EarlyExport(paid_on, frozenset(order_id for _, sn, order_id in released if sn in early))


def write_statement(
    scenario: Scenario, store_key: str, fmt: str, *, adjustments: bool = False, early: EarlyExport | None = None
) -> str:
    """The settlement export of a scenario store (key or Ginee shop id) in format ``fmt`` of `files.FORMATS`;
    with ``adjustments``, also the rows of `statement_adjustments`; with ``early`` (`early_export`), only the
    early download: that date's orders it holds, nothing else."""
    store = scenario.store(store_key)
    by_payout: dict[str, list[tuple[date, _Order]]] = {}
    for order in scenario.orders:
        if order.store_key == store.key and order.payout_id is not None:
            if early is not None and order.order_id not in early.order_ids:
                continue
            by_payout.setdefault(order.payout_id, []).append((_settled_on(order), _order(order)))
    if early is not None:
        return _write(
            [
                _Statement(payout_id, early.paid_on, tuple(row for _, row in rows))
                for payout_id, rows in by_payout.items()
            ],
            fmt,
        )
    for order in scenario.orders:
        late = order.late_return
        if order.store_key == store.key and late is not None:
            by_payout.setdefault(late.refund_payout_id, []).append((jakarta_date(late.refund_paid_at), _refund(order)))
    charges: dict[str, list[_Charge]] = {}
    if adjustments:
        for extra in statement_adjustments(scenario, store.key):
            if extra.order_sn is None:
                charges.setdefault(extra.payout_id, []).append(_Charge(extra.row_type, extra.name, extra.amount))
                continue
            paid_on = max(day for day, _ in by_payout[extra.payout_id])
            items = (_Item(f"{extra.order_sn}-1", extra.item_amount),) if extra.item_amount else ()
            adjustment = extra.row_type if extra.line_kind == ADJUSTMENT_TYPE else None
            row = _Order(extra.order_sn, items, extra.fees, extra.amount, adjustment=adjustment)
            by_payout[extra.payout_id].append((paid_on, row))
    statements = [
        _Statement(
            payout_id,
            max(paid_on for paid_on, _ in rows),
            tuple(row for _, row in rows),
            charges=tuple(charges.get(payout_id, ())),
        )
        for payout_id, rows in by_payout.items()
    ]
    return _write(sorted(statements, key=lambda s: (s.paid_on, s.payout_id)), fmt)


def write_payouts(payouts: Sequence[Payout], fmt: str) -> str:
    """Any payouts written as a ``fmt`` export (see the module docstring for what reads back equal)."""
    statements: list[_Statement] = []
    for payout in payouts:
        if fmt == "shopee" and payout.payout_id != files.shopee_payout_id(payout.paid_on):
            raise ValueError(f"a Shopee income report keys payouts by date: {payout.payout_id} cannot be written")
        if fmt != "lazada" and payout.amount != payout.lines_total:
            raise ValueError(f"a {fmt} export states no payout total apart from its lines: {payout.payout_id}")
        if payout.charges and fmt != "lazada":
            raise ValueError(f"a {fmt} export has no rows of no order: {payout.payout_id}")
        orders = tuple(
            _Order(line.order_sn, (_Item(f"{line.order_sn}-1", line.amount),), line.fees, line.net)
            for line in payout.lines
        )
        charges = tuple(_Charge(*_lazada_charge_type(c.label), c.amount) for c in payout.charges)
        statements.append(_Statement(payout.payout_id, payout.paid_on, orders, payout.amount, charges))
    return _write(statements, fmt)


def _lazada_charge_type(label: str) -> tuple[str, str]:
    """A charge's label as the reader made it (``<Transaction Type>: <Fee Name>``) split back."""
    row_type, _, name = label.partition(": ")
    return (row_type, name) if name else ("Other Services", row_type)


def _settled_on(order: OrderFacts) -> date:
    if order.settled_at is None:
        raise ValueError(f"order {order.order_id} has a payout but no settlement time")
    return jakarta_date(order.settled_at)


def _order(order: OrderFacts) -> _Order:
    if order.released_amount is None:
        raise ValueError(f"order {order.order_id} has a payout but no released amount")
    # A bundle's component that came back alone is refunded out of the kept bundles' value (`LineFacts.kept_value`).
    items = tuple(
        _Item(
            line.item_id,
            line.original_price * line.kept_quantity
            - (line.refund_amount if line.component_returned_quantity else ZERO),
            line.seller_discount * line.kept_quantity,
        )
        for line in order.lines
        if line.kept_quantity
    )
    return _Order(
        order_sn=order.external_order_sn,
        items=items,
        fees={kind: value for kind, value in order.file_fees.items() if value != 0},
        net=order.released_amount,
        voucher=order.voucher_seller - order.returned_voucher_share,
        platform_voucher=order.voucher_platform,
        coin=order.coin,
    )


def _refund(order: OrderFacts) -> _Order:
    """A return after settlement: the refund taken back from the seller, the fees on it given back."""
    late = order.late_return
    if late is None:
        raise ValueError(f"order {order.order_id} has no return after settlement")
    fees_back = {kind: -value for kind, value in late.fees_back.items() if value != 0}
    return _Order(
        order_sn=order.external_order_sn,
        items=(_Item(late.item_id, -late.refund),),
        fees=fees_back,
        net=-late.refund - sum(fees_back.values(), ZERO),
    )


def _write(statements: Sequence[_Statement], fmt: str) -> str:
    writers: dict[str, Callable[[Sequence[_Statement]], list[list[str]]]] = {
        "shopee": _shopee_rows,
        "tiktok": _tiktok_rows,
        "lazada": _lazada_rows,
    }
    if fmt not in writers:
        raise ValueError(f"unknown settlement format {fmt!r}; expected one of {', '.join(files.FORMATS)}")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(writers[fmt](statements))
    return out.getvalue()


def _money(value: Decimal) -> str:
    return f"{value + ZERO:f}"


def _by_column(fees: Mapping[str, Decimal], columns: Mapping[str, str], fmt: str) -> dict[str, Decimal]:
    """Each fee in the first column of its kind; a kind the format has no column for is refused."""
    placed: dict[str, Decimal] = {}
    for kind, value in fees.items():
        column = next((name for name, column_kind in columns.items() if column_kind == kind), None)
        if column is None:
            raise ValueError(f"a {fmt} export has no column for fee kind {kind!r}")
        placed[column] = value
    return placed


def _shopee_rows(statements: Sequence[_Statement]) -> list[list[str]]:
    header = [*files.SHOPEE_COLUMNS[:-1], *files.SHOPEE_PLATFORM_COLUMNS, files.SHOPEE_RELEASED]
    rows = [header]
    for statement in statements:
        for order in statement.orders:
            fees = _by_column(order.fees, files.SHOPEE_FEE_COLUMNS, "shopee")
            rows.append(
                [
                    order.order_sn,
                    statement.paid_on.isoformat(),
                    _money(sum((item.price for item in order.items), ZERO)),
                    _money(sum((item.discount for item in order.items), ZERO)),
                    _money(order.voucher),
                    *(_money(fees.get(column, ZERO)) for column in files.SHOPEE_FEE_COLUMNS),
                    _money(order.platform_voucher),
                    _money(order.coin),
                    _money(order.net),
                ]
            )
    return rows


def _tiktok_rows(statements: Sequence[_Statement]) -> list[list[str]]:
    rows = [list(files.TIKTOK_COLUMNS)]
    for statement in statements:
        for order in statement.orders:
            # An adjustment row states only its settlement amount: its Type says the kind.
            fees = _by_column(order.fees, files.TIKTOK_FEE_COLUMNS, "tiktok") if order.adjustment is None else {}
            rows.append(
                [
                    order.order_sn,
                    order.adjustment or (files.TIKTOK_REFUND_TYPE if order.amount < 0 else files.TIKTOK_ORDER_TYPE),
                    statement.payout_id,
                    f"{statement.paid_on:%Y/%m/%d}",
                    _money(order.amount),
                    # Deductions are negative in the export.
                    *(_money(-fees.get(column, ZERO)) for column in files.TIKTOK_FEE_COLUMNS),
                    _money(order.net),
                ]
            )
    return rows


_LAZADA_NAMES = {
    "commission": "Commission",
    "service": "Service Fee",
    "payment": "Payment Fee",
    "order_processing": "Order Processing Fee",
    "affiliate": "Affiliate Commission",
    "shipping_difference": "Shipping Fee Paid by Seller",
}


def _lazada_fee_name(kind: str) -> str:
    name = _LAZADA_NAMES.get(kind) or kind.replace("_", " ").title()
    if files.lazada_fee_kind(name) != kind:
        raise ValueError(f"fee kind {kind!r} has no Lazada fee name that reads back as itself")
    return name


@dataclass
class _LazadaWriter:
    """The rows of one Lazada statement: credits are positive and charges negative; a row against its
    usual sign (an item price taken back, a fee given back) is a ``Reversal …`` row."""

    statement: _Statement
    rows: list[list[str]] = field(default_factory=list)

    def credit(self, order: _Order, item: _Item, withheld: Decimal) -> None:
        if item.price >= 0:
            self._add("Orders-Sales", "Item Price Credit", item.price, order.order_sn, item.item_no, withheld)
        else:
            name = files.LAZADA_REVERSAL + "Item Price"
            self._add("Refunds-Sales", name, item.price, order.order_sn, item.item_no, withheld)

    def charge(self, kind: str, name: str, amount: Decimal, order: _Order, item_no: str = "") -> None:
        if amount > 0:
            kind, name = kind.replace("Orders-", "Refunds-"), files.LAZADA_REVERSAL + name
        self._add(kind, name, amount, order.order_sn, item_no)

    def seller_charge(self, charge: _Charge) -> None:
        self._add(charge.row_type, charge.name, charge.amount, "", details=charge.name)

    def payout(self) -> None:
        total = self.statement.total
        self._add(files.LAZADA_PAYOUT_TYPE, files.LAZADA_PAYOUT_FEE_NAME, -total, "")

    def _add(
        self,
        kind: str,
        name: str,
        amount: Decimal,
        order_sn: str,
        item_no: str = "",
        wht: Decimal = ZERO,
        details: str | None = None,
    ) -> None:
        self.rows.append(
            [
                f"{self.statement.paid_on:%d %b %Y}",
                kind,
                name,
                f"{self.statement.payout_id}-{len(self.rows) + 1:04d}",
                _money(amount),
                "0",
                _money(wht),
                "No",
                self.statement.payout_id,
                "Paid",
                order_sn,
                item_no,
                details or (f"Order {order_sn}" if order_sn else "Transfer to seller bank account"),
            ]
        )


def _lazada_rows(statements: Sequence[_Statement]) -> list[list[str]]:
    header = [*files.LAZADA_COLUMNS[:7], files.LAZADA_WHT_INCLUDED, *files.LAZADA_COLUMNS[7:]]
    rows = [header]
    for statement in statements:
        out = _LazadaWriter(statement)
        for order in statement.orders:
            withheld = order.fees.get(PPH22, ZERO)
            if withheld and not order.items:
                raise ValueError(f"order {order.order_sn}: withholding tax needs an item row to stand on")
            for position, item in enumerate(order.items):
                out.credit(order, item, withheld if position == 0 else ZERO)
                if item.discount:
                    out.charge("Orders-Sales", "Seller Discount", -item.discount, order, item.item_no)
            if order.voucher:
                out.charge("Orders-Sales", "Promotional Charges Vouchers", -order.voucher, order)
            for kind, value in order.fees.items():
                if kind != PPH22:
                    out.charge("Orders-Lazada Fees", _lazada_fee_name(kind), -value, order)
        for charge in statement.charges:
            out.seller_charge(charge)
        out.payout()
        rows.extend(out.rows)
    return rows
