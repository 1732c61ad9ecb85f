"""Returned lines become Sales Returns (Retur Penjualan, ``returnType: INVOICE``) against the order's invoice.

Rules (worked journals in docs/POSTING.md §8–§9):

- one Sales Return per Ginee return, numbered ``<invoice number>-R<k>`` where k is the return's place
  among the order's returns sorted by (created time, return id) — a later return never renumbers an
  earlier one, so each return is posted exactly once;
- each returned line at the invoice's unit price, for the returned quantity (bundle components: their
  share of each returned bundle);
- the line's seller discount is pro-rated by *cumulative rounding*: after returns 1..k of a line the
  discount given back is round_half_up(line discount × units returned so far ÷ units sold); return k
  takes that minus what returns 1..k−1 took. The returns of a line therefore never give back more than
  its discount, and a line returned in full gives back exactly all of it;
- PPN is the return document's own (same rule as invoices: `omsync.posting.amounts`);
- goods go back into the store's return warehouse (else the warehouse they left from);
- only a return accepted and completed with its goods back posts (`return_outcome`): a rejected or cancelled
  return posts nothing, one still open waits, a refund-only one (the buyer keeps the goods) posts no Sales
  Return and its refund follows the payout's ``refund_without_return`` rule (POSTING.md §8c); the Sales
  Return is dated when the goods were received (else the refund, else the request);
- a returned line is matched by its order line id, then by SKU over the lines with units left; one that
  matches none, or asks more units than are left, holds the order ``refund_unmatched`` with the figures;
- a return is what it refunds (`refund_matches`): a refund within the rounding leftover (1 rupiah per unit) of
  the invoiced value of what it names is posted at the refunded amount; one that is not, but is that of some
  units of one component of the bundle line it names, returns those units; any other holds the order
  ``refund_unmatched`` with both figures. A refund of 0 on a return that is no exchange states no figure: the
  units are posted at their invoiced value;
- a returned line naming one component of an exploded bundle returns that component only; one naming (or
  refunding) part of a bundle the invoice carries as one line (``explode_bundles`` off) holds the order
  ``bundle_component_return``: Accurate returns an invoice's item in its own units, and the bundle's
  component is not on the invoice (POSTING.md §8d); an exchange with refund 0 returns nothing (`is_exchange`);
- units gone from Ginee's order after its invoice come back by a correction ``<invoice>-K<k>`` at the
  invoiced prices, computed against the invoice's posted lines (`plan_change_return`, POSTING.md §8a);
- units added after the invoice (`units_added`) correct the invoice while nothing answers to it, else hold the
  order ``quantity_raised`` with the figures (POSTING.md §8a).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from omsync.accurate.documents import ItemTransfer, ItemTransferLine, SalesReturn, SalesReturnItem
from omsync.config.mapping import StoreMapping
from omsync.errors import OnHold
from omsync.ginee.models import Order, OrderItem, ReturnInfo, ReturnLine
from omsync.money import ZERO, round_rupiah
from omsync.posting.invoice import PlannedLine, plan_lines
from omsync.posting.numbers import jakarta_date, return_number

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class PostedReturn:
    """A Sales Return the Ledger records as posted: which Ginee return (or ``cancellation``) and its number."""

    return_id: str
    number: str


@dataclass(frozen=True)
class PostedDocuments:
    """What the Ledger says omsync has already posted for one order (the input of every decision here).

    ``invoice_number`` is set once the Sales Invoice exists in Accurate, ``receipt_number`` once a Sales
    Receipt paid it; ``tombstone`` once the order was cancelled before it was ever invoiced.
    """

    invoice_number: str | None = None
    receipt_number: str | None = None
    returns: tuple[PostedReturn, ...] = field(default=())
    tombstone: bool = False

    def has_return(self, return_id: str) -> bool:
        return any(posted.return_id == return_id for posted in self.returns)


EXCHANGE_REASON = "EXCHANGE"


def is_exchange(ret: ReturnInfo) -> bool:
    """A return that credits nothing: reason ``EXCHANGE`` and no refund, on the return or any of its lines.

    The buyer got a replacement: the sale stands, and the unit back and the replacement out net to nothing in
    Accurate (docs/POSTING.md §8), so no Sales Return is posted and the receipt pays the whole invoice.
    """
    return (
        (ret.reason or "").upper() == EXCHANGE_REASON
        and ret.refund_amount == ZERO
        and all(line.refund_amount == ZERO for line in ret.items)
    )


EXCHANGE_PREFIX = "exchange-"
"""The Ledger records an exchange's stock moves under ``exchange-<return id>`` (send) and ``…-in`` (receipt)."""


