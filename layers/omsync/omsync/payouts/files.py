"""Read a marketplace settlement export into `Payout`s: Shopee's income report, TikTok Shop/Tokopedia's
settlement export and Lazada's account statement.

Pure: the caller reads the file and passes its text; nothing here touches a disk, a network or a clock.
The marketplaces offer these exports as XLSX or CSV; omsync reads CSV only (the stdlib ``csv`` module),
so a spreadsheet is saved as CSV before it is imported. `decode_export` reads the bytes as Windows Excel
saves them: UTF-8 with or without a BOM ("CSV UTF-8"), UTF-16 with its BOM ("Unicode Text", tab-separated)
and the Windows code page cp1252 ("CSV" in Western and Indonesian Windows). The separator is the one the
header row uses: comma, semicolon (Excel where the decimal separator is a comma, as in Indonesian
settings) or tab. The header is the first non-blank row; column names match ignoring case and repeated
spaces; unknown columns are ignored.

Money cells are whole rupiah: ``12345``, ``12,345``, ``12345.00``, ``-1,250``; an empty cell is 0. A
fraction (``12.345`` — an Indonesian thousands dot, most likely) is refused rather than guessed at. In a
semicolon-separated file the roles swap, as Excel wrote them: ``12.345`` and ``12345,00`` are 12,345.

Every format ends in the same model (see `omsync.payouts.model`): per order, the settled item value
(``amount``), the fees the marketplace kept (positive) or gave back (negative), and the net it paid.

- **shopee** — one row per released order (the escrow fields of Shopee's income). Deductions are
  positive numbers, as in Shopee's escrow detail. ``amount`` = Original Price − Seller Discount − Seller
  Voucher; platform-funded vouchers and coins are not part of it (Shopee pays them). The file carries
  no payout id: each release date is one payout, ``SHOPEE-YYYYMMDD``, whose amount is the sum of
  Total Released Amount. A refund after the release (goods returned once the order was paid out) is a
  row of its own on the date the money is taken back: Original Price is minus the refunded item value,
  the fees Shopee gives back are negative deductions and Total Released Amount is negative (the same
  arithmetic, every sign turned).
- **tiktok** — one row per order or refund. Fees are negative in the export (deductions) and change
  sign here. Statement ID is the payout; its amount is the sum of Total settlement amount. A row of any
  other Type is an adjustment (logistics reimbursement, platform penalty, chargeback, ads payment,
  shipping fee adjustment…) of no item value: with an Order ID a line of amount 0 whose fee of the
  adjustment's kind (`charge_kind`) makes up its settlement amount, without one a `PayoutCharge`.
- **lazada** — many signed rows per order (credits +, charges −). Rows are grouped per (Statement,
  Order No.); a line's net is the sum of its rows. The statement's total is its ``Payout`` row
  (Transfer to Bank, Amount = − the money paid out), which every statement must have.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from omsync.money import ZERO
from omsync.payouts.model import PPH22, Payout, PayoutCharge, PayoutLine, SettlementFileError

FORMATS: Final = ("shopee", "tiktok", "lazada")

# --- Shopee income report -------------------------------------------------------------------------
SHOPEE_ORDER: Final = "Order ID"
SHOPEE_DATE: Final = "Payout Completed Date"
SHOPEE_ORIGINAL_PRICE: Final = "Original Price"
SHOPEE_SELLER_DISCOUNT: Final = "Seller Discount"
SHOPEE_SELLER_VOUCHER: Final = "Seller Voucher"
SHOPEE_RELEASED: Final = "Total Released Amount"
SHOPEE_FEE_COLUMNS: Final[Mapping[str, str]] = {
    "Commission Fee": "commission",
    "Service Fee": "service",
    "Transaction Fee": "payment",
    "Order Processing Fee": "order_processing",
    "AMS Commission Fee": "affiliate",
    "Seller Shipping Fee": "shipping_difference",
    "Withholding Tax": PPH22,
}
# Funded by Shopee: shown in the report, never part of the seller's amount.
SHOPEE_PLATFORM_COLUMNS: Final = ("Shopee Voucher", "Coins")
SHOPEE_COLUMNS: Final = (
    SHOPEE_ORDER,
    SHOPEE_DATE,
    SHOPEE_ORIGINAL_PRICE,
    SHOPEE_SELLER_DISCOUNT,
    SHOPEE_SELLER_VOUCHER,
    *SHOPEE_FEE_COLUMNS,
    SHOPEE_RELEASED,
)

# Shopee's income report as Seller Centre writes it (My Income → Income Released → download): a few
# preamble rows (seller, period, subtotals) above the header, "(Rp)" after some names, one row per released
# order (Sequence No. set) and deductions as negative numbers. Only the columns below are read.
SHOPEE_REPORT_SEQUENCE: Final = "Sequence No."
SHOPEE_REPORT_AMOUNT_COLUMNS: Final = (
    "Original Price",
    "Your Seller product promotion",
    "Voucher Sponsored by Seller",
    "Refund Amount",
)
SHOPEE_REPORT_FEE_COLUMNS: Final[Mapping[str, str]] = {
    "Commission fee": "commission",
    "Service Fee": "service",
    "Transaction Fee": "payment",
    "Seller Order Processing Fee": "order_processing",
    "AMS Commission Fee": "affiliate",
}
# The seller's shipping: what the buyer paid, less what the courier charged, plus Shopee's rebate.
SHOPEE_REPORT_SHIPPING_COLUMNS: Final = ("Shipping Fee Paid by Buyer", "Actual Shipping Fee")
SHOPEE_REPORT_OPTIONAL_SHIPPING: Final = ("Shopee Shipping Rebate",)
SHOPEE_REPORT_OPTIONAL_FEES: Final[Mapping[str, str]] = {"Withholding Tax": PPH22}
SHOPEE_REPORT_MARKERS: Final = ("Voucher Sponsored by Seller", "Seller Order Processing Fee")
"""Columns only the income report has: a table with one of them is read as the report."""
SHOPEE_REPORT_COLUMNS: Final = (
    SHOPEE_ORDER,
    SHOPEE_DATE,
    *SHOPEE_REPORT_AMOUNT_COLUMNS,
    *SHOPEE_REPORT_FEE_COLUMNS,
    *SHOPEE_REPORT_SHIPPING_COLUMNS,
    SHOPEE_RELEASED,
)

# --- TikTok Shop / Tokopedia settlement -----------------------------------------------------------
TIKTOK_ORDER: Final = "Order ID"
TIKTOK_TYPE: Final = "Type"
TIKTOK_STATEMENT: Final = "Statement ID"
TIKTOK_DATE: Final = "Settlement Date"
TIKTOK_REVENUE: Final = "Total Revenue"
TIKTOK_SETTLEMENT: Final = "Total settlement amount"
TIKTOK_ORDER_TYPE: Final = "Order"
TIKTOK_REFUND_TYPE: Final = "Refund"
TIKTOK_FEE_COLUMNS: Final[Mapping[str, str]] = {
    "Transaction fee": "payment",
    "TikTok Shop commission fee": "commission",
    "SFP service fee": "sfp_service",
    "Order processing fee": "order_processing",
    "Affiliate commission": "affiliate",
    "Affiliate Shop Ads commission": "affiliate",
    "Seller shipping fee": "shipping_difference",
    "Withholding tax": PPH22,
}
# Read when the export has it; not every export does.
TIKTOK_OPTIONAL_FEE_COLUMNS: Final[Mapping[str, str]] = {"Affiliate partner commission": "affiliate"}
TIKTOK_COLUMNS: Final = (
    TIKTOK_ORDER,
    TIKTOK_TYPE,
    TIKTOK_STATEMENT,
    TIKTOK_DATE,
    TIKTOK_REVENUE,
    *TIKTOK_FEE_COLUMNS,
    TIKTOK_SETTLEMENT,
)

# --- Lazada account statement ---------------------------------------------------------------------
LAZADA_DATE: Final = "Transaction Date"
LAZADA_TYPE: Final = "Transaction Type"
LAZADA_FEE_NAME: Final = "Fee Name"
LAZADA_NUMBER: Final = "Transaction Number"
LAZADA_AMOUNT: Final = "Amount"
LAZADA_VAT: Final = "VAT in Amount"
LAZADA_WHT: Final = "WHT Amount"
LAZADA_WHT_INCLUDED: Final = "WHT included in Amount"
LAZADA_STATEMENT: Final = "Statement"
LAZADA_PAID_STATUS: Final = "Paid Status"
LAZADA_ORDER: Final = "Order No."
LAZADA_ORDER_ITEM: Final = "Order Item No."
LAZADA_DETAILS: Final = "Details"
LAZADA_PAYOUT_TYPE: Final = "Payout"
LAZADA_PAYOUT_FEE_NAME: Final = "Transfer to Bank"
LAZADA_REVERSAL: Final = "Reversal "
LAZADA_COLUMNS: Final = (
    LAZADA_DATE,
    LAZADA_TYPE,
    LAZADA_FEE_NAME,
    LAZADA_NUMBER,
    LAZADA_AMOUNT,
    LAZADA_VAT,
    LAZADA_WHT,
    LAZADA_STATEMENT,
    LAZADA_PAID_STATUS,
    LAZADA_ORDER,
    LAZADA_ORDER_ITEM,
    LAZADA_DETAILS,
)
# What a statement cannot be read without; the others are carried for the reader's eyes only.
LAZADA_REQUIRED: Final = (LAZADA_DATE, LAZADA_TYPE, LAZADA_FEE_NAME, LAZADA_AMOUNT, LAZADA_STATEMENT, LAZADA_ORDER)
# Fee names (their "Reversal …" counterparts too) that make up the seller's item value.
LAZADA_AMOUNT_NAMES: Final = frozenset(
    {
        "item price credit",
        "item price",
        "seller discount",
        "promotional charges vouchers",
        "promotional charges flexi combo",
        "bundles",
        "lazcoin discount",
    }
)
LAZADA_FEE_NAMES: Final[Mapping[str, str]] = {
    "commission": "commission",
    "payment fee": "payment",
    "shipping fee paid by seller": "shipping_difference",
    "affiliate commission": "affiliate",
    "order processing fee": "order_processing",
    "service fee": "service",
    "free shipping max fee": "service",
}

# Seller-level rows (no order) and adjustment types, by a word of their name → the kind they are booked as.
# The first match wins; a name with none of these words becomes its own slug (`fee_slug`).
CHARGE_KIND_WORDS: Final[tuple[tuple[str, str], ...]] = (
    ("chargeback", "chargeback"),
    ("penalty", "penalty"),
    ("denda", "penalty"),
    ("reimburse", "reimbursement"),
    ("compensation", "reimbursement"),
    ("claim", "reimbursement"),
    ("shipping fee", "shipping_difference"),
    ("sponsored", "advertising"),
    ("ads", "advertising"),
    ("advertis", "advertising"),
    ("iklan", "advertising"),
    ("top up", "advertising"),
)

_SIGNATURES: Final[Mapping[str, tuple[str, ...]]] = {
    "shopee": (SHOPEE_DATE, SHOPEE_RELEASED),
    "tiktok": (TIKTOK_STATEMENT, TIKTOK_SETTLEMENT),
    "lazada": (LAZADA_FEE_NAME, LAZADA_STATEMENT, LAZADA_TYPE),
}
_MONEY: Final = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_MONEY_DECIMAL_COMMA: Final = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?")
_SEPARATORS: Final = (",", ";", "\t")
_HEADER_SEARCH: Final = 30
"""How many non-blank rows may come before the header (a report's preamble)."""
# Byte order marks, longest first: UTF-32's LE mark begins with UTF-16's.
_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ISO_DATE: Final = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T].*)?")
_NAMED_MONTH_DATE: Final = re.compile(r"(\d{1,2}) ([A-Za-z]{3})[a-z]* (\d{4})(?: .*)?")
_SLUG: Final = re.compile(r"[^a-z0-9]+")
_RUPIAH_SUFFIX: Final = re.compile(r"\s*\(rp\)$")


