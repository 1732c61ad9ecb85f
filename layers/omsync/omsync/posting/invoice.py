"""An order that reached its store's trigger status becomes one Sales Invoice (Faktur Penjualan).

The rules, each with a worked journal, are in docs/POSTING.md; the short form:

- customer, branch and number from the store mapping; number = prefix + marketplace order number;
- one line per order line by master SKU (bundles exploded into their components when the store says so);
- unit price = the marketplace's original price; the line discount = every *seller-funded* discount
  (the item's own seller discount plus its share of the seller's order voucher). Platform vouchers, coins
  and subsidies are not the seller's discount and appear nowhere;
- PKP stores: the PPN tax on every line, prices inclusive or exclusive per the mapping, and the DPP choice the
  mapping declares (``taxType: DPP_NILAILAIN`` for "DPP Nilai Lain" 11/12, docs/POSTING.md §3a);
- buyer-paid shipping per the store rule: an untaxed charge line (``detailExpense``), or on a PKP store that books
  it as revenue a taxed line of its shipping service item, inside the DPP (docs/POSTING.md §4);
- transDate = the paid date in Asia/Jakarta.

Amounts are whole rupiah: every split (voucher over lines, bundle over components) rounds half up and
gives the last share the remainder, so the parts always add up to the whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal

from omsync.accurate.documents import ITEM_CODE_MAX_LENGTH, SalesInvoice, SalesInvoiceExpense, SalesInvoiceItem
from omsync.config.mapping import StoreMapping, VoucherAbovePrice, ZeroQuantityLines
from omsync.errors import OnHold, PermanentError
from omsync.ginee.models import Order, OrderItem
from omsync.money import ZERO, round_rupiah
from omsync.posting.numbers import invoice_number, jakarta_date

SHIPPING_EXPENSE_NAME = "Ongkos kirim dibayar pembeli"
"""The name of the buyer's shipping on an invoice: its charge line's ``expenseName``, or the ``detailName`` of its
taxed line (`is_buyer_shipping`)."""
DPP_NILAI_LAIN = "DPP_NILAILAIN"
"""The invoice's ``taxType`` that takes PPN on "DPP Nilai Lain" 11/12 of the price (Accurate's e-Faktur code 04;
reference/accurate-spec.md, enum customerTaxType)."""
# The currency of the Accurate databases omsync posts to (Indonesian companies keep their books in rupiah).
BOOK_CURRENCY = "IDR"
_NEVER_CREATED = datetime.max.replace(tzinfo=UTC)
_GINEE_ORDER = re.compile(r"\(Ginee ([^()\s]+)\)\s*$")


@dataclass(frozen=True)
class PlannedLine:
    """One invoice line before it becomes Accurate's ``detailItem``, remembering the order line it came from.

    ``quantity`` is in the SKU's own units (a bundle component: per-bundle quantity × bundles sold);
    ``gross`` = unit price × quantity and ``discount`` are whole rupiah.
    """

    order_item_id: str
    sku: str
    quantity: int
    unit_price: Decimal
    discount: Decimal
    warehouse: str
    units_per_order_unit: int = 1
    """How many of this SKU one unit of the order line holds (1, or the component quantity of a bundle)."""

    @property
    def gross(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def net(self) -> Decimal:
        """What the buyer pays the seller for this line, tax included when prices include it."""
        return self.gross - self.discount


def marketplace_order_number(order: Order) -> str:
    """The order number the seller sees on the marketplace (``externalOrderSn``), else Ginee's order id."""
    return order.external_order_sn or order.external_order_id or order.order_id


def sales_invoice_number(order: Order, store: StoreMapping) -> str:
    """The deterministic Sales Invoice number of an order."""
    return invoice_number(store.number_prefix, marketplace_order_number(order))


def plain_number_package(packages: Iterable[Order]) -> str:
    """Of the packages of one marketplace order (the Ginee orders of one shop sharing its ``externalOrderSn``), the
    Ginee order id whose Sales Invoice bears the plain number (`sales_invoice_number`); every other package's bears
    `invoice_number_apart`. The package Ginee created first (``createAt``) keeps it, a tie goes to the smallest
    Ginee order id, a package without ``createAt`` ranks last. Raises ValueError when given no package.

    Why creation time: every package created before a given one already exists in Ginee when that one is
    invoiced, so whichever package is invoiced first sees every package ranked before it, and the numbers never
    depend on the order in which the packages' webhooks arrive (docs/POSTING.md §6).
    """
    return min(packages, key=lambda package: (package.create_at or _NEVER_CREATED, package.order_id)).order_id