def ordered_exchanges(order: Order) -> list[ReturnInfo]:
    """The order's exchanges (`is_exchange`) in the stable order that numbers them: by created time, return id."""
    exchanges = [ret for ret in order.return_infos if is_exchange(ret)]
    return sorted(exchanges, key=lambda ret: (ret.create_at or _EPOCH, ret.return_id))


@dataclass(frozen=True)
class ExchangeMove:
    """An exchange's stock moves as Accurate documents: the replacement out of the warehouse the sale left from,
    the returned unit into the return warehouse — one Item Transfer sent (``send``) and received (``receive``)."""

    return_id: str
    send: ItemTransfer
    receive: ItemTransfer


def exchange_transfer_numbers(invoice_no: str, position: int) -> tuple[str, str]:
    """The numbers of the ``position``-th (1-based) exchange's transfer: sent ``-XO<k>``, received ``-XI<k>``."""
    return return_number(invoice_no, f"-XO{position}"), return_number(invoice_no, f"-XI{position}")


def plan_exchange_moves(
    order: Order,
    store: StoreMapping,
    invoice_no: str,
    component_prices: Mapping[str, Decimal] | None = None,
) -> list[ExchangeMove]:
    """The stock moves of the order's exchanges (docs/POSTING.md §8b): the sale stands, the returned unit comes
    into the store's return warehouse and the replacement leaves the warehouse the sale left from, so the net
    move is those units from that warehouse to the return warehouse — an Item Transfer, no journal. None for an
    exchange whose units go back where they left from (nothing moves).

    Lines are matched as for returns (`_units_of`: line id, then SKU); raises `OnHold` (``refund_unmatched``)
    when an exchange names nothing the invoice sold. Only an exchange completed with its unit back moves stock
    (`return_outcome`).
    """
    lines = plan_lines(order, store, component_prices or {})
    sold = sold_per_item(lines)
    by_key = {line_key(line): line for line in lines}
    moves: list[ExchangeMove] = []
    for position, ret in enumerate(ordered_exchanges(order), start=1):
        if return_outcome(ret) is not ReturnOutcome.GOODS_BACK:
            continue  # a rejected or open exchange moves nothing, and keeps its number (§8c)
        units = _quantities(ret, lines, sold, {}).units
        per_pair: dict[tuple[str, str], dict[str, int]] = {}
        for key, quantity in units.items():
            line = by_key[key]
            target = store.return_warehouse_for(line.warehouse)
            if quantity <= 0 or target == line.warehouse:
                continue
            skus = per_pair.setdefault((line.warehouse, target), {})
            skus[line.sku] = skus.get(line.sku, 0) + quantity
        if not per_pair:
            continue
        if len(per_pair) > 1:
            raise OnHold(
                "exchange_warehouses",
                f"exchange {ret.return_id} of order {order.external_order_sn or order.order_id} takes units from "
                f"{len(per_pair)} warehouses; omsync moves an exchange's units between one pair of warehouses",
                "move the units by hand in Accurate (Pemindahan Barang), then close the exchange in Ginee",
            )
        [((source, target), skus)] = per_pair.items()
        sent_no, received_no = exchange_transfer_numbers(invoice_no, position)
        when = jakarta_date(ret.create_at or order.last_update_at or order.pay_at or order.create_at or _EPOCH)
        items = [ItemTransferLine(item_no=sku, quantity=Decimal(quantity)) for sku, quantity in skus.items()]
        about = f"Exchange {ret.return_id} of order {order.external_order_sn or order.order_id}"
        send = ItemTransfer(
            number=sent_no,
            item_transfer_type="TRANSFER_OUT",
            trans_date=when,
            warehouse_name=source,
            reference_warehouse_name=target,
            branch_name=store.branch,
            description=f"{about}: the replacement out",
            detail_item=items,
        )
        receive = send.model_copy(
            update={
                "number": received_no,
                "item_transfer_type": "TRANSFER_IN",
                "warehouse_name": target,
                "reference_warehouse_name": source,
                "from_item_transfer_no": sent_no,
                "description": f"{about}: the returned unit in",
            }
        )
        moves.append(ExchangeMove(ret.return_id, send, receive))
    return moves


