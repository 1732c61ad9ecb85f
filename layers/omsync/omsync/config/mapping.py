"""The per-connection mapping (DESIGN §6): which Accurate customer, accounts, warehouses and tax each
Ginee store posts to, and the rules that differ between stores.

The seller writes it as YAML; `load_mapping` validates it into `ConnectionMapping` and reports every
problem as ``line N: dotted.path: message`` so the seller can find it in their file. The validated
mapping is stored versioned in the Ledger under its canonical content hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from omsync.errors import OnHold

MAPPING_SK_PREFIX = "MAPPING#"

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
TriggerStatus = Literal["PAID", "READY_TO_SHIP", "SHIPPING", "DELIVERED", "COMPLETED"]
FieldPath = tuple[str | int, ...]


class ShippingRule(StrEnum):
    """What happens to the shipping the buyer paid."""

    EXCLUDE = "exclude"
    """It passes through the marketplace to the courier and never touches the seller's books."""
    REVENUE_AND_EXPENSE = "revenue_and_expense"
    """It is the seller's shipping revenue on the invoice, and the courier's charge an equal shipping expense when
    the marketplace settles. A store that is not PKP books it as an invoice charge on ``accounts.shipping_revenue``;
    a PKP store as a taxed line of its ``shipping_item`` (a service Item whose sales account is
    ``accounts.shipping_revenue``), so that Accurate puts it in the DPP and PPN like the goods (docs/POSTING.md §4)."""
    PASS_THROUGH = "pass_through"
    """It is on the invoice as money the seller collects for the courier: a liability (``accounts.shipping_clearing``,
    Titipan Ongkir Kurir) cleared when the marketplace settles and pays the courier; never revenue, never taxed."""


class CancellationRule(StrEnum):
    """How an invoiced order that is cancelled before it is paid out leaves the books."""

    DELETE = "delete"
    """Delete the invoice, as if it never existed (Accurate's own Smartlink does this)."""
    SALES_RETURN = "sales_return"
    """Keep the invoice and post a Sales Return (Retur Penjualan) of everything."""


class SettlementMode(StrEnum):
    """Where the marketplace's payout and fees come from."""

    ESTIMATE = "estimate"
    """A Sales Receipt per order when it completes, from the fees Ginee reports on the order."""
    FILE = "file"
    """Receipts only from the marketplace's settlement file (`omsync settlement import`)."""


class RefundWithoutReturn(StrEnum):
    """What a payout's refund row does when no return in Ginee covers it (the buyer kept the goods)."""

    HOLD = "hold"
    """Hold the payout (``refund_without_return``) until the seller decides."""
    PRICE_REDUCTION = "price_reduction"
    """Book it as a price reduction: revenue and PPN Keluaran reduced, the order's Piutang untouched."""


class ZeroQuantityLines(StrEnum):
    """What an order line of quantity 0 (a line the marketplace zeroed; Ginee keeps it) does to the invoice."""

    LEAVE_OUT = "leave_out"
    """It sells nothing: the invoice carries the order's other lines."""
    HOLD = "hold"
    """The order is held (``zero_quantity_line``) until the seller corrects or removes the line."""


class VoucherAbovePrice(StrEnum):
    """What a seller voucher worth more than the line it discounts does (docs/POSTING.md §2)."""

    HOLD = "hold"
    """The order is held (``seller_discount_above_price``) with the figures until they read right."""
    EXPENSE = "expense"
    """The line is invoiced at 0 (never below) and the excess is an expense at settlement, on
    ``accounts.seller_voucher_excess``."""


class Pph22Treatment(StrEnum):
    """What PPh 22 a marketplace collects on the seller's turnover is in the seller's books (docs/POSTING.md §11a)."""

    PREPAID_TAX = "prepaid_tax"
    """A prepayment of the seller's annual income tax (PMK 37/2025): an asset, PPh 22 dibayar dimuka."""
    FINAL_TAX = "final_tax"
    """The seller's final income tax (PP 55/2022: a small business taxed 0.5% of turnover, final): an expense,
    Beban PPh Final."""


class BuyerTaxInvoice(StrEnum):
    """Who a PKP store's customer stands for, for e-Faktur (docs/POSTING.md §3b)."""

    AGGREGATED = "aggregated"
    """Anonymous end consumers: their tax invoices are aggregated ("Faktur Pajak digunggung", PER-11/PJ/2025)."""
    IDENTIFIED = "identified"
    """One buyer known by NPWP/NIK, who gets a full Faktur Pajak."""