def decode_export(data: bytes) -> str:
    """The text of an export file as Windows Excel or the marketplace saved it.

    A byte order mark names the encoding (UTF-8, UTF-16, UTF-32); without one, the bytes are UTF-8 when
    they decode as UTF-8, else cp1252, the code page Excel's "CSV" uses on Western and Indonesian Windows
    (it decodes any byte but five; those are refused).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as error:
                raise SettlementFileError(f"not readable as {encoding}: byte {error.start} is broken") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise SettlementFileError(
            f"not a text file in UTF-8, UTF-16 or cp1252 (byte {error.start}): save it from Excel as CSV UTF-8"
        ) from None


def format_for_channel(channel: str) -> str:
    """The settlement export format of a Ginee channel: SHOPEE_ID → shopee, TOKOPEDIA_ID/TIKTOK_ID → tiktok…"""
    upper = channel.upper()
    if upper.startswith("SHOPEE"):
        return "shopee"
    if upper.startswith("LAZADA"):
        return "lazada"
    if upper.startswith(("TOKOPEDIA", "TIKTOK")):
        return "tiktok"
    raise SettlementFileError(f"no settlement file format is known for channel {channel}")


def read_payouts(text: str, fmt: str) -> list[Payout]:
    """The payouts of a settlement export in format ``fmt`` (one of `FORMATS`), sorted by date and id.

    Raises `SettlementFileError` naming the line and column of the first problem found.
    """
    return _read(_Table.parse(text), fmt)


def read_payout_rows(rows: Iterable[Sequence[str]], fmt: str) -> list[Payout]:
    """The payouts of a spreadsheet's rows (cells as text, rows numbered from 1), as `read_payouts` reads text."""
    return _read(_Table.from_rows(rows), fmt)