class ReturnOutcome(StrEnum):
    """What a Ginee return does to the books (docs/POSTING.md §8c)."""

    GOODS_BACK = "goods_back"
    """Accepted, the goods received and the refund made: a Sales Return, the goods back in stock."""
    REFUND_ONLY = "refund_only"
    """Refunded while the buyer keeps the goods: no Sales Return and no stock; the refund is a price reduction
    by the payout's ``refund_without_return`` rule (held by default)."""
    REJECTED = "rejected"
    """Rejected by the seller or marketplace, or withdrawn by the buyer: nothing is posted."""
    OPEN = "open"
    """Still being decided (requested, goods on their way): nothing yet; the order changes again when it ends."""


RETURN_COMPLETED = "COMPLETED"
RETURN_CLOSED_UNPAID = frozenset({"REJECTED", "CANCELLED"})
REFUND_ONLY_TYPE = "REFUND_ONLY"


def return_outcome(ret: ReturnInfo) -> ReturnOutcome:
    """The outcome of a return by its ``status`` and ``returnType`` (the sandbox's shape, ARCHITECTURE §5).

    ``COMPLETED`` with goods (``RETURN_REFUND``, or no type) → `GOODS_BACK`; ``COMPLETED`` ``REFUND_ONLY`` →
    `REFUND_ONLY`; ``REJECTED``/``CANCELLED`` → `REJECTED`; any other status (``REQUESTED`` …) → `OPEN`.
    A return without a status is taken as completed with its goods back (returns recorded before Ginee's
    status was read carried none).
    """
    status = (ret.status or RETURN_COMPLETED).upper()
    if status in RETURN_CLOSED_UNPAID:
        return ReturnOutcome.REJECTED
    if status != RETURN_COMPLETED:
        return ReturnOutcome.OPEN
    if (ret.return_type or "").upper() == REFUND_ONLY_TYPE:
        return ReturnOutcome.REFUND_ONLY
    return ReturnOutcome.GOODS_BACK


def ordered_returns(order: Order) -> list[ReturnInfo]:
    """The order's returns that may credit the invoice (every return but exchanges, `is_exchange`, whatever its
    outcome), in the stable order that numbers them: by created time, then return id. A return that posts
    nothing keeps its number unused, so a return decided later never renumbers one already posted."""
    credited = [ret for ret in order.return_infos if not is_exchange(ret)]
    return sorted(credited, key=lambda ret: (ret.create_at or _EPOCH, ret.return_id))


def returns_to_post(order: Order) -> list[ReturnInfo]:
    """The returns of `ordered_returns` that post a Sales Return (`ReturnOutcome.GOODS_BACK`)."""
    return [ret for ret in ordered_returns(order) if return_outcome(ret) is ReturnOutcome.GOODS_BACK]


def return_date(ret: ReturnInfo, order: Order) -> datetime:
    """When a return is booked: the goods received, else the refund made, else the request (then the order's
    last change); an open request is not a return yet (docs/POSTING.md §8c)."""
    return (
        ret.received_at or ret.refund_at or ret.create_at or order.last_update_at or order.pay_at or order.create_at
    ) or _EPOCH


def sales_return_number(invoice_no: str, position: int) -> str:
    """The number of the ``position``-th (1-based) return of an invoice."""
    return return_number(invoice_no, f"-R{position}")


def plan_sales_returns(
    order: Order,
    store: StoreMapping,
    posted: PostedDocuments,
    component_prices: Mapping[str, Decimal] | None = None,
) -> list[SalesReturn]:
    """The Sales Returns still to post for the order's returns (none before the order is invoiced).

    A returned line is matched to the invoice by its item id, else by SKU; a line naming a component of a
    bundle (its ``masterSku`` is the component's) returns that component, its quantity in the component's
    units; one naming the bundle returns whole bundles. Exchanges (`is_exchange`) and returns that are not
    `ReturnOutcome.GOODS_BACK` return nothing; each is dated by `return_date`.
    """
    if posted.invoice_number is None:
        return []
    lines = plan_lines(order, store, component_prices or {})
    sold = sold_per_item(lines)
    unexploded = unexploded_bundles(order, store, component_prices or {})
    returned_before: dict[str, int] = {}
    planned: list[SalesReturn] = []
    for position, ret in enumerate(ordered_returns(order), start=1):
        if return_outcome(ret) is not ReturnOutcome.GOODS_BACK:
            continue
        taken = _quantities(ret, lines, sold, returned_before, unexploded)
        this_return = taken.units
        returned_after = {key: returned_before.get(key, 0) + this_return.get(key, 0) for key in sold}
        if not posted.has_return(ret.return_id) and any(this_return.values()):
            moment = return_date(ret, order)
            sales_return = build_sales_return(
                number=sales_return_number(posted.invoice_number, position),
                invoice_no=posted.invoice_number,
                store=store,
                lines=lines,
                sold=sold,
                before=returned_before,
                after=returned_after,
                when=moment,
                description=f"Return {ret.return_id} of order {order.external_order_sn or order.order_id}",
                to_return_warehouse=True,
                refund_gap=taken.refund_gap,
            )
            if sales_return is not None:
                planned.append(sales_return)
        returned_before = returned_after
    return planned