def ginee_order_named(description: str) -> str | None:
    """The Ginee order id an invoice's description names (it ends ``(Ginee <order id>)``), else None.

    Accurate keeps the description as posted, so it tells whose invoice a number belongs to when two Ginee
    orders share a marketplace number (docs/POSTING.md §6).
    """
    match = _GINEE_ORDER.search(description)
    return match.group(1) if match else None


def _require_rupiah(order: Order) -> None:
    """Hold an order Ginee states in another currency: its amounts are not rupiah, and omsync books rupiah.

    The Accurate databases omsync serves keep their books in IDR; an order in MYR booked with its numbers
    as rupiah would be off by three orders of magnitude (2 × MYR 25.90 is not Rp 52).
    """
    stated = {c.strip().upper() for c in (order.currency, order.payment_info.currency) if c and c.strip()}
    foreign = sorted(stated - {BOOK_CURRENCY})
    if foreign:
        raise OnHold(
            "unsupported_currency",
            f"order {marketplace_order_number(order)} is in {', '.join(foreign)}; the Accurate books are in "
            f"{BOOK_CURRENCY}",
            "book it by hand in Accurate at the day's exchange rate (or sell it from a rupiah store); omsync "
            "never books another currency's amounts as rupiah",
        )


def require_whole_rupiah(order: Order, amounts: Sequence[tuple[str, Decimal | None]]) -> None:
    """Hold an order one of whose booked ``amounts`` (Ginee field name, rupiah) has a fraction of a rupiah.

    omsync's books are whole rupiah (docs/POSTING.md §9; docs/ARCHITECTURE.md, "Whole rupiah"): rounding such an
    amount would post money the marketplace never charged, or lose some it did. The hold names each field and
    its amount. Raises `OnHold` ``fractional_rupiah``.
    """
    fractional = [
        (name, amount) for name, amount in amounts if amount is not None and amount != amount.to_integral_value()
    ]
    if not fractional:
        return
    shown = "; ".join(f"{name} {amount:,}" for name, amount in fractional[:3])
    more = f" and {len(fractional) - 3} more" if len(fractional) > 3 else ""
    raise OnHold(
        "fractional_rupiah",
        f"order {marketplace_order_number(order)} has fractions of a rupiah: {shown}{more}; the Accurate books "
        "keep whole rupiah",
        "correct the amounts in Ginee (or the marketplace) to whole rupiah, or book the order by hand in Accurate; "
        "omsync never rounds money away",
    )


def _booked_order_amounts(order: Order, store: StoreMapping) -> list[tuple[str, Decimal | None]]:
    """The order's own amounts its invoice books, by Ginee field name: each sold line's prices, the seller
    voucher and, when the store books it, the buyer's shipping."""
    amounts: list[tuple[str, Decimal | None]] = []
    for position, item in enumerate(order.items):
        if item.quantity <= 0:
            continue
        line = item.master_sku or item.sku or str(position + 1)
        amounts += [(f"{line} originalPrice", item.original_price), (f"{line} actualPrice", item.actual_price)]
    amounts.append(("paymentInfo.voucherSeller", order.payment_info.voucher_seller))
    if store.shipping_accounts is not None:
        amounts.append(("paymentInfo.finalShippingFee", order.payment_info.final_shipping_fee))
    return amounts


