"""The company behind the Accurate sandbox: masters, documents, double-entry books and stock.

This module knows nothing of HTTP. `Company.save` takes a request body as Accurate would receive it
(spec field names, dd/MM/yyyy dates) and either posts the document — journal lines, stock moves,
outstanding amounts — or raises `Refused` with the Indonesian message Accurate would answer.

Books: every document keeps the journal lines and stock moves it posted, so deleting it reverses exactly
those. Account balances and stock are running totals (O(lines) per document, no ledger scans).

Cost: moving average **per item across all warehouses** (Accurate's default costing), kept as the
item's total quantity and total value. Goods out are costed at qty × value / quantity rounded half-up to
a whole rupiah; taking the last units out takes the remaining value exactly, so no residue stays behind.

Tax, as Accurate documents it (`omsync_workshop.accurate.tax`, reference/accurate-api.md §16): on a ``taxable``
document a line is taxed by its item's ``tax1Name`` unless the line's ``useTax1`` says otherwise, at the
header ``tax1Name`` tax or the company's first; the base is the taxed lines' value (6 decimals) × the DPP
fraction — 11/12 when the document's ``taxType`` is ``DPP_NILAILAIN`` or the company's preference
``defaultDpp1112`` is set, else 100% — and the tax is rounded down to the rupiah; an inclusive document's
leftover goes to the company's rounding account (``defaults.roundingAccountNo``).
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from omsync_workshop.accurate.tax import DPP_FULL, DPP_OTHER_VALUE, DocumentTax, document_tax

ZERO = Decimal(0)
HUNDRED = Decimal(100)
DATE_RE = re.compile(r"^\d{2}/\d{2}/\d{4}$")
BULK_LIMIT = 100

LABELS = {
    "item": "Barang & Jasa",
    "customer": "Pelanggan",
    "vendor": "Pemasok",
    "sales-invoice": "Faktur Penjualan",
    "sales-receipt": "Penerimaan Penjualan",
    "sales-return": "Retur Penjualan",
    "purchase-invoice": "Faktur Pembelian",
    "receive-item": "Penerimaan Barang",
    "item-adjustment": "Penyesuaian Persediaan",
    "item-transfer": "Pemindahan Barang",
    "journal-voucher": "Jurnal Umum",
}
KEY_FIELDS = {"item": "no", "customer": "customerNo", "vendor": "vendorNo"}
# list.do filters a master on its code as `no`, though customer and vendor records show it under their own name.
FILTER_FIELDS = {"customer": {"no": "customerNo"}, "vendor": {"no": "vendorNo"}}
DUPLICATE_LABELS = {"item": "Kode Barang", "customer": "ID Pelanggan", "vendor": "ID Pemasok"}
CODE_MAX_LENGTH = 30
"""A master's code (Kode Barang, ID Pelanggan, ID Pemasok): Accurate answers a longer one "… terlalu besar.
Maksimal 30 karakter" (reference/accurate-api.md §7.2, observed by integrators on the item code)."""
NAME_MAX_LENGTH = 255
"""A master's name: Accurate's reference states no limit; 255 is the plausible one the sandbox enforces
(docs/ARCHITECTURE.md, the Accurate sandbox)."""
NAME_LABELS = {"item": "Nama Barang", "customer": "Nama Pelanggan", "vendor": "Nama Pemasok"}
DOCUMENT_CODES = frozenset({"DIGUNGGUNG", "DOCUMENT", "EXPORT", "INVOICE"})
"""Sales Invoice ``documentCode`` values (CoreTax e-Faktur; reference/accurate-spec.json, enum documentCode)."""


def check_lengths(module: str, key: object, name: object) -> None:
    """Refuse a master whose code or name is longer than Accurate takes, in Accurate's words."""
    if key not in (None, "") and len(str(key)) > CODE_MAX_LENGTH:
        raise Refused(f"{DUPLICATE_LABELS[module]} terlalu besar. Maksimal {CODE_MAX_LENGTH} karakter")
    if name not in (None, "") and len(str(name)) > NAME_MAX_LENGTH:
        raise Refused(f"{NAME_LABELS[module]} terlalu besar. Maksimal {NAME_MAX_LENGTH} karakter")


NUMBER_PREFIX = {
    "sales-invoice": "SI",
    "sales-receipt": "SR",
    "sales-return": "SRT",
    "purchase-invoice": "PI",
    "receive-item": "RI",
    "item-adjustment": "IA",
    "item-transfer": "IT",
    "journal-voucher": "JV",
}


class Refused(Exception):
    """Accurate's answer to a request it will not carry out: ``s:false`` with these messages."""

    def __init__(self, *messages: str, status: int = 200) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)
        self.status = status


def rupiah(amount: Decimal) -> Decimal:
    """Half-up to a whole rupiah."""
    return amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)


def parse_date(value: object, field_name: str) -> date:
    """Accept only dd/MM/yyyy, as Accurate does."""
    if not isinstance(value, str) or not DATE_RE.match(value):
        raise Refused(f'Invalid field value for field "{field_name}".')
    try:
        return datetime.strptime(value, "%d/%m/%Y").date()
    except ValueError:
        raise Refused(f'Invalid field value for field "{field_name}".') from None


ORDERED_OPERATORS = frozenset(
    {"GREATER_THAN", "GREATER_EQUAL_THAN", "LESS_THAN", "LESS_EQUAL_THAN", "BETWEEN", "NOT_BETWEEN"}
)
"""list.do's comparison operators (reference/accurate-api.md §6); BETWEEN and NOT_BETWEEN take two values."""


def _ordered(value: object, field_name: str) -> tuple[str, Decimal]:
    """A filter's operand or a record's value as (kind, number) to compare: a ``dd/MM/yyyy`` date as its day
    number, else a number."""
    if isinstance(value, str) and DATE_RE.match(value):
        return "date", Decimal(parse_date(value, field_name).toordinal())
    try:
        return "number", Decimal(str(value))
    except InvalidOperation:
        raise Refused(f'Invalid field value for field "{field_name}".') from None


def _compares(op: str, value: object, values: list[str], field_name: str) -> bool:
    """Whether a record's ``value`` passes one comparison filter; a record without the field never does."""
    if value is None or value == "":
        return False
    if len(values) != (2 if op in ("BETWEEN", "NOT_BETWEEN") else 1):
        raise Refused(f'Invalid field value for field "{field_name}".')
    kind, actual = _ordered(value, field_name)
    bounds = [_ordered(v, field_name) for v in values]
    if any(bound_kind != kind for bound_kind, _ in bounds):
        raise Refused(f'Invalid field value for field "{field_name}".')
    low = bounds[0][1]
    if op in ("BETWEEN", "NOT_BETWEEN"):
        inside = low <= actual <= bounds[1][1]
        return inside if op == "BETWEEN" else not inside
    return {
        "GREATER_THAN": actual > low,
        "GREATER_EQUAL_THAN": actual >= low,
        "LESS_THAN": actual < low,
        "LESS_EQUAL_THAN": actual <= low,
    }[op]


def amount(value: object, field_name: str, default: Decimal | None = None) -> Decimal:
    """A JSON number or numeric string as Decimal."""
    if value is None or value == "":
        if default is not None:
            return default
        raise Refused(f'"{field_name}" harus diisi')
    if isinstance(value, bool):
        raise Refused(f'Invalid field value for field "{field_name}".')
    try:
        return Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise Refused(f'Invalid field value for field "{field_name}".') from None