def returned_so_far(
    lines: Sequence[PlannedLine], sold: Mapping[str, int], upto: Sequence[ReturnInfo]
) -> dict[str, int]:
    """Units returned by the given returns per invoice line (`line_key`), capped at what was sold."""
    total: dict[str, int] = {}
    for ret in upto:
        for key, quantity in _quantities(ret, lines, sold, total).units.items():
            total[key] = total.get(key, 0) + quantity
    return total


def build_sales_return(
    *,
    number: str,
    invoice_no: str,
    store: StoreMapping,
    lines: Sequence[PlannedLine],
    sold: Mapping[str, int],
    before: Mapping[str, int],
    after: Mapping[str, int],
    when: datetime,
    description: str,
    to_return_warehouse: bool,
    refund_gap: Mapping[str, Decimal] | None = None,
) -> SalesReturn | None:
    """A Sales Return of the units between ``before`` and ``after`` (units per invoice line, `line_key`).

    ``refund_gap``: rupiah per invoice line by which the refund is below the units' invoiced value (negative:
    above), added to the line's discount so the return credits what was refunded (`refund_matches`).
    None when nothing lies between them.
    """
    items: list[SalesReturnItem] = []
    for line in lines:
        key = line_key(line)
        returned = after.get(key, 0) - before.get(key, 0)
        if returned <= 0:
            continue
        discount = _cumulative_share(line.discount, after.get(key, 0), sold[key]) - _cumulative_share(
            line.discount, before.get(key, 0), sold[key]
        )
        discount += (refund_gap or {}).get(key, ZERO)
        warehouse = store.return_warehouse_for(line.warehouse) if to_return_warehouse else line.warehouse
        items.append(
            SalesReturnItem(
                item_no=line.sku,
                unit_price=line.unit_price,
                quantity=Decimal(returned),
                item_cash_discount=discount if discount else None,
                warehouse_name=warehouse,
                use_tax1=True if store.tax.pkp else None,
            )
        )
    if not items:
        return None
    return SalesReturn(
        number=number,
        customer_no=store.customer_no,
        branch_name=store.branch,
        return_type="INVOICE",
        invoice_number=invoice_no,
        trans_date=jakarta_date(when),
        description=description,
        taxable=store.tax.pkp,
        inclusive_tax=store.tax.prices_include_ppn if store.tax.pkp else None,
        detail_item=items,
    )


class InvoicedLine(Protocol):
    """A line as it was posted (the Ledger's record): SKU, quantity in SKU units, unit price and the line's whole
    seller discount in rupiah, the warehouse it left from, and whether it carries PPN."""

    @property
    def sku(self) -> str: ...
    @property
    def quantity(self) -> int: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def discount(self) -> Decimal: ...
    @property
    def warehouse(self) -> str: ...
    @property
    def taxed(self) -> bool: ...


CHANGE_RETURN_PREFIX = "change-"
"""The Ledger records the k-th correction for lines gone from the order under return id ``change-<k>``."""


def change_return_number(invoice_no: str, position: int) -> str:
    """The number of the ``position``-th (1-based) correction of an invoice for lines gone from the order."""
    return return_number(invoice_no, f"-K{position}")


def units_gone(
    order: Order,
    store: StoreMapping,
    invoiced: Sequence[InvoicedLine],
    corrected: Sequence[InvoicedLine],
    component_prices: Mapping[str, Decimal] | None = None,
) -> dict[str, int]:
    """Units per SKU the invoice sold that Ginee's order no longer has (a line cancelled or its quantity
    lowered after the invoice), less those earlier corrections took back; only SKUs with units gone.

    ``invoiced``: the invoice's lines as posted; ``corrected``: the lines of the corrections posted so far.
    Raises `OnHold` as `plan_lines` does.
    """
    now: dict[str, int] = {}
    for planned in plan_lines(order, store, component_prices or {}):
        now[planned.sku] = now.get(planned.sku, 0) + planned.quantity
    gone: dict[str, int] = {}
    for line in invoiced:
        gone[line.sku] = gone.get(line.sku, 0) + line.quantity
    for sku in list(gone):
        gone[sku] -= now.get(sku, 0) + sum(line.quantity for line in corrected if line.sku == sku)
    return {sku: units for sku, units in gone.items() if units > 0}


