"""One fully filled example of every document kind the client can build (shared by the unit tests)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from omsync.accurate.documents import (
    AccurateDocument,
    Customer,
    Item,
    ItemAdjustment,
    ItemAdjustmentLine,
    ItemOpeningBalance,
    JournalLine,
    JournalVoucher,
    PurchaseExpense,
    PurchaseInvoice,
    PurchaseInvoiceItem,
    ReceiptDiscount,
    ReceiptInvoice,
    ReceiveItem,
    ReceiveItemLine,
    SalesInvoice,
    SalesInvoiceExpense,
    SalesInvoiceItem,
    SalesReceipt,
    SalesReturn,
    SalesReturnItem,
    Vendor,
)

DAY = date(2026, 3, 1)


def every_document() -> list[AccurateDocument]:
    """Each kind with every optional field the models offer set, so the whole surface is checked."""
    return [
        Item(
            item_type="INVENTORY",
            name="Kaos",
            no="SKU-X",
            item_category_name="Umum",
            unit1_name="PCS",
            unit_price=Decimal("55500"),
            upc_no="899",
            tax1_name="PPN",
            notes="n",
            inventory_gl_account_no="1301",
            sales_gl_account_no="4101",
            sales_ret_gl_account_no="4102",
            cogs_gl_account_no="5101",
            detail_open_balance=[
                ItemOpeningBalance(
                    quantity=Decimal(5),
                    unit_cost=Decimal(100),
                    warehouse_name="Gudang Utama",
                    as_of=DAY,
                    item_unit_name="PCS",
                )
            ],
        ),
        Customer(
            name="Shopee - Toko",
            trans_date=DAY,
            customer_no="C-1",
            branch_name="Kantor Pusat",
            category_name="Umum",
            email="a@b.c",
            mobile_phone="0812",
            npwp_no="01",
            bill_street="Jl",
            bill_city="Jakarta",
            bill_province="DKI",
            bill_zip_code="10110",
            bill_country="Indonesia",
        ),
        Vendor(
            name="PT Pemasok",
            trans_date=DAY,
            vendor_no="V-1",
            branch_name="Kantor Pusat",
            email="a@b.c",
            mobile_phone="0812",
            npwp_no="01",
            bill_street="Jl",
            bill_city="Bandung",
        ),
        SalesInvoice(
            customer_no="C-1",
            trans_date=DAY,
            number="SI-1",
            branch_name="Kantor Pusat",
            description="d",
            po_number="PO",
            taxable=True,
            inclusive_tax=True,
            tax1_name="PPN",
            cash_discount=Decimal(1),
            ship_date=DAY,
            payment_term_name="COD",
            detail_item=[
                SalesInvoiceItem(
                    item_no="SKU-X",
                    unit_price=Decimal(1),
                    quantity=Decimal(1),
                    item_unit_name="PCS",
                    detail_name="n",
                    detail_notes="n",
                    item_cash_discount=Decimal(0),
                    item_disc_percent="5",
                    warehouse_name="Gudang Utama",
                    use_tax1=True,
                    department_name="D",
                    project_no="P",
                )
            ],
            detail_expense=[
                SalesInvoiceExpense(
                    account_no="6106",
                    expense_amount=Decimal(1),
                    expense_name="Ongkir",
                    expense_notes="n",
                    department_name="D",
                )
            ],
        ),
        SalesReceipt(
            customer_no="C-1",
            bank_no="1103",
            cheque_amount=Decimal(1),
            trans_date=DAY,
            number="SR-1",
            branch_name="Kantor Pusat",
            description="d",
            payment_method="OTHERS",
            cheque_no="1",
            cheque_date=DAY,
            detail_invoice=[
                ReceiptInvoice(
                    invoice_no="SI-1",
                    payment_amount=Decimal(2),
                    detail_discount=[
                        ReceiptDiscount(
                            account_no="6101", amount=Decimal(1), discount_notes="komisi", department_name="D"
                        )
                    ],
                )
            ],
        ),
        SalesReturn(
            customer_no="C-1",
            return_type="INVOICE",
            trans_date=DAY,
            invoice_number="SI-1",
            number="SRT-1",
            branch_name="Kantor Pusat",
            description="d",
            taxable=True,
            inclusive_tax=True,
            detail_item=[
                SalesReturnItem(
                    item_no="SKU-X",
                    unit_price=Decimal(1),
                    quantity=Decimal(1),
                    item_unit_name="PCS",
                    item_cash_discount=Decimal(0),
                    warehouse_name="Gudang Retur",
                    use_tax1=True,
                    detail_notes="n",
                )
            ],
        ),
        PurchaseInvoice(
            vendor_no="V-1",
            trans_date=DAY,
            bill_number="B-1",
            number="PI-1",
            branch_name="Kantor Pusat",
            description="d",
            taxable=True,
            inclusive_tax=False,
            tax1_name="PPN",
            detail_item=[
                PurchaseInvoiceItem(
                    item_no="SKU-X",
                    unit_price=Decimal(1),
                    quantity=Decimal(1),
                    item_unit_name="PCS",
                    item_cash_discount=Decimal(0),
                    warehouse_name="Gudang Utama",
                    use_tax1=True,
                    receive_item_number="RI-1",
                    detail_notes="n",
                )
            ],
            detail_expense=[
                PurchaseExpense(account_no="6107", expense_amount=Decimal(1), expense_name="Ongkir", expense_notes="n")
            ],
        ),
        ReceiveItem(
            vendor_no="V-1",
            receive_number="SJ-1",
            trans_date=DAY,
            number="RI-1",
            branch_name="Kantor Pusat",
            description="d",
            detail_item=[
                ReceiveItemLine(
                    item_no="SKU-X",
                    unit_price=Decimal(1),
                    quantity=Decimal(1),
                    item_unit_name="PCS",
                    warehouse_name="Gudang Utama",
                    detail_notes="n",
                )
            ],
        ),
        ItemAdjustment(
            adjustment_account_no="6108",
            trans_date=DAY,
            number="IA-1",
            branch_name="Kantor Pusat",
            description="d",
            detail_item=[
                ItemAdjustmentLine(
                    item_no="SKU-X",
                    item_adjustment_type="ADJUSTMENT_IN",
                    quantity=Decimal(1),
                    unit_cost=Decimal(1),
                    warehouse_name="Gudang Utama",
                    item_unit_name="PCS",
                    detail_notes="n",
                ),
                ItemAdjustmentLine(item_no="SKU-X", item_adjustment_type="ADJUSTMENT_OUT", quantity=Decimal(1)),
            ],
        ),
        JournalVoucher(
            trans_date=DAY,
            number="JV-1",
            branch_name="Kantor Pusat",
            description="d",
            detail_journal_voucher=[
                JournalLine(
                    account_no="1101",
                    amount=Decimal(1),
                    amount_type="DEBIT",
                    memo="m",
                    subsidiary_type="CUSTOMER",
                    customer_no="C-1",
                    department_name="D",
                ),
                JournalLine(account_no="3101", amount=Decimal(1), amount_type="CREDIT", vendor_no="V-1"),
            ],
        ),
    ]


def minimal_documents() -> list[AccurateDocument]:
    """Each kind with only what its constructor demands, so the defaults are checked too."""
    line = {"item_no": "SKU-X", "unit_price": Decimal(1)}
    return [
        Item(item_type="SERVICE", name="Jasa"),
        Customer(name="C", trans_date=DAY),
        Vendor(name="V", trans_date=DAY),
        SalesInvoice(customer_no="C-1", trans_date=DAY, detail_item=[SalesInvoiceItem(**line)]),
        SalesReceipt(
            customer_no="C-1",
            bank_no="1103",
            cheque_amount=Decimal(1),
            trans_date=DAY,
            detail_invoice=[ReceiptInvoice(invoice_no="SI-1", payment_amount=Decimal(1))],
        ),
        SalesReturn(customer_no="C-1", return_type="NO_INVOICE", trans_date=DAY, detail_item=[SalesReturnItem(**line)]),
        PurchaseInvoice(vendor_no="V-1", trans_date=DAY, detail_item=[PurchaseInvoiceItem(**line)]),
        ReceiveItem(vendor_no="V-1", receive_number="SJ", trans_date=DAY, detail_item=[ReceiveItemLine(**line)]),
        ItemAdjustment(
            adjustment_account_no="6108",
            trans_date=DAY,
            detail_item=[
                ItemAdjustmentLine(item_no="SKU-X", item_adjustment_type="ADJUSTMENT_OUT", quantity=Decimal(1))
            ],
        ),
        JournalVoucher(
            trans_date=DAY,
            detail_journal_voucher=[
                JournalLine(account_no="1101", amount=Decimal(1), amount_type="DEBIT"),
                JournalLine(account_no="3101", amount=Decimal(1), amount_type="CREDIT"),
            ],
        ),
    ]
