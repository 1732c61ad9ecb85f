"""Specification: the marketplace's money as Sales Receipts and journal vouchers (docs/POSTING.md §11–§14)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from posting_builders import ACCOUNTS, item, order, rp, store, worked_example_order

from omsync.accurate.documents import JournalVoucher, SalesReceipt
from omsync.errors import OnHold
from omsync.ginee.models import Order
from omsync.money import ZERO
from omsync.payouts.model import Payout, PayoutLine
from omsync.posting.receipts import (
    ESTIMATE_SOURCE,
    Owed,
    ReceiptEntry,
    SettledOrder,
    estimate_receipt_number,
    fee_order,
    owed,
    payout_journal_number,
    payout_receipt_number,
    plan_estimate_receipt,
    plan_payout,
    plan_refund_journal,
)

PAYOUT_DAY = date(2026, 3, 20)
ACCOUNTS_WITH_TAX = {**ACCOUNTS, "input_tax": "1-1401", "pph22_prepaid": "1-1402", "receivable": "1-1201"}


def completed(source: Order | None = None) -> Order:
    base = source or worked_example_order()
    assert base.pay_at is not None
    return base.model_copy(update={"order_status": "COMPLETED", "close_at": base.pay_at.replace(day=18)})


def journal_of(receipt: SalesReceipt) -> dict[str, Decimal]:
    """The receipt's journal as account → net debit (what Accurate books)."""
    lines: dict[str, Decimal] = {receipt.bank_no: receipt.cheque_amount}
    for paid in receipt.detail_invoice:
        lines["piutang"] = lines.get("piutang", Decimal(0)) - paid.payment_amount
        for discount in paid.detail_discount:
            lines[discount.account_no] = lines.get(discount.account_no, Decimal(0)) + discount.amount
    return lines


def jv_of(journal: JournalVoucher) -> dict[str, Decimal]:
    lines: dict[str, Decimal] = {}
    for line in journal.detail_journal_voucher:
        signed = line.amount if line.amount_type == "DEBIT" else -line.amount
        lines[line.account_no] = lines.get(line.account_no, Decimal(0)) + signed
    return lines


# --- estimate -------------------------------------------------------------------------------------------


def test_design_worked_example_receipt_to_the_rupiah() -> None:
    planned = plan_estimate_receipt(completed(), store())
    assert planned is not None and isinstance(planned.receipt, SalesReceipt)
    receipt = planned.receipt
    assert receipt.number == "TP-INV/20260315/1001-P"
    assert receipt.trans_date == date(2026, 3, 19)  # 18 March 17:05 UTC is 19 March in Jakarta
    assert receipt.bank_no == ACCOUNTS["marketplace_balance"]
    assert journal_of(receipt) == {
        "1-1102": rp(149043),
        "6-2001": rp(9657),
        "6-2004": rp(1250),
        "6-2003": rp(1000),
        "piutang": rp(-160950),
    }
    assert planned.entry == ReceiptEntry(
        rp(160950), rp(149043), {"6-2001": rp(9657), "6-2004": rp(1250), "6-2003": rp(1000)}
    )


def test_fees_are_listed_in_a_fixed_order_and_zero_fees_are_left_out() -> None:
    planned = plan_estimate_receipt(completed(), store())
    assert planned is not None and isinstance(planned.receipt, SalesReceipt)
    notes = [d.discount_notes for d in planned.receipt.detail_invoice[0].detail_discount]
    assert notes == ["INV/20260315/1001 commission", "INV/20260315/1001 payment", "INV/20260315/1001 order_processing"]
    assert fee_order(["zeta", "pph22", "payment", "alpha", "commission"]) == [
        "commission",
        "payment",
        "pph22",
        "alpha",
        "zeta",
    ]


def test_fee_ppn_goes_to_ppn_masukan_when_the_marketplace_issues_tax_invoices() -> None:
    pkp = store(tax={"pkp": True, "tax_name": "PPN", "fee_tax_invoices": True}, accounts=ACCOUNTS_WITH_TAX)
    planned = plan_estimate_receipt(completed(), pkp)
    assert planned is not None and isinstance(planned.receipt, SalesReceipt)
    # 9,657 → PPN 957 (9,657 × 11/111 = 956.99), expense 8,700; 1,250 → 124 + 1,126; 1,000 → 99 + 901.
    assert journal_of(planned.receipt) == {
        "1-1102": rp(149043),
        "6-2001": rp(8700),
        "6-2004": rp(1126),
        "6-2003": rp(901),
        "1-1401": rp(957 + 124 + 99),
        "piutang": rp(-160950),
    }