def detect_format(text: str) -> str:
    """Which of `FORMATS` an export is, judged from its header row."""
    return _detect(_Table.parse(text))


def detect_rows_format(rows: Iterable[Sequence[str]]) -> str:
    """Which of `FORMATS` a spreadsheet's rows are, judged from their header row."""
    return _detect(_Table.from_rows(rows))


def _read(table: _Table, fmt: str) -> list[Payout]:
    if fmt == "shopee":
        if any(table.has(column) for column in SHOPEE_REPORT_MARKERS):
            return _sorted(_read_shopee_report(table))
        return _sorted(_read_shopee(table))
    if fmt == "tiktok":
        return _sorted(_read_tiktok(table))
    if fmt == "lazada":
        return _sorted(_read_lazada(table))
    raise SettlementFileError(f"unknown settlement format {fmt!r}; expected one of {', '.join(FORMATS)}")


def _detect(table: _Table) -> str:
    matches = [fmt for fmt, columns in _SIGNATURES.items() if all(table.has(column) for column in columns)]
    if len(matches) != 1:
        # The row read as the header may be a data row (names, phones, addresses): its cells are never shown.
        expected = "; ".join(f"{fmt}: {', '.join(columns)}" for fmt, columns in _SIGNATURES.items())
        raise SettlementFileError(
            f"line {table.header_line}: not a known settlement export: no row of its first {_HEADER_SEARCH} has the "
            f"columns of one export ({expected}); the row read as its header has {len(table.names)} columns"
        )
    return matches[0]