def plan_sales_invoice(
    order: Order,
    store: StoreMapping,
    component_prices: Mapping[str, Decimal] | None = None,
    *,
    number: str | None = None,
) -> SalesInvoice:
    """The Sales Invoice for a paid order, per the store's mapping.

    ``number`` is the invoice's number when the Ledger already gave the order one, or the flow numbered it among
    the packages of its marketplace order (`invoice_number_apart` for a package `plain_number_package` does not
    name); by default `sales_invoice_number`.

    ``component_prices`` (master SKU → selling price, from Ginee's master products) weighs how a bundle's
    price is split over its components; without it the split follows the component quantities.
    Lines of quantity 0 are left out (docs/POSTING.md §1), unless the store's ``zero_quantity_lines`` is
    ``hold``. A line whose seller discounts exceed its price is invoiced at 0 when the store's
    ``voucher_above_price`` is ``expense`` (the excess, `seller_voucher_excess`, is booked at settlement).
    Raises `OnHold` for what the seller can fix in Ginee or the mapping: an unmapped warehouse, a line without
    master SKU or price, a negative quantity, a line of quantity 0 (``zero_quantity_line``, per the store), an
    order with no line to invoice, seller discounts above a line's price (``seller_discount_above_price``, per
    the store; the hold names both figures, in rupiah), an order in a currency other than rupiah, an amount with a fraction of a rupiah
    (`require_whole_rupiah`); `PermanentError` for an order without any time to date it by.
    """
    _require_rupiah(order)
    require_whole_rupiah(order, _booked_order_amounts(order, store))
    lines = plan_lines(order, store, component_prices or {})
    taxable = store.tax.pkp
    marketplace_no = marketplace_order_number(order)
    return SalesInvoice(
        number=number or sales_invoice_number(order, store),
        customer_no=store.customer_no,
        branch_name=store.branch,
        trans_date=jakarta_date(_paid_at(order)),
        po_number=marketplace_no,
        description=f"{store.name} order {marketplace_no} (Ginee {order.order_id})",
        taxable=taxable,
        inclusive_tax=store.tax.prices_include_ppn if taxable else None,
        tax1_name=store.tax.tax_name if taxable else None,
        tax_type=DPP_NILAI_LAIN if taxable and store.tax.dpp_nilai_lain else None,
        # e-Faktur: the tax invoice of the sale, dated with it; aggregated buyers' are digunggung (§3b)
        document_code=store.tax.document_code if taxable else None,
        tax_date=jakarta_date(_paid_at(order)) if taxable else None,
        detail_item=[
            *(
                SalesInvoiceItem(
                    item_no=line.sku,
                    quantity=Decimal(line.quantity),
                    unit_price=line.unit_price,
                    item_cash_discount=line.discount if line.discount else None,
                    warehouse_name=line.warehouse,
                    use_tax1=True if taxable else None,
                )
                for line in lines
            ),
            *_shipping_item_lines(order, store),
        ],
        detail_expense=_shipping_lines(order, store),
    )


def plan_lines(order: Order, store: StoreMapping, component_prices: Mapping[str, Decimal]) -> list[PlannedLine]:
    """The invoice lines of an order, in order-line order, with seller discounts spread over them.

    Order lines of quantity 0 (a line the marketplace zeroed, Ginee keeps it) sell nothing: they are left
    out. Raises `OnHold` as `plan_sales_invoice` says.
    """
    planned: list[PlannedLine] = []
    for item, gross, own, voucher in _discounted_items(order, store):
        discount = min(own + voucher, gross)
        warehouse = store.warehouse_for(item.warehouse_id or order.warehouse_id)
        if store.explode_bundles and item.bundle_skus:
            planned.extend(_bundle_components(order, item, gross, discount, warehouse, component_prices))
        else:
            planned.append(
                PlannedLine(
                    order_item_id=_item_id(item, len(planned)),
                    sku=_sku(order, item),
                    quantity=item.quantity,
                    unit_price=_unit_price(order, item),
                    discount=discount,
                    warehouse=warehouse,
                )
            )
    return planned


def seller_voucher_excess(order: Order, store: StoreMapping) -> Decimal:
    """The rupiah of the order's seller discounts above its lines' prices, which the invoice leaves out when the
    store's ``voucher_above_price`` is ``expense`` (0 otherwise, or when no line's discounts exceed its price).

    Booked at settlement on ``accounts.seller_voucher_excess`` (docs/POSTING.md §2). Raises `OnHold` as
    `plan_sales_invoice` says.
    """
    return sum((max(own + voucher - gross, ZERO) for _, gross, own, voucher in _discounted_items(order, store)), ZERO)


def _discounted_items(order: Order, store: StoreMapping) -> list[tuple[OrderItem, Decimal, Decimal, Decimal]]:
    """(line, gross, own seller discount, share of the seller voucher) of each invoiced line, whole rupiah.

    Raises `seller_discount_hold` for a line whose seller discounts exceed its price unless the store books the
    excess of a voucher as an expense; a line whose *own* discount exceeds its price is held either way (an
    actual price below zero is no voucher: Ginee's data is wrong)."""
    items = invoiced_items(order, store)
    own_discounts = [_own_seller_discount(item) for item in items]
    grosses = [_unit_price(order, item) * item.quantity for item in items]
    voucher_shares = split_proportionally(
        order.payment_info.voucher_seller, [gross - own for gross, own in zip(grosses, own_discounts, strict=True)]
    )
    found = list(zip(items, grosses, own_discounts, voucher_shares, strict=True))
    for item, gross, own, voucher in found:
        if own + voucher > gross and (store.voucher_above_price is VoucherAbovePrice.HOLD or own > gross):
            raise seller_discount_hold(order, _sku(order, item), own, voucher, gross)
    return found