def test_fee_ppn_is_not_split_for_a_store_that_is_not_pkp() -> None:
    plain = store(tax={"pkp": False, "prices_include_ppn": False, "fee_tax_invoices": True}, accounts=ACCOUNTS_WITH_TAX)
    planned = plan_estimate_receipt(completed(), plain)
    assert planned is not None and isinstance(planned.receipt, SalesReceipt)
    assert "1-1401" not in journal_of(planned.receipt)


def test_pph22_withheld_is_half_a_percent_of_revenue_without_ppn() -> None:
    withheld = store(tax={"pkp": True, "tax_name": "PPN", "pph22_withheld": True}, accounts=ACCOUNTS_WITH_TAX)
    planned = plan_estimate_receipt(completed(), withheld)
    assert planned is not None and isinstance(planned.receipt, SalesReceipt)
    # revenue 145,000 × 0.5% = 725
    assert journal_of(planned.receipt)["1-1402"] == rp(725)
    assert planned.receipt.cheque_amount == rp(149043 - 725)


def test_a_mapping_without_the_tax_account_is_refused() -> None:
    with pytest.raises(ValueError, match="input_tax"):
        store(tax={"pkp": True, "tax_name": "PPN", "fee_tax_invoices": True})
    with pytest.raises(ValueError, match="pph22_prepaid"):
        store(tax={"pkp": True, "tax_name": "PPN", "pph22_withheld": True})


def test_the_receipt_pays_what_is_left_after_a_partial_return() -> None:
    returned = completed(
        order(
            item("SKU-A", 2, "55500"),
            item("SKU-B", 1, "111000"),
            payment={"commissionFee": "5000"},
            returnInfos=[
                {
                    "returnId": "RT-1",
                    "createAt": "2026-03-17T01:00:00Z",
                    "items": [{"itemId": "IT-SKU-A", "quantity": 1}],
                }
            ],
        )
    )
    due = owed(returned, store())
    assert due.outstanding == rp(222000 - 55500)
    assert due.revenue == rp(150000)
    planned = plan_estimate_receipt(returned, store())
    assert planned is not None and isinstance(planned.receipt, SalesReceipt)
    assert planned.receipt.detail_invoice[0].payment_amount == rp(166500)
    assert planned.receipt.cheque_amount == rp(161500)


def test_an_order_returned_in_full_gets_no_receipt() -> None:
    returned = completed(
        order(
            item("SKU-A", 1, "55500"),
            returnInfos=[{"returnId": "RT-1", "items": [{"itemId": "IT-SKU-A", "quantity": 1}]}],
        )
    )
    assert plan_estimate_receipt(returned, store()) is None


def test_fees_larger_than_the_payment_hold_the_order() -> None:
    costly = completed(order(item("SKU-A", 1, "10000"), payment={"commissionFee": "12000"}))
    with pytest.raises(OnHold) as held:
        plan_estimate_receipt(costly, store())
    assert held.value.cause == "fees_exceed_payment"


# --- payouts ----------------------------------------------------------------------------------------------


def line(sn: str, amount: str, net: str | None = None, row: int = 2, **fees: str) -> PayoutLine:
    fee_values = {kind: Decimal(value) for kind, value in fees.items()}
    amount_value = Decimal(amount)
    stated = Decimal(net) if net is not None else amount_value - sum(fee_values.values(), Decimal(0))
    return PayoutLine(sn, amount_value, fee_values, stated, row)


def payout(*lines: PayoutLine, amount: str | None = None, payout_id: str = "STMT-0001") -> Payout:
    total = Decimal(amount) if amount is not None else sum((ln.net for ln in lines), Decimal(0))
    return Payout(payout_id, PAYOUT_DAY, total, tuple(lines), "tiktok")


def known(
    order_id: str, invoice: str, outstanding: str, shipping: Decimal = ZERO, returned: Decimal = ZERO, **extra: Any
) -> SettledOrder:
    return SettledOrder(order_id, Owed(invoice, Decimal(outstanding), ZERO, shipping, returned), **extra)