def lazada_fee_kind(fee_name: str) -> str | None:
    """The fee kind of a Lazada fee name, or None when the row is part of the item value (``amount``).

    A ``Reversal …`` name has the kind of what it reverses; names omsync does not know become their slug.
    """
    name = _key(fee_name)
    reversal = _key(LAZADA_REVERSAL)
    if name.startswith(reversal + " "):
        name = name[len(reversal) + 1 :]
    if name in LAZADA_AMOUNT_NAMES:
        return None
    return LAZADA_FEE_NAMES.get(name) or fee_slug(name)


def charge_kind(name: str) -> str:
    """The kind a row of no order (or an adjustment type) is booked as: `CHARGE_KIND_WORDS`, else its slug."""
    words = f" {_SLUG.sub(' ', name.lower())} "
    for word, kind in CHARGE_KIND_WORDS:
        if f" {word}" in words:
            return kind
    return fee_slug(name)


def fee_slug(name: str) -> str:
    """A fee name as a fee kind: lower case, every run of other characters than a–z and 0–9 one ``_``."""
    return _SLUG.sub("_", name.lower()).strip("_")


# --- the three formats ----------------------------------------------------------------------------


def _read_shopee(table: _Table) -> list[Payout]:
    table.require(SHOPEE_COLUMNS)
    by_date: dict[date, list[PayoutLine]] = {}
    for row in table.rows:
        seller_funded = row.money(SHOPEE_SELLER_DISCOUNT) + row.money(SHOPEE_SELLER_VOUCHER)
        line = PayoutLine(
            order_sn=row.text(SHOPEE_ORDER, required=True),
            amount=row.money(SHOPEE_ORIGINAL_PRICE) - seller_funded,
            fees=_fees((kind, row.money(column)) for column, kind in SHOPEE_FEE_COLUMNS.items()),
            net=row.money(SHOPEE_RELEASED),
            source_row=row.line,
        )
        by_date.setdefault(row.date(SHOPEE_DATE), []).append(line)
    return _shopee_payouts(by_date)