def invoiced_items(order: Order, store: StoreMapping) -> list[OrderItem]:
    """The order's lines that sell something (quantity above 0); raises `OnHold` for a negative quantity, for a
    line of quantity 0 when the store's ``zero_quantity_lines`` is ``hold``, or when no line is left to
    invoice."""
    number = marketplace_order_number(order)
    for item in order.items:
        if item.quantity < 0:
            raise OnHold(
                "negative_quantity",
                f"line {_sku(order, item)} of order {number} has quantity {item.quantity}",
                "correct the line's quantity in Ginee (or the marketplace); the order is invoiced automatically "
                "once it reads 0 or more",
            )
        if item.quantity == 0 and store.zero_quantity_lines is ZeroQuantityLines.HOLD:
            raise OnHold(
                "zero_quantity_line",
                f"line {_sku(order, item)} of order {number} has quantity 0",
                "correct the line's quantity in Ginee (or remove the line), or set the store's zero_quantity_lines "
                "to leave_out in the mapping and apply it; the order is invoiced automatically once it reads right",
            )
    items = [item for item in order.items if item.quantity > 0]
    if not items:
        raise OnHold(
            "no_lines",
            f"order {number} has no line with a quantity above 0 to invoice",
            "check the order in Ginee: once it has a line with a quantity it is invoiced automatically; "
            "if the marketplace cancelled it, its cancellation ends it",
        )
    return items


def seller_discount_hold(order: Order, sku: str, own: Decimal, voucher: Decimal, gross: Decimal) -> OnHold:
    """The hold of a line whose seller-funded discounts (own discount + share of the seller voucher, rupiah)
    exceed its price: an invoice line cannot be negative, and the excess is not a sale's discount."""
    total = own + voucher
    return OnHold(
        "seller_discount_above_price",
        f"order {marketplace_order_number(order)}: seller discounts {total:,} (own discount {own:,}, seller voucher "
        f"{voucher:,}) exceed the price {gross:,} of {sku} by {total - gross:,}",
        "check the seller voucher and the line's prices in Ginee (a voucher worth more than the order is usually "
        "a marketplace data error); the order is invoiced automatically once they read right",
    )