class _Strict(BaseModel):
    # A misspelt key must be an error, not a silently ignored setting.
    # defer_build: validators are built when a model is first used; a mapping uses a few of its sections (issue 21).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class TaxSettings(_Strict):
    """PPN (VAT) treatment of a store's sales."""

    pkp: bool = False
    """The seller is a PKP (VAT-registered): the invoice carries PPN Keluaran."""
    prices_include_ppn: bool = True
    """Marketplace prices already include PPN (the usual case): revenue = price ÷ (1 + rate)."""
    tax_name: NonEmpty | None = None
    """Accurate's tax name (``tax1Name``), e.g. "PPN"; required for a PKP store."""
    tax_code: NonEmpty | None = None
    """Accurate's tax code, informational (shown on the Faktur Pajak)."""
    ppn_rate: Decimal = Field(default=Decimal("0.12"), ge=0, lt=1)
    """The rate of the Accurate tax ``tax_name`` (Perusahaan → Pajak): PPN 12% since 2025 (UU HPP; PMK 131/2024).
    `omsync mapping apply` refuses a store whose Accurate tax has another rate."""
    dpp_nilai_lain: bool = True
    """The tax base is "DPP Nilai Lain" 11/12 of the price (PMK 131/2024, goods that are not luxury goods): the
    store's invoices carry ``taxType: DPP_NILAILAIN``, so Accurate takes 12% of 11/12 — an effective 11% —
    whatever its "Default DPP 11/12" preference. False: DPP 100% of the price, Accurate's default when a document
    chooses nothing (the company's preference must then be left unticked)."""
    fee_tax_invoices: bool = False
    """The marketplace issues faktur pajak for its fees: a PKP store books each fee's PPN to PPN Masukan."""
    fee_kinds_with_ppn: tuple[NonEmpty, ...] = ("commission", "service", "payment", "order_processing", "sfp_service")
    """The fee kinds whose amount includes PPN (the marketplace's own services, invoiced with a faktur pajak).
    Not by default: seller-borne shipping (the courier's charge passed on), affiliate commission (paid on to
    the affiliate), PPh 22 and rows of no order (docs/POSTING.md §11)."""
    pph22_withheld: bool = False
    """The marketplace withholds PPh 22 on the seller's turnover (PMK 37/2025; no marketplace is designated yet)."""
    pph22_rate: Decimal = Field(default=Decimal("0.005"), ge=0, lt=1)
    """PPh 22 rate on turnover excluding PPN."""
    pph22_treatment: Pph22Treatment = Pph22Treatment.PREPAID_TAX
    """PPh 22 the marketplace collected (estimated, or a settlement file's withholding column): prepaid tax on
    ``accounts.pph22_prepaid`` (default), or final tax on ``accounts.pph22_final`` for a seller under PP 55/2022."""
    buyer: BuyerTaxInvoice = BuyerTaxInvoice.AGGREGATED
    """Who the store's customer is for e-Faktur (PKP stores): ``aggregated`` (default) — the marketplace's
    anonymous end consumers, whose tax invoices are aggregated ("digunggung", PER-11/PJ/2025), so each invoice
    carries ``documentCode: DIGUNGGUNG``; ``identified`` — one buyer known by NPWP/NIK (the customer's tax details
    in Accurate) who gets a full Faktur Pajak, ``documentCode: INVOICE`` (docs/POSTING.md §3b)."""

    @property
    def document_code(self) -> str:
        """Accurate's ``documentCode`` of the store's Sales Invoices (reference/accurate-spec.json, enum
        documentCode): ``DIGUNGGUNG`` for aggregated buyers, ``INVOICE`` for an identified one."""
        return "DIGUNGGUNG" if self.buyer is BuyerTaxInvoice.AGGREGATED else "INVOICE"

    @property
    def effective_rate(self) -> Decimal:
        """PPN as a share of the price excluding PPN: ``ppn_rate`` × the DPP fraction, 12% × 11/12 = 11% (exact:
        multiplied before it is divided)."""
        if self.dpp_nilai_lain:
            return self.ppn_rate * 11 / 12
        return self.ppn_rate

    @property
    def fees_carry_ppn(self) -> bool:
        """Fees are split into expense and creditable PPN Masukan."""
        return self.pkp and self.fee_tax_invoices

    def fee_carries_ppn(self, kind: str) -> bool:
        """A fee of this kind is split into expense and PPN Masukan (fee tax invoices, and a kind that has PPN)."""
        return self.fees_carry_ppn and kind in self.fee_kinds_with_ppn

    @model_validator(mode="after")
    def _pkp_needs_a_tax(self) -> TaxSettings:
        if self.pkp and self.tax_name is None:
            raise ValueError("a PKP store needs tax_name (the Accurate tax, e.g. PPN)")
        return self