def test_one_receipt_pays_every_invoice_of_the_payout_with_per_invoice_fees() -> None:
    plan = plan_payout(
        payout(
            line("A1", "160950", commission="9657", order_processing="1250", payment="1000"),
            line("A2", "55500", commission="3330", affiliate="2220"),
        ),
        store(),
        {"A1": known("SO-1", "TP-A1", "160950"), "A2": known("SO-2", "TP-A2", "55500")},
    )
    assert not plan.held
    receipt = plan.receipt
    assert receipt is not None and plan.journal is None
    assert receipt.number == payout_receipt_number("TP-", "STMT-0001") == "TP-STMT-0001"
    assert receipt.trans_date == PAYOUT_DAY
    assert receipt.cheque_amount == rp(149043 + 49950)
    assert [p.invoice_no for p in receipt.detail_invoice] == ["TP-A1", "TP-A2"]
    assert journal_of(receipt) == {
        "1-1102": rp(198993),
        "6-2001": rp(12987),
        "6-2004": rp(1250),
        "6-2003": rp(1000),
        "6-2005": rp(2220),
        "piutang": rp(-216450),
    }
    assert set(plan.receipted) == {"SO-1", "SO-2"}


def test_a_rupiah_from_the_invoice_goes_to_rounding_either_way() -> None:
    plan = plan_payout(
        payout(line("A1", "160949", commission="9657"), line("A2", "55501")),
        store(),
        {"A1": known("SO-1", "TP-A1", "160950"), "A2": known("SO-2", "TP-A2", "55500")},
    )
    assert plan.receipt is not None
    rounding = [
        (paid.invoice_no, discount.amount)
        for paid in plan.receipt.detail_invoice
        for discount in paid.detail_discount
        if discount.account_no == "8-1001"
    ]
    assert rounding == [("TP-A1", rp(1)), ("TP-A2", rp(-1))]
    books = journal_of(plan.receipt)
    assert books["1-1102"] == rp(160949 - 9657 + 55501)
    assert sum(books.values()) == 0


def test_two_rupiah_from_the_invoice_is_a_visible_difference_not_rounding() -> None:
    # The default tolerance is the rounding leftover (Rp1): more is held with both figures, never rounded away
    plan = plan_payout(
        payout(line("A1", "160948", commission="9657")), store(), {"A1": known("SO-1", "TP-A1", "160950")}
    )
    assert plan.receipt is None
    assert [(p.cause, p.order_sn) for p in plan.problems] == [("amount_mismatch", "A1")]
    assert "settles 160,948, its invoice owes 160,950 (difference 2, tolerance 1)" in plan.problems[0].message


def test_lines_that_do_not_add_up_hold_the_payout_with_the_difference() -> None:
    plan = plan_payout(
        payout(line("A1", "160950", commission="9657"), amount="151000"),
        store(),
        {"A1": known("SO-1", "TP-A1", "160950")},
    )
    assert plan.held and plan.receipt is None and plan.journal is None
    assert plan.hold_cause == "payout_unbalanced"
    assert "difference -293" in plan.problems[0].message


def test_a_line_whose_net_is_not_amount_less_fees_holds_the_payout() -> None:
    plan = plan_payout(
        payout(line("A1", "160950", net="151300", row=7, commission="9657")),
        store(),
        {"A1": known("SO-1", "TP-A1", "160950")},
    )
    assert plan.held and plan.problems[0].row == 7


@pytest.mark.parametrize(
    ("orders", "cause"),
    [
        ({}, "unknown_order"),
        ({"A1": known("SO-1", "TP-A1", "170000")}, "amount_mismatch"),
        ({"A1": known("SO-1", "TP-A1", "160950", receipt_source="STMT-0000")}, "already_settled"),
        ({"A1": known("SO-1", "TP-A1", "160950", exact_payout="STMT-0000")}, "already_settled"),
    ],
)
def test_what_does_not_match_holds_the_payout(orders: dict[str, SettledOrder], cause: str) -> None:
    plan = plan_payout(payout(line("A1", "160950", commission="9657")), store(), orders)
    assert plan.held and plan.hold_cause == cause
    assert plan.receipt is None and not plan.receipted