def split_proportionally(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split a whole-rupiah ``total`` over ``weights``: each share rounds half up, the last takes the rest.

    With no positive weight everything goes to the last share. The shares always sum to ``total``.
    """
    if not weights:
        return []
    weight_sum = sum(weights, ZERO)
    shares: list[Decimal] = []
    for weight in weights[:-1]:
        shares.append(round_rupiah(total * weight / weight_sum) if weight_sum > 0 else ZERO)
    shares.append(total - sum(shares, ZERO))
    return shares


def _bundle_components(
    order: Order,
    item: OrderItem,
    gross: Decimal,
    discount: Decimal,
    warehouse: str,
    component_prices: Mapping[str, Decimal],
) -> list[PlannedLine]:
    """A bundle line as its components: the bundle's price and discount split by component value.

    Component unit prices round *up* to whole rupiah (a price must be a per-unit amount), and the few
    rupiah this adds over the bundle's price join the last component's discount, so the components'
    net amounts add up to exactly the bundle line's net amount.
    """
    components = item.bundle_skus
    weights = [component_prices.get(c.master_sku, Decimal(1)) * c.quantity for c in components]
    gross_shares = split_proportionally(gross, weights)
    discount_shares = split_proportionally(discount, weights)
    lines: list[PlannedLine] = []
    for component, gross_share, discount_share in zip(components, gross_shares, discount_shares, strict=True):
        quantity = component.quantity * item.quantity
        unit_price = (gross_share / quantity).to_integral_value(rounding=ROUND_CEILING)
        lines.append(
            PlannedLine(
                order_item_id=_item_id(item, 0),
                sku=component.master_sku,
                quantity=quantity,
                unit_price=unit_price,
                discount=discount_share,
                warehouse=warehouse,
                units_per_order_unit=component.quantity,
            )
        )
    surplus = sum((line.gross for line in lines), ZERO) - gross
    last = lines[-1]
    lines[-1] = PlannedLine(
        order_item_id=last.order_item_id,
        sku=last.sku,
        quantity=last.quantity,
        unit_price=last.unit_price,
        discount=last.discount + surplus,
        warehouse=last.warehouse,
        units_per_order_unit=last.units_per_order_unit,
    )
    return lines


def _unit_price(order: Order, item: OrderItem) -> Decimal:
    # The price before the seller's own discount, so the discount shows on the invoice line.
    price = item.original_price if item.original_price is not None else item.actual_price
    if price is None:
        raise OnHold(
            "missing_price",
            f"line {_sku(order, item)} of order {marketplace_order_number(order)} has no price in Ginee",
            "check the order's line prices in Ginee; the order is invoiced automatically once they read",
        )
    return round_rupiah(price)


def _own_seller_discount(item: OrderItem) -> Decimal:
    """The line's own seller discount: original minus actual price (Ginee puts seller rebates in actual_price)."""
    if item.original_price is None or item.actual_price is None:
        return ZERO
    return round_rupiah((item.original_price - item.actual_price) * item.quantity)


def _sku(order: Order, item: OrderItem) -> str:
    sku = item.master_sku or item.sku
    if not sku:
        raise OnHold(
            "missing_sku",
            f"a line of order {marketplace_order_number(order)} ({item.product_name or 'unnamed'}) has no master SKU",
            "bind the marketplace product to a master SKU in Ginee",
        )
    if len(sku) > ITEM_CODE_MAX_LENGTH:
        # Accurate refuses such an item code, so no item can ever carry it: the seller must shorten the SKU.
        raise OnHold(
            "sku_too_long",
            f"SKU {sku} of order {marketplace_order_number(order)} is {len(sku)} characters; Accurate's item code "
            f"(Kode Barang) takes at most {ITEM_CODE_MAX_LENGTH}",
            f"shorten the master SKU in Ginee to {ITEM_CODE_MAX_LENGTH} characters or fewer and bind the marketplace "
            "product to it (the item is created in Accurate under the new SKU); the order is posted automatically "
            "once it fits",
        )
    return sku


def _item_id(item: OrderItem, position: int) -> str:
    return item.item_id or item.master_sku or item.sku or str(position)


def _paid_at(order: Order) -> datetime:
    # A cash-on-delivery order is paid when it is delivered (the buyer pays the courier): its invoice is dated
    # then; until delivery (a store invoicing COD before it) when it was paid or created (docs/POSTING.md §6).
    delivered = [info.delivered_at for info in order.logistics_infos if info.delivered_at is not None]
    moment = (min(delivered) if order.is_cod and delivered else None) or order.pay_at or order.create_at
    if moment is None:
        raise PermanentError(f"order {order.order_id} has neither a paid nor a created time")
    return moment


def booked_shipping(order: Order, store: StoreMapping) -> Decimal:
    """The buyer's shipping (whole rupiah, Ginee's ``paymentInfo.finalShippingFee``; tax included where prices
    include PPN) the order's invoice carries: 0 when the store leaves it out of its books (``shipping: exclude``)
    or the buyer paid none. The settlement deducts the same amount again, paid on to the courier (§4)."""
    if store.shipping_accounts is None:
        return ZERO
    return max(round_rupiah(order.payment_info.final_shipping_fee), ZERO)


def is_buyer_shipping(line: SalesInvoiceItem) -> bool:
    """The invoice line is the buyer's shipping (`_shipping_item_lines`), not goods: it sells no unit of the order
    and leaves no warehouse."""
    return line.detail_name == SHIPPING_EXPENSE_NAME and line.warehouse_name is None


def _shipping_item_lines(order: Order, store: StoreMapping) -> list[SalesInvoiceItem]:
    """A PKP store's buyer shipping booked as revenue: one line of its shipping service item, taxed like the goods
    (same tax, prices inclusive or not), so Accurate puts it in the DPP and PPN and books its value on the item's
    sales account, ``accounts.shipping_revenue`` (docs/POSTING.md §4)."""
    shipping = booked_shipping(order, store)
    if not store.shipping_as_item or store.shipping_item is None or shipping == ZERO:
        return []
    return [
        SalesInvoiceItem(
            item_no=store.shipping_item,
            quantity=Decimal(1),
            unit_price=shipping,
            detail_name=SHIPPING_EXPENSE_NAME,
            use_tax1=True,
        )
    ]


def _shipping_lines(order: Order, store: StoreMapping) -> list[SalesInvoiceExpense]:
    """Buyer-paid shipping as an untaxed charge line, when the store books it so: as revenue of a store that is not
    PKP, or owed on to the courier (``pass_through``); the settlement deducts it again (docs/POSTING.md §4)."""
    shipping = booked_shipping(order, store)
    if store.shipping_accounts is None or store.shipping_as_item or shipping == ZERO:
        return []
    account, _ = store.shipping_accounts
    return [SalesInvoiceExpense(account_no=account, expense_amount=shipping, expense_name=SHIPPING_EXPENSE_NAME)]