def units_added(
    order: Order,
    store: StoreMapping,
    invoiced: Sequence[InvoicedLine],
    corrected: Sequence[InvoicedLine],
    component_prices: Mapping[str, Decimal] | None = None,
) -> dict[str, int]:
    """Units per SKU Ginee's order has now beyond what the invoice still sells (its lines less the corrections'):
    a quantity raised or a line added after the invoice; only SKUs with units added.

    Raises `OnHold` as `plan_lines` does.
    """
    standing: dict[str, int] = {}
    for line in invoiced:
        standing[line.sku] = standing.get(line.sku, 0) + line.quantity
    for line in corrected:
        standing[line.sku] = standing.get(line.sku, 0) - line.quantity
    now: dict[str, int] = {}
    for planned in plan_lines(order, store, component_prices or {}):
        now[planned.sku] = now.get(planned.sku, 0) + planned.quantity
    return {sku: units - standing.get(sku, 0) for sku, units in now.items() if units > standing.get(sku, 0)}


QUANTITY_RAISED = "quantity_raised"
"""The hold cause of an order with units added after an invoice that other documents already answer to."""


def quantity_raised_hold(
    order: Order, invoice_no: str, added: Mapping[str, int], invoiced: Sequence[InvoicedLine], why: str
) -> OnHold:
    """The hold of units added to Ginee's order after its invoice ``invoice_no`` when the invoice can no longer be
    corrected (``why``: what references it), with the figures: units added per SKU and what the invoice sold."""
    sold = ", ".join(f"{line.sku} × {line.quantity} at {line.unit_price:,}" for line in invoiced) or "nothing"
    more = ", ".join(f"{sku} +{units}" for sku, units in sorted(added.items()))
    return OnHold(
        QUANTITY_RAISED,
        f"order {order.external_order_sn or order.order_id} has units added since invoice {invoice_no} ({more}; the "
        f"invoice sold {sold}), and the invoice cannot be corrected: {why}",
        "invoice the added units by hand in Accurate (a Sales Invoice for the difference), or undo the change in "
        "Ginee; the order is retried automatically",
    )


def plan_change_return(
    order: Order,
    store: StoreMapping,
    invoice_no: str,
    invoiced: Sequence[InvoicedLine],
    corrected: Sequence[InvoicedLine],
    position: int,
    when: datetime,
    component_prices: Mapping[str, Decimal] | None = None,
) -> SalesReturn | None:
    """The Sales Return of what left Ginee's order after it was invoiced (`units_gone`), None when nothing did.

    Each unit goes back at the price it was invoiced at, into the warehouse it left from (it never reached the
    buyer); a line's discount is given back by cumulative rounding over the units corrected so far, as for
    returns. Numbered `change_return_number` (``<invoice>-K<position>``).
    """
    gone = units_gone(order, store, invoiced, corrected, component_prices)
    if not gone:
        return None
    items: list[SalesReturnItem] = []
    for sku, units in gone.items():
        skip = sum(line.quantity for line in corrected if line.sku == sku)
        for line in (line for line in invoiced if line.sku == sku):
            already = min(skip, line.quantity)
            skip -= already
            take = min(line.quantity - already, units)
            if take <= 0:
                continue
            units -= take
            discount = _cumulative_share(line.discount, already + take, line.quantity) - _cumulative_share(
                line.discount, already, line.quantity
            )
            items.append(
                SalesReturnItem(
                    item_no=sku,
                    unit_price=line.unit_price,
                    quantity=Decimal(take),
                    item_cash_discount=discount if discount else None,
                    warehouse_name=line.warehouse,
                    use_tax1=True if line.taxed else None,
                )
            )
    if not items:
        return None
    return SalesReturn(
        number=change_return_number(invoice_no, position),
        customer_no=store.customer_no,
        branch_name=store.branch,
        return_type="INVOICE",
        invoice_number=invoice_no,
        trans_date=jakarta_date(when),
        description=f"Lines gone from order {order.external_order_sn or order.order_id} after its invoice",
        taxable=store.tax.pkp,
        inclusive_tax=store.tax.prices_include_ppn if store.tax.pkp else None,
        detail_item=items,
    )