def test_a_fee_kind_without_an_account_holds_the_payout() -> None:
    plan = plan_payout(
        payout(line("A1", "160950", sfp_service="1500")), store(), {"A1": known("SO-1", "TP-A1", "160950")}
    )
    assert plan.hold_cause == "unmapped_fee"
    mapped = store(accounts={**ACCOUNTS, "extra_fees": {"sfp_service": "6-2010"}})
    plan = plan_payout(
        payout(line("A1", "160950", sfp_service="1500")), mapped, {"A1": known("SO-1", "TP-A1", "160950")}
    )
    assert plan.receipt is not None and journal_of(plan.receipt)["6-2010"] == rp(1500)


def test_a_payout_already_receipting_this_order_is_the_same_payout_again() -> None:
    plan = plan_payout(
        payout(line("A1", "160950")), store(), {"A1": known("SO-1", "TP-A1", "160950", receipt_source="STMT-0001")}
    )
    assert not plan.held and plan.receipt is not None


def test_after_an_estimate_only_the_difference_is_posted_as_a_journal_voucher() -> None:
    estimate = ReceiptEntry(rp(160950), rp(149043), {"6-2001": rp(9657), "6-2004": rp(1250), "6-2003": rp(1000)})
    plan = plan_payout(
        payout(line("A1", "160950", commission="9900", order_processing="1250", payment="1000", affiliate="500")),
        store(),
        {"A1": known("SO-1", "TP-A1", "160950", receipt_source=ESTIMATE_SOURCE, estimate=estimate)},
    )
    assert plan.receipt is None
    journal = plan.journal
    assert journal is not None
    assert journal.number == payout_journal_number("TP-", "STMT-0001") == "TP-STMT-0001-J"
    assert jv_of(journal) == {"6-2001": rp(243), "6-2005": rp(500), "1-1102": rp(-743)}
    assert plan.differences == {"SO-1": rp(-743)}


def test_a_difference_that_gives_money_back_debits_the_balance() -> None:
    estimate = ReceiptEntry(rp(160950), rp(149043), {"6-2001": rp(9657), "6-2004": rp(1250), "6-2003": rp(1000)})
    plan = plan_payout(
        payout(line("A1", "160950", commission="9000", order_processing="1250", payment="1000")),
        store(),
        {"A1": known("SO-1", "TP-A1", "160950", receipt_source=ESTIMATE_SOURCE, estimate=estimate)},
    )
    assert plan.journal is not None
    assert jv_of(plan.journal) == {"6-2001": rp(-657), "1-1102": rp(657)}


def test_an_estimate_that_was_exact_posts_nothing() -> None:
    estimate = ReceiptEntry(rp(160950), rp(149043), {"6-2001": rp(9657), "6-2004": rp(1250), "6-2003": rp(1000)})
    plan = plan_payout(
        payout(line("A1", "160950", commission="9657", order_processing="1250", payment="1000")),
        store(),
        {"A1": known("SO-1", "TP-A1", "160950", receipt_source=ESTIMATE_SOURCE, estimate=estimate)},
    )
    assert not plan.held and plan.receipt is None and plan.journal is None


def test_a_refund_line_moves_money_out_of_the_balance_against_the_receivable() -> None:
    refunding = store(accounts={**ACCOUNTS, "receivable": "1-1201"})
    plan = plan_payout(
        payout(line("A1", "-55500", commission="-3330"), line("A2", "111000", commission="6660")),
        refunding,
        {
            "A1": known("SO-1", "TP-A1", "0", returned=rp(55500), receipt_source="STMT-0000"),
            "A2": known("SO-2", "TP-A2", "111000"),
        },
    )
    assert not plan.held
    assert plan.receipt is not None and plan.receipt.cheque_amount == rp(104340)
    assert plan.journal is not None
    assert jv_of(plan.journal) == {"1-1201": rp(55500), "6-2001": rp(-3330), "1-1102": rp(-52170)}
    receivable = next(ln for ln in plan.journal.detail_journal_voucher if ln.account_no == "1-1201")
    assert receivable.customer_no == "C-TOKOPEDIA" and receivable.subsidiary_type == "CUSTOMER"
    assert plan.refunds == {"SO-1": rp(55500)}
    # Everything the payout moved into the balance is what the marketplace paid.
    assert plan.receipt.cheque_amount + jv_of(plan.journal)["1-1102"] == plan.payout.amount