class StoreAccounts(_Strict):
    """GL account numbers (Akun Perkiraan) a store posts to."""

    marketplace_balance: NonEmpty
    """Saldo Shopee / Saldo Tokopedia…: where the marketplace's payouts land."""
    commission: NonEmpty
    service: NonEmpty
    payment: NonEmpty
    order_processing: NonEmpty
    affiliate: NonEmpty
    shipping_difference: NonEmpty
    other: NonEmpty
    rounding: NonEmpty
    shipping_revenue: NonEmpty | None = None
    shipping_expense: NonEmpty | None = None
    shipping_clearing: NonEmpty | None = None
    """Titipan Ongkir Kurir, a liability: the buyer's shipping under ``shipping: pass_through``, credited by the
    invoice and debited by the settlement that pays the courier."""
    receivable: NonEmpty | None = None
    """Piutang Usaha of the store's customer: journal vouchers that move a refund out of the marketplace
    balance after a receipt debit it (needed once a store has refunds after settlement)."""
    input_tax: NonEmpty | None = None
    """PPN Masukan: the PPN on marketplace fees, when the marketplace issues tax invoices for them."""
    pph22_prepaid: NonEmpty | None = None
    """PPh 22 dibayar dimuka: income tax the marketplace withheld, a prepayment of the seller's tax."""
    pph22_final: NonEmpty | None = None
    """Beban PPh Final: income tax the marketplace withheld, when it is the seller's final tax
    (``tax.pph22_treatment: final_tax``, PP 55/2022)."""
    extra_fees: dict[NonEmpty, NonEmpty] = {}
    """Fee kinds a settlement file names beyond the standard ones (e.g. ``sfp_service``), and the kinds of
    its rows of no order (``advertising``, ``penalty``, ``reimbursement``…) → account."""
    price_reduction: NonEmpty | None = None
    """Potongan Penjualan: the revenue a refund without returned goods takes back (``price_reduction``)."""
    output_tax: NonEmpty | None = None
    """PPN Keluaran: the output PPN a refund without returned goods takes back (PKP stores)."""
    seller_voucher_excess: NonEmpty | None = None
    """Beban Promosi: the part of a seller voucher above the price it discounts (``voucher_above_price:
    expense``), booked at settlement."""

    def fee_accounts(self) -> dict[str, str]:
        """Fee kind → expense account, for settlements."""
        return {
            "commission": self.commission,
            "service": self.service,
            "payment": self.payment,
            "order_processing": self.order_processing,
            "affiliate": self.affiliate,
            "shipping_difference": self.shipping_difference,
            "other": self.other,
            **self.extra_fees,
        }