def line_key(line: PlannedLine) -> str:
    """The key of one invoice line among the order's: its order line and its SKU (a bundle's component)."""
    return f"{line.order_item_id}#{line.sku}"


def sold_per_item(lines: Sequence[PlannedLine]) -> dict[str, int]:
    """Units sold per invoice line (`line_key`), in the line's own SKU units (a bundle's components exploded)."""
    sold: dict[str, int] = {}
    for line in lines:
        sold[line_key(line)] = sold.get(line_key(line), 0) + line.quantity
    return sold


REFUND_UNMATCHED = "refund_unmatched"
"""The hold cause of a return naming no invoice line, or more units than the line has left unreturned."""


ROUNDING_LEFTOVER_PER_UNIT = Decimal(1)
"""How far a refund may be from the invoiced value of the units it returns and still be theirs, per unit: the
invoice's per-unit amounts are whole rupiah rounded from splits (bundle components, discount shares), so a
marketplace computing the same refund its own way lands within a rupiah a unit."""


def refund_matches(refund: Decimal, value: Decimal, units: int) -> bool:
    """Whether a refund (rupiah) is the invoiced ``value`` (rupiah) of ``units`` returned units, within the
    rounding leftover (`ROUNDING_LEFTOVER_PER_UNIT` per unit)."""
    return abs(refund - value) <= ROUNDING_LEFTOVER_PER_UNIT * max(units, 1)


@dataclass(frozen=True)
class _Taken:
    """What one return takes back: units per invoice line (`line_key`), and per line the rupiah by which its
    refund is below their invoiced value (`build_sales_return`'s ``refund_gap``)."""

    units: dict[str, int]
    refund_gap: dict[str, Decimal]


def unexploded_bundles(
    order: Order, store: StoreMapping, component_prices: Mapping[str, Decimal]
) -> dict[str, list[PlannedLine]]:
    """The order's bundle lines the invoice carries as one line (``explode_bundles`` off), by order line id
    (`line_key`'s first part), each as the components it would be exploded into: their shares of its price say
    what part of the bundle a refund is. Empty for a store that explodes bundles or an order without one."""
    if store.explode_bundles or not any(item.quantity > 0 and item.bundle_skus for item in order.items):
        return {}
    exploded = plan_lines(order, store.model_copy(update={"explode_bundles": True}), component_prices)
    bundles: dict[str, list[PlannedLine]] = {}
    for item in _bundle_items(order):
        parts = [line for line in exploded if line.order_item_id == (item.item_id or item.master_sku or item.sku)]
        if parts:
            bundles[parts[0].order_item_id] = parts
    return bundles


def _bundle_items(order: Order) -> list[OrderItem]:
    return [item for item in order.items if item.quantity > 0 and item.bundle_skus]


def _quantities(
    ret: ReturnInfo,
    lines: Sequence[PlannedLine],
    sold: Mapping[str, int],
    before: Mapping[str, int],
    unexploded: Mapping[str, Sequence[PlannedLine]] | None = None,
) -> _Taken:
    """What this return takes back (`_Taken`), each returned line checked against its refund (`refund_matches`).

    A returned line's refund is its own, else — when it is the return's only line — the return's. Raises
    `OnHold` ``refund_unmatched`` when a returned line names no invoice line, more units than are left
    unreturned, or a refund that is neither the invoiced value of what it names nor of some units of one
    component of that bundle line (crediting a guess would reverse a sale that stands or leave a refund on the
    receivable); ``bundle_component_return`` when it names or refunds part of a bundle the invoice carries as
    one line (``unexploded``, from `unexploded_bundles`).
    """
    taken: dict[str, int] = {}
    gap: dict[str, Decimal] = {}
    returning = [returned for returned in ret.items if returned.quantity > 0]
    if ret.refund_amount > ZERO and not returning:
        raise _unmatched_hold(ret, None, lines)
    for returned in returning:
        left = {key: sold[key] - before.get(key, 0) - taken.get(key, 0) for key in sold}
        done = {key: before.get(key, 0) + taken.get(key, 0) for key in sold}
        units = _units_of(returned, lines, left)
        bundle = _unexploded_bundle_of(returned, lines, unexploded or {})
        if bundle is not None and returned.master_sku in {part.sku for part in bundle}:
            raise _bundle_component_hold(ret, returned, bundle, _refund_of(ret, returned, len(returning)))
        if units is None:
            raise _unmatched_hold(ret, returned, lines)
        refund = _refund_of(ret, returned, len(returning))
        if refund is not None:
            units, line_gap = _by_refund(ret, returned, refund, units, lines, sold, done, left, bundle)
            for key, amount in line_gap.items():
                gap[key] = gap.get(key, ZERO) + amount
        for key, quantity in units:
            taken[key] = taken.get(key, 0) + quantity
    return _Taken(taken, gap)