def _shopee_payouts(by_date: dict[date, list[PayoutLine]]) -> list[Payout]:
    """One payout per release date: Shopee's exports carry no payout id, the date is the payout."""
    return [
        Payout(
            payout_id=shopee_payout_id(paid_on),
            paid_on=paid_on,
            amount=sum((line.net for line in lines), ZERO),
            lines=tuple(lines),
            source="shopee",
        )
        for paid_on, lines in by_date.items()
    ]


def _read_shopee_report(table: _Table) -> list[Payout]:
    table.require(SHOPEE_REPORT_COLUMNS)
    shipping_columns = (*SHOPEE_REPORT_SHIPPING_COLUMNS, *(c for c in SHOPEE_REPORT_OPTIONAL_SHIPPING if table.has(c)))
    fee_columns = {
        **SHOPEE_REPORT_FEE_COLUMNS,
        **{column: kind for column, kind in SHOPEE_REPORT_OPTIONAL_FEES.items() if table.has(column)},
    }
    by_date: dict[date, list[PayoutLine]] = {}
    for row in table.rows:
        if table.has(SHOPEE_REPORT_SEQUENCE) and not row.text(SHOPEE_REPORT_SEQUENCE):
            continue  # a detail row of the order above it: only the numbered order rows are totals
        shipping = sum((row.money(column) for column in shipping_columns), ZERO)
        line = PayoutLine(
            order_sn=row.text(SHOPEE_ORDER, required=True),
            # Discounts, seller vouchers and refunds are negative in the report: the sum is the seller's value.
            amount=sum((row.money(column) for column in SHOPEE_REPORT_AMOUNT_COLUMNS), ZERO),
            fees=_fees(
                [
                    *((kind, -row.money(column)) for column, kind in fee_columns.items()),
                    ("shipping_difference", -shipping),
                ]
            ),
            net=row.money(SHOPEE_RELEASED),
            source_row=row.line,
        )
        by_date.setdefault(row.date(SHOPEE_DATE), []).append(line)
    return _shopee_payouts(by_date)


