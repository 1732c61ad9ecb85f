"""Specification: options where the law gives sellers a choice (issue 17, build item 6; docs/POSTING.md §6, §11a).

- PPh 22 a marketplace collects: prepaid income tax (default, PMK 37/2025) or, for a seller under PP 55/2022,
  final tax (an expense); collection itself stays off by default (no marketplace is designated yet).
- Cash on delivery: the buyer pays the courier on delivery, so a COD order is invoiced once delivered (by
  default), dated the delivery day; a store may invoice COD orders from an earlier step.
- Buyer shipping: left out (default), revenue, or passed through — owed on to the courier on a clearing
  account that the settlement clears, never revenue and never taxed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from posting_builders import ACCOUNTS, item, order, rp, store, worked_example_order
from pydantic import ValidationError

from omsync.accurate.documents import ReceiptDiscount, SalesReceipt
from omsync.config.mapping import Pph22Treatment
from omsync.ginee.models import Order
from omsync.payouts.model import Payout, PayoutLine
from omsync.posting.amounts import document_amounts
from omsync.posting.invoice import plan_sales_invoice
from omsync.posting.lifecycle import reached_trigger, reached_trigger_before_cancel
from omsync.posting.receipts import Owed, SettledOrder, plan_estimate_receipt, plan_payout

PREPAID, FINAL = "1-1402", "6-2020"
WITHHELD = {"pkp": True, "tax_name": "PPN", "pph22_withheld": True}


def completed() -> Order:
    base = worked_example_order()
    assert base.pay_at is not None
    return base.model_copy(update={"order_status": "COMPLETED", "close_at": base.pay_at.replace(day=18)})


def discounts(receipt: SalesReceipt) -> dict[str, Any]:
    lines: list[ReceiptDiscount] = [d for paid in receipt.detail_invoice for d in paid.detail_discount]
    return {d.account_no: d.amount for d in lines}


# --- PPh 22 ----------------------------------------------------------------------------------------------------


def test_pph22_is_prepaid_tax_by_default() -> None:
    prepaid = store(tax=WITHHELD, accounts={**ACCOUNTS, "pph22_prepaid": PREPAID})
    assert prepaid.tax.pph22_treatment is Pph22Treatment.PREPAID_TAX
    planned = plan_estimate_receipt(completed(), prepaid)
    assert planned is not None and isinstance(planned.receipt, SalesReceipt)
    # 0.5% of the revenue without PPN, 145,000 → 725, an asset: PPh 22 dibayar dimuka
    assert discounts(planned.receipt)[PREPAID] == rp(725)


def test_pph22_as_final_tax_is_an_expense() -> None:
    final = store(tax={**WITHHELD, "pph22_treatment": "final_tax"}, accounts={**ACCOUNTS, "pph22_final": FINAL})
    planned = plan_estimate_receipt(completed(), final)
    assert planned is not None and isinstance(planned.receipt, SalesReceipt)
    assert discounts(planned.receipt)[FINAL] == rp(725)
    assert PREPAID not in discounts(planned.receipt)
    assert planned.receipt.cheque_amount == rp(149043 - 725)


def test_a_payout_files_withholding_column_follows_the_treatment() -> None:
    final = store(tax={**WITHHELD, "pph22_treatment": "final_tax"}, accounts={**ACCOUNTS, "pph22_final": FINAL})
    row = PayoutLine("A1", rp(160950), {"commission": rp(9657), "pph22": rp(725)}, rp(160950 - 9657 - 725), 2)
    payout = Payout("STMT-1", date(2026, 3, 20), row.net, (row,), "tiktok")
    plan = plan_payout(payout, final, {"A1": SettledOrder("SO-1", Owed("TP-A1", rp(160950), rp(145000)))})
    assert plan.receipt is not None and not plan.problems
    assert discounts(plan.receipt)[FINAL] == rp(725)


def test_final_tax_needs_its_expense_account_and_an_unknown_treatment_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"tax.pph22_withheld needs accounts.pph22_final \(Beban PPh Final\)"):
        store(tax={**WITHHELD, "pph22_treatment": "final_tax"}, accounts={**ACCOUNTS, "pph22_prepaid": PREPAID})
    with pytest.raises(ValidationError, match="pph22_treatment"):
        store(tax={**WITHHELD, "pph22_treatment": "final"}, accounts={**ACCOUNTS, "pph22_prepaid": PREPAID})


def test_pph22_stays_off_by_default() -> None:
    assert store().tax.pph22_withheld is False


# --- the trigger of COD orders ---------------------------------------------------------------------------------


def cod_order(status: str, **logistics: str) -> Order:
    """A cash-on-delivery order of KAOS-HITAM-M at 55,500 created 15/03 (no payment time until delivery)."""
    parcel = {"logisticsTrackingNumber": "TRK1", **logistics}
    return order(item("KAOS-HITAM-M", 1, "55500"), orderStatus=status, isCod=True, payAt=None, logisticsInfos=[parcel])


def test_a_cod_order_is_invoiced_once_delivered_by_default() -> None:
    default = store()
    assert default.trigger_for(is_cod=True) == "DELIVERED" and default.trigger_for(is_cod=False) == "PAID"
    assert not reached_trigger(cod_order("READY_TO_SHIP"), default.trigger_for(True))
    assert not reached_trigger(cod_order("SHIPPING", shippedAt="2026-03-16T03:00:00Z"), default.trigger_for(True))
    delivered = cod_order("DELIVERED", shippedAt="2026-03-16T03:00:00Z", deliveredAt="2026-03-18T18:30:00Z")
    assert reached_trigger(delivered, default.trigger_for(True))


def test_a_cod_parcel_refused_at_the_door_was_never_a_sale() -> None:
    # Cancelled on its way (shipped, never delivered): it never reached DELIVERED, so nothing is invoiced
    refused = cod_order("CANCELLED", shippedAt="2026-03-16T03:00:00Z")
    assert not reached_trigger_before_cancel(refused, store().trigger_for(True))


def test_a_cod_invoice_is_dated_the_delivery_day_in_jakarta() -> None:
    delivered = cod_order("DELIVERED", shippedAt="2026-03-16T03:00:00Z", deliveredAt="2026-03-18T18:30:00Z")
    assert plan_sales_invoice(delivered, store()).trans_date.isoformat() == "2026-03-19"  # 01:30 WIB


def test_a_store_may_invoice_cod_orders_from_creation_dated_the_creation_day() -> None:
    early = store(cod_trigger_status="PAID")
    assert early.trigger_for(is_cod=True) == "PAID"
    # created 15/03 16:50 UTC, 23:50 WIB
    assert plan_sales_invoice(cod_order("READY_TO_SHIP"), early).trans_date.isoformat() == "2026-03-15"


def test_cod_trigger_status_is_a_lifecycle_step() -> None:
    with pytest.raises(ValidationError, match="cod_trigger_status"):
        store(cod_trigger_status="delivered")


# --- buyer shipping: pass-through -----------------------------------------------------------------------------

CLEARING = "2-1300"  # Titipan Ongkir Kurir


def passing_through() -> Any:
    return store(shipping="pass_through", accounts={**ACCOUNTS, "shipping_clearing": CLEARING})


def test_pass_through_shipping_is_owed_on_to_the_courier_never_revenue_nor_taxed() -> None:
    # DESIGN §1: the buyer paid 9,000 of shipping
    invoice = plan_sales_invoice(worked_example_order(), passing_through())

    [shipping] = invoice.detail_expense
    assert (shipping.account_no, shipping.expense_amount) == (CLEARING, rp(9000))
    # Piutang 169,950 = Penjualan 145,000 + PPN 15,950 (the goods only) + 9,000 on the clearing account
    amounts = document_amounts(invoice, Decimal("0.11"))
    assert (amounts.receivable, amounts.revenue, amounts.ppn) == (rp(169950), rp(145000), rp(15950))


def test_the_settlement_clears_pass_through_shipping_the_marketplace_paid_the_courier() -> None:
    planned = plan_estimate_receipt(completed(), passing_through())
    assert planned is not None and isinstance(planned.receipt, SalesReceipt)

    # The receipt pays 169,950, deducts the 9,000 on the clearing account: Saldo gets 149,043 as without shipping
    assert discounts(planned.receipt)[CLEARING] == rp(9000)
    assert planned.receipt.cheque_amount == rp(149043)
    assert planned.receipt.detail_invoice[0].payment_amount == rp(169950)


def test_pass_through_needs_its_clearing_account() -> None:
    with pytest.raises(ValidationError, match="shipping: pass_through needs accounts.shipping_clearing"):
        store(shipping="pass_through")