class StoreMapping(_Strict):
    """Everything omsync needs to post one Ginee store (keyed by its ``shopId``) into Accurate."""

    name: NonEmpty
    channel: NonEmpty
    """Ginee channel code, e.g. SHOPEE_ID, TOKOPEDIA_ID, LAZADA_ID."""
    customer_no: NonEmpty
    """The Accurate customer (Pelanggan) every order of this store is invoiced to."""
    branch: NonEmpty | None = None
    """Accurate branch (Cabang) name; required by Accurate when the company has several."""
    trigger_status: TriggerStatus = "PAID"
    """The Ginee order status at which the Sales Invoice is posted: one of the steps of Ginee's lifecycle
    (`omsync.posting.lifecycle`); any other word would leave the store's orders waiting for ever."""
    cod_trigger_status: TriggerStatus = "DELIVERED"
    """The trigger of a cash-on-delivery order (Ginee's ``isCod``): the buyer pays the courier on delivery, and a
    COD parcel refused at the door is no sale, so by default it is invoiced once delivered, dated the delivery
    day (docs/POSTING.md §6). ``PAID`` invoices it from its creation, as before."""
    number_prefix: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=12)]
    """Prefix of every document number of this store, e.g. ``TP-``."""
    tax: TaxSettings = TaxSettings()
    shipping: ShippingRule = ShippingRule.EXCLUDE
    cancellation: CancellationRule = CancellationRule.DELETE
    settlement: SettlementMode = SettlementMode.ESTIMATE
    settlement_tolerance: Decimal = Field(default=Decimal(1), ge=0)
    """How far (rupiah) a payout's amount for an order may differ from what its invoice still owes: rounding,
    booked on the rounding account. The default, Rp1, is the most whole-rupiah rounding leaves (Accurate rounds
    PPN down, omsync half up: docs/POSTING.md §3a); anything larger is a difference the seller sees (the payout
    held ``amount_mismatch``), never rounding."""
    estimate_tolerance: Decimal = Field(default=Decimal(1000), ge=0)
    """How far (rupiah) an estimated receipt's money may be from what the marketplace says it released (Ginee's
    ``settlementInfo.releasedAmount``) before the order is held ``inconsistent``. Not rounding: Ginee's fees are
    pre-settlement figures, and the payout file later books the difference by a journal voucher
    (docs/POSTING.md §12–§13); beyond it the estimate is wrong (a tax flag, a fee Ginee does not show)."""
    fees_kept_on_return: tuple[NonEmpty, ...] = ("order_processing",)
    """Fee kinds the marketplace keeps when an order's goods all come back (the others it gives back with the
    refund): Shopee's and TikTok Shop/Tokopedia's order processing fee (Rp1,250 per shipped order) is not
    refunded on a return after shipping (reference/ginee-api.md §5.1–§5.2). An estimate store books them by the
    order's fees journal ``<invoice>-PF`` (docs/POSTING.md §12)."""
    refund_without_return: RefundWithoutReturn = RefundWithoutReturn.HOLD
    """A refund row no Ginee return covers: held, or booked as a price reduction (docs/POSTING.md §17)."""
    accounts: StoreAccounts
    warehouses: dict[NonEmpty, NonEmpty] = Field(min_length=1)
    """Ginee warehouse id → Accurate warehouse name."""
    default_warehouse: NonEmpty | None = None
    """Accurate warehouse for order lines that carry no Ginee warehouse id."""
    return_warehouse: NonEmpty | None = None
    """Accurate warehouse returned goods go back into; by default the one they left from."""
    explode_bundles: bool = False
    """Post a bundle's component SKUs instead of the bundle SKU (when Accurate stocks the components)."""
    zero_quantity_lines: ZeroQuantityLines = ZeroQuantityLines.LEAVE_OUT
    """An order line of quantity 0: left out of the invoice, or the order held (docs/POSTING.md §1)."""
    voucher_above_price: VoucherAbovePrice = VoucherAbovePrice.HOLD
    """A seller voucher above a line's price: the order held, or the excess an expense (docs/POSTING.md §2)."""
    shipping_item: NonEmpty | None = None
    """The Accurate item (Barang & Jasa, code) a PKP store invoices the buyer's shipping as under ``shipping:
    revenue_and_expense``: a service (``SERVICE`` or ``NON_INVENTORY``, so no stock moves) whose sales account is
    ``accounts.shipping_revenue`` — e.g. ``JASA-ONGKIR``, Pendapatan Ongkos Kirim. `omsync mapping apply` checks
    both in Accurate (docs/POSTING.md §4)."""

    @model_validator(mode="after")
    def _shipping_accounts_when_booked(self) -> StoreMapping:
        if self.shipping is ShippingRule.REVENUE_AND_EXPENSE and (
            self.accounts.shipping_revenue is None or self.accounts.shipping_expense is None
        ):
            raise ValueError(
                "shipping: revenue_and_expense needs accounts.shipping_revenue and accounts.shipping_expense"
            )
        return self

    @model_validator(mode="after")
    def _shipping_revenue_inside_ppn(self) -> StoreMapping:
        # Shipping the seller charges as its own revenue is part of the selling price, so of the DPP (UU PPN art. 1
        # angka 19); an invoice charge line (detailExpense) has no tax field in Accurate's reference, so a PKP
        # store invoices it as a taxed line of a service item instead (docs/POSTING.md §4).
        if self.shipping is ShippingRule.REVENUE_AND_EXPENSE and self.tax.pkp and self.shipping_item is None:
            raise ValueError(
                "shipping: revenue_and_expense on a PKP store needs shipping_item: the Accurate service item "
                "(e.g. JASA-ONGKIR) whose sales account is accounts.shipping_revenue, so that the shipping is "
                "taxed inside the DPP; or use shipping: pass_through (accounts.shipping_clearing) or exclude"
            )
        return self

    @property
    def shipping_as_item(self) -> bool:
        """The buyer's shipping is invoiced as a taxed line of `shipping_item` (a PKP store booking it as revenue)
        rather than as an untaxed charge line."""
        return self.shipping is ShippingRule.REVENUE_AND_EXPENSE and self.tax.pkp and self.shipping_item is not None

    @model_validator(mode="after")
    def _shipping_clearing_when_passed_through(self) -> StoreMapping:
        if self.shipping is ShippingRule.PASS_THROUGH and self.accounts.shipping_clearing is None:
            raise ValueError("shipping: pass_through needs accounts.shipping_clearing (e.g. Titipan Ongkir Kurir)")
        return self

    @property
    def shipping_accounts(self) -> tuple[str, str] | None:
        """Where the buyer's shipping goes: (the invoice's account, the account the settlement deducts it on) —
        shipping revenue and expense, or the clearing account twice; None when the store leaves it out."""
        accounts = self.accounts
        if (
            self.shipping is ShippingRule.REVENUE_AND_EXPENSE
            and accounts.shipping_revenue
            and accounts.shipping_expense
        ):
            return accounts.shipping_revenue, accounts.shipping_expense
        if self.shipping is ShippingRule.PASS_THROUGH and accounts.shipping_clearing is not None:
            return accounts.shipping_clearing, accounts.shipping_clearing
        return None

    @model_validator(mode="after")
    def _price_reduction_accounts(self) -> StoreMapping:
        if self.refund_without_return is RefundWithoutReturn.PRICE_REDUCTION and (
            self.accounts.price_reduction is None or (self.tax.pkp and self.accounts.output_tax is None)
        ):
            raise ValueError(
                "refund_without_return: price_reduction needs accounts.price_reduction "
                "(and accounts.output_tax on a PKP store)"
            )
        return self

    @model_validator(mode="after")
    def _voucher_excess_account(self) -> StoreMapping:
        if self.voucher_above_price is VoucherAbovePrice.EXPENSE and self.accounts.seller_voucher_excess is None:
            raise ValueError("voucher_above_price: expense needs accounts.seller_voucher_excess (e.g. Beban Promosi)")
        return self

    @model_validator(mode="after")
    def _kept_fees_are_fee_kinds(self) -> StoreMapping:
        known = self.accounts.fee_accounts()
        unknown = [kind for kind in self.fees_kept_on_return if kind not in known]
        if unknown:
            raise ValueError(
                f"fees_kept_on_return names {', '.join(unknown)}, which is no fee kind of the store "
                f"(one of {', '.join(sorted(known))}; add others under accounts.extra_fees)"
            )
        return self

    @model_validator(mode="after")
    def _tax_accounts_when_booked(self) -> StoreMapping:
        if self.tax.fees_carry_ppn and self.accounts.input_tax is None:
            raise ValueError("tax.fee_tax_invoices on a PKP store needs accounts.input_tax (PPN Masukan)")
        if self.tax.pph22_withheld and self.pph22_account is None:
            raise ValueError(f"tax.pph22_withheld needs {self.pph22_setting} ({self._pph22_account_name})")
        return self

    @property
    def pph22_account(self) -> str | None:
        """Where PPh 22 the marketplace collected goes, per ``tax.pph22_treatment`` (None when not mapped)."""
        if self.tax.pph22_treatment is Pph22Treatment.FINAL_TAX:
            return self.accounts.pph22_final
        return self.accounts.pph22_prepaid

    @property
    def pph22_setting(self) -> str:
        """The mapping entry of `pph22_account`, for messages: ``accounts.pph22_prepaid`` or ``accounts.pph22_final``."""
        final = self.tax.pph22_treatment is Pph22Treatment.FINAL_TAX
        return "accounts.pph22_final" if final else "accounts.pph22_prepaid"

    @property
    def _pph22_account_name(self) -> str:
        final = self.tax.pph22_treatment is Pph22Treatment.FINAL_TAX
        return "Beban PPh Final" if final else "PPh 22 dibayar dimuka"

    def trigger_for(self, is_cod: bool) -> str:
        """The status from which an order of this store is invoiced: `cod_trigger_status` for a cash-on-delivery
        order, else `trigger_status`."""
        return self.cod_trigger_status if is_cod else self.trigger_status

    def warehouse_for(self, ginee_warehouse_id: str | None) -> str:
        """The Accurate warehouse goods of this Ginee warehouse leave from; unknown ones put the order on hold."""
        if ginee_warehouse_id is None or ginee_warehouse_id == "":
            if self.default_warehouse is not None:
                return self.default_warehouse
            raise OnHold(
                "unmapped_warehouse",
                f"an order line of store {self.name} names no Ginee warehouse and the store has no default",
                "add default_warehouse to the store in the mapping and apply it",
            )
        try:
            return self.warehouses[ginee_warehouse_id]
        except KeyError:
            raise OnHold(
                "unmapped_warehouse",
                f"Ginee warehouse {ginee_warehouse_id} of store {self.name} has no Accurate warehouse",
                f"map {ginee_warehouse_id} under the store's warehouses in the mapping and apply it",
            ) from None

    def return_warehouse_for(self, shipped_from: str) -> str:
        """The Accurate warehouse returned goods go back into (the return warehouse, else where they left)."""
        return self.return_warehouse if self.return_warehouse is not None else shipped_from