def shopee_payout_id(paid_on: date) -> str:
    """Shopee's income report names no payout: omsync keys each release date as ``SHOPEE-YYYYMMDD``."""
    return f"SHOPEE-{paid_on:%Y%m%d}"


def _read_tiktok(table: _Table) -> list[Payout]:
    table.require(TIKTOK_COLUMNS)
    fee_columns = {**TIKTOK_FEE_COLUMNS, **{c: k for c, k in TIKTOK_OPTIONAL_FEE_COLUMNS.items() if table.has(c)}}
    statements: dict[str, tuple[date, list[PayoutLine]]] = {}
    charges: dict[str, list[PayoutCharge]] = {}
    for row in table.rows:
        row_type = _key(row.text(TIKTOK_TYPE, required=True))
        revenue = row.money(TIKTOK_REVENUE)
        if row_type == _key(TIKTOK_REFUND_TYPE) and revenue > 0:
            raise row.error(TIKTOK_REVENUE, f"a Refund with positive revenue {revenue}")
        statement = row.text(TIKTOK_STATEMENT, required=True)
        settled_on = row.date(TIKTOK_DATE)
        paid_on, lines = statements.setdefault(statement, (settled_on, []))
        if settled_on != paid_on:
            raise row.error(TIKTOK_DATE, f"statement {statement} was settled on {paid_on}, this row says {settled_on}")
        # The export shows deductions as negative numbers; the model keeps them positive.
        fees = _fees((kind, -row.money(column)) for column, kind in fee_columns.items())
        net = row.money(TIKTOK_SETTLEMENT)
        if row_type not in (_key(TIKTOK_ORDER_TYPE), _key(TIKTOK_REFUND_TYPE)):
            # An adjustment (logistics reimbursement, platform penalty, chargeback, ads payment, shipping fee
            # adjustment): of no item value, a charge or credit of its own kind.
            if revenue != 0:
                raise row.error(TIKTOK_REVENUE, f"an adjustment ({row.text(TIKTOK_TYPE)}) with revenue {revenue}")
            kind = charge_kind(row.text(TIKTOK_TYPE))
            order_sn = row.text(TIKTOK_ORDER)
            if not order_sn:
                charges.setdefault(statement, []).append(PayoutCharge(kind, net, row.text(TIKTOK_TYPE), row.line))
                continue
            rest = net + sum(fees.values(), ZERO)
            fees = _fees([*fees.items(), (kind, -rest)])
        lines.append(
            PayoutLine(
                order_sn=row.text(TIKTOK_ORDER, required=True),
                amount=revenue,
                fees=fees,
                net=net,
                source_row=row.line,
            )
        )
    return [
        Payout(
            payout_id=statement,
            paid_on=paid_on,
            amount=sum((line.net for line in lines), ZERO) + sum((c.amount for c in charges.get(statement, [])), ZERO),
            lines=tuple(lines),
            source="tiktok",
            charges=tuple(charges.get(statement, ())),
        )
        for statement, (paid_on, lines) in statements.items()
    ]


@dataclass
class _LazadaOrder:
    """One order's rows in one statement, added up."""

    order_sn: str
    first_line: int
    amount: Decimal = ZERO
    net: Decimal = ZERO
    fees: list[tuple[str, Decimal]] = field(default_factory=list)


