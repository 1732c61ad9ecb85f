"""Specification: every payout line has a path — the settlement cases sellers and integrators reported in public
(issue 15; the settlement cases, whose inputs are copied as given into ``cases/settlements``), each played through the local stack with the case's
own scenario and CSV file, as given, and held to the case's right outcome.

- E1 a fuller export of a posted Shopee payout posts its new orders as a supplement; changed lines hold it;
- E2 a Lazada fee row for an order settled in an earlier statement is a charge on the balance;
- E3 a Lazada row of no order (an ads top-up) is a charge on the account of its kind, or holds that payout;
- E4 a TikTok Shop refund with no return in Ginee is held, or booked as a price reduction;
- E7 Shopee's income report as Shopee lays it out (preamble, ``(Rp)``, negative deductions);
- E8 a Shopee order whose charges exceed its value: the receipt is never negative;
- E10 a charge on an order cancelled after shipping (invoice deleted, or credited by a cancellation return).

O6 (an order in MYR) belongs to the orders flow and is not here.
"""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from flow_world import (
    LAZADA,
    SHOPEE,
    TOKOPEDIA,
    OpenWorld,
    apply_mapping,
    documents,
    flow_scenario,
    invoice_number,
    mapping_yaml,
    net_by_account,
    omsync,
    orders_of,
    play_late,
    play_through,
    record_of,
    settle,
)

from omsync_workshop.scenarios import OrderFacts, load_scenario
from omsync_workshop.world import LocalWorld

CASES = Path(__file__).resolve().parent / "cases" / "settlements"
SALDO_SHOPEE = "1103"
SALDO_TOKOPEDIA = "1104"
SALDO_LAZADA = "1105"
RECEIVABLE = "1201"
PPN_MASUKAN = "1401"
PPN_KELUARAN = "2201"
POTONGAN_PENJUALAN = "4103"
COMMISSION = "6101"
SERVICE = "6102"
ORDER_PROCESSING = "6104"
SELLER_SHIPPING = "6106"
OTHER_EXPENSE = "6107"


def balance(world: LocalWorld, account: str) -> Decimal:
    return Decimal(world.accurate.trial_balance().get(account, Decimal(0)))


def import_case(world: LocalWorld, name: str, shop_id: str) -> tuple[int, str]:
    """`omsync settlement import` of a case file, as given."""
    return omsync("settlement", "import", str(CASES / name), "--store", shop_id, "--connection", world.connection_id)


def with_stores(changes: dict[str, dict[str, Any]], text: str | None = None) -> str:
    """The example mapping with settings of some stores changed (``accounts`` merged, the rest replaced)."""
    data: dict[str, Any] = yaml.safe_load(text or mapping_yaml())
    for shop_id, settings in changes.items():
        store = data["stores"][shop_id]
        for key, value in settings.items():
            store[key] = {**store.get(key, {}), **value} if key == "accounts" else value
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def without_ads_account(text: str) -> str:
    """The mapping with no account for Lazada's ads top-ups (the example maps them on Beban Lain-lain)."""
    data: dict[str, Any] = yaml.safe_load(text)
    data["stores"][LAZADA]["accounts"].pop("extra_fees", None)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def bug_world(open_world: OpenWorld) -> LocalWorld:
    """bug-world played to the end: its Shopee store settles from files (the case's mapping)."""
    world = open_world(load_scenario(CASES / "bug-world.json"), with_stores({SHOPEE: {"settlement": "file"}}))
    play_late(world)
    return world


# --- E1: the same payout, a fuller export ----------------------------------------------------------------------


