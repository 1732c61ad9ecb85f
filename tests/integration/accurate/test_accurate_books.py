"""The client posts every document kind to the sandbox over HTTP; the journal and stock are what an accountant expects."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from omsync.accurate.client import AccurateClient
from omsync.accurate.documents import (
    Customer,
    Item,
    ItemAdjustment,
    ItemAdjustmentLine,
    JournalLine,
    JournalVoucher,
    PurchaseInvoice,
    PurchaseInvoiceItem,
    ReceiptDiscount,
    ReceiptInvoice,
    ReceiveItem,
    ReceiveItemLine,
    SalesInvoice,
    SalesInvoiceItem,
    SalesReceipt,
    SalesReturn,
    SalesReturnItem,
    Vendor,
)
from omsync.accurate.errors import DuplicateNumber, MasterNotFound, Rejected
from omsync_workshop.accurate.server import AccurateSandbox

DAY = date(2026, 3, 1)
BRANCH = "Kantor Pusat"


def lines(sandbox: AccurateSandbox, number: str) -> list[tuple[str, Decimal, Decimal]]:
    """(account no, debit, credit) of a document's journal, in posting order."""
    return [(line["accountNo"], line["debit"], line["credit"]) for line in sandbox.journal(number)]


def tokopedia_invoice(number: str = "TKP-1001") -> SalesInvoice:
    """DESIGN's worked example: 3 × SKU-A at 55,500 incl. PPN, seller discount 5,550, cost 30,000."""
    return SalesInvoice(
        customer_no="C-TOKOPEDIA",
        trans_date=DAY,
        number=number,
        branch_name=BRANCH,
        taxable=True,
        inclusive_tax=True,
        detail_item=[
            SalesInvoiceItem(
                item_no="SKU-A",
                unit_price=Decimal(55500),
                quantity=Decimal(3),
                item_cash_discount=Decimal(5550),
                warehouse_name="Gudang Utama",
                use_tax1=True,
            )
        ],
    )


def test_an_invoice_books_receivable_revenue_ppn_and_cogs_and_takes_stock(
    client: AccurateClient, sandbox: AccurateSandbox
) -> None:
    saved = client.save(tokopedia_invoice())
    assert saved.number == "TKP-1001"
    assert sorted(lines(sandbox, "TKP-1001")) == sorted(
        [
            ("1201", Decimal(160950), Decimal(0)),  # Piutang Usaha
            ("4101", Decimal(0), Decimal(145000)),  # Penjualan
            ("2201", Decimal(0), Decimal(15950)),  # PPN Keluaran
            ("5101", Decimal(90000), Decimal(0)),  # HPP
            ("1301", Decimal(0), Decimal(90000)),  # Persediaan
        ]
    )
    assert client.get_stock("SKU-A", "Gudang Utama") == Decimal(99997)


def test_a_receipt_books_the_marketplace_balance_and_each_fee(client: AccurateClient, sandbox: AccurateSandbox) -> None:
    client.save(tokopedia_invoice())
    fees = [("6101", 9657), ("6104", 1250), ("6103", 1000)]
    client.save(
        SalesReceipt(
            customer_no="C-TOKOPEDIA",
            bank_no="1104",
            cheque_amount=Decimal(149043),
            trans_date=date(2026, 3, 9),
            number="TKP-SR-1",
            branch_name=BRANCH,
            detail_invoice=[
                ReceiptInvoice(
                    invoice_no="TKP-1001",
                    payment_amount=Decimal(160950),
                    detail_discount=[ReceiptDiscount(account_no=a, amount=Decimal(v)) for a, v in fees],
                )
            ],
        )
    )
    assert sorted(lines(sandbox, "TKP-SR-1")) == sorted(
        [
            ("1104", Decimal(149043), Decimal(0)),  # Saldo Tokopedia
            ("6101", Decimal(9657), Decimal(0)),
            ("6104", Decimal(1250), Decimal(0)),
            ("6103", Decimal(1000), Decimal(0)),
            ("1201", Decimal(0), Decimal(160950)),
        ]
    )
    assert client.get_balance("1201") == Decimal(0)


def test_a_receipt_cannot_pay_more_than_is_outstanding(client: AccurateClient) -> None:
    client.save(tokopedia_invoice())
    too_much = SalesReceipt(
        customer_no="C-TOKOPEDIA",
        bank_no="1104",
        cheque_amount=Decimal(160951),
        trans_date=DAY,
        branch_name=BRANCH,
        detail_invoice=[ReceiptInvoice(invoice_no="TKP-1001", payment_amount=Decimal(160951))],
    )
    with pytest.raises(Rejected, match="sisa tagihan"):
        client.save(too_much)