def required(body: Mapping[str, Any], *names: str) -> None:
    """Refuse when a required field is missing or empty."""
    missing = [n for n in names if body.get(n) in (None, "", [])]
    if missing:
        raise Refused(*(f'"{n}" harus diisi' for n in missing))


@dataclass(frozen=True)
class Account:
    """A GL account (Akun Perkiraan)."""

    no: str
    name: str
    account_type: str


@dataclass(frozen=True)
class Line:
    """One journal line."""

    kind: str
    number: str
    trans_date: date
    account_no: str
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class Move:
    """One stock movement: positive quantity in, negative out, at ``unit_cost`` (total ``value``)."""

    item_no: str
    warehouse: str
    quantity: Decimal
    value: Decimal


@dataclass
class Posted:
    """A saved record and what it posted."""

    module: str
    id: int
    key: str
    record: dict[str, Any]
    lines: list[Line] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)


@dataclass
class ItemStock:
    """Running stock of one item: per warehouse quantities and the item's total value (moving average)."""

    by_warehouse: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    quantity: Decimal = ZERO
    value: Decimal = ZERO


class Draft:
    """Journal lines and stock moves of a document being checked; nothing touches the books until commit."""

    def __init__(self, company: Company, kind: str, number: str, trans_date: date) -> None:
        self.company = company
        self.kind = kind
        self.number = number
        self.trans_date = trans_date
        self.lines: list[Line] = []
        self.moves: list[Move] = []
        self._pending_qty: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        self._pending_item: dict[str, tuple[Decimal, Decimal]] = {}

    def debit(self, account_no: str, value: Decimal) -> None:
        self._line(account_no, value)

    def credit(self, account_no: str, value: Decimal) -> None:
        self._line(account_no, -value)

    def _line(self, account_no: str, signed: Decimal) -> None:
        if signed == ZERO:
            return
        self.company.account(account_no)
        debit, credit = (signed, ZERO) if signed > 0 else (ZERO, -signed)
        self.lines.append(Line(self.kind, self.number, self.trans_date, account_no, debit, credit))

    def _item_state(self, item_no: str) -> tuple[Decimal, Decimal]:
        if item_no not in self._pending_item:
            stock = self.company.stock[item_no]
            self._pending_item[item_no] = (stock.quantity, stock.value)
        return self._pending_item[item_no]

    def stock_in(self, item_no: str, warehouse: str, quantity: Decimal, value: Decimal) -> None:
        qty, val = self._item_state(item_no)
        self._pending_item[item_no] = (qty + quantity, val + value)
        self._pending_qty[(item_no, warehouse)] += quantity
        self.moves.append(Move(item_no, warehouse, quantity, value))

    def stock_out(self, item_no: str, warehouse: str, quantity: Decimal) -> Decimal:
        """Take goods out at moving-average cost; returns the cost."""
        qty, val = self._item_state(item_no)
        on_hand = self.company.stock[item_no].by_warehouse[warehouse] + self._pending_qty[(item_no, warehouse)]
        if quantity > on_hand and not self.company.allow_negative_stock:
            raise Refused(f'Kuantitas Barang "{item_no}" di Gudang "{warehouse}" tidak mencukupi')
        if qty <= ZERO:
            cost = ZERO
        elif quantity >= qty:
            cost = val * quantity / qty if quantity > qty else val
            cost = rupiah(cost)
        else:
            cost = rupiah(val * quantity / qty)
        self._pending_item[item_no] = (qty - quantity, val - cost)
        self._pending_qty[(item_no, warehouse)] -= quantity
        self.moves.append(Move(item_no, warehouse, -quantity, -cost))
        return cost

    def check_balanced(self) -> None:
        debit = sum((line.debit for line in self.lines), ZERO)
        credit = sum((line.credit for line in self.lines), ZERO)
        if debit != credit:
            raise Refused(f"Jurnal tidak seimbang: debit {debit} kredit {credit}")