ItemType = Literal["INVENTORY", "NON_INVENTORY", "SERVICE"]


class ItemPolicy(_Strict):
    """How master SKUs missing in Accurate are handled."""

    auto_create: bool = False
    item_type: ItemType = "INVENTORY"
    unit: NonEmpty = "PCS"
    category: NonEmpty | None = None
    tax_name: NonEmpty | None = None
    """The Accurate tax (``tax1Name``) on Items omsync creates, e.g. PPN: Accurate taxes an ordinary invoice's line
    by its item's tax (docs/POSTING.md §3a). None: the tax the mapping's PKP stores name, when they name one."""


PurchaseDocument = Literal["purchase_invoice", "receive_item"]


class PurchasePolicy(_Strict):
    """How Ginee's purchase inbounds and stock adjustments are booked (docs/POSTING.md, purchases)."""

    enabled: bool = False
    """Book inbounds and stock adjustments in Accurate. Off by default: a seller who enters purchases in
    Accurate by hand would otherwise get each one twice; while off, their notifications are acknowledged."""
    default_vendor: NonEmpty | None = None
    vendors: dict[NonEmpty, NonEmpty] = {}
    """Ginee supplier name → Accurate vendor number."""
    document: PurchaseDocument = "purchase_invoice"
    """What a received inbound becomes: a Purchase Invoice (Faktur Pembelian: stock and Hutang Usaha), or a
    Receive Item (Penerimaan Barang: stock and Hutang Barang Belum Ditagih, billed later in Accurate)."""
    cancellation: Literal["delete"] = "delete"
    """An inbound cancelled (INVALID) after its documents were posted: they are deleted."""
    branch: NonEmpty | None = None
    """Accurate branch of purchase documents and adjustments (required when the database has several)."""
    number_prefix: NonEmpty = "PB-"
    """Prefix of purchase document and adjustment numbers (then the Ginee inbound/outbound id and part)."""
    warehouses: dict[NonEmpty, NonEmpty] = {}
    """Ginee warehouse id → Accurate warehouse name; a warehouse not listed here is looked up in the stores'."""
    adjustment_account: NonEmpty | None = None
    """Account of Item Adjustments (Penyesuaian Persediaan); without it stock adjustments are held."""
    opening_account: NonEmpty | None = None
    """Account of the opening stock `omsync stock init` books (Ekuitas Saldo Awal); default: the adjustment account."""

    def vendor_for(self, supplier_name: str | None) -> str:
        """The Accurate vendor of a Ginee supplier (else the default); raises `OnHold` when there is none."""
        vendor = self.vendors.get(supplier_name or "", self.default_vendor)
        if vendor is None:
            raise OnHold(
                "unmapped_vendor",
                f"Ginee supplier {supplier_name or '(none)'} has no Accurate vendor and there is no default",
                "add the supplier under purchases.vendors (or purchases.default_vendor) in the mapping and apply it",
            )
        return vendor