def test_a_paid_invoice_cannot_be_deleted_but_an_unpaid_one_is_reversed(
    client: AccurateClient, sandbox: AccurateSandbox
) -> None:
    client.save(tokopedia_invoice("TKP-1"))
    client.save(tokopedia_invoice("TKP-2"))
    client.save(
        SalesReceipt(
            customer_no="C-TOKOPEDIA",
            bank_no="1104",
            cheque_amount=Decimal(160950),
            trans_date=DAY,
            branch_name=BRANCH,
            detail_invoice=[ReceiptInvoice(invoice_no="TKP-1", payment_amount=Decimal(160950))],
        )
    )
    with pytest.raises(Rejected, match="tidak dapat dihapus"):
        client.delete(SalesInvoice, number="TKP-1")
    client.delete(SalesInvoice, number="TKP-2")
    assert lines(sandbox, "TKP-2") == []
    assert client.get_stock("SKU-A", "Gudang Utama") == Decimal(99997)
    assert client.find_by_number(SalesInvoice, "TKP-2") is None


def test_a_sales_return_reverses_revenue_and_tax_and_puts_stock_back_at_its_cost(
    client: AccurateClient, sandbox: AccurateSandbox
) -> None:
    client.save(tokopedia_invoice())
    client.save(
        SalesReturn(
            customer_no="C-TOKOPEDIA",
            return_type="INVOICE",
            invoice_number="TKP-1001",
            trans_date=date(2026, 3, 5),
            number="TKP-RET-1",
            branch_name=BRANCH,
            detail_item=[
                SalesReturnItem(
                    item_no="SKU-A",
                    unit_price=Decimal(55500),
                    quantity=Decimal(1),
                    item_cash_discount=Decimal(1850),
                    warehouse_name="Gudang Retur",
                    use_tax1=True,
                )
            ],
        )
    )
    assert sorted(lines(sandbox, "TKP-RET-1")) == sorted(
        [
            # As Accurate computes it (reference/accurate-api.md §16): 53,650 / 1.11 to 6 decimals, the PPN
            # rounded down, the leftover 0.666667 back off the rounding account (Pembulatan)
            ("4102", Decimal("48333.333333"), Decimal(0)),  # Retur Penjualan
            ("2201", Decimal(5316), Decimal(0)),  # PPN Keluaran reversed
            ("7101", Decimal("0.666667"), Decimal(0)),
            ("1201", Decimal(0), Decimal(53650)),
            ("1301", Decimal(30000), Decimal(0)),  # back into stock at the invoice's cost
            ("5101", Decimal(0), Decimal(30000)),
        ]
    )
    assert client.get_stock("SKU-A", "Gudang Retur") == Decimal(1)


def test_a_purchase_moves_the_moving_average_and_books_ppn_input(
    client: AccurateClient, sandbox: AccurateSandbox
) -> None:
    client.save(Vendor(name="PT Baru", trans_date=DAY, vendor_no="V-2"))
    client.save(
        Item(
            item_type="INVENTORY",
            name="Dompet",
            no="SKU-D",
            unit1_name="PCS",
            detail_open_balance=[],
        )
    )
    client.save(
        PurchaseInvoice(
            vendor_no="V-2",
            trans_date=DAY,
            number="PI-1",
            branch_name=BRANCH,
            taxable=True,
            detail_item=[
                PurchaseInvoiceItem(item_no="SKU-D", unit_price=Decimal(10000), quantity=Decimal(10), use_tax1=True)
            ],
        )
    )
    client.save(
        PurchaseInvoice(
            vendor_no="V-2",
            trans_date=DAY,
            number="PI-2",
            branch_name=BRANCH,
            detail_item=[PurchaseInvoiceItem(item_no="SKU-D", unit_price=Decimal(13000), quantity=Decimal(10))],
        )
    )
    assert sorted(lines(sandbox, "PI-1")) == sorted(
        [
            ("1301", Decimal(100000), Decimal(0)),
            ("1401", Decimal(11000), Decimal(0)),
            ("2101", Decimal(0), Decimal(111000)),
        ]
    )
    client.save(
        SalesInvoice(
            customer_no="C-SHOPEE",
            trans_date=DAY,
            number="SHP-1",
            branch_name=BRANCH,
            detail_item=[SalesInvoiceItem(item_no="SKU-D", unit_price=Decimal(20000), quantity=Decimal(4))],
        )
    )
    # Moving average (100,000 + 130,000) / 20 = 11,500 per unit.
    assert ("5101", Decimal(46000), Decimal(0)) in lines(sandbox, "SHP-1")
    assert client.get_stock("SKU-D") == Decimal(16)