def _refund_of(ret: ReturnInfo, returned: ReturnLine, lines_returning: int) -> Decimal | None:
    """The refund a returned line states: its own, else the return's when it is the only line; None when
    neither states one (a refund of 0 on a return that is no exchange says nothing of its value)."""
    if returned.refund_amount > ZERO:
        return returned.refund_amount
    if lines_returning == 1 and ret.refund_amount > ZERO:
        return ret.refund_amount
    return None


def _value(line: PlannedLine, units: int, done: int, sold: int) -> Decimal:
    """The invoiced value (rupiah, tax as invoiced) of ``units`` more units of ``line`` after ``done`` returned:
    their price less their share of its discount by cumulative rounding (as `build_sales_return` credits)."""
    return line.unit_price * units - (
        _cumulative_share(line.discount, done + units, sold) - _cumulative_share(line.discount, done, sold)
    )


def _by_refund(
    ret: ReturnInfo,
    returned: ReturnLine,
    refund: Decimal,
    units: list[tuple[str, int]],
    lines: Sequence[PlannedLine],
    sold: Mapping[str, int],
    done: Mapping[str, int],
    left: Mapping[str, int],
    bundle: Sequence[PlannedLine] | None,
) -> tuple[list[tuple[str, int]], dict[str, Decimal]]:
    """The units a returned line takes by its refund, and the rupiah its refund is below their invoiced value
    (on the last of them): the units it names when the refund is their value (`refund_matches`), else some
    units of one component of the (exploded) bundle line it names whose value the refund is."""
    by_key = {line_key(line): line for line in lines}
    value = sum((_value(by_key[key], quantity, done[key], sold[key]) for key, quantity in units), ZERO)
    count = sum(quantity for _, quantity in units)
    gross = sum((by_key[key].unit_price * quantity for key, quantity in units), ZERO)
    if refund_matches(refund, value, count) and refund <= gross:
        return units, {units[-1][0]: value - refund}
    if bundle is not None:
        raise _bundle_component_hold(ret, returned, bundle, refund)
    order_line = [line for line in lines if line.order_item_id == by_key[units[0][0]].order_item_id]
    is_bundle = len(order_line) > 1 or order_line[0].units_per_order_unit > 1
    names_a_component = is_bundle and returned.master_sku in {line.sku for line in order_line}
    # A line naming the whole bundle may refund part of it; one naming a component refunds that component.
    for line in order_line if is_bundle and not names_a_component else []:
        key = line_key(line)
        for quantity in range(1, left[key] + 1):
            component_value = _value(line, quantity, done[key], sold[key])
            if refund_matches(refund, component_value, quantity) and refund <= line.unit_price * quantity:
                return [(key, quantity)], {key: component_value - refund}
    raise _refund_differs_hold(ret, returned, refund, value)


def _unexploded_bundle_of(
    returned: ReturnLine, lines: Sequence[PlannedLine], unexploded: Mapping[str, Sequence[PlannedLine]]
) -> Sequence[PlannedLine] | None:
    """The components of the unexploded bundle line a returned line names, None when it names no such line: by
    order line id; without one, by the bundle's SKU, or a component's SKU no other invoice line sells."""
    plain = {line.sku for line in lines if line.order_item_id not in unexploded}
    for order_line, parts in unexploded.items():
        if returned.item_id is not None:
            if returned.item_id == order_line:
                return parts
            continue
        bundle_skus = {line.sku for line in lines if line.order_item_id == order_line} | {order_line}
        components = {part.sku for part in parts} - plain
        if returned.master_sku in bundle_skus | components:
            return parts
    return None