def test_a_refund_already_moved_at_return_time_only_books_the_fees_given_back() -> None:
    refunding = store(accounts={**ACCOUNTS, "receivable": "1-1201"})
    plan = plan_payout(
        payout(line("A1", "-55500", commission="-3330")),
        refunding,
        {
            "A1": known(
                "SO-1", "TP-A1", "0", returned=rp(55500), receipt_source=ESTIMATE_SOURCE, refunds_reversed=rp(55500)
            )
        },
    )
    assert plan.journal is not None
    assert jv_of(plan.journal) == {"6-2001": rp(-3330), "1-1102": rp(3330)}


def test_a_refund_needs_the_receivable_account() -> None:
    plan = plan_payout(
        payout(line("A1", "-55500")),
        store(),
        {"A1": known("SO-1", "TP-A1", "0", returned=rp(55500), receipt_source="STMT-0000")},
    )
    assert plan.hold_cause == "unmapped_account"


def test_money_back_after_an_estimated_receipt_is_a_journal_not_a_negative_receipt() -> None:
    refunding = store(accounts={**ACCOUNTS, "receivable": "1-1201"})
    journal = plan_refund_journal("TP-A1-R1", rp(55500), PAYOUT_DAY, refunding, "A1")
    assert journal.number == "TP-A1-R1-J"
    assert jv_of(journal) == {"1-1201": rp(55500), "1-1102": rp(-55500)}
    with pytest.raises(OnHold):
        plan_refund_journal("TP-A1-R1", rp(55500), PAYOUT_DAY, store(), "A1")


def test_numbers_fit_accurate_and_keep_their_suffix() -> None:
    long_invoice = "TP-" + "9" * 40
    assert len(estimate_receipt_number(long_invoice)) <= 30
    assert estimate_receipt_number(long_invoice).endswith("-P")
    assert len(payout_journal_number("TP-", "X" * 40)) <= 30


# --- the worked journals of docs/POSTING.md §4, §12–§14 ------------------------------------------------------


def test_buyer_shipping_on_the_invoice_is_passed_to_the_courier_at_the_receipt() -> None:
    # shipping: pass_through — on the invoice for the courier (clearing account 6-2007 here), cleared at settlement
    shipping = store(shipping="pass_through", accounts={**ACCOUNTS, "shipping_clearing": "6-2007"})
    planned = plan_estimate_receipt(completed(), shipping)
    assert planned is not None and isinstance(planned.receipt, SalesReceipt)
    books = journal_of(planned.receipt)
    assert books["piutang"] == rp(-169950)
    assert books["6-2007"] == rp(9000)
    assert books["1-1102"] == rp(149043)
    # A payout settles the items only; the shipping is not a difference
    plan = plan_payout(
        payout(line("A1", "160950", commission="9657", order_processing="1250", payment="1000")),
        shipping,
        {"A1": known("SO-1", "TP-A1", "169950", shipping=rp(9000))},
    )
    assert plan.receipt is not None and "8-1001" not in journal_of(plan.receipt)
    assert journal_of(plan.receipt)["6-2007"] == rp(9000)


def test_a_pkp_stores_taxed_shipping_revenue_is_expensed_at_the_receipt_as_the_couriers_charge() -> None:
    # shipping: revenue_and_expense on the PKP store: a taxed JASA-ONGKIR line on the invoice (Accurate's total
    # 169,950), the courier's 9,000 on shipping_expense (6-2007 here) at the receipt, as POSTING.md §4's journal
    taxed = store(shipping="revenue_and_expense", shipping_item="JASA-ONGKIR")
    planned = plan_estimate_receipt(completed(), taxed, invoice_total=rp(169950))
    assert planned is not None and isinstance(planned.receipt, SalesReceipt)
    books = journal_of(planned.receipt)
    assert (books["piutang"], books["6-2007"], books["1-1102"]) == (rp(-169950), rp(9000), rp(149043))