class Company:
    """One Accurate database ("Data Usaha") with its books. Thread-safe: one lock around every change."""

    def __init__(self, seed: Mapping[str, Any]) -> None:
        self.lock = threading.RLock()
        self.database_id = int(seed["database"]["id"])
        self.database_alias = str(seed["database"]["alias"])
        self.start_date = parse_date(seed["startDate"], "startDate")
        self.lock_date: date | None = parse_date(seed["lockDate"], "lockDate") if seed.get("lockDate") else None
        self.allow_negative_stock = bool(seed.get("allowNegativeStock", False))
        self.defaults: dict[str, str] = dict(seed["defaults"])
        self.accounts: dict[str, Account] = {
            a["no"]: Account(a["no"], a["name"], a["accountType"]) for a in seed["accounts"]
        }
        self.branches: list[str] = list(seed["branches"])
        self.warehouses: list[str] = list(seed["warehouses"])
        self.units: list[str] = list(seed["units"])
        self.item_categories: list[dict[str, Any]] = [dict(c) for c in seed["itemCategories"]]
        self.taxes: dict[str, Decimal] = {t["taxCode"]: Decimal(t["rate"]) for t in seed["taxes"]}
        self.default_dpp_other_value = bool(seed.get("preferences", {}).get("defaultDpp1112", False))
        """Pengaturan → Preferensi → Pajak, "Default DPP 11/12": the base of a document that chooses none."""
        self.tax_records: list[dict[str, Any]] = [dict(t) for t in seed["taxes"]]
        self.debit_totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
        self.credit_totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
        self.account_lines: dict[str, list[Line]] = defaultdict(list)
        self.journal_lines: list[Line] = []
        self.stock: dict[str, ItemStock] = defaultdict(ItemStock)
        self.records: dict[str, dict[int, Posted]] = defaultdict(dict)
        self.by_key: dict[str, dict[str, Posted]] = defaultdict(dict)
        self.paid_by: dict[str, set[str]] = defaultdict(set)  # invoice number -> receipts and returns using it
        self.returned: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)  # (invoice, item) -> qty
        self._next_id = 100
        self._auto_numbers: dict[str, int] = defaultdict(int)
        self.saves: dict[str, int] = defaultdict(int)
        """Records saved (created or edited) per module: what a specification counts to see nothing was re-saved."""
        start = seed["startDate"]
        for customer in seed["customers"]:
            self.save("customer", {**customer, "transDate": start})
        for vendor in seed["vendors"]:
            self.save("vendor", {**vendor, "transDate": start})
        for item in seed["items"]:
            opening = [{**row, "asOf": start} for row in item.get("openingStock", [])]
            body = {k: v for k, v in item.items() if k != "openingStock"}
            self.save("item", {**body, "detailOpenBalance": opening})

    # --- look-ups -------------------------------------------------------------------------------------

    def account(self, account_no: object) -> Account:
        found = self.accounts.get(str(account_no))
        if found is None:
            raise Refused(f'Akun Perkiraan "{account_no}" tidak ditemukan atau sudah dihapus')
        return found

    def master(self, module: str, key: object) -> Posted:
        found = self.by_key[module].get(str(key))
        if found is None:
            raise Refused(f'{LABELS[module]} "{key}" tidak ditemukan atau sudah dihapus')
        return found

    def warehouse(self, name: object) -> str:
        if name in (None, ""):
            return self.warehouses[0]
        if name not in self.warehouses:
            raise Refused(f'Gudang "{name}" tidak ditemukan atau sudah dihapus')
        return str(name)

    def branch(self, body: Mapping[str, Any]) -> str:
        name = body.get("branchName")
        if name in (None, ""):
            if len(self.branches) > 1:
                raise Refused("Cabang harus diisi karena Data Usaha memiliki lebih dari satu cabang")
            return self.branches[0]
        if name not in self.branches:
            raise Refused(f'Cabang "{name}" tidak ditemukan atau sudah dihapus')
        return str(name)

    def tax_rate(self, name: object) -> Decimal:
        if name in (None, ""):
            return next(iter(self.taxes.values()))
        if str(name) not in self.taxes:
            raise Refused(f'Pajak "{name}" tidak ditemukan atau sudah dihapus')
        return self.taxes[str(name)]

    def dpp_fraction(self, body: Mapping[str, Any]) -> Fraction:
        """The document's tax base: 11/12 when it says ``taxType: DPP_NILAILAIN`` or the company's preference
        "Default DPP 11/12" is set, else 100% (Accurate's default)."""
        if body.get("taxType") == "DPP_NILAILAIN" or self.default_dpp_other_value:
            return DPP_OTHER_VALUE
        return DPP_FULL

    def book_rounding(self, draft: Draft, leftover: Decimal, sign: int) -> None:
        """Journal a document's tax leftover to the rounding account (credit on a sale, ``sign`` −1 reverses)."""
        if leftover == ZERO:
            return
        account = self.defaults.get("roundingAccountNo")
        if not account:
            raise Refused("Akun Pembulatan belum diatur di Preferensi")
        draft.credit(account, sign * leftover)

    def check_period(self, trans_date: date) -> None:
        if trans_date < self.start_date:
            raise Refused("Tanggal transaksi tidak dapat lebih kecil dari tanggal mulai Data Usaha")
        if self.lock_date is not None and trans_date <= self.lock_date:
            raise Refused(
                "Tanggal transaksi tidak dapat lebih kecil atau sama dengan tanggal kunci periode "
                + self.lock_date.strftime("%d/%m/%Y")
            )

    # --- saving ---------------------------------------------------------------------------------------

    def save(self, module: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Check and post one record; returns the saved record (Accurate's ``r``)."""
        poster = getattr(self, "_save_" + module.replace("-", "_"), None)
        if poster is None:
            raise Refused(f"Modul {module} tidak didukung", status=404)
        if body.get("id") not in (None, ""):
            if module != "item":
                raise Refused("Sandbox: ubah data (save dengan id) tidak didukung")
            with self.lock:
                record = self._edit_item(body)
                self.saves[module] += 1
                return record
        with self.lock:
            posted: Posted = poster(body)
            self._commit(posted)
            self.saves[module] += 1
            return posted.record

    def bulk_save(self, module: str, rows: list[Mapping[str, Any]]) -> list[tuple[bool, list[str], dict[str, Any]]]:
        """Save rows independently, in order; one (ok, messages, record) per row."""
        if len(rows) > BULK_LIMIT:
            raise Refused(f"Maksimal {BULK_LIMIT} data per request")
        results: list[tuple[bool, list[str], dict[str, Any]]] = []
        for row in rows:
            try:
                record = self.save(module, row)
            except Refused as refused:
                results.append((False, refused.messages, {}))
            else:
                results.append((True, [self.saved_message(module, record)], record))
        return results

    @staticmethod
    def saved_message(module: str, record: Mapping[str, Any]) -> str:
        key = record.get(KEY_FIELDS.get(module, "number"))
        return f'{LABELS[module]} "{key}" berhasil disimpan'

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _number(self, module: str, body: Mapping[str, Any], trans_date: date) -> str:
        number = body.get("number")
        if number in (None, ""):
            self._auto_numbers[module] += 1
            number = f"{NUMBER_PREFIX[module]}.{trans_date:%Y.%m}.{self._auto_numbers[module]:05d}"
        number = str(number)
        if number in self.by_key[module]:
            raise Refused(f'Sudah ada data lain dengan No Form # {LABELS[module]} "{number}"')
        return number

    def _commit(self, posted: Posted) -> None:
        for line in posted.lines:
            self._apply_line(line, 1)
        for move in posted.moves:
            self._apply_move(move, 1)
        self._settle(posted, 1)
        self.records[posted.module][posted.id] = posted
        self.by_key[posted.module][posted.key] = posted

    def _settle(self, posted: Posted, sign: int) -> None:
        """What a receipt or a return does to the invoices it names, and a transfer's receipt to its send
        (undone with sign -1)."""
        if posted.module == "sales-receipt":
            for row in posted.record["detailInvoice"]:
                invoice = self.by_key["sales-invoice"][row["invoiceNo"]]
                invoice.record["outstanding"] -= sign * row["paymentAmount"]
                self._link(row["invoiceNo"], posted.key, sign)
        elif posted.module == "sales-return" and posted.record["invoiceNumber"]:
            invoice_no = posted.record["invoiceNumber"]
            invoice = self.by_key["sales-invoice"][invoice_no]
            invoice.record["outstanding"] -= sign * posted.record["totalAmount"]
            for item_no, quantity in posted.record["_returned"].items():
                self.returned[(invoice_no, item_no)] += sign * quantity
            self._link(invoice_no, posted.key, sign)
        elif posted.module == "item-transfer" and posted.record["fromItemTransferNo"]:
            sent = self.by_key["item-transfer"][posted.record["fromItemTransferNo"]]
            for sku, (quantity, cost) in posted.record["_received"].items():
                left_qty, left_cost = sent.record["_inTransit"][sku]
                sent.record["_inTransit"][sku] = (left_qty - sign * quantity, left_cost - sign * cost)
            self._link(sent.key, posted.key, sign)

    def _link(self, invoice_no: str, user: str, sign: int) -> None:
        if sign > 0:
            self.paid_by[invoice_no].add(user)
        else:
            self.paid_by[invoice_no].discard(user)

    # --- deleting -------------------------------------------------------------------------------------

    def delete(self, module: str, ident: int | None = None, key: str | None = None) -> Posted:
        """Delete a transaction and reverse everything it posted."""
        with self.lock:
            posted = self.find(module, ident, key)
            if module in KEY_FIELDS:
                raise Refused(f"Sandbox: hapus {LABELS[module]} tidak didukung")
            users = sorted(self.paid_by.get(posted.key, ()))
            if module in ("sales-invoice", "item-transfer") and users:
                raise Refused(
                    f'{LABELS[module]} "{posted.key}" sudah digunakan pada transaksi {", ".join(users)}, '
                    "tidak dapat dihapus"
                )
            self.check_period(parse_date(posted.record["transDate"], "transDate"))
            if not self.allow_negative_stock:
                for move in posted.moves:
                    if move.quantity > ZERO and self.stock[move.item_no].by_warehouse[move.warehouse] < move.quantity:
                        raise Refused(f'Kuantitas Barang "{move.item_no}" di Gudang "{move.warehouse}" tidak mencukupi')
            for line in posted.lines:
                self._apply_line(line, -1)
            for move in posted.moves:
                self._apply_move(move, -1)
            self._settle(posted, -1)
            del self.records[module][posted.id]
            del self.by_key[module][posted.key]
            return posted

    # --- reading --------------------------------------------------------------------------------------

    def find(self, module: str, ident: int | None = None, key: str | None = None) -> Posted:
        """A record by id or business key; Accurate answers an unknown one with "… tidak tepat"."""
        if module not in LABELS:
            raise Refused(f"Modul {module} tidak didukung", status=404)
        found = self.records[module].get(ident) if ident is not None else self.by_key[module].get(str(key))
        if found is None:
            raise Refused(f"{LABELS[module]} tidak tepat")
        return found

    def public(self, posted: Posted) -> dict[str, Any]:
        """The record as detail.do shows it (without the sandbox's own bookkeeping fields)."""
        return {k: v for k, v in posted.record.items() if not k.startswith("_")}

    def list_records(
        self, module: str, filters: Mapping[str, tuple[str, list[str]]], fields: list[str], page: int, size: int
    ) -> tuple[list[dict[str, Any]], int, int]:
        """Rows of one page, the number of pages and of rows. Supports EQUAL/NOT_EQUAL/CONTAIN on scalars and
        the comparisons (`ORDERED_OPERATORS`) on dates (``dd/MM/yyyy``) and numbers.

        Several values (``val[0]``, ``val[1]`` …) of EQUAL match any of them, of NOT_EQUAL none of them;
        BETWEEN and NOT_BETWEEN take two, both ends included (reference/accurate-api.md §6).
        """
        aliases = FILTER_FIELDS.get(module, {})
        rows = []
        for record in self._listable(module):
            keep = True
            for name, (op, values) in filters.items():
                value = record.get(aliases.get(name, name))
                actual = "" if value is None else str(value)
                if op == "EQUAL":
                    keep = actual in values
                elif op == "NOT_EQUAL":
                    keep = actual not in values
                elif op == "CONTAIN":
                    keep = any(v.lower() in actual.lower() for v in values)
                elif op in ORDERED_OPERATORS:
                    keep = _compares(op, value, values, name)
                else:
                    raise Refused(f"Sandbox: operator {op} tidak didukung")
                if not keep:
                    break
            if keep:
                rows.append({f: record.get(f) for f in fields} if fields else {"id": record["id"]})
        count = len(rows)
        pages = max(1, -(-count // size))
        return rows[(page - 1) * size : page * size], pages, count

    def _listable(self, module: str) -> list[dict[str, Any]]:
        """Records of a document module, or the company's reference masters (accounts, branches, units …)."""
        if module in LABELS:
            return [posted.record for posted in self.records[module].values()]
        if module == "glaccount":
            return [
                {"id": i, "no": a.no, "name": a.name, "accountType": a.account_type}
                for i, a in enumerate(self.accounts.values(), 1)
            ]
        if module in ("branch", "warehouse"):
            names = self.branches if module == "branch" else self.warehouses
            return [{"id": i, "name": name} for i, name in enumerate(names, 1)]
        if module == "tax":
            return [{"id": i, **tax} for i, tax in enumerate(self.tax_records, 1)]
        if module == "unit":
            return [{"id": i, "name": name} for i, name in enumerate(self.units, 1)]
        if module == "item-category":
            return [
                {
                    "id": i,
                    "name": category["name"],
                    "parentName": category.get("parentName"),
                    "defaultCategory": bool(category.get("defaultCategory", False)),
                }
                for i, category in enumerate(self.item_categories, 1)
            ]
        raise Refused(f"Modul {module} tidak didukung", status=404)

    def balance(self, account_no: str, as_of: date | None = None) -> Decimal:
        """Debit minus credit of an account (optionally up to a date)."""
        with self.lock:
            self.account(account_no)
            if as_of is None:
                return self.debit_totals[account_no] - self.credit_totals[account_no]
            return sum(
                (line.debit - line.credit for line in self.account_lines[account_no] if line.trans_date <= as_of),
                ZERO,
            )

    def item_stock(self, item_no: str, warehouse: str | None = None) -> Decimal:
        """Quantity on hand of an item, in one warehouse or in all."""
        with self.lock:
            self.master("item", item_no)
            stock = self.stock[item_no]
            if warehouse is None:
                return stock.quantity
            return stock.by_warehouse[self.warehouse(warehouse)]

    def stock_rows(self, warehouse: str | None = None) -> list[dict[str, Any]]:
        """``list-stock.do`` rows: every inventory item with its quantity in ``warehouse`` (all when None)."""
        with self.lock:
            name = self.warehouse(warehouse) if warehouse is not None else None
            rows = []
            for posted in sorted(self.records["item"].values(), key=lambda p: p.key):
                if posted.record["itemType"] != "INVENTORY":
                    continue
                stock = self.stock[posted.key]
                quantity = stock.quantity if name is None else stock.by_warehouse[name]
                rows.append({"id": posted.id, "no": posted.key, "name": posted.record["name"], "quantity": quantity})
            return rows

    def item_value(self, item_no: str) -> Decimal:
        """Inventory value of an item (all warehouses), the base of its moving average."""
        with self.lock:
            return self.stock[item_no].value

    def trial_balance(self) -> list[dict[str, Any]]:
        """Every account with its debit and credit totals and balance (debit minus credit)."""
        with self.lock:
            return [
                {
                    "accountNo": account.no,
                    "accountName": account.name,
                    "accountType": account.account_type,
                    "debit": self.debit_totals[account.no],
                    "credit": self.credit_totals[account.no],
                    "balance": self.debit_totals[account.no] - self.credit_totals[account.no],
                }
                for account in self.accounts.values()
            ]

    def journal(self, number: str | None = None) -> list[dict[str, Any]]:
        """Journal lines in posting order, optionally of one document number."""
        with self.lock:
            return [
                {
                    "kind": line.kind,
                    "number": line.number,
                    "transDate": line.trans_date.strftime("%d/%m/%Y"),
                    "accountNo": line.account_no,
                    "accountName": self.accounts[line.account_no].name,
                    "debit": line.debit,
                    "credit": line.credit,
                }
                for line in self.journal_lines
                if number is None or line.number == number
            ]

    def _apply_line(self, line: Line, sign: int) -> None:
        self.debit_totals[line.account_no] += sign * line.debit
        self.credit_totals[line.account_no] += sign * line.credit
        if sign > 0:
            self.account_lines[line.account_no].append(line)
            self.journal_lines.append(line)
        else:
            self.account_lines[line.account_no].remove(line)
            self.journal_lines.remove(line)

    def _apply_move(self, move: Move, sign: int) -> None:
        stock = self.stock[move.item_no]
        stock.by_warehouse[move.warehouse] += sign * move.quantity
        stock.quantity += sign * move.quantity
        stock.value += sign * move.value

    # masters

    def _master(self, module: str, body: Mapping[str, Any], key: str | None, record: dict[str, Any]) -> Posted:
        check_lengths(module, key, record.get("name"))
        if key in (None, ""):
            self._auto_numbers[module] += 1
            key = f"{module[0].upper()}.{self._auto_numbers[module]:05d}"
        if key in self.by_key[module]:
            raise Refused(f'Sudah ada data lain dengan {DUPLICATE_LABELS[module]} "{key}"')
        ident = self._new_id()
        return Posted(module, ident, str(key), {**record, "id": ident, KEY_FIELDS[module]: key})

    def _save_customer(self, body: Mapping[str, Any]) -> Posted:
        required(body, "name", "transDate")
        parse_date(body["transDate"], "transDate")
        if body.get("branchName"):
            self.branch(body)
        record = {"name": body["name"], "email": body.get("email"), "mobilePhone": body.get("mobilePhone")}
        return self._master("customer", body, body.get("customerNo"), record)

    def _save_vendor(self, body: Mapping[str, Any]) -> Posted:
        required(body, "name", "transDate")
        parse_date(body["transDate"], "transDate")
        record = {"name": body["name"], "email": body.get("email")}
        return self._master("vendor", body, body.get("vendorNo"), record)

    def _save_item(self, body: Mapping[str, Any]) -> Posted:
        required(body, "itemType", "name")
        item_type = str(body["itemType"])
        if item_type not in ("INVENTORY", "NON_INVENTORY", "SERVICE", "GROUP", "PRODUCTION_COST"):
            raise Refused('Invalid field value for field "itemType".')
        for account_field in ("inventoryGlAccountNo", "salesGlAccountNo", "salesRetGlAccountNo", "cogsGlAccountNo"):
            if body.get(account_field):
                self.account(body[account_field])
        if body.get("tax1Name"):
            self.tax_rate(body["tax1Name"])
        record = {
            "name": body["name"],
            "itemType": item_type,
            "unit1Name": body.get("unit1Name") or "PCS",
            "unitPrice": amount(body.get("unitPrice"), "unitPrice", ZERO),
            "itemCategoryName": self._item_category(body.get("itemCategoryName")),
            "upcNo": body.get("upcNo") or None,
            "suspended": bool(body.get("suspended", False)),
            "inventoryGlAccountNo": body.get("inventoryGlAccountNo") or self.defaults["inventoryAccountNo"],
            "salesGlAccountNo": body.get("salesGlAccountNo") or self.defaults["salesAccountNo"],
            "salesRetGlAccountNo": body.get("salesRetGlAccountNo") or self.defaults["salesReturnAccountNo"],
            "cogsGlAccountNo": body.get("cogsGlAccountNo") or self.defaults["cogsAccountNo"],
            "tax1Name": body.get("tax1Name") or None,
        }
        posted = self._master("item", body, body.get("no"), record)
        opening = body.get("detailOpenBalance") or []
        if opening and item_type != "INVENTORY":
            raise Refused("Saldo awal hanya untuk barang persediaan")
        draft = Draft(self, "item", posted.key, self.start_date)
        for row in opening:
            quantity = amount(row.get("quantity"), "detailOpenBalance.quantity")
            if quantity <= ZERO:
                raise Refused("Kuantitas saldo awal harus lebih besar dari 0")
            value = rupiah(quantity * amount(row.get("unitCost"), "detailOpenBalance.unitCost", ZERO))
            warehouse = self.warehouse(row.get("warehouseName"))
            draft.stock_in(posted.key, warehouse, quantity, value)
            draft.debit(record["inventoryGlAccountNo"], value)
            draft.credit(self.defaults["openingEquityAccountNo"], value)
        posted.lines, posted.moves = draft.lines, draft.moves
        return posted

    def _item_category(self, name: object) -> str:
        """The category of an item: the one named (it must exist), else the company's default one."""
        names = [str(category["name"]) for category in self.item_categories]
        if name in (None, ""):
            default = next((c["name"] for c in self.item_categories if c.get("defaultCategory")), None)
            return str(default or (names[0] if names else "Umum"))
        if name not in names:
            raise Refused(f'Kategori Barang "{name}" tidak ditemukan atau sudah dihapus')
        return str(name)

    def _edit_item(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """save.do with an item's id: the fields sent replace the stored ones (docs/ARCHITECTURE.md, products).

        The code is not changed here (omsync never does); the type may not change once the item has moved stock
        (Accurate: "Tipe barang tidak dapat diubah karena sudah digunakan"); ``suspended`` makes it inactive.
        """
        try:
            ident = int(body["id"])
        except (TypeError, ValueError):
            raise Refused('Invalid field value for field "id".') from None
        posted = self.records["item"].get(ident)
        if posted is None:
            raise Refused(f"{LABELS['item']} tidak tepat")
        record = posted.record
        new_no = body.get("no")
        if new_no not in (None, "") and str(new_no) != posted.key:
            if str(new_no) in self.by_key["item"]:
                raise Refused(f'Sudah ada data lain dengan {DUPLICATE_LABELS["item"]} "{new_no}"')
            raise Refused("Sandbox: ubah kode barang tidak didukung")
        item_type = body.get("itemType")
        if item_type not in (None, "") and item_type != record["itemType"]:
            if self.stock[posted.key].quantity != ZERO or self.stock[posted.key].value != ZERO:
                raise Refused("Tipe barang tidak dapat diubah karena sudah digunakan di transaksi")
            record["itemType"] = str(item_type)
        if body.get("name") not in (None, ""):
            check_lengths("item", None, body["name"])
            record["name"] = str(body["name"])
        if "unitPrice" in body:
            record["unitPrice"] = amount(body.get("unitPrice"), "unitPrice", ZERO)
        if "itemCategoryName" in body:
            record["itemCategoryName"] = self._item_category(body.get("itemCategoryName"))
        if "upcNo" in body:
            record["upcNo"] = body.get("upcNo") or None
        if "unit1Name" in body and body.get("unit1Name"):
            record["unit1Name"] = str(body["unit1Name"])
        if "suspended" in body:
            record["suspended"] = bool(body["suspended"])
        return record

    # sales

    def _priced_lines(
        self, body: Mapping[str, Any], lines: Iterable[Mapping[str, Any]], taxable: bool
    ) -> list[tuple[Mapping[str, Any], Posted, Decimal, Decimal, bool]]:
        """(line, item, quantity, net amount, taxed) for every item line."""
        priced = []
        for line in lines:
            required(line, "itemNo", "unitPrice")
            item = self.master("item", line["itemNo"])
            quantity = amount(line.get("quantity"), "quantity", Decimal(1))
            if quantity <= ZERO:
                raise Refused("Kuantitas harus lebih besar dari 0")
            gross = quantity * amount(line["unitPrice"], "unitPrice")
            percent = line.get("itemDiscPercent")
            if percent not in (None, ""):
                for part in str(percent).split("+"):
                    gross -= gross * amount(part, "itemDiscPercent") / HUNDRED
            gross -= amount(line.get("itemCashDiscount"), "itemCashDiscount", ZERO)
            # The item's tax setting, unless the line says otherwise (reference/accurate-api.md §16).
            use_tax = line.get("useTax1")
            taxed = taxable and (bool(item.record.get("tax1Name")) if use_tax in (None, "") else bool(use_tax))
            priced.append((line, item, quantity, gross, taxed))
        return priced

    @staticmethod
    def _line_values(
        priced: list[tuple[Any, Any, Decimal, Decimal, bool]], rate: Decimal, dpp: Fraction, inclusive: bool
    ) -> DocumentTax:
        """The document's line values, base, tax and leftover as Accurate computes them (`document_tax`)."""
        return document_tax([(net, taxed) for *_, net, taxed in priced], rate, dpp, inclusive=inclusive)

    def _save_sales_invoice(self, body: Mapping[str, Any]) -> Posted:
        required(body, "customerNo", "transDate", "detailItem")
        trans_date = parse_date(body["transDate"], "transDate")
        self.check_period(trans_date)
        customer = self.master("customer", body["customerNo"])
        branch = self.branch(body)
        number = self._number("sales-invoice", body, trans_date)
        document_code = self._document_code(body)
        tax_date = body["taxDate"] if body.get("taxDate") else body["transDate"]
        parse_date(tax_date, "taxDate")
        taxable = bool(body.get("taxable"))
        inclusive = bool(body.get("inclusiveTax"))
        rate = self.tax_rate(body.get("tax1Name")) if taxable else ZERO
        draft = Draft(self, "sales-invoice", number, trans_date)
        priced = self._priced_lines(body, body["detailItem"], taxable)
        cash_discount = amount(body.get("cashDiscount"), "cashDiscount", ZERO)
        dpp = self.dpp_fraction(body) if taxable else DPP_FULL
        computed = self._line_values(priced, rate, dpp, inclusive)
        untaxed, base, tax, shares = computed.untaxed, computed.base, computed.tax, computed.values
        # Revenue per sales account: taxed lines share the base in proportion to their net amounts.
        revenue: dict[str, Decimal] = defaultdict(lambda: ZERO)
        lines_out = []
        for (line, item, quantity, _net, taxed), share in zip(priced, shares, strict=True):
            revenue[item.record["salesGlAccountNo"]] += share
            warehouse = self.warehouse(line.get("warehouseName"))
            cost = ZERO
            if item.record["itemType"] == "INVENTORY":
                cost = draft.stock_out(item.key, warehouse, quantity)
                draft.debit(item.record["cogsGlAccountNo"], cost)
                draft.credit(item.record["inventoryGlAccountNo"], cost)
            lines_out.append(
                {
                    "itemNo": item.key,
                    "quantity": quantity,
                    "unitPrice": amount(line["unitPrice"], "unitPrice"),
                    "salesAmount": share,
                    "warehouseName": warehouse,
                    "useTax1": taxed,
                    "unitCost": cost / quantity if quantity else ZERO,
                    "cost": cost,
                }
            )
        expenses = []
        for expense in body.get("detailExpense") or []:
            required(expense, "accountNo", "expenseAmount")
            value = amount(expense["expenseAmount"], "expenseAmount")
            draft.credit(self.account(expense["accountNo"]).no, value)
            expenses.append({"accountNo": expense["accountNo"], "expenseAmount": value})
        if cash_discount:
            draft.debit(self.defaults["salesAccountNo"], cash_discount)
        for account_no, value in revenue.items():
            draft.credit(account_no, value)
        draft.credit(self.defaults["outputTaxAccountNo"], tax)
        self.book_rounding(draft, computed.rounding, 1)
        total = computed.total + sum((e["expenseAmount"] for e in expenses), ZERO) - cash_discount
        draft.debit(self.defaults["receivableAccountNo"], total)
        draft.check_balanced()
        ident = self._new_id()
        record = {
            "id": ident,
            "number": number,
            "transDate": body["transDate"],
            "customerNo": customer.key,
            "branchName": branch,
            "taxable": taxable,
            "inclusiveTax": inclusive,
            "taxRate": rate,
            "taxType": body.get("taxType") or None,
            "dppFraction": str(dpp),
            "salesAmount": base + untaxed,
            "taxBase": computed.dpp,
            "taxAmount": tax,
            "roundingAmount": computed.rounding,
            "totalAmount": total,
            "outstanding": total,
            "detailItem": lines_out,
            "detailExpense": expenses,
            "description": body.get("description"),
            "poNumber": body.get("poNumber"),
            # e-Faktur fields, stored as sent (the tax date defaults to the transaction date)
            "documentCode": document_code,
            "taxDate": tax_date,
            "taxNumber": body.get("taxNumber") or None,
        }
        return Posted("sales-invoice", ident, number, record, draft.lines, draft.moves)

    @staticmethod
    def _document_code(body: Mapping[str, Any]) -> str | None:
        """A Sales Invoice's ``documentCode`` (CoreTax e-Faktur), one of Accurate's enum (reference/accurate-spec.json,
        enum documentCode); anything else is refused as Accurate refuses an invalid enum value."""
        code = body.get("documentCode")
        if code in (None, ""):
            return None
        if code not in DOCUMENT_CODES:
            raise Refused('Invalid field value for field "documentCode".')
        return str(code)

    def _save_sales_receipt(self, body: Mapping[str, Any]) -> Posted:
        required(body, "customerNo", "bankNo", "chequeAmount", "transDate", "detailInvoice")
        trans_date = parse_date(body["transDate"], "transDate")
        self.check_period(trans_date)
        customer = self.master("customer", body["customerNo"])
        branch = self.branch(body)
        bank = self.account(body["bankNo"])
        if bank.account_type != "CASH_BANK":
            raise Refused(f'Akun "{bank.no}" bukan akun Kas/Bank')
        number = self._number("sales-receipt", body, trans_date)
        cheque = amount(body["chequeAmount"], "chequeAmount")
        draft = Draft(self, "sales-receipt", number, trans_date)
        draft.debit(bank.no, cheque)
        paid_total = ZERO
        discounts_total = ZERO
        applied = []
        seen: set[str] = set()
        for row in body["detailInvoice"]:
            required(row, "invoiceNo", "paymentAmount")
            invoice = self.master("sales-invoice", row["invoiceNo"])
            if invoice.record["customerNo"] != customer.key:
                raise Refused(f'Faktur Penjualan "{invoice.key}" bukan milik Pelanggan "{customer.key}"')
            if invoice.key in seen:
                raise Refused(f'Faktur Penjualan "{invoice.key}" tercantum lebih dari sekali')
            seen.add(invoice.key)
            payment = amount(row["paymentAmount"], "paymentAmount")
            if payment <= ZERO:
                raise Refused("Nilai Pembayaran harus lebih besar dari 0")
            if payment > invoice.record["outstanding"]:
                raise Refused(
                    f'Nilai Pembayaran Faktur Penjualan "{invoice.key}" melebihi sisa tagihan '
                    f"{invoice.record['outstanding']}"
                )
            discounts = []
            for discount in row.get("detailDiscount") or []:
                required(discount, "accountNo", "amount")
                value = amount(discount["amount"], "amount")
                draft.debit(self.account(discount["accountNo"]).no, value)
                discounts_total += value
                discounts.append({"accountNo": discount["accountNo"], "amount": value})
            paid_total += payment
            applied.append({"invoiceNo": invoice.key, "paymentAmount": payment, "detailDiscount": discounts})
        if cheque != paid_total - discounts_total:
            raise Refused(
                f"Nilai Pembayaran tidak sesuai: total bayar {paid_total} dikurangi diskon {discounts_total} "
                f"tidak sama dengan nilai cek {cheque}"
            )
        draft.credit(self.defaults["receivableAccountNo"], paid_total)
        draft.check_balanced()
        ident = self._new_id()
        record = {
            "id": ident,
            "number": number,
            "transDate": body["transDate"],
            "customerNo": customer.key,
            "bankNo": bank.no,
            "branchName": branch,
            "chequeAmount": cheque,
            "totalPayment": paid_total,
            # Listed as the document's total: the money that came into the bank account.
            "totalAmount": cheque,
            "detailInvoice": applied,
        }
        return Posted("sales-receipt", ident, number, record, draft.lines, draft.moves)

    def _save_sales_return(self, body: Mapping[str, Any]) -> Posted:
        required(body, "customerNo", "returnType", "transDate", "detailItem")
        for name in ("detailExpense", "taxDate", "taxNumber"):
            if name not in body:
                raise Refused(f'"{name}" harus diisi')
        return_type = str(body["returnType"])
        if return_type not in ("DELIVERY", "INVOICE", "INVOICE_DP", "NO_INVOICE"):
            raise Refused('Invalid field value for field "returnType".')
        if return_type not in ("INVOICE", "NO_INVOICE"):
            raise Refused(f"Sandbox: returnType {return_type} tidak didukung")
        trans_date = parse_date(body["transDate"], "transDate")
        if body.get("taxDate"):
            parse_date(body["taxDate"], "taxDate")
        self.check_period(trans_date)
        customer = self.master("customer", body["customerNo"])
        branch = self.branch(body)
        invoice: Posted | None = None
        if return_type == "INVOICE":
            required(body, "invoiceNumber")
            invoice = self.master("sales-invoice", body["invoiceNumber"])
            if invoice.record["customerNo"] != customer.key:
                raise Refused(f'Faktur Penjualan "{invoice.key}" bukan milik Pelanggan "{customer.key}"')
        number = self._number("sales-return", body, trans_date)
        taxable = bool(body.get("taxable", invoice.record["taxable"] if invoice else False))
        inclusive = bool(body.get("inclusiveTax", invoice.record["inclusiveTax"] if invoice else False))
        rate = invoice.record["taxRate"] if invoice and taxable else (self.tax_rate(None) if taxable else ZERO)
        draft = Draft(self, "sales-return", number, trans_date)
        priced = self._priced_lines(body, body["detailItem"], taxable)
        dpp = Fraction(invoice.record.get("dppFraction", "1")) if invoice else self.dpp_fraction(body)
        computed = self._line_values(priced, rate, dpp if taxable else DPP_FULL, inclusive)
        untaxed, base, tax = computed.untaxed, computed.base, computed.tax
        returned_lines = []
        pending_returned: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for line, item, quantity, _net, _taxed in priced:
            warehouse = self.warehouse(line.get("warehouseName"))
            unit_cost = self._average_cost(item.key)
            if invoice is not None:
                sold = [row for row in invoice.record["detailItem"] if row["itemNo"] == item.key]
                if not sold:
                    raise Refused(f'Barang "{item.key}" tidak ada di Faktur Penjualan "{invoice.key}"')
                sold_qty = sum((row["quantity"] for row in sold), ZERO)
                already = self.returned[(invoice.key, item.key)] + pending_returned[item.key]
                if already + quantity > sold_qty:
                    raise Refused(f'Kuantitas retur Barang "{item.key}" melebihi kuantitas Faktur "{invoice.key}"')
                pending_returned[item.key] += quantity
                unit_cost = sum((row["cost"] for row in sold), ZERO) / sold_qty
            if item.record["itemType"] == "INVENTORY":
                cost = rupiah(unit_cost * quantity)
                draft.stock_in(item.key, warehouse, quantity, cost)
                draft.debit(item.record["inventoryGlAccountNo"], cost)
                draft.credit(item.record["cogsGlAccountNo"], cost)
            returned_lines.append({"itemNo": item.key, "quantity": quantity, "warehouseName": warehouse})
        # Revenue reversal goes to the item's sales-return account (Retur Penjualan by default).
        return_account = priced[0][1].record["salesRetGlAccountNo"]
        draft.debit(return_account, base + untaxed)
        draft.debit(self.defaults["outputTaxAccountNo"], tax)
        self.book_rounding(draft, computed.rounding, -1)
        total = computed.total
        draft.credit(self.defaults["receivableAccountNo"], total)
        draft.check_balanced()
        ident = self._new_id()
        record = {
            "id": ident,
            "number": number,
            "transDate": body["transDate"],
            "customerNo": customer.key,
            "branchName": branch,
            "returnType": return_type,
            "invoiceNumber": invoice.key if invoice else None,
            "returnAmount": base + untaxed,
            "taxAmount": tax,
            "roundingAmount": computed.rounding,
            "totalAmount": total,
            "detailItem": returned_lines,
            "taxDate": body["taxDate"] or body["transDate"],
            "taxNumber": body["taxNumber"] or None,
        }
        posted = Posted("sales-return", ident, number, record, draft.lines, draft.moves)
        posted.record["_returned"] = dict(pending_returned)
        return posted

    def _average_cost(self, item_no: str) -> Decimal:
        stock = self.stock[item_no]
        return stock.value / stock.quantity if stock.quantity > ZERO else ZERO

    # purchasing and stock

    def _save_purchase_invoice(self, body: Mapping[str, Any]) -> Posted:
        required(body, "vendorNo", "transDate", "detailItem")
        trans_date = parse_date(body["transDate"], "transDate")
        self.check_period(trans_date)
        vendor = self.master("vendor", body["vendorNo"])
        branch = self.branch(body)
        number = self._number("purchase-invoice", body, trans_date)
        taxable = bool(body.get("taxable"))
        inclusive = bool(body.get("inclusiveTax"))
        rate = self.tax_rate(body.get("tax1Name")) if taxable else ZERO
        draft = Draft(self, "purchase-invoice", number, trans_date)
        priced = self._priced_lines(body, body["detailItem"], taxable)
        computed = self._line_values(priced, rate, self.dpp_fraction(body) if taxable else DPP_FULL, inclusive)
        tax = computed.tax
        for (line, item, quantity, _net, _taxed), value in zip(priced, computed.values, strict=True):
            if line.get("receiveItemNumber"):
                self.master("receive-item", line["receiveItemNumber"])
                draft.debit(self.defaults["unbilledPayableAccountNo"], value)
            elif item.record["itemType"] == "INVENTORY":
                draft.stock_in(item.key, self.warehouse(line.get("warehouseName")), quantity, value)
                draft.debit(item.record["inventoryGlAccountNo"], value)
            else:
                draft.debit(item.record["cogsGlAccountNo"], value)
        expense_total = ZERO
        for expense in body.get("detailExpense") or []:
            required(expense, "accountNo", "expenseAmount")
            value = amount(expense["expenseAmount"], "expenseAmount")
            draft.debit(self.account(expense["accountNo"]).no, value)
            expense_total += value
        draft.debit(self.defaults["inputTaxAccountNo"], tax)
        self.book_rounding(draft, computed.rounding, -1)
        total = computed.total + expense_total
        draft.credit(self.defaults["payableAccountNo"], total)
        draft.check_balanced()
        ident = self._new_id()
        record = {
            "id": ident,
            "number": number,
            "transDate": body["transDate"],
            "vendorNo": vendor.key,
            "billNumber": body.get("billNumber"),
            "branchName": branch,
            "taxAmount": tax,
            "totalAmount": total,
        }
        return Posted("purchase-invoice", ident, number, record, draft.lines, draft.moves)

    def _save_receive_item(self, body: Mapping[str, Any]) -> Posted:
        required(body, "vendorNo", "receiveNumber", "transDate", "detailItem")
        trans_date = parse_date(body["transDate"], "transDate")
        self.check_period(trans_date)
        vendor = self.master("vendor", body["vendorNo"])
        branch = self.branch(body)
        number = self._number("receive-item", body, trans_date)
        draft = Draft(self, "receive-item", number, trans_date)
        for line, item, quantity, net, _taxed in self._priced_lines(body, body["detailItem"], False):
            if item.record["itemType"] != "INVENTORY":
                raise Refused(f'Barang "{item.key}" bukan barang persediaan')
            draft.stock_in(item.key, self.warehouse(line.get("warehouseName")), quantity, net)
            draft.debit(item.record["inventoryGlAccountNo"], net)
            draft.credit(self.defaults["unbilledPayableAccountNo"], net)
        ident = self._new_id()
        record = {
            "id": ident,
            "number": number,
            "transDate": body["transDate"],
            "vendorNo": vendor.key,
            "receiveNumber": body["receiveNumber"],
            "branchName": branch,
        }
        return Posted("receive-item", ident, number, record, draft.lines, draft.moves)

    def _save_item_adjustment(self, body: Mapping[str, Any]) -> Posted:
        required(body, "adjustmentAccountNo", "transDate", "detailItem")
        trans_date = parse_date(body["transDate"], "transDate")
        self.check_period(trans_date)
        adjustment_account = self.account(body["adjustmentAccountNo"]).no
        branch = self.branch(body)
        number = self._number("item-adjustment", body, trans_date)
        draft = Draft(self, "item-adjustment", number, trans_date)
        for line in body["detailItem"]:
            required(line, "itemNo", "itemAdjustmentType")
            if "unitCost" not in line:
                raise Refused('"unitCost" harus diisi')
            item = self.master("item", line["itemNo"])
            if item.record["itemType"] != "INVENTORY":
                raise Refused(f'Barang "{item.key}" bukan barang persediaan')
            quantity = amount(line.get("quantity"), "quantity")
            if quantity <= ZERO:
                raise Refused("Kuantitas harus lebih besar dari 0")
            warehouse = self.warehouse(line.get("warehouseName"))
            kind = line["itemAdjustmentType"]
            if kind == "ADJUSTMENT_IN":
                value = rupiah(quantity * amount(line["unitCost"], "unitCost"))
                draft.stock_in(item.key, warehouse, quantity, value)
                draft.debit(item.record["inventoryGlAccountNo"], value)
                draft.credit(adjustment_account, value)
            elif kind == "ADJUSTMENT_OUT":
                cost = draft.stock_out(item.key, warehouse, quantity)
                draft.debit(adjustment_account, cost)
                draft.credit(item.record["inventoryGlAccountNo"], cost)
            else:
                raise Refused('Invalid field value for field "itemAdjustmentType".')
        ident = self._new_id()
        record = {
            "id": ident,
            "number": number,
            "transDate": body["transDate"],
            "adjustmentAccountNo": adjustment_account,
            "branchName": branch,
        }
        return Posted("item-adjustment", ident, number, record, draft.lines, draft.moves)

    def _save_item_transfer(self, body: Mapping[str, Any]) -> Posted:
        """Pemindahan Barang in Accurate's two steps: TRANSFER_OUT takes the goods out of ``warehouseName`` at
        their moving-average cost (in transit), TRANSFER_IN puts what a TRANSFER_OUT (``fromItemTransferNo``)
        sent into ``warehouseName`` at the cost it left with. Both warehouses use the item's one inventory
        account, so neither posts a journal line; a receipt may take no more than the send has left."""
        required(body, "itemTransferType", "transDate", "detailItem", "warehouseName", "referenceWarehouseName")
        trans_date = parse_date(body["transDate"], "transDate")
        self.check_period(trans_date)
        branch = self.branch(body)
        kind = body["itemTransferType"]
        if kind not in ("TRANSFER_OUT", "TRANSFER_IN"):
            raise Refused('Invalid field value for field "itemTransferType".')
        warehouse = self.warehouse(body["warehouseName"])
        reference = self.warehouse(body["referenceWarehouseName"])
        if warehouse == reference:
            raise Refused("Gudang asal dan gudang tujuan tidak boleh sama")
        sent: Posted | None = None
        if kind == "TRANSFER_IN":
            required(body, "fromItemTransferNo")
            sent = self.by_key["item-transfer"].get(str(body["fromItemTransferNo"]))
            if sent is None or sent.record["itemTransferType"] != "TRANSFER_OUT":
                raise Refused(f'Pemindahan Barang "{body["fromItemTransferNo"]}" tidak ditemukan atau sudah dihapus')
            if sent.record["referenceWarehouseName"] != warehouse or sent.record["warehouseName"] != reference:
                raise Refused("Gudang tidak sesuai dengan Pemindahan Barang yang dikirim")
        number = self._number("item-transfer", body, trans_date)
        draft = Draft(self, "item-transfer", number, trans_date)
        costs: dict[str, list[Decimal]] = {}
        for line in body["detailItem"]:
            required(line, "itemNo")
            item = self.master("item", line["itemNo"])
            if item.record["itemType"] != "INVENTORY":
                raise Refused(f'Barang "{item.key}" bukan barang persediaan')
            quantity = amount(line.get("quantity"), "quantity")
            if quantity <= ZERO:
                raise Refused("Kuantitas harus lebih besar dari 0")
            if sent is None:
                cost = draft.stock_out(item.key, warehouse, quantity)
            else:
                # What the send carried, less what earlier receipts took, at its cost per unit.
                left_qty, left_cost = sent.record["_inTransit"].get(item.key, (ZERO, ZERO))
                if quantity > left_qty:
                    raise Refused(f'Kuantitas Barang "{item.key}" melebihi sisa Pemindahan Barang yang dikirim')
                cost = left_cost if quantity == left_qty else rupiah(left_cost * quantity / left_qty)
                draft.stock_in(item.key, warehouse, quantity, cost)
            previous = costs.get(item.key, [ZERO, ZERO])
            costs[item.key] = [previous[0] + quantity, previous[1] + cost]
        ident = self._new_id()
        record = {
            "id": ident,
            "number": number,
            "transDate": body["transDate"],
            "itemTransferType": kind,
            "warehouseName": warehouse,
            "referenceWarehouseName": reference,
            "fromItemTransferNo": sent.key if sent is not None else None,
            "branchName": branch,
            "description": body.get("description"),
            "_inTransit": {sku: (qty, cost) for sku, (qty, cost) in costs.items()} if sent is None else {},
            "_received": {sku: (qty, cost) for sku, (qty, cost) in costs.items()} if sent is not None else {},
        }
        return Posted("item-transfer", ident, number, record, draft.lines, draft.moves)

    def _save_journal_voucher(self, body: Mapping[str, Any]) -> Posted:
        required(body, "transDate", "detailJournalVoucher")
        trans_date = parse_date(body["transDate"], "transDate")
        self.check_period(trans_date)
        branch = self.branch(body)
        number = self._number("journal-voucher", body, trans_date)
        draft = Draft(self, "journal-voucher", number, trans_date)
        for line in body["detailJournalVoucher"]:
            required(line, "accountNo", "amount", "amountType")
            value = amount(line["amount"], "amount")
            if line["amountType"] == "DEBIT":
                draft.debit(line["accountNo"], value)
            elif line["amountType"] == "CREDIT":
                draft.credit(line["accountNo"], value)
            else:
                raise Refused('Invalid field value for field "amountType".')
            if line.get("customerNo"):
                self.master("customer", line["customerNo"])
            if line.get("vendorNo"):
                self.master("vendor", line["vendorNo"])
        draft.check_balanced()
        ident = self._new_id()
        total = sum((line.debit for line in draft.lines), ZERO)
        record = {
            "id": ident,
            "number": number,
            "transDate": body["transDate"],
            "branchName": branch,
            "totalAmount": total,
        }
        return Posted("journal-voucher", ident, number, record, draft.lines, draft.moves)
