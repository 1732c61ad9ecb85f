"""Accurate Online documents as pydantic models that serialise to exactly the API's field names.

Naming: Python attributes are snake_case; each serialises under its Accurate name, produced by a camelCase
alias generator (``customer_no`` → ``customerNo``, ``tax1_name`` → ``tax1Name``, ``detail_item`` →
``detailItem``). Models accept either spelling on input (``populate_by_name``), so a record read back from
Accurate (``detail.do``) validates into the same model.

Wire formats: dates are ``dd/MM/yyyy`` (Accurate rejects ISO dates), amounts and quantities are
``Decimal`` and are written as JSON numbers without passing through float (``to_json``).

Each document names its module (``module``, e.g. ``sales-invoice`` → ``/accurate/api/sales-invoice/save.do``)
and the query parameter that finds it by its business key (``key_param``: ``number`` for transactions,
``no`` for items, ``customerNo``/``vendorNo`` for the masters). ``request_body()`` is the JSON body of
``save.do`` and one ``data[n]`` element of ``bulk-save.do``.

Arrays the spec marks required even when empty (a sales invoice's ``detailExpense`` and
``detailDownPayment``, a sales return's ``detailExpense``) default to empty lists and are always sent.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Final, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator
from pydantic.alias_generators import to_camel

DATE_FORMAT = "%d/%m/%Y"


def parse_accurate_date(value: object) -> object:
    """Accept ``dd/MM/yyyy`` strings (Accurate's only date format) as well as `date` objects."""
    if isinstance(value, str):
        return datetime.strptime(value, DATE_FORMAT).date()
    return value


def format_accurate_date(value: date) -> str:
    """Write a date the only way Accurate accepts it: ``dd/MM/yyyy``."""
    return value.strftime(DATE_FORMAT)


AccurateDate = Annotated[date, BeforeValidator(parse_accurate_date), PlainSerializer(format_accurate_date)]
"""A business date, ``dd/MM/yyyy`` on the wire."""

Amount = Annotated[Decimal, Field(max_digits=18, decimal_places=6)]
"""Money or quantity: at most 999 billion with 6 decimals, as the spec allows."""

ItemType = Literal["INVENTORY", "NON_INVENTORY", "SERVICE", "GROUP", "PRODUCTION_COST"]
ReturnType = Literal["DELIVERY", "INVOICE", "INVOICE_DP", "NO_INVOICE"]
ITEM_CODE_MAX_LENGTH: Final = 30
"""Accurate refuses a longer item code (Kode Barang): "… terlalu besar. Maksimal 30 karakter"
(reference/accurate-api.md §7.2)."""

ItemAdjustmentType = Literal["ADJUSTMENT_IN", "ADJUSTMENT_OUT"]
ItemTransferType = Literal["TRANSFER_OUT", "TRANSFER_IN"]
AmountType = Literal["DEBIT", "CREDIT"]
SubsidiaryType = Literal["CUSTOMER", "VENDOR", "EMPLOYEE"]
PaymentMethod = Literal[
    "BANK_CHEQUE", "BANK_TRANSFER", "CASH_OTHER", "EDC", "OTHERS", "PAYMENT_LINK", "QRIS", "VIRTUAL_ACCOUNT"
]


class AccurateModel(BaseModel):
    """Common configuration: camelCase aliases, either spelling accepted, unknown input fields ignored."""

    # defer_build: validators are built when a model is first used; a function posts a few kinds (issue 21).
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", defer_build=True)

    def request_body(self) -> dict[str, Any]:
        """The JSON body Accurate expects: spec names, no unset optionals, dates as dd/MM/yyyy, Decimals kept."""
        return self.model_dump(by_alias=True, exclude_none=True)


class AccurateDocument(AccurateModel):
    """A record saved through ``<module>/save.do`` and ``<module>/bulk-save.do``."""

    module: ClassVar[str]
    key_param: ClassVar[str] = "number"

    id: int | None = None

    @property
    def key(self) -> str | None:
        """The business key Accurate finds this record by (document number, item code, customer no)."""
        value = getattr(self, "number", None)
        return value if isinstance(value, str) else None


# --- masters ---------------------------------------------------------------------------------------


class ItemOpeningBalance(AccurateModel):
    """Opening stock of an item in one warehouse (``detailOpenBalance[n]``)."""

    quantity: Amount
    unit_cost: Amount
    warehouse_name: str
    as_of: AccurateDate | None = None
    item_unit_name: str | None = None


class Item(AccurateDocument):
    """Barang & Jasa: a product (``no`` is its code, the master SKU)."""

    module: ClassVar[str] = "item"
    key_param: ClassVar[str] = "no"

    item_type: ItemType
    name: str
    no: str | None = None
    item_category_name: str | None = None
    unit1_name: str | None = None
    unit_price: Amount | None = None
    upc_no: str | None = None
    tax1_name: str | None = None
    notes: str | None = None
    inventory_gl_account_no: str | None = None
    sales_gl_account_no: str | None = None
    sales_ret_gl_account_no: str | None = None
    cogs_gl_account_no: str | None = None
    detail_open_balance: list[ItemOpeningBalance] | None = None
    suspended: bool | None = None
    """Non-aktif: a suspended item stays in the books but is no longer offered (docs/ARCHITECTURE.md, products)."""

    @property
    def key(self) -> str | None:
        return self.no


class Customer(AccurateDocument):
    """Pelanggan. omsync uses one per store ("Shopee - Toko A")."""

    module: ClassVar[str] = "customer"
    key_param: ClassVar[str] = "customerNo"

    name: str
    trans_date: AccurateDate
    customer_no: str | None = None
    branch_name: str | None = None
    category_name: str | None = None
    email: str | None = None
    mobile_phone: str | None = None
    npwp_no: str | None = None
    bill_street: str | None = None
    bill_city: str | None = None
    bill_province: str | None = None
    bill_zip_code: str | None = None
    bill_country: str | None = None

    @property
    def key(self) -> str | None:
        return self.customer_no


class Vendor(AccurateDocument):
    """Pemasok: the supplier of a purchase."""

    module: ClassVar[str] = "vendor"
    key_param: ClassVar[str] = "vendorNo"

    name: str
    trans_date: AccurateDate
    vendor_no: str | None = None
    branch_name: str | None = None
    email: str | None = None
    mobile_phone: str | None = None
    npwp_no: str | None = None
    bill_street: str | None = None
    bill_city: str | None = None

    @property
    def key(self) -> str | None:
        return self.vendor_no


# --- sales ------------------------------------------------------------------------------------------


class SalesInvoiceItem(AccurateModel):
    """One item line of a sales invoice (``detailItem[n]``). ``unit_price`` is before the line discount."""

    item_no: str
    unit_price: Amount
    quantity: Amount = Decimal(1)
    item_unit_name: str | None = None
    detail_name: str | None = None
    detail_notes: str | None = None
    item_cash_discount: Amount | None = None
    item_disc_percent: str | None = None
    warehouse_name: str | None = None
    use_tax1: bool | None = None
    department_name: str | None = None
    project_no: str | None = None


class SalesInvoiceExpense(AccurateModel):
    """An additional charge (or, negative, a deduction) booked to a GL account (``detailExpense[n]``)."""

    account_no: str
    expense_amount: Amount
    expense_name: str | None = None
    expense_notes: str | None = None
    department_name: str | None = None


class DownPaymentApplication(AccurateModel):
    """A down-payment invoice applied to an invoice (``detailDownPayment[n]``). omsync sends none."""

    invoice_number: str
    payment_amount: Amount


class SalesInvoice(AccurateDocument):
    """Faktur Penjualan.

    With ``taxable`` the lines marked ``use_tax1`` carry the header ``tax1_name`` tax; ``inclusive_tax`` says
    the unit prices already include it. ``tax_type`` is the transaction's VAT type (e-Faktur code):
    ``DPP_NILAILAIN`` takes the tax on "DPP Nilai Lain" 11/12 of the price (reference/accurate-api.md §16).
    """

    module: ClassVar[str] = "sales-invoice"

    customer_no: str
    trans_date: AccurateDate
    detail_item: list[SalesInvoiceItem] = Field(min_length=1)
    detail_expense: list[SalesInvoiceExpense] = Field(default_factory=list)
    detail_down_payment: list[DownPaymentApplication] = Field(default_factory=list)
    number: str | None = None
    branch_name: str | None = None
    description: str | None = None
    po_number: str | None = None
    taxable: bool | None = None
    inclusive_tax: bool | None = None
    tax1_name: str | None = None
    tax_type: str | None = None
    document_code: str | None = None
    """e-Faktur document code (``DIGUNGGUNG``, ``INVOICE``…; reference/accurate-spec.json enum documentCode)."""
    tax_date: AccurateDate | None = None
    """The tax invoice's date when it differs from ``trans_date`` (reference/accurate-api.md §7.6)."""
    cash_discount: Amount | None = None
    ship_date: AccurateDate | None = None
    payment_term_name: str | None = None


class ReceiptDiscount(AccurateModel):
    """A deduction from a payment booked to an expense account, e.g. a marketplace fee (``detailDiscount[n]``)."""

    account_no: str
    amount: Amount
    discount_notes: str | None = None
    department_name: str | None = None


class ReceiptInvoice(AccurateModel):
    """One invoice settled by a receipt (``detailInvoice[n]``).

    ``payment_amount`` is how much of the invoice this settles: cash received plus the discounts.
    """

    invoice_no: str
    payment_amount: Amount
    detail_discount: list[ReceiptDiscount] = Field(default_factory=list)


class SalesReceipt(AccurateDocument):
    """Penerimaan Penjualan: money in (``cheque_amount`` into ``bank_no``) settling one or many invoices."""

    module: ClassVar[str] = "sales-receipt"

    customer_no: str
    bank_no: str
    cheque_amount: Amount
    trans_date: AccurateDate
    detail_invoice: list[ReceiptInvoice] = Field(min_length=1)
    number: str | None = None
    branch_name: str | None = None
    description: str | None = None
    payment_method: PaymentMethod | None = None
    cheque_no: str | None = None
    cheque_date: AccurateDate | None = None


class SalesReturnItem(AccurateModel):
    """One returned item line (``detailItem[n]``) at the price it was invoiced."""

    item_no: str
    unit_price: Amount
    quantity: Amount = Decimal(1)
    item_unit_name: str | None = None
    item_cash_discount: Amount | None = None
    warehouse_name: str | None = None
    use_tax1: bool | None = None
    detail_notes: str | None = None


class SalesReturn(AccurateDocument):
    """Retur Penjualan. With ``return_type`` ``INVOICE`` it reverses (part of) ``invoice_number``.

    The spec requires ``taxDate`` and ``taxNumber``: the tax date defaults to the transaction date and the
    tax number to empty (Accurate's "number it automatically").
    """

    module: ClassVar[str] = "sales-return"

    customer_no: str
    return_type: ReturnType
    trans_date: AccurateDate
    detail_item: list[SalesReturnItem] = Field(min_length=1)
    detail_expense: list[SalesInvoiceExpense] = Field(default_factory=list)
    tax_date: AccurateDate | None = None
    tax_number: str = ""
    invoice_number: str | None = None
    number: str | None = None
    branch_name: str | None = None
    description: str | None = None
    taxable: bool | None = None
    inclusive_tax: bool | None = None

    @model_validator(mode="after")
    def _tax_date_defaults_to_trans_date(self) -> SalesReturn:
        if self.tax_date is None:
            self.tax_date = self.trans_date
        return self


# --- purchasing and stock ----------------------------------------------------------------------------


class PurchaseInvoiceItem(AccurateModel):
    """One item line of a purchase invoice (``detailItem[n]``)."""

    item_no: str
    unit_price: Amount
    quantity: Amount = Decimal(1)
    item_unit_name: str | None = None
    item_cash_discount: Amount | None = None
    warehouse_name: str | None = None
    use_tax1: bool | None = None
    receive_item_number: str | None = None
    detail_notes: str | None = None


class PurchaseExpense(AccurateModel):
    """An additional cost on a purchase invoice (``detailExpense[n]``)."""

    account_no: str
    expense_amount: Amount
    expense_name: str | None = None
    expense_notes: str | None = None


class PurchaseInvoice(AccurateDocument):
    """Faktur Pembelian: stock in at cost, PPN Masukan, owed to the vendor."""

    module: ClassVar[str] = "purchase-invoice"

    vendor_no: str
    trans_date: AccurateDate
    detail_item: list[PurchaseInvoiceItem] = Field(min_length=1)
    detail_expense: list[PurchaseExpense] | None = None
    bill_number: str | None = None
    number: str | None = None
    branch_name: str | None = None
    description: str | None = None
    taxable: bool | None = None
    inclusive_tax: bool | None = None
    tax1_name: str | None = None


class ReceiveItemLine(AccurateModel):
    """One received item line (``detailItem[n]``)."""

    item_no: str
    unit_price: Amount
    quantity: Amount = Decimal(1)
    item_unit_name: str | None = None
    warehouse_name: str | None = None
    detail_notes: str | None = None


class ReceiveItem(AccurateDocument):
    """Penerimaan Barang: goods received from a vendor before (or without) its invoice."""

    module: ClassVar[str] = "receive-item"

    vendor_no: str
    receive_number: str
    trans_date: AccurateDate
    detail_item: list[ReceiveItemLine] = Field(min_length=1)
    number: str | None = None
    branch_name: str | None = None
    description: str | None = None


class ItemAdjustmentLine(AccurateModel):
    """One adjusted item (``detailItem[n]``). The spec requires ``unitCost`` on every line; OUT lines send 0."""

    item_no: str
    item_adjustment_type: ItemAdjustmentType
    quantity: Amount
    unit_cost: Amount = Decimal(0)
    warehouse_name: str | None = None
    item_unit_name: str | None = None
    detail_notes: str | None = None


class ItemAdjustment(AccurateDocument):
    """Penyesuaian Persediaan: stock in or out against the adjustment account."""

    module: ClassVar[str] = "item-adjustment"

    adjustment_account_no: str
    trans_date: AccurateDate
    detail_item: list[ItemAdjustmentLine] = Field(min_length=1)
    number: str | None = None
    branch_name: str | None = None
    description: str | None = None


class ItemTransferLine(AccurateModel):
    """One moved item (``detailItem[n]``) of an Item Transfer."""

    item_no: str
    quantity: Amount
    item_unit_name: str | None = None
    detail_notes: str | None = None


class ItemTransfer(AccurateDocument):
    """Pemindahan Barang: goods from one warehouse to another, at their cost, with no journal of their own.

    Accurate moves them in two documents: ``TRANSFER_OUT`` sends them from ``warehouse_name`` towards
    ``reference_warehouse_name``; ``TRANSFER_IN`` receives them there, naming the send in
    ``from_item_transfer_no`` (reference/accurate-spec.json, ``/api/item-transfer/save.do``).
    """

    module: ClassVar[str] = "item-transfer"

    item_transfer_type: ItemTransferType
    trans_date: AccurateDate
    warehouse_name: str
    reference_warehouse_name: str
    detail_item: list[ItemTransferLine] = Field(min_length=1)
    from_item_transfer_no: str | None = None
    number: str | None = None
    branch_name: str | None = None
    description: str | None = None


class JournalLine(AccurateModel):
    """One line of a journal voucher (``detailJournalVoucher[n]``)."""

    account_no: str
    amount: Amount
    amount_type: AmountType
    memo: str | None = None
    subsidiary_type: SubsidiaryType | None = None
    customer_no: str | None = None
    vendor_no: str | None = None
    department_name: str | None = None


class JournalVoucher(AccurateDocument):
    """Jurnal Umum. Debits must equal credits or Accurate refuses it."""

    module: ClassVar[str] = "journal-voucher"

    trans_date: AccurateDate
    detail_journal_voucher: list[JournalLine] = Field(min_length=2)
    number: str | None = None
    branch_name: str | None = None
    description: str | None = None


DOCUMENT_TYPES: tuple[type[AccurateDocument], ...] = (
    Item,
    Customer,
    Vendor,
    SalesInvoice,
    SalesReceipt,
    SalesReturn,
    PurchaseInvoice,
    ReceiveItem,
    ItemAdjustment,
    ItemTransfer,
    JournalVoucher,
)
"""Every document kind the client can save, in dependency order (masters first)."""


# --- JSON on the wire ----------------------------------------------------------------------------------


def _encode(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    if isinstance(value, Decimal):
        # Plain notation: Accurate reads "1E+3" as text, and float would lose the 6 decimals it allows.
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, date):
        return json.dumps(format_accurate_date(value))
    return json.dumps(value)


def to_json(body: object) -> str:
    """Serialise a request body with Decimals as exact JSON numbers (never via float)."""
    return _encode(body)


def from_json(text: str | bytes) -> Any:
    """Parse an Accurate JSON answer keeping every non-integer number as an exact Decimal."""
    return json.loads(text, parse_float=Decimal)