def test_e1_a_fuller_export_of_a_posted_shopee_payout_posts_its_new_orders_as_a_supplement(
    open_world: OpenWorld, tmp_path: Path
) -> None:
    world = bug_world(open_world)
    # Given the first export of 7 September posted (2 orders, 436,138)
    status, output = import_case(world, "e1-shopee-0907-first-export.csv", SHOPEE)
    assert status == 0 and "posted" in output, output
    assert balance(world, SALDO_SHOPEE) == Decimal(436138)

    # When the full day's export (the same 2 orders and 2 more) is imported
    status, output = import_case(world, "e1-shopee-0907-full-day.csv", SHOPEE)

    # Then the 2 new orders (482,439) are posted as a supplement of the payout, and Saldo Shopee holds it all
    assert status == 0, output
    assert "SHOPEE-20250907-S1" in output and "posted" in output, output
    receipts = documents(world, "sales_receipt")
    assert receipts["SP-SHOPEE-20250907"] == Decimal(436138)
    assert receipts["SP-SHOPEE-20250907-S1"] == Decimal(482439)
    assert balance(world, SALDO_SHOPEE) == Decimal(918577)

    # When the full day is imported once more, nothing changes
    books = world.accurate.trial_balance()
    status, output = import_case(world, "e1-shopee-0907-full-day.csv", SHOPEE)
    assert status == 0 and "already_posted" in output, output
    assert world.accurate.trial_balance() == books

    # When an export of the same day says another amount for a posted order, it is held showing both versions
    changed = tmp_path / "changed.csv"
    changed.write_text(
        (CASES / "e1-shopee-0907-full-day.csv").read_text(encoding="utf-8").replace("146519", "146000", 1),
        encoding="utf-8",
    )
    status, output = omsync(
        "settlement", "import", str(changed), "--store", SHOPEE, "--connection", world.connection_id
    )
    assert status == 2, output
    assert "payout_changed" in output and "net 146519" in output and "net 146000" in output, output
    assert world.accurate.trial_balance() == books


# --- E2: a fee correction for an order settled in an earlier statement ---------------------------------------


def test_e2_a_lazada_fee_row_for_an_order_settled_earlier_is_a_charge_on_the_balance(open_world: OpenWorld) -> None:
    world = bug_world(open_world)
    status, output = import_case(world, "e2-lazada-early.csv", LAZADA)
    assert status == 0, output

    # When the next statement pays 3 new orders and charges 2,000 seller shipping for an order settled before
    status, output = import_case(world, "e2-lazada-adjustment-for-settled-order.csv", LAZADA)

    # Then its receipt pays the 3 orders, and the 2,000 is a charge on Saldo Lazada on the seller-shipping account
    assert status == 0, output
    assert documents(world, "sales_receipt")["LZ-PO-lazada-20250907"] == Decimal(706500)
    assert net_by_account(world.accurate.journal("LZ-PO-lazada-20250907-J")) == {
        SELLER_SHIPPING: Decimal(2000),
        SALDO_LAZADA: Decimal(-2000),
    }
    assert balance(world, SALDO_LAZADA) == Decimal(280923 + 167390 + 704500)


# --- E3: a row of no order ----------------------------------------------------------------------------------


def test_e3_a_lazada_row_of_no_order_holds_its_payout_until_its_kind_is_mapped_then_is_a_charge(
    open_world: OpenWorld, tmp_path: Path
) -> None:
    world = open_world(
        load_scenario(CASES / "bug-world.json"), without_ads_account(with_stores({SHOPEE: {"settlement": "file"}}))
    )
    play_late(world)
    books = world.accurate.trial_balance()

    # When a statement with an ads top-up row (-50,000, no order number) is imported under a mapping with no
    # account for advertising
    status, output = import_case(world, "e3-lazada-seller-level-charge.csv", LAZADA)

    # Then that payout is held, naming the kind and the mapping entry to add; nothing is posted
    assert status == 2, output
    assert "unmapped_charge" in output and "'advertising'" in output, output
    assert "accounts.extra_fees.advertising" in output, output
    assert world.accurate.trial_balance() == books

    # When the seller maps the kind and imports again
    apply_mapping(
        world,
        with_stores(
            {LAZADA: {"accounts": {"extra_fees": {"advertising": OTHER_EXPENSE}}}},
            without_ads_account(with_stores({SHOPEE: {"settlement": "file"}})),
        ),
        tmp_path,
    )
    status, output = import_case(world, "e3-lazada-seller-level-charge.csv", LAZADA)

    # Then the 3 orders are receipted and the 50,000 is booked against Saldo Lazada on that account
    assert status == 0, output
    assert documents(world, "sales_receipt")["LZ-PO-lazada-20250907"] == Decimal(706500)
    assert net_by_account(world.accurate.journal("LZ-PO-lazada-20250907-J")) == {
        OTHER_EXPENSE: Decimal(50000),
        SALDO_LAZADA: Decimal(-50000),
    }
    assert balance(world, SALDO_LAZADA) == Decimal(656500)