def _read_lazada(table: _Table) -> list[Payout]:
    table.require(LAZADA_REQUIRED)
    orders: dict[str, dict[str, _LazadaOrder]] = {}
    charges: dict[str, list[PayoutCharge]] = {}
    paid: dict[str, tuple[date, Decimal]] = {}
    for row in table.rows:
        statement = row.text(LAZADA_STATEMENT, required=True)
        amount = row.money(LAZADA_AMOUNT)
        if _key(row.text(LAZADA_TYPE)) == _key(LAZADA_PAYOUT_TYPE):
            if statement in paid:
                raise row.error(LAZADA_TYPE, f"statement {statement} has a second Payout row")
            paid[statement] = (row.date(LAZADA_DATE), -amount)
            continue
        order_sn = row.text(LAZADA_ORDER)
        row.date(LAZADA_DATE)  # a row with a broken date is a broken file, even if the date is not used
        if not order_sn:
            # A seller-level row (ads top-up, penalty, seller credit): a charge or credit of the balance.
            fee_name = row.text(LAZADA_FEE_NAME, required=True)
            if lazada_fee_kind(fee_name) is None:
                raise row.error(LAZADA_ORDER, f"empty on a row of item value ({fee_name!r}): which order is it?")
            label = f"{row.text(LAZADA_TYPE)}: {fee_name}".strip(": ")
            charges.setdefault(statement, []).append(PayoutCharge(charge_kind(fee_name), amount, label, row.line))
            continue
        order = orders.setdefault(statement, {}).setdefault(order_sn, _LazadaOrder(order_sn, row.line))
        withheld = row.money(LAZADA_WHT) if table.has(LAZADA_WHT) else ZERO
        included = table.has(LAZADA_WHT_INCLUDED) and _key(row.text(LAZADA_WHT_INCLUDED)) in ("yes", "true", "1")
        # Withholding tax is kept by Lazada: inside Amount when the file says so, else on top of it.
        credit = amount + withheld if included else amount
        kind = lazada_fee_kind(row.text(LAZADA_FEE_NAME, required=True))
        if kind is None:
            order.amount += credit
        else:
            order.fees.append((kind, -credit))
        if withheld:
            order.fees.append((PPH22, withheld))
        order.net += credit - withheld
    for statement in [*orders, *charges]:
        if statement not in paid:
            raise SettlementFileError(
                f"statement {statement} has no Payout row (Transfer to Bank): its total is unknown"
            )
    return [
        Payout(
            payout_id=statement,
            paid_on=paid_on,
            amount=amount,
            lines=tuple(
                PayoutLine(order.order_sn, order.amount, _fees(order.fees), order.net, order.first_line)
                for order in orders.get(statement, {}).values()
            ),
            source="lazada",
            charges=tuple(charges.get(statement, ())),
        )
        for statement, (paid_on, amount) in paid.items()
    ]


# --- reading cells --------------------------------------------------------------------------------


def _key(name: str) -> str:
    """A column name as compared: spaces collapsed, case folded, a trailing ``(Rp)`` (Shopee's) dropped."""
    return _RUPIAH_SUFFIX.sub("", " ".join(name.split()).casefold())


def _fees(pairs: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal]:
    """Fee amounts summed per kind, in order of first appearance, zeros left out."""
    totals: dict[str, Decimal] = {}
    for kind, value in pairs:
        totals[kind] = totals.get(kind, ZERO) + value
    return {kind: value for kind, value in totals.items() if value != 0}


def _separator(text: str) -> str:
    """The separator used most on one line, outside quotes, among the first lines (a preamble may come before
    the header: the header is the widest of them); comma by default."""
    counts = dict.fromkeys(_SEPARATORS, 0)
    for line in [line for line in text.splitlines() if line.strip(" ,;\t")][:_HEADER_SEARCH]:
        unquoted = re.sub(r'"[^"]*"', "", line)
        for separator in _SEPARATORS:
            counts[separator] = max(counts[separator], unquoted.count(separator))
    best = max(_SEPARATORS, key=lambda separator: counts[separator])
    return best if counts[best] else ","


def _is_header(keys: set[str]) -> bool:
    return any(all(_key(column) in keys for column in columns) for columns in _SIGNATURES.values())


def _sorted(payouts: list[Payout]) -> list[Payout]:
    return sorted(payouts, key=lambda payout: (payout.paid_on, payout.payout_id))


