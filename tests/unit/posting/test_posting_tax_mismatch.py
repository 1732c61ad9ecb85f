"""Specification: omsync books what Accurate books (issue 17, build item 2; docs/POSTING.md §3a). An invoice Accurate
booked on another tax than the plan is held ``tax_mismatch``: within the rounding leftover (Rp1: omsync rounds PPN
half up, Accurate down) the figures agree; beyond it the hold names both figures and the store's tax set-up. A
receipt pays exactly what Accurate says the invoice owes."""

from __future__ import annotations

from decimal import Decimal

from posting_builders import item, order, store

from omsync.accurate.documents import SalesReceipt, SalesReturn, SalesReturnItem
from omsync.posting.amounts import ROUNDING_LEFTOVER, TAX_MISMATCH, planned_ppn, tax_mismatch_hold
from omsync.posting.invoice import plan_sales_invoice
from omsync.posting.receipts import plan_estimate_receipt


def test_accurates_ppn_rounded_down_is_within_the_rounding_leftover_of_the_plan() -> None:
    # 50,000 including PPN: omsync plans 4,955 (half up), Accurate books 4,954 (down; reference §16)
    invoice = plan_sales_invoice(order(item("A", 1, "50000")), store())

    assert Decimal(1) == ROUNDING_LEFTOVER
    assert tax_mismatch_hold(invoice, store(), Decimal(4954)) is None
    assert tax_mismatch_hold(invoice, store(), Decimal(4955)) is None


def test_a_ppn_beyond_the_leftover_holds_the_order_naming_both_figures_and_the_setting() -> None:
    # 111,000 including PPN at 12% on 11/12 is 11,000; a company whose tax PPN is 11% books 10,167
    invoice = plan_sales_invoice(order(item("A", 2, "55500")), store())

    hold = tax_mismatch_hold(invoice, store(), Decimal(10167))

    assert hold is not None and hold.cause == TAX_MISMATCH
    assert hold.reason == (
        "invoice TP-INV/20260315/1001: Accurate booked PPN 10,167, omsync planned 11,000 (tax PPN at 12% on DPP "
        "Nilai Lain 11/12, the store's mapping)"
    )
    assert "the rate of tax PPN (Perusahaan → Pajak)" in hold.hint
    assert "save invoice TP-INV/20260315/1001 again in Accurate" in hold.hint


def test_the_receipt_pays_exactly_what_accurate_says_the_invoice_owes() -> None:
    # 45,045 excluding PPN: omsync plans PPN 4,955 (half up), Accurate books 4,954 (down) and says the invoice
    # comes to 49,999 (its totalAmount, kept in the Ledger): the receipt pays 49,999, not the plan's 50,000,
    # which Accurate would refuse as more than the invoice owes
    exclusive = store(tax={"pkp": True, "prices_include_ppn": False, "tax_name": "PPN"})
    sold = order(item("SKU-A", 1, "45045"), payment={"orderProcessingFee": "1250"})
    done = sold.model_copy(update={"order_status": "COMPLETED", "close_at": sold.pay_at})

    planned = plan_estimate_receipt(done, exclusive, invoice_total=Decimal(49999))
    by_plan = plan_estimate_receipt(done, exclusive)

    assert planned is not None and isinstance(planned.receipt, SalesReceipt)
    assert by_plan is not None and isinstance(by_plan.receipt, SalesReceipt)
    assert planned.receipt.detail_invoice[0].payment_amount == Decimal(49999)
    assert planned.receipt.cheque_amount == Decimal(49999 - 1250)
    assert by_plan.receipt.detail_invoice[0].payment_amount == Decimal(50000)


def test_a_sales_return_taxed_otherwise_holds_naming_the_return_and_its_recorded_lines_give_the_same_plan() -> None:
    # The return of 2 at 55,500 including PPN: planned 11,000; a company at 11% books 10,167 on it
    invoice = plan_sales_invoice(order(item("A", 2, "55500")), store())
    sales_return = SalesReturn(
        number="TP-INV/20260315/1001-R1",
        customer_no=invoice.customer_no,
        return_type="INVOICE",
        invoice_number=invoice.number,
        trans_date=invoice.trans_date,
        taxable=True,
        inclusive_tax=True,
        detail_item=[SalesReturnItem(item_no="A", unit_price=Decimal(55500), quantity=Decimal(2), use_tax1=True)],
    )

    hold = tax_mismatch_hold(sales_return, store(), Decimal(10167))

    assert hold is not None and hold.reason.startswith(
        "return TP-INV/20260315/1001-R1: Accurate booked PPN 10,167, omsync planned 11,000"
    )
    # The same plan from the lines the Ledger records (net, taxed): what the orders flow compares when it reads the
    # return again
    assert planned_ppn([(Decimal(111000), True)], store()) == Decimal(11000)
    assert tax_mismatch_hold(sales_return, store(), Decimal(10999)) is None


def test_the_receipt_takes_accurates_return_total_off_the_invoice() -> None:
    # 2 at 45,045 excluding PPN, one returned: Accurate's invoice 99,999 and return 49,999 (PPN rounded down); the
    # receipt pays 50,000 — the plan's return (50,000) would leave 49,999 paid and a rupiah on Piutang
    exclusive = store(tax={"pkp": True, "prices_include_ppn": False, "tax_name": "PPN"})
    sold = order(item("SKU-A", 2, "45045"), payment={"orderProcessingFee": "1250"})
    returns = [{"returnId": "RT1", "status": "COMPLETED", "items": [{"itemId": sold.items[0].item_id, "quantity": 1}]}]
    done = sold.model_copy(update={"order_status": "COMPLETED", "close_at": sold.pay_at})
    done = done.model_validate(done.model_dump(by_alias=True) | {"returnInfos": returns})
    number = "TP-INV/20260315/1001-R1"

    planned = plan_estimate_receipt(
        done, exclusive, invoice_total=Decimal(99999), return_totals={number: Decimal(49999)}
    )

    assert planned is not None and isinstance(planned.receipt, SalesReceipt)
    assert planned.receipt.detail_invoice[0].payment_amount == Decimal(50000)