# --- E4: money back, goods kept -----------------------------------------------------------------------------


def test_e4_a_refund_with_no_return_in_ginee_is_held_or_booked_as_a_price_reduction(
    open_world: OpenWorld, tmp_path: Path
) -> None:
    world = bug_world(open_world)
    books = world.accurate.trial_balance()

    # When a statement refunds 20,000 (commission 1,200 given back) of an order with no return in Ginee
    status, output = import_case(world, "e4-tiktok-refund-without-return.csv", TOKOPEDIA)

    # Then, by default, it is held: nothing moves onto the receivable
    assert status == 2, output
    assert "refund_without_return" in output, output
    assert world.accurate.trial_balance() == books

    # When the store books such refunds as price reductions
    apply_mapping(
        world,
        with_stores(
            {
                TOKOPEDIA: {
                    "refund_without_return": "price_reduction",
                    "accounts": {"price_reduction": POTONGAN_PENJUALAN, "output_tax": PPN_KELUARAN},
                }
            },
            with_stores({SHOPEE: {"settlement": "file"}}),
        ),
        tmp_path,
    )
    status, output = import_case(world, "e4-tiktok-refund-without-return.csv", TOKOPEDIA)

    # Then revenue and PPN Keluaran go down by the refund's base and tax (20,000 = 18,018 + 1,982), the
    # commission given back is credited, 18,800 leaves Saldo Tokopedia, and the receivable is untouched (0)
    assert status == 0, output
    assert net_by_account(world.accurate.journal("TP-7549000000000000001-J")) == {
        POTONGAN_PENJUALAN: Decimal(18018),
        PPN_KELUARAN: Decimal(1982),
        COMMISSION: Decimal(-1200),
        SALDO_TOKOPEDIA: Decimal(-18800),
    }
    assert balance(world, RECEIVABLE) == books[RECEIVABLE]


# --- E7: Shopee's income report as Shopee writes it --------------------------------------------------------