def test_goods_received_then_stock_adjusted_in_and_out(client: AccurateClient, sandbox: AccurateSandbox) -> None:
    client.save(
        ReceiveItem(
            vendor_no="V-0001",
            receive_number="SJ-77",
            trans_date=DAY,
            number="RI-1",
            branch_name=BRANCH,
            detail_item=[ReceiveItemLine(item_no="SKU-C", unit_price=Decimal(15000), quantity=Decimal(10))],
        )
    )
    assert sorted(lines(sandbox, "RI-1")) == sorted(
        [("1301", Decimal(150000), Decimal(0)), ("2102", Decimal(0), Decimal(150000))]
    )
    client.save(
        ItemAdjustment(
            adjustment_account_no="6108",
            trans_date=DAY,
            number="IA-1",
            branch_name=BRANCH,
            detail_item=[
                ItemAdjustmentLine(
                    item_no="SKU-C",
                    item_adjustment_type="ADJUSTMENT_OUT",
                    quantity=Decimal(2),
                    warehouse_name="Gudang Utama",
                )
            ],
        )
    )
    assert sorted(lines(sandbox, "IA-1")) == sorted(
        [("6108", Decimal(30000), Decimal(0)), ("1301", Decimal(0), Decimal(30000))]
    )
    assert client.get_stock("SKU-C", "Gudang Utama") == Decimal(50008)


def test_a_journal_voucher_must_balance(client: AccurateClient, sandbox: AccurateSandbox) -> None:
    def voucher(number: str, credit: int) -> JournalVoucher:
        return JournalVoucher(
            trans_date=DAY,
            number=number,
            branch_name=BRANCH,
            detail_journal_voucher=[
                JournalLine(account_no="1102", amount=Decimal(1000000), amount_type="DEBIT"),
                JournalLine(account_no="3101", amount=Decimal(credit), amount_type="CREDIT"),
            ],
        )

    with pytest.raises(Rejected, match="tidak seimbang"):
        client.save(voucher("JV-1", 999999))
    client.save(voucher("JV-1", 1000000))
    assert lines(sandbox, "JV-1") == [("1102", Decimal(1000000), Decimal(0)), ("3101", Decimal(0), Decimal(1000000))]


def test_masters_are_saved_and_missing_ones_named(client: AccurateClient) -> None:
    client.save(Customer(name="Lazada - Toko B", trans_date=DAY, customer_no="C-LZD-B"))
    assert client.detail(Customer, number="C-LZD-B")["name"] == "Lazada - Toko B"
    invoice = tokopedia_invoice().model_copy(update={"customer_no": "C-NOPE"})
    with pytest.raises(MasterNotFound) as missing:
        client.save(invoice)
    assert (missing.value.kind, missing.value.key) == ("Pelanggan", "C-NOPE")


def test_a_duplicate_number_is_reported_with_the_number(client: AccurateClient, sandbox: AccurateSandbox) -> None:
    client.save(tokopedia_invoice())
    with pytest.raises(DuplicateNumber) as duplicate:
        client.save(tokopedia_invoice())
    assert duplicate.value.number == "TKP-1001"
    assert len(sandbox.journal("TKP-1001")) == 5


def test_the_trial_balance_always_balances(client: AccurateClient, sandbox: AccurateSandbox) -> None:
    client.save(tokopedia_invoice())
    assert sum(sandbox.trial_balance().values(), Decimal(0)) == Decimal(0)


def test_reference_masters_can_be_listed_for_mapping_checks(client: AccurateClient) -> None:
    accounts = {row["no"]: row["name"] for row in client.list("glaccount", fields=("id", "no", "name"))}
    assert accounts["1103"] == "Saldo Shopee"
    assert [row["name"] for row in client.list("warehouse", fields=("name",))] == ["Gudang Utama", "Gudang Retur"]
    assert [row["name"] for row in client.list("branch", {"name": "Cabang Online"}, fields=("name",))] == [
        "Cabang Online"
    ]


def test_an_item_code_longer_than_30_characters_or_a_name_longer_than_255_is_refused(client: AccurateClient) -> None:
    # Accurate's item code takes 30 characters (reference/accurate-api.md §7.2); names 255 (docs/ARCHITECTURE.md)
    with pytest.raises(Rejected, match="Kode Barang terlalu besar. Maksimal 30 karakter"):
        client.save(Item(no="K" * 31, name="Kaos", item_type="INVENTORY"))
    with pytest.raises(Rejected, match="Nama Barang terlalu besar. Maksimal 255 karakter"):
        client.save(Item(no="KAOS-PANJANG", name="N" * 256, item_type="INVENTORY"))
    client.save(Item(no="K" * 30, name="N" * 255, item_type="INVENTORY"))
    assert client.detail(Item, number="K" * 30)["name"] == "N" * 255