class ReferenceKind(StrEnum):
    ACCOUNT = "account"
    BRANCH = "branch"
    WAREHOUSE = "warehouse"
    CUSTOMER = "customer"
    TAX = "tax"
    VENDOR = "vendor"
    ITEM_CATEGORY = "item_category"
    UNIT = "unit"
    ITEM = "item"


@dataclass(frozen=True)
class Reference:
    """One Accurate master record the mapping names: it must exist before the mapping is applied."""

    kind: ReferenceKind
    value: str
    path: FieldPath
    line: int | None

    @property
    def where(self) -> str:
        """``line N: dotted.path`` (or just the path when the mapping did not come from YAML)."""
        dotted = _dotted(self.path)
        return f"line {self.line}: {dotted}" if self.line is not None else dotted


class ConnectionMapping(_Strict):
    """The whole mapping of one connection: stores by Ginee shopId, item and purchase policies."""

    stores: dict[NonEmpty, StoreMapping] = Field(min_length=1)
    items: ItemPolicy = ItemPolicy()
    purchases: PurchasePolicy = PurchasePolicy()

    @model_validator(mode="after")
    def _prefixes_are_unique(self) -> ConnectionMapping:
        # Two stores with one prefix could mint the same document number for different orders.
        seen: dict[str, str] = {}
        for shop_id, store in self.stores.items():
            if store.number_prefix in seen:
                raise ValueError(
                    f"stores {seen[store.number_prefix]} and {shop_id} share number_prefix {store.number_prefix!r}"
                )
            seen[store.number_prefix] = shop_id
        return self

    def store(self, shop_id: str) -> StoreMapping:
        """The mapping of one Ginee store; a store not in the mapping puts its orders on hold."""
        try:
            return self.stores[shop_id]
        except KeyError:
            raise OnHold(
                "unmapped_store",
                f"Ginee store {shop_id} is not in the mapping",
                f"add stores.{shop_id} (customer, accounts, warehouses) to the mapping and run `omsync mapping apply`",
            ) from None

    @property
    def item_tax_name(self) -> str | None:
        """The tax set on Items omsync creates: ``items.tax_name``, else the one tax every PKP store names
        (None when no store is PKP, or PKP stores name different taxes)."""
        if self.items.tax_name is not None:
            return self.items.tax_name
        named = {store.tax.tax_name for store in self.stores.values() if store.tax.pkp and store.tax.tax_name}
        return named.pop() if len(named) == 1 else None

    def references(self, lines: Mapping[FieldPath, int] | None = None) -> list[Reference]:
        """Every Accurate record this mapping names, with the YAML line when ``lines`` is given."""
        found = list(self._walk_references())
        line_of = lines or {}
        return [Reference(kind, value, path, _line_for(path, line_of)) for kind, value, path in found]

    def _walk_references(self) -> Iterator[tuple[ReferenceKind, str, FieldPath]]:
        for shop_id, store in self.stores.items():
            base: FieldPath = ("stores", shop_id)
            yield ReferenceKind.CUSTOMER, store.customer_no, (*base, "customer_no")
            if store.branch is not None:
                yield ReferenceKind.BRANCH, store.branch, (*base, "branch")
            if store.tax.tax_name is not None:
                yield ReferenceKind.TAX, store.tax.tax_name, (*base, "tax", "tax_name")
            for field_name, account in store.accounts.model_dump().items():
                if isinstance(account, dict):
                    for kind, extra in account.items():
                        yield ReferenceKind.ACCOUNT, extra, (*base, "accounts", field_name, kind)
                elif account is not None:
                    yield ReferenceKind.ACCOUNT, account, (*base, "accounts", field_name)
            for ginee_id, warehouse in store.warehouses.items():
                yield ReferenceKind.WAREHOUSE, warehouse, (*base, "warehouses", ginee_id)
            if store.default_warehouse is not None:
                yield ReferenceKind.WAREHOUSE, store.default_warehouse, (*base, "default_warehouse")
            if store.return_warehouse is not None:
                yield ReferenceKind.WAREHOUSE, store.return_warehouse, (*base, "return_warehouse")
            if store.shipping_as_item and store.shipping_item is not None:
                yield ReferenceKind.ITEM, store.shipping_item, (*base, "shipping_item")
        yield ReferenceKind.UNIT, self.items.unit, ("items", "unit")
        if self.items.tax_name is not None:
            yield ReferenceKind.TAX, self.items.tax_name, ("items", "tax_name")
        if self.items.category is not None:
            yield ReferenceKind.ITEM_CATEGORY, self.items.category, ("items", "category")
        if self.purchases.default_vendor is not None:
            yield ReferenceKind.VENDOR, self.purchases.default_vendor, ("purchases", "default_vendor")
        for supplier, vendor in self.purchases.vendors.items():
            yield ReferenceKind.VENDOR, vendor, ("purchases", "vendors", supplier)
        if self.purchases.branch is not None:
            yield ReferenceKind.BRANCH, self.purchases.branch, ("purchases", "branch")
        for ginee_id, warehouse in self.purchases.warehouses.items():
            yield ReferenceKind.WAREHOUSE, warehouse, ("purchases", "warehouses", ginee_id)
        if self.purchases.adjustment_account is not None:
            yield ReferenceKind.ACCOUNT, self.purchases.adjustment_account, ("purchases", "adjustment_account")
        if self.purchases.opening_account is not None:
            yield ReferenceKind.ACCOUNT, self.purchases.opening_account, ("purchases", "opening_account")

    def purchase_warehouse(self, ginee_warehouse_id: str | None) -> str:
        """The Accurate warehouse of a Ginee warehouse for purchases and adjustments: ``purchases.warehouses``,
        else the first store mapping it; raises `OnHold` (``unmapped_warehouse``) when none does."""
        wanted = ginee_warehouse_id or ""
        if wanted in self.purchases.warehouses:
            return self.purchases.warehouses[wanted]
        for store in self.stores.values():
            if wanted in store.warehouses:
                return store.warehouses[wanted]
        raise OnHold(
            "unmapped_warehouse",
            f"Ginee warehouse {wanted or '(none)'} of a purchase or adjustment has no Accurate warehouse",
            f"map {wanted or 'the warehouse'} under purchases.warehouses in the mapping and apply it",
        )