def shopee_income_workbook(path: Path) -> Path:
    """The case's income report as Shopee's Seller Centre downloads it: an .xlsx, preamble rows above the
    header, numbers as numbers, deductions negative, and a detail row (no Sequence No.) under the order row.
    Written from the report's published columns, not through omsync's writer."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Income"
    sheet.append(["Username (Seller)", "From", "to"])
    sheet.append(["tokorapi.id", "2025-09-05", "2025-09-05"])
    sheet.append([])
    sheet.append([])
    sheet.append(["subtotal(Rp)"])
    sheet.append(
        [
            "Sequence No.", "Order ID", "Refund ID", "Username (Buyer)", "Order Creation Date",
            "Payout Completed Date", "Original Price", "Your Seller product promotion", "Refund Amount",
            "Voucher Sponsored by Seller", "Shipping Fee Paid by Buyer", "Actual Shipping Fee", "AMS Commission Fee",
            "Commission fee", "Service Fee", "Seller Order Processing Fee", "Transaction Fee",
            "Total Released Amount (Rp)",
        ]
    )  # fmt: skip
    day = datetime(2025, 9, 5)
    sheet.append(
        [1, "25090153051D46", None, "pembeli***", datetime(2025, 9, 1), day, 227550, -22755, 0, 0, 0, 0, 0]
        + [-14061, -8192, -1250, 0, 181292]
    )
    sheet.append([None, "25090153051D46", None, None, None, day, 227550, -22755, 0, 0, 0, 0, 0, -14061, -8192])
    workbook.save(path)
    return path


def test_e7_shopees_income_report_with_its_preamble_rupiah_suffixes_and_negative_deductions(
    open_world: OpenWorld, tmp_path: Path
) -> None:
    world = bug_world(open_world)

    # When the report is imported as Shopee's .xlsx download
    status, output = omsync(
        "settlement",
        "import",
        str(shopee_income_workbook(tmp_path / "Income.released.id.xlsx")),
        "--store",
        SHOPEE,
        "--connection",
        world.connection_id,
    )

    # Then the order's invoice (227,550 − 22,755 = 204,795) is paid: 181,292 into Saldo Shopee, fees on theirs
    assert status == 0, output
    assert documents(world, "sales_receipt")["SP-SHOPEE-20250905"] == Decimal(181292)
    journal = net_by_account(world.accurate.journal("SP-SHOPEE-20250905"))
    assert journal[SALDO_SHOPEE] == Decimal(181292)
    assert journal[RECEIVABLE] == Decimal(-204795)
    # Shopee's fees carry PPN in the example mapping (fee tax invoices): expense + PPN Masukan per fee
    assert journal[COMMISSION] + journal[SERVICE] + journal[ORDER_PROCESSING] + journal[PPN_MASUKAN] == Decimal(
        14061 + 8192 + 1250
    )

    # And the case's CSV of the same report (preamble, "(Rp)", negative deductions) reads to the same payout
    books = world.accurate.trial_balance()
    status, output = import_case(world, "e7-shopee-real-layout.csv", SHOPEE)
    assert status == 0 and "already_posted" in output, output
    assert world.accurate.trial_balance() == books


# --- E8: charges beyond the order's value ------------------------------------------------------------------


def test_e8_a_release_below_zero_pays_the_invoice_and_books_the_excess_charge_on_the_balance(
    open_world: OpenWorld,
) -> None:
    world = bug_world(open_world)

    status, output = import_case(world, "e8-shopee-negative-escrow.csv", SHOPEE)

    # The receipt pays the 77,700 invoice and is not negative; its fees (94,409) are charges of the balance
    assert status == 0, output
    receipts = documents(world, "sales_receipt")
    assert receipts["SP-SHOPEE-20250910"] == Decimal(77700)
    assert net_by_account(world.accurate.journal("SP-SHOPEE-20250910")) == {
        SALDO_SHOPEE: Decimal(77700),
        RECEIVABLE: Decimal(-77700),
    }
    charges = net_by_account(world.accurate.journal("SP-SHOPEE-20250910-J"))
    assert charges.pop(SALDO_SHOPEE) == Decimal(-94409)
    assert set(charges) <= {COMMISSION, SERVICE, ORDER_PROCESSING, SELLER_SHIPPING, PPN_MASUKAN}
    assert sum(charges.values(), Decimal(0)) == Decimal(5051 + 3108 + 1250 + 85000)
    # In all, Saldo Shopee moves by the release: −16,709
    assert balance(world, SALDO_SHOPEE) == Decimal(-16709)


# --- E10: a charge on an order cancelled after shipping ------------------------------------------------------


def failed_delivery_order(world: LocalWorld) -> str:
    """Order 250909FAIL0001 of the case (1 × KAOS-HITAM-M at 55,500, Shopee) made in the Ginee sandbox from
    one of the scenario's Shopee orders: paid, shipped, then cancelled for a failed delivery."""
    template = next(
        e.data["order"]
        for e in world.scenario.events
        if e.entity == "order" and e.action == "create" and e.data["order"]["shopId"] == SHOPEE
    )
    order: dict[str, Any] = copy.deepcopy(template)
    item = {**order["items"][0], "itemId": "SOFAIL0001-1", "sku": "KAOS-HITAM-M", "masterSku": "KAOS-HITAM-M"}
    item.update(
        productName="Kaos Polos Hitam M",
        quantity=1,
        originalPrice="55500",
        originalTotalPrice="55500",
        discountedPrice="55500",
        actualPrice="55500",
        actualTotalPrice="55500",
        bundleSkus=[],
    )
    money = dict.fromkeys(
        ("totalShippingFee", "shippingFeePaidBySystem", "finalShippingFee", "totalDiscountShipping"), "0"
    )
    money.update(dict.fromkeys(("totalDiscountProduct", "sellerRebate", "voucherSeller", "voucherPlatform"), "0"))
    money.update(coin="0", totalDiscounts="0", subTotal="55500", buyerPaymentAmount="55500")
    order.update(
        orderId="SOFAIL0001",
        externalOrderId="250909FAIL0001",
        externalOrderSn="250909FAIL0001",
        orderStatus="PENDING_PAYMENT",
        totalAmount="55500",
        isCod=False,
        createAt="2025-09-09T03:00:00Z",
        items=[item],
        paymentInfo={**order["paymentInfo"], **money},
    )
    state = world.ginee.state
    state.create_order(order, datetime.fromisoformat("2025-09-09T10:00:00+07:00"))
    state.transition("SOFAIL0001", "pay", datetime.fromisoformat("2025-09-09T10:05:00+07:00"))
    state.transition("SOFAIL0001", "ship", datetime.fromisoformat("2025-09-09T15:00:00+07:00"))
    settle(world)
    state.transition(
        "SOFAIL0001", "cancel", datetime.fromisoformat("2025-09-12T09:00:00+07:00"), reason="FAILED_DELIVERY"
    )
    settle(world)
    return "SOFAIL0001"