@dataclass(frozen=True)
class _Table:
    header_line: int
    names: tuple[str, ...]
    index: Mapping[str, int]
    rows: tuple[_Row, ...]

    @classmethod
    def parse(cls, text: str) -> _Table:
        text = text.removeprefix("\ufeff")
        separator = _separator(text)
        reader = csv.reader(io.StringIO(text), delimiter=separator, strict=True)
        rows: list[tuple[int, list[str]]] = []
        start = 1
        try:
            for cells in reader:
                line, start = start, reader.line_num + 1
                rows.append((line, cells))
        except csv.Error as error:
            raise SettlementFileError(f"line {reader.line_num}: not readable as CSV ({error})") from error
        return cls._build(rows, decimal_comma=separator == ";")

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[str]]) -> _Table:
        return cls._build([(number, list(cells)) for number, cells in enumerate(rows, start=1)], decimal_comma=False)

    @classmethod
    def _build(cls, rows: list[tuple[int, list[str]]], *, decimal_comma: bool) -> _Table:
        """The header is the first non-blank row that names a known export's columns (rows above it are a
        preamble), else the first non-blank row; the rows after it are the data."""
        filled = [(line, cells) for line, cells in rows if any(cell.strip() for cell in cells)]
        if not filled:
            raise SettlementFileError("the file is empty: no header row")
        header_at = next(
            (
                position
                for position, (_, cells) in enumerate(filled[:_HEADER_SEARCH])
                if _is_header({_key(cell) for cell in cells})
            ),
            0,
        )
        header_line, header = filled[header_at]
        names = tuple(cell.strip() for cell in header)
        index: dict[str, int] = {}
        for position, name in enumerate(names):
            index.setdefault(_key(name), position)
        data = tuple(_Row(index, line, tuple(cells), decimal_comma) for line, cells in filled[header_at + 1 :])
        return cls(header_line, names, index, data)

    def has(self, column: str) -> bool:
        return _key(column) in self.index

    def require(self, columns: Iterable[str]) -> None:
        for column in columns:
            if not self.has(column):
                raise SettlementFileError(f"line {self.header_line}: missing column {column!r}")


@dataclass(frozen=True)
class _Row:
    index: Mapping[str, int]
    line: int
    cells: tuple[str, ...]
    decimal_comma: bool = False
    """Excel's semicolon files write 12.345 and 12345,00 (the decimal separator is a comma)."""

    def text(self, column: str, *, required: bool = False) -> str:
        position = self.index.get(_key(column))
        value = self.cells[position].strip() if position is not None and position < len(self.cells) else ""
        if required and not value:
            raise self.error(column, "empty")
        return value

    def money(self, column: str) -> Decimal:
        raw = self.text(column)
        if not raw:
            return ZERO
        if self.decimal_comma:
            if not _MONEY_DECIMAL_COMMA.fullmatch(raw):
                raise self.error(column, f"not an amount: {raw!r}")
            raw = raw.replace(".", "").replace(",", ".")
        elif not _MONEY.fullmatch(raw):
            raise self.error(column, f"not an amount: {raw!r}")
        value = Decimal(raw.replace(",", ""))
        if value != value.to_integral_value():
            raise self.error(column, f"not a whole rupiah amount: {raw!r}")
        return value.to_integral_value() + ZERO  # + ZERO turns -0 into 0

    def date(self, column: str) -> date:
        raw = self.text(column, required=True)
        try:
            if match := _ISO_DATE.fullmatch(raw):
                return date(int(match[1]), int(match[2]), int(match[3]))
            if match := _NAMED_MONTH_DATE.fullmatch(raw):
                return datetime.strptime(f"{match[1]} {match[2]} {match[3]}", "%d %b %Y").date()
        except ValueError:
            pass
        raise self.error(
            column,
            f"not a date: {raw!r} (expected YYYY-MM-DD, YYYY/MM/DD or DD Mon YYYY; "
            "where Excel rewrote the dates, format the column as yyyy-mm-dd and save again)",
        )

    def error(self, column: str, problem: str) -> SettlementFileError:
        return SettlementFileError(f"line {self.line}, column {column!r}: {problem}")