def test_posting_12_after_one_unit_returned_the_receipt_pays_107300_less_fees() -> None:
    example = worked_example_order()
    returned = completed(
        order(
            item("SKU-B", 3, "55500", "53650"),
            payment=example.payment_info.model_dump(by_alias=True),
            returnInfos=[
                {
                    "returnId": "RT-1",
                    "createAt": "2026-03-16T01:00:00Z",
                    "items": [{"itemId": "IT-SKU-B", "quantity": 1}],
                }
            ],
        )
    )
    planned = plan_estimate_receipt(returned, store())
    assert planned is not None and isinstance(planned.receipt, SalesReceipt)
    assert planned.receipt.detail_invoice[0].payment_amount == rp(107300)
    assert planned.receipt.cheque_amount == rp(107300 - 9657 - 1250 - 1000)
    assert planned.entry.returns == ("RT-1",)


def test_posting_13_estimate_then_exact_commission_333_more() -> None:
    estimate = ReceiptEntry(rp(160950), rp(149043), {"6-2001": rp(9657), "6-2004": rp(1250), "6-2003": rp(1000)})
    plan = plan_payout(
        payout(line("A1", "160950", commission="9990", order_processing="1250", payment="1000")),
        store(),
        {"A1": known("SO-1", "TP-A1", "160950", receipt_source=ESTIMATE_SOURCE, estimate=estimate)},
    )
    assert plan.journal is not None
    assert jv_of(plan.journal) == {"6-2001": rp(333), "1-1102": rp(-333)}


def test_posting_14_one_unit_returned_after_the_receipt() -> None:
    refunding = store(accounts={**ACCOUNTS, "receivable": "1-1201"})
    journal = plan_refund_journal("TP-INV/20260315/1001-R1", rp(53650), PAYOUT_DAY, refunding, "INV/20260315/1001")
    assert journal.number == "TP-INV/20260315/1001-R1-J"
    assert jv_of(journal) == {"1-1201": rp(53650), "1-1102": rp(-53650)}


def test_a_payout_for_goods_returned_since_pays_what_is_owed_and_leaves_the_rest_to_the_refund_row() -> None:
    refunding = store(accounts={**ACCOUNTS, "receivable": "1-1201"})
    # The invoice of 160,950 had 53,650 returned after the payout was made but before the file came.
    plan = plan_payout(
        payout(line("A1", "160950", commission="9657")),
        refunding,
        {"A1": known("SO-1", "TP-A1", "107300", returned=rp(53650))},
    )
    assert not plan.held
    assert plan.receipt is not None
    assert plan.receipt.detail_invoice[0].payment_amount == rp(107300)
    assert plan.receipt.cheque_amount == rp(107300 - 9657)
    assert plan.journal is not None
    assert jv_of(plan.journal) == {"1-1201": rp(-53650), "1-1102": rp(53650)}
    # Together the payout put exactly what the marketplace paid into the balance
    assert plan.receipt.cheque_amount + jv_of(plan.journal)["1-1102"] == plan.payout.amount


def test_a_payout_for_an_order_returned_in_full_since_is_a_journal_only() -> None:
    refunding = store(accounts={**ACCOUNTS, "receivable": "1-1201"})
    plan = plan_payout(
        payout(line("A1", "160950", commission="9657")),
        refunding,
        {"A1": known("SO-1", "TP-A1", "0", returned=rp(160950))},
    )
    assert plan.receipt is None and plan.journal is not None
    assert jv_of(plan.journal) == {"1-1201": rp(-160950), "6-2001": rp(9657), "1-1102": rp(151293)}
    assert plan.differences == {"SO-1": rp(151293)}


def test_an_estimate_that_already_left_out_a_later_return_books_the_payouts_excess_on_the_customer() -> None:
    refunding = store(accounts={**ACCOUNTS, "receivable": "1-1201"})
    # The estimate was posted after the return: it paid 107,300 (160,950 − 53,650) less the fees.
    estimate = ReceiptEntry(rp(107300), rp(95393), {"6-2001": rp(9657), "6-2004": rp(1250), "6-2003": rp(1000)})
    plan = plan_payout(
        payout(line("A1", "160950", commission="9657", order_processing="1250", payment="1000")),
        refunding,
        {"A1": known("SO-1", "TP-A1", "107300", returned=rp(53650), receipt_source=ESTIMATE_SOURCE, estimate=estimate)},
    )
    assert not plan.held and plan.receipt is None
    assert plan.journal is not None
    assert jv_of(plan.journal) == {"1-1201": rp(-53650), "1-1102": rp(53650)}