def _units_of(
    returned: ReturnLine, lines: Sequence[PlannedLine], left: Mapping[str, int]
) -> list[tuple[str, int]] | None:
    """The invoice lines one returned line names, with the units it returns of each (SKU units); None when it
    matches none, or asks more units than they have ``left`` unreturned.

    Matched by the order line's id first: a returned line whose SKU is one of that order line's components
    returns that component only, otherwise the whole order line (a bundle: each component × its quantity per
    bundle). Without an id match, by SKU (a plain line's, or a bundle component's) over the lines that still
    have units left, in invoice order, so two lines of one SKU are returned one after the other.
    """
    of_item = [line for line in lines if returned.item_id is not None and line.order_item_id == returned.item_id]
    same_sku = [line for line in lines if returned.master_sku is not None and line.sku == returned.master_sku]
    if not of_item and not same_sku:
        # An order line without an id is known by its SKU: a bundle's is the bundle's own SKU.
        of_item = [
            line for line in lines if returned.master_sku is not None and line.order_item_id == returned.master_sku
        ]
    if of_item:
        component = [line for line in of_item if line.sku == returned.master_sku]
        if component:
            wanted = [(line_key(component[0]), returned.quantity)]
        else:
            wanted = [(line_key(line), returned.quantity * line.units_per_order_unit) for line in of_item]
        return wanted if all(units <= left[key] for key, units in wanted) else None
    need = returned.quantity
    units: list[tuple[str, int]] = []
    for line in same_sku:
        take = min(need, left[line_key(line)])
        if take > 0:
            units.append((line_key(line), take))
            need -= take
    return units if same_sku and need == 0 else None


def _unmatched_hold(ret: ReturnInfo, returned: ReturnLine | None, lines: Sequence[PlannedLine]) -> OnHold:
    """The hold of a return that matches no invoice line, with the figures of both (SKUs, units, rupiah);
    ``returned`` None: the return refunds money and names no line at all."""
    sold = ", ".join(f"{line.sku} × {line.quantity} ({line.net:,})" for line in lines) or "nothing"
    what = (
        f"{returned.master_sku or returned.item_id} × {returned.quantity} (refund {returned.refund_amount:,})"
        if returned is not None
        else f"a refund of {ret.refund_amount:,} with no returned line"
    )
    return OnHold(
        REFUND_UNMATCHED,
        f"return {ret.return_id}: {what} matches no invoiced line with units left to return; the invoice sold {sold}",
        "correct the return in Ginee (its item and quantity) so it names what the invoice sold, or credit it by "
        "hand in Accurate (Retur Penjualan) and close the return in Ginee; the order is retried automatically",
    )


def _refund_differs_hold(ret: ReturnInfo, returned: ReturnLine, refund: Decimal, value: Decimal) -> OnHold:
    """The hold of a returned line whose refund is not the invoiced value of what it names (nor of some units of
    one component of the bundle it names), with both figures in rupiah."""
    return OnHold(
        REFUND_UNMATCHED,
        f"return {ret.return_id}: {returned.master_sku or returned.item_id} × {returned.quantity} refunds "
        f"{refund:,}, which is not the {value:,} the invoice charged for those units (nor the value of any part of "
        "the line)",
        "correct the return in Ginee (its item, quantity and refund) so it names what was refunded, or credit it by "
        "hand in Accurate (Retur Penjualan at the refunded amount) and close the return in Ginee; the order is "
        "retried automatically",
    )


BUNDLE_COMPONENT_RETURN = "bundle_component_return"
"""The hold cause of a return of part of a bundle the invoice carries as one line (``explode_bundles`` off)."""


def _bundle_component_hold(
    ret: ReturnInfo, returned: ReturnLine, bundle: Sequence[PlannedLine], refund: Decimal | None
) -> OnHold:
    """The hold of a return naming (or refunding) part of a bundle invoiced as one line, with the figures: what
    came back, its refund, the bundle's units and each component's share of the bundle line (rupiah)."""
    shares = ", ".join(f"{part.sku} × {part.quantity} ({part.net:,})" for part in bundle)
    refunded = f"refund {refund:,}" if refund is not None else "no refund stated"
    return OnHold(
        BUNDLE_COMPONENT_RETURN,
        f"return {ret.return_id}: {returned.master_sku or returned.item_id} × {returned.quantity} ({refunded}) is "
        f"part of bundle line {bundle[0].order_item_id}, invoiced as one line (its parts: {shares}); Accurate "
        "returns an invoice's item only in its own units, and the part is not on the invoice",
        "credit it by hand in Accurate as docs/POSTING.md §8d shows (a Retur Penjualan of the bundle line at the "
        "refunded amount, and an Item Adjustment of the bundle out and the part in on the cost-of-goods account), "
        "then close the return in Ginee; stores whose Accurate stocks the parts set explode_bundles: true",
    )


def _cumulative_share(amount: Decimal, units: int, of_units: int) -> Decimal:
    if units >= of_units:
        return amount
    return round_rupiah(amount * units / of_units) if of_units else ZERO