@pytest.mark.parametrize("rule", ["delete", "sales_return"])
def test_e10_a_charge_on_an_order_cancelled_after_shipping_posts_against_the_balance(
    open_world: OpenWorld, rule: str
) -> None:
    world = open_world(load_scenario(CASES / "bug-orders.json"), mapping_yaml(cancellation={SHOPEE: rule}))
    play_late(world)
    order_id = failed_delivery_order(world)
    record = record_of(world, order_id)
    assert record is not None and record.invoice is not None
    # The store's rule took the invoice off the books: deleted, or credited in full by the cancellation return
    assert record.invoice_deleted is (rule == "delete")
    saldo = balance(world, SALDO_SHOPEE)

    # When Shopee charges 15,000 return shipping for it
    status, output = import_case(world, "e10-shopee-failed-delivery-charge.csv", SHOPEE)

    # Then the payout posts: a charge of 15,000 against Saldo Shopee on the shipping expense (PPN Masukan
    # split off, Shopee issuing tax invoices for its fees in the example mapping)
    assert status == 0, output
    journal = net_by_account(world.accurate.journal("SP-SHOPEE-20250914-J"))
    assert journal[SALDO_SHOPEE] == Decimal(-15000)
    assert journal[SELLER_SHIPPING] + journal.get(PPN_MASUKAN, Decimal(0)) == Decimal(15000)
    assert balance(world, SALDO_SHOPEE) == saldo - Decimal(15000)
    assert "SP-SHOPEE-20250914" not in documents(world, "sales_receipt")


# --- issue 15 item 5: the estimate checked against what the marketplace released -------------------------------


def test_an_estimate_far_from_what_the_marketplace_released_is_held_inconsistent_not_booked(
    open_world: OpenWorld,
) -> None:
    scenario = flow_scenario("flows-paths")
    world = open_world(scenario, mapping_yaml())
    order = orders_of(scenario, "completed")[0]
    receipt_no = invoice_number("SP-", order) + "-P"
    play_through(world, order.order_id, "deliver")
    saldo = balance(world, SALDO_SHOPEE)

    # When Shopee releases 25,000 less than the estimate would receive, before the order completes
    estimate = kept_value(order) - order.total_fees
    state = world.ginee.state
    state.transition(order.order_id, "settle", releasedAmount=str(estimate - 25000), payoutId="PO-CHECK-1")
    state.transition(order.order_id, "complete")
    settle(world)

    # Then no receipt: the order is held inconsistent, both figures shown, and Saldo Shopee is untouched
    assert receipt_no not in documents(world, "sales_receipt")
    record = record_of(world, order.order_id)
    assert record is not None and record.hold is not None and record.hold.cause == "inconsistent"
    assert f"puts {estimate:,}" in record.hold.reason and f"released {estimate - 25000:,}" in record.hold.reason
    assert balance(world, SALDO_SHOPEE) == saldo


def kept_value(order: OrderFacts) -> Decimal:
    return sum((line.actual_price * line.kept_quantity for line in order.lines), Decimal(0)) - order.voucher_seller