# --- YAML in -------------------------------------------------------------------------------------


class MappingError(ValueError):
    """The mapping file is not valid; ``problems`` holds one ``line N: path: message`` per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid mapping:\n" + "\n".join(f"  {p}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class LoadedMapping:
    """A validated mapping together with the YAML line of every field, for messages that point at the file."""

    mapping: ConnectionMapping
    lines: dict[FieldPath, int]

    def references(self) -> list[Reference]:
        """Every Accurate record the mapping names, each with the YAML line that names it."""
        return self.mapping.references(self.lines)

    def line_of(self, path: FieldPath) -> int | None:
        """The YAML line of a field (or of its nearest enclosing key)."""
        return _line_for(path, self.lines)


def load_mapping(text: str) -> LoadedMapping:
    """Parse and validate a mapping YAML document; raises `MappingError` listing every problem by line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise MappingError([f"{where}not valid YAML: {problem}"]) from None
    if root is None:
        raise MappingError(["line 1: the mapping is empty"])
    lines: dict[FieldPath, int] = {}
    problems: list[str] = []
    data = _to_python(root, (), lines, problems)
    if problems:
        raise MappingError(problems)
    if not isinstance(data, dict):
        raise MappingError([f"line {root.start_mark.line + 1}: the mapping must be a YAML mapping (key: value)"])
    try:
        mapping = ConnectionMapping.model_validate(data)
    except ValidationError as exc:
        raise MappingError(_describe(exc, lines)) from None
    return LoadedMapping(mapping, lines)


_FLOAT_TAG = "tag:yaml.org,2002:float"
_SCALARS = yaml.constructor.SafeConstructor()


def _to_python(node: yaml.Node, path: FieldPath, lines: dict[FieldPath, int], problems: list[str]) -> Any:
    """Build plain Python data from the YAML node tree, remembering each key's line (1-based)."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child: FieldPath = (*path, key)
            if key in result:
                problems.append(f"line {key_node.start_mark.line + 1}: {_dotted(child)}: duplicate key")
                continue
            lines[child] = key_node.start_mark.line + 1
            result[key] = _to_python(value_node, child, lines, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item_node in enumerate(node.value):
            child = (*path, index)
            lines[child] = item_node.start_mark.line + 1
            items.append(_to_python(item_node, child, lines, problems))
        return items
    if node.tag == _FLOAT_TAG:
        # Rates and amounts stay exact: never through float.
        return Decimal(str(node.value).replace("_", ""))
    return _SCALARS.construct_object(node, deep=True)


def _describe(exc: ValidationError, lines: Mapping[FieldPath, int]) -> list[str]:
    problems = []
    for error in exc.errors():
        # Pydantic puts validator names (e.g. "function-after[...]") in loc for model validators; drop them.
        path: FieldPath = tuple(part for part in error["loc"] if not (isinstance(part, str) and "[" in part))
        line = _line_for(path, lines)
        message = error["msg"]
        message = message.removeprefix("Value error, ")
        message = message[:1].lower() + message[1:]
        where = f"line {line}: " if line is not None else ""
        problems.append(f"{where}{_dotted(path) or '(top level)'}: {message}")
    return problems


def _line_for(path: FieldPath, lines: Mapping[FieldPath, int]) -> int | None:
    # A missing field has no line of its own: point at the nearest enclosing key that exists.
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def _dotted(path: FieldPath) -> str:
    return ".".join(str(part) for part in path)


# --- versioned storage ---------------------------------------------------------------------------


def canonical_json(mapping: ConnectionMapping) -> str:
    """The mapping as canonical JSON (sorted keys, no spaces): equal mappings give equal text."""
    return json.dumps(mapping.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(mapping: ConnectionMapping) -> str:
    """SHA-256 of the canonical JSON: applying an unchanged mapping again is recognised as no change."""
    return hashlib.sha256(canonical_json(mapping).encode("utf-8")).hexdigest()


def mapping_from_json(text: str) -> ConnectionMapping:
    """Read back a mapping stored with `canonical_json`."""
    return ConnectionMapping.model_validate_json(text)


def mapping_sort_key(version: int) -> str:
    """The Ledger sort key of one mapping version (``MAPPING#000007``); versions sort as text."""
    if not 1 <= version <= 999_999:
        raise ValueError(f"mapping version out of range: {version}")
    return f"{MAPPING_SK_PREFIX}{version:06d}"


def version_from_sort_key(sort_key: str) -> int:
    """The version number inside a ``MAPPING#000007`` sort key."""
    if not sort_key.startswith(MAPPING_SK_PREFIX):
        raise ValueError(f"not a mapping sort key: {sort_key!r}")
    return int(sort_key.removeprefix(MAPPING_SK_PREFIX))


def next_version(latest: int | None) -> int:
    """The version number the next applied mapping gets (1 for the first)."""
    return 1 if latest is None else latest + 1
