"""Specification: orders as they really change after the invoice (issue 16).

The order cases' inputs are copied as given into ``cases/orders`` (their world into ``cases/settlements``).

Each case is one order file of the shared cases, created as given in the Ginee sandbox of the case's world
(``bug-orders.json``: its shops, warehouse, catalogue and opening stock, none of its generated orders), played
as the case says, one change at a time with every queue settled in between, and held to the case's right
outcome under the example mapping (Shopee ``SP-`` and Tokopedia ``TP-``: PKP, prices include PPN, settlement
by estimate, cancellation ``delete``):

- R1 a line cancelled after payment leaves the books by a Sales Return of what left the order;
- R2 two Ginee orders with one marketplace number: one invoice each, numbered apart, the package created first
  keeping the plain number whichever is invoiced first;
- R3 an exchange (refund 0) is no credit: the sale stands, the receipt pays the whole invoice, and only stock
  moves (the returned unit into the return warehouse, the replacement out of the sale's) by an Item Transfer;
- R4 one component of a bundle back: that component, its quantity, at its invoiced price;
- R5 a line of quantity 0 is left out of the invoice (or holds the order, per the store's ``zero_quantity_lines``);
- R6 a store unmapped at completion holds the order, and the receipt follows once it is mapped again;
- R7 a seller voucher above the price is held with the figures, never the dead-letter queue (or, per the store's
  ``voucher_above_price``, the line is invoiced at 0 and the excess leaves the balance as an expense).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from flow_world import (
    RETURN_WAREHOUSE,
    SHOPEE,
    TOKOPEDIA,
    OpenWorld,
    apply_mapping,
    dead_letters,
    documents,
    mapping_yaml,
    net_by_account,
    omsync,
    record_of,
    settle,
    started_player,
)

from omsync.accurate.documents import Item, ItemOpeningBalance, SalesInvoice, SalesInvoiceItem
from omsync.posting.numbers import invoice_number_apart
from omsync.posting.returns import exchange_transfer_numbers
from omsync.sync.holds import release_holds
from omsync_workshop.scenarios import load_scenario
from omsync_workshop.world import LocalWorld

CASES = Path(__file__).resolve().parent / "cases" / "orders"
WORLD = Path(__file__).resolve().parent / "cases" / "settlements" / "bug-orders.json"
SALDO_SHOPEE = "1103"
SALDO_TOKOPEDIA = "1104"
RECEIVABLE = "1201"
PERSEDIAAN = "1301"
PPN_KELUARAN = "2201"
PENJUALAN = "4101"
RETUR_PENJUALAN = "4102"
HPP = "5101"
SALE_WAREHOUSE = "Gudang Utama"
ORDER_PROCESSING_EXPENSE = "6104"
PPN_MASUKAN = "1401"
PEMBULATAN = "7101"
BEBAN_LAIN_LAIN = "6107"


def case_world(open_world: OpenWorld, mapping: str | None = None) -> LocalWorld:
    """The case's world (shops, warehouse, catalogue, opening stock) with none of its generated orders."""
    scenario = replace(load_scenario(WORLD), orders=(), events=())
    world = open_world(scenario, mapping or mapping_yaml())
    started_player(world)
    return world


def order_file(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CASES / name).read_text(encoding="utf-8"))
    return data


def create(world: LocalWorld, name: str) -> str:
    """Create the case's order in Ginee as given (PENDING_PAYMENT); returns its Ginee order id."""
    order = world.ginee.state.create_order(order_file(name))
    settle(world)
    return str(order["orderId"])


def step(world: LocalWorld, order_id: str, action: str, **details: Any) -> None:
    """One change of the order in Ginee (announced by webhook), then every queue settles."""
    world.ginee.state.transition(order_id, action, **details)
    settle(world)


def balance(world: LocalWorld, account: str) -> Decimal:
    return Decimal(world.accurate.trial_balance().get(account, Decimal(0)))


def hold_cause(world: LocalWorld, order_id: str) -> str | None:
    record = record_of(world, order_id)
    return record.hold.cause if record is not None and record.hold is not None else None


# --- R5: a line of quantity 0 --------------------------------------------------------------------------------


def test_r5_a_line_of_quantity_zero_is_left_out_of_the_invoice(open_world: OpenWorld) -> None:
    world = case_world(open_world)
    # Given an order of KAOS-HITAM-M × 1 and BOTOL-750 × 0
    order_id = create(world, "order-251007QTY001.json")

    # When it is paid
    step(world, order_id, "pay")

    # Then the invoice holds the real line only (55,500), nothing is on hold and nothing failed
    assert documents(world, "sales_invoice") == {"SP-251007QTY001": Decimal(55500)}
    assert net_by_account(world.accurate.journal("SP-251007QTY001")) == {
        RECEIVABLE: Decimal(55500),
        PENJUALAN: Decimal(-50000),
        PPN_KELUARAN: Decimal(-5500),
        HPP: Decimal(30000),
        PERSEDIAAN: Decimal(-30000),
    }
    assert hold_cause(world, order_id) is None
    assert dead_letters(world) == {}


# --- R7: a seller voucher above the price ----------------------------------------------------------------------


def test_r7_a_seller_voucher_above_the_price_is_held_with_the_figures_never_the_dead_letter_queue(
    open_world: OpenWorld,
) -> None:
    world = case_world(open_world)
    # Given a Shopee order of BOTOL-750 at 38,850 with a seller voucher of 45,000
    order_id = create(world, "order-251010VCHR01.json")

    # When it is paid
    step(world, order_id, "pay")

    # Then it is on hold, the reason giving both figures, and nothing is in a dead-letter queue
    record = record_of(world, order_id)
    assert record is not None and record.hold is not None, "no hold"
    assert record.hold.cause == "seller_discount_above_price"
    assert "45,000" in record.hold.reason and "38,850" in record.hold.reason, record.hold.reason
    assert record.hold.hint
    assert documents(world, "sales_invoice") == {}
    assert dead_letters(world) == {}

    # When the reconciler releases the holds, it stays held, with the same cause, and still no DLQ
    assert release_holds(world.connection_id) == {"seller_discount_above_price": 1}
    settle(world)
    assert hold_cause(world, order_id) == "seller_discount_above_price"
    assert dead_letters(world) == {}


def test_r7_a_store_that_expenses_a_voucher_above_the_price_invoices_the_line_at_zero_and_books_the_excess(
    open_world: OpenWorld,
) -> None:
    world = case_world(
        open_world,
        mapping_yaml(
            store_settings={
                SHOPEE: {"voucher_above_price": "expense", "accounts": {"seller_voucher_excess": BEBAN_LAIN_LAIN}}
            }
        ),
    )
    # Given the R7 order (BOTOL-750 at 38,850, seller voucher 45,000) in a store whose rule is expense
    order_id = create(world, "order-251010VCHR01.json")

    # When it is paid
    step(world, order_id, "pay")

    # Then the bottle is invoiced at 0 net (never below) and leaves stock; nothing is held
    assert documents(world, "sales_invoice") == {"SP-251010VCHR01": Decimal(0)}
    invoice = net_by_account(world.accurate.journal("SP-251010VCHR01"))
    assert invoice.get(RECEIVABLE, Decimal(0)) == Decimal(0) and invoice.get(PENJUALAN, Decimal(0)) == Decimal(0)
    assert invoice[HPP] > 0 and invoice[PERSEDIAAN] == -invoice[HPP]
    assert hold_cause(world, order_id) is None

    # When it is shipped, delivered and completed
    for action in ("ship", "deliver", "complete"):
        step(world, order_id, action)

    # Then the 6,150 the voucher exceeds the price by leaves Saldo Shopee as an expense, by the fees journal of an
    # order whose invoice owes nothing; the receivable stays 0 and nothing is held or dead-lettered
    assert documents(world, "journal_voucher") == {"SP-251010VCHR01-PF": Decimal(6150)}
    assert net_by_account(world.accurate.journal("SP-251010VCHR01-PF")) == {
        BEBAN_LAIN_LAIN: Decimal(6150),
        SALDO_SHOPEE: Decimal(-6150),
    }
    assert documents(world, "sales_receipt") == {}
    assert balance(world, RECEIVABLE) == Decimal(0)
    record = record_of(world, order_id)
    assert record is not None and record.receipt is not None and record.receipt.number == "SP-251010VCHR01-PF"
    assert world.on_hold() == {}
    assert dead_letters(world) == {}


# --- R5 under a store that holds zero-quantity lines -----------------------------------------------------------


def test_r5_a_store_that_holds_zero_quantity_lines_holds_the_order_naming_the_line_never_the_dead_letter_queue(
    open_world: OpenWorld,
) -> None:
    world = case_world(open_world, mapping_yaml(store_settings={SHOPEE: {"zero_quantity_lines": "hold"}}))
    # Given an order of KAOS-HITAM-M × 1 and BOTOL-750 × 0 in a store whose rule is hold
    order_id = create(world, "order-251007QTY001.json")

    # When it is paid
    step(world, order_id, "pay")

    # Then it is on hold zero_quantity_line, naming the line, with a hint; no invoice, nothing dead-lettered
    record = record_of(world, order_id)
    assert record is not None and record.hold is not None, "no hold"
    assert record.hold.cause == "zero_quantity_line"
    assert "BOTOL-750" in record.hold.reason and "quantity 0" in record.hold.reason, record.hold.reason
    assert "zero_quantity_lines" in record.hold.hint
    assert documents(world, "sales_invoice") == {}
    assert dead_letters(world) == {}


# --- R2: two Ginee orders, one marketplace number ---------------------------------------------------------------


def test_r2_two_ginee_orders_with_one_marketplace_number_get_one_invoice_each_numbered_apart(
    open_world: OpenWorld,
) -> None:
    world = case_world(open_world)
    stock_before = {sku: world.accurate.stock(sku) for sku in ("KAOS-HITAM-M", "KAOS-PUTIH-L")}
    # Given two Ginee orders (two packages) that share the Shopee order number 251002SPLIT01
    first = create(world, "order-251002SPLIT01-SO251002SPLIT01PKG1.json")
    second = create(world, "order-251002SPLIT01-SO251002SPLIT01PKG2.json")

    # When both are paid, shipped, delivered and completed, one after the other
    for action in ("pay", "ship", "deliver", "complete"):
        step(world, first, action)
        step(world, second, action)

    # Then each has its own invoice: the first the plain number, the second the number with its own suffix
    second_number = invoice_number_apart("SP-251002SPLIT01", second)
    assert second_number != "SP-251002SPLIT01" and len(second_number) <= 30
    invoices = documents(world, "sales_invoice")
    assert invoices == {"SP-251002SPLIT01": Decimal(55500), second_number: Decimal(111000)}
    first_record, second_record = record_of(world, first), record_of(world, second)
    assert first_record is not None and first_record.invoice is not None
    assert second_record is not None and second_record.invoice is not None
    assert (first_record.invoice.number, second_record.invoice.number) == ("SP-251002SPLIT01", second_number)
    # And all 166,500 is sold, 3 units left stock, and each receipt paid its own invoice: no receivable is open
    assert balance(world, PENJUALAN) == Decimal(-150000)
    assert world.accurate.stock("KAOS-HITAM-M") == stock_before["KAOS-HITAM-M"] - 1
    assert world.accurate.stock("KAOS-PUTIH-L") == stock_before["KAOS-PUTIH-L"] - 2
    assert balance(world, RECEIVABLE) == Decimal(0)
    assert len(documents(world, "sales_receipt")) == 2
    assert world.on_hold() == {}
    assert dead_letters(world) == {}


def test_r2_the_package_created_first_keeps_the_plain_number_when_the_other_is_paid_and_invoiced_before_it(
    open_world: OpenWorld,
) -> None:
    world = case_world(open_world)
    # Given the two packages of 251002SPLIT01 created in Ginee in turn (PKG1 first)
    first = create(world, "order-251002SPLIT01-SO251002SPLIT01PKG1.json")
    second = create(world, "order-251002SPLIT01-SO251002SPLIT01PKG2.json")

    # When the package created second is paid, and invoiced, before the first is paid
    step(world, second, "pay")
    second_number = invoice_number_apart("SP-251002SPLIT01", second)
    assert documents(world, "sales_invoice") == {second_number: Decimal(111000)}
    step(world, first, "pay")

    # Then the numbers are the rule's, not the arrival order's: the package created first has the plain number
    assert documents(world, "sales_invoice") == {"SP-251002SPLIT01": Decimal(55500), second_number: Decimal(111000)}
    first_record, second_record = record_of(world, first), record_of(world, second)
    assert first_record is not None and first_record.invoice is not None
    assert second_record is not None and second_record.invoice is not None
    assert (first_record.invoice.number, second_record.invoice.number) == ("SP-251002SPLIT01", second_number)
    assert balance(world, PENJUALAN) == Decimal(-150000)
    assert world.on_hold() == {}
    assert dead_letters(world) == {}


SHOPEE_REPORT_HEADER = (
    "Order ID,Payout Completed Date,Original Price,Seller Discount,Seller Voucher,Commission Fee,Service Fee,"
    "Transaction Fee,Order Processing Fee,AMS Commission Fee,Seller Shipping Fee,Withholding Tax,Shopee Voucher,"
    "Coins,Total Released Amount"
)


def test_r2_shopees_one_row_for_the_marketplace_order_pays_both_packages_invoices(
    open_world: OpenWorld, tmp_path: Path
) -> None:
    world = case_world(open_world, mapping_yaml(store_settings={SHOPEE: {"settlement": "file"}}))
    # Given the two packages of 251002SPLIT01 invoiced apart and completed, in a store receipted from Shopee's file
    first = create(world, "order-251002SPLIT01-SO251002SPLIT01PKG1.json")
    second = create(world, "order-251002SPLIT01-SO251002SPLIT01PKG2.json")
    for action in ("pay", "ship", "deliver", "complete"):
        step(world, first, action)
        step(world, second, action)
    assert balance(world, RECEIVABLE) == Decimal(166500)

    # When Shopee's income report settles the order in one row: 166,500, order processing 2,500, released 164,000
    report = tmp_path / "shopee-251002.csv"
    row = "251002SPLIT01,2025-10-10,166500,0,0,0,0,0,2500,0,0,0,0,0,164000"
    report.write_text(f"{SHOPEE_REPORT_HEADER}\n{row}\n", encoding="utf-8")
    status, output = omsync("settlement", "import", str(report), "--store", SHOPEE, "--connection", world.connection_id)

    # Then one receipt pays both packages' invoices in full: 164,000 into Saldo Shopee, the fee its expense
    assert status == 0, output
    [receipt] = documents(world, "sales_receipt")
    journal = net_by_account(world.accurate.journal(receipt))
    assert journal[RECEIVABLE] == Decimal(-166500)
    assert journal[SALDO_SHOPEE] == Decimal(164000)
    assert journal[ORDER_PROCESSING_EXPENSE] + journal.get(PPN_MASUKAN, Decimal(0)) == Decimal(2500)
    assert balance(world, RECEIVABLE) == Decimal(0)
    first_record, second_record = record_of(world, first), record_of(world, second)
    assert first_record is not None and first_record.receipt is not None
    assert second_record is not None and second_record.receipt is not None
    assert first_record.receipt.number == second_record.receipt.number == receipt
    assert world.on_hold() == {}


# --- R6: store unmapped for a while --------------------------------------------------------------------------


def test_r6_an_order_completed_while_its_store_is_unmapped_is_held_and_receipted_once_mapped_again(
    open_world: OpenWorld, tmp_path: Path
) -> None:
    world = case_world(open_world)
    # Given a Tokopedia order paid and invoiced (48,840)
    order_id = create(world, "order-INV_20251008_MPL_7000000003.json")
    step(world, order_id, "pay")
    assert documents(world, "sales_invoice") == {"TP-INV/20251008/MPL/7000000003": Decimal(48840)}

    # When the mapping is applied without the Tokopedia store, and the order is shipped, delivered, completed
    apply_mapping(world, mapping_yaml(without=[TOKOPEDIA]), tmp_path)
    for action in ("ship", "deliver", "complete"):
        step(world, order_id, action)

    # Then it is on hold, unmapped_store, and no receipt was posted
    assert hold_cause(world, order_id) == "unmapped_store"
    assert documents(world, "sales_receipt") == {}

    # When the full mapping is applied again (which releases the holds)
    apply_mapping(world, mapping_yaml(), tmp_path)
    settle(world)

    # Then the receipt pays the invoice, less the order processing fee, into Saldo Tokopedia; nothing is held
    assert hold_cause(world, order_id) is None
    assert balance(world, RECEIVABLE) == Decimal(0)
    assert balance(world, SALDO_TOKOPEDIA) == Decimal(48840 - 1250)
    assert dead_letters(world) == {}


# --- R1: a line cancelled after payment ------------------------------------------------------------------------


def test_r1_a_line_gone_from_the_order_after_its_invoice_is_returned_and_the_receivable_ends_at_zero(
    open_world: OpenWorld,
) -> None:
    world = case_world(open_world)
    bottles = world.accurate.stock("BOTOL-750")
    # Given KAOS-HITAM-M 55,500 + BOTOL-750 38,850, paid and invoiced (94,350)
    order_id = create(world, "order-251001PCAN01.json")
    step(world, order_id, "pay")
    assert documents(world, "sales_invoice") == {"SP-251001PCAN01": Decimal(94350)}

    # When Ginee's order no longer has the BOTOL-750 line (totals 55,500), and it ships, is delivered, completes
    kept = [line for line in world.ginee.state.get_order(order_id)["items"] if line["masterSku"] != "BOTOL-750"]
    step(world, order_id, "status", orderStatus="PAID", extra={"items": kept}, paymentInfo={"subTotal": 55500})
    for action in ("ship", "deliver", "complete"):
        step(world, order_id, action)

    # Then a Sales Return takes the bottle back at its invoiced price, into the warehouse it left from
    assert documents(world, "sales_return") == {"SP-251001PCAN01-K1": Decimal(38850)}
    correction = net_by_account(world.accurate.journal("SP-251001PCAN01-K1"))
    assert correction[RECEIVABLE] == Decimal(-38850)
    assert correction[PPN_KELUARAN] == Decimal(3850)
    assert correction.get(PENJUALAN, Decimal(0)) + correction.get(RETUR_PENJUALAN, Decimal(0)) == Decimal(35000)
    assert world.accurate.stock("BOTOL-750") == bottles
    # And the receipt pays the 55,500 left, less fees: the order's receivable ends at 0
    [receipt] = documents(world, "sales_receipt")
    assert net_by_account(world.accurate.journal(receipt))[RECEIVABLE] == Decimal(-55500)
    assert balance(world, RECEIVABLE) == Decimal(0)
    assert world.on_hold() == {}
    assert dead_letters(world) == {}


# --- R3: exchange ----------------------------------------------------------------------------------------------


def test_r3_an_exchange_with_refund_zero_is_no_credit_the_sale_stands_and_the_receipt_pays_it_all(
    open_world: OpenWorld,
) -> None:
    world = case_world(open_world)
    # Given a Tokopedia order of 1 × 55,500 (commission 2,775, processing 1,250), paid, shipped, delivered
    order_id = create(world, "order-INV_20251003_MPL_7000000001.json")
    for action in ("pay", "ship", "deliver"):
        step(world, order_id, action)
    shirts = world.accurate.stock("KAOS-HITAM-M")
    shelf, returned = (world.accurate.stock("KAOS-HITAM-M", w) for w in (SALE_WAREHOUSE, RETURN_WAREHOUSE))
    stock_value = balance(world, PERSEDIAAN)

    # When a return with reason EXCHANGE and refund 0 comes, and the order completes
    order = world.ginee.state.get_order(order_id)
    exchange = {
        "returnId": "RT-EXCHANGE-1",
        "status": "COMPLETED",
        "reason": "EXCHANGE",
        "createAt": order["lastUpdateAt"],
        "warehouseId": order["warehouseId"],
        "refundAmount": 0,
        "items": [
            {"itemId": order["items"][0]["itemId"], "masterSku": "KAOS-HITAM-M", "quantity": 1, "refundAmount": 0}
        ],
    }
    step(world, order_id, "status", orderStatus="DELIVERED", extra={"returnInfos": [exchange]})
    step(world, order_id, "complete")

    # Then no Sales Return: the sale stands, and the receipt pays 55,500 − 4,025 into Saldo Tokopedia
    assert documents(world, "sales_return") == {}
    assert documents(world, "sales_invoice") == {"TP-INV/20251003/MPL/7000000001": Decimal(55500)}
    assert balance(world, SALDO_TOKOPEDIA) == Decimal(55500 - 4025)
    assert balance(world, RECEIVABLE) == Decimal(0)
    # And only stock moves: the returned unit into Gudang Retur, the replacement out of Gudang Utama, by one
    # Item Transfer sent and received (no journal: the same inventory account, at the same cost)
    sent, received = exchange_transfer_numbers("TP-INV/20251003/MPL/7000000001", 1)
    transfers = {
        str(row["number"]): (row["itemTransferType"], row["warehouseName"], row["referenceWarehouseName"])
        for row in world.accurate_client().list(
            "item-transfer", fields=("id", "number", "itemTransferType", "warehouseName", "referenceWarehouseName")
        )
    }
    assert transfers == {
        sent: ("TRANSFER_OUT", SALE_WAREHOUSE, RETURN_WAREHOUSE),
        received: ("TRANSFER_IN", RETURN_WAREHOUSE, SALE_WAREHOUSE),
    }
    assert world.accurate.stock("KAOS-HITAM-M", RETURN_WAREHOUSE) == returned + 1
    assert world.accurate.stock("KAOS-HITAM-M", SALE_WAREHOUSE) == shelf - 1
    assert world.accurate.stock("KAOS-HITAM-M") == shirts
    assert balance(world, PERSEDIAAN) == stock_value
    assert world.on_hold() == {}
    assert dead_letters(world) == {}


# --- R4: one component of a bundle back ------------------------------------------------------------------------


def test_r4_one_component_of_a_bundle_back_returns_that_component_at_its_invoiced_price(
    open_world: OpenWorld,
) -> None:
    world = case_world(open_world)
    # Given PAKET-KAOS-3 (3 × KAOS-HITAM-M) at 155,400, paid, shipped, delivered
    order_id = create(world, "order-251004BNDL01.json")
    for action in ("pay", "ship", "deliver"):
        step(world, order_id, action)
    back_before = world.accurate.stock("KAOS-HITAM-M", RETURN_WAREHOUSE)

    # When a return of the bundle line names KAOS-HITAM-M, quantity 1, refund 51,800, and the order completes
    order = world.ginee.state.get_order(order_id)
    one_shirt = {
        "returnId": "RT-BNDL01-1",
        "status": "COMPLETED",
        "reason": "BUYER_RETURN",
        "createAt": order["lastUpdateAt"],
        "warehouseId": order["warehouseId"],
        "refundAmount": 51800,
        "items": [
            {"itemId": order["items"][0]["itemId"], "masterSku": "KAOS-HITAM-M", "quantity": 1, "refundAmount": 51800}
        ],
    }
    step(
        world,
        order_id,
        "status",
        orderStatus="DELIVERED",
        extra={"returnInfos": [one_shirt]},
        paymentInfo={"sellerReturnRefundAmount": 51800},
    )
    step(world, order_id, "complete")

    # Then 1 shirt comes back for 51,800, as Accurate computes it (POSTING.md §3a): revenue 46,666.666667,
    # PPN 5,133 (rounded down), 0.333333 back off Pembulatan; the 2 the buyer kept stay sold
    assert documents(world, "sales_return") == {"SP-251004BNDL01-R1": Decimal(51800)}
    back = net_by_account(world.accurate.journal("SP-251004BNDL01-R1"))
    assert back[RECEIVABLE] == Decimal(-51800)
    assert back[PPN_KELUARAN] == Decimal(5133)
    assert back.get(PENJUALAN, Decimal(0)) + back.get(RETUR_PENJUALAN, Decimal(0)) == Decimal("46666.666667")
    assert back[PEMBULATAN] == Decimal("0.333333")
    assert world.accurate.stock("KAOS-HITAM-M", RETURN_WAREHOUSE) == back_before + 1
    # And the receipt pays the rest (103,600) less fees: the receivable ends at 0
    [receipt] = documents(world, "sales_receipt")
    assert net_by_account(world.accurate.journal(receipt))[RECEIVABLE] == Decimal(-103600)
    assert balance(world, RECEIVABLE) == Decimal(0)
    assert world.on_hold() == {}
    assert dead_letters(world) == {}


def test_r1_a_line_gone_and_the_order_cancelled_before_the_next_read_credits_the_whole_invoice(
    open_world: OpenWorld,
) -> None:
    world = case_world(open_world, mapping_yaml(cancellation={SHOPEE: "sales_return"}))
    # Given the R1 order paid and invoiced (94,350) in a store whose cancellation rule is sales_return
    order_id = create(world, "order-251001PCAN01.json")
    step(world, order_id, "pay")

    # When Ginee's order loses the BOTOL-750 line and is cancelled, both before omsync reads it again
    kept = [line for line in world.ginee.state.get_order(order_id)["items"] if line["masterSku"] != "BOTOL-750"]
    world.ginee.state.transition(
        order_id, "status", notify=False, orderStatus="PAID", extra={"items": kept}, paymentInfo={"subTotal": 55500}
    )
    step(world, order_id, "cancel")

    # Then the bottle comes back by its correction and the shirt by the cancellation: the whole invoice is credited
    assert documents(world, "sales_return") == {
        "SP-251001PCAN01-K1": Decimal(38850),
        "SP-251001PCAN01-RC": Decimal(55500),
    }
    assert balance(world, RECEIVABLE) == Decimal(0)
    assert balance(world, PENJUALAN) + balance(world, RETUR_PENJUALAN) == Decimal(0)
    assert world.on_hold() == {}
    assert dead_letters(world) == {}


def test_r2_a_number_already_on_a_document_of_no_ginee_order_is_held_never_taken_as_posted(
    open_world: OpenWorld,
) -> None:
    world = case_world(open_world)
    accurate = world.accurate_client()
    # Given an invoice SP-251007QTY001 typed by hand in Accurate (its description names no Ginee order)
    by_hand = SalesInvoice(
        number="SP-251007QTY001",
        customer_no="C-SHOPEE",
        branch_name="Cabang Online",
        trans_date=date.today(),
        description="typed by hand",
        detail_item=[
            SalesInvoiceItem(item_no="KAOS-HITAM-M", unit_price=Decimal(55500), warehouse_name="Gudang Utama")
        ],
    )
    [row] = accurate.bulk_save([by_hand])
    assert row.ok, row.error

    # When the Ginee order with that number is paid
    order_id = create(world, "order-251007QTY001.json")
    step(world, order_id, "pay")

    # Then it is held number_taken, not recorded as invoiced, and nothing is in a dead-letter queue
    record = record_of(world, order_id)
    assert record is not None and record.invoice is None
    assert hold_cause(world, order_id) == "number_taken"
    assert dead_letters(world) == {}

    # When the seller deletes the hand-made invoice and the reconciler releases the holds, the order's own is posted
    accurate.delete(SalesInvoice, number="SP-251007QTY001")
    assert release_holds(world.connection_id) == {"number_taken": 1}
    settle(world)
    record = record_of(world, order_id)
    assert record is not None and record.invoice is not None and record.hold is None
    assert net_by_account(world.accurate.journal("SP-251007QTY001"))[RECEIVABLE] == Decimal(55500)


# --- O6: an order in another currency ---------------------------------------------------------------------------


def test_o6_an_order_in_ringgit_is_held_and_never_booked_as_rupiah(open_world: OpenWorld) -> None:
    world = case_world(open_world)
    # Given an order of 2 × KAOS-HITAM-M at MYR 25.90 (the settlement cases' O6)
    case = json.loads((WORLD.parent / "order-250930MYR00001.json").read_text(encoding="utf-8"))
    order_id = str(world.ginee.state.create_order(case)["orderId"])
    settle(world)

    # When it is paid
    step(world, order_id, "pay")

    # Then no invoice and no stock out: the order waits on hold naming the currency, nothing failed
    assert documents(world, "sales_invoice") == {}
    assert balance(world, HPP) == 0
    assert hold_cause(world, order_id) == "unsupported_currency"
    assert dead_letters(world) == {}


# --- a refund that matches no line -----------------------------------------------------------------------------


def test_a_return_that_matches_no_line_is_held_with_the_figures_and_posted_once_corrected(
    open_world: OpenWorld,
) -> None:
    world = case_world(open_world)
    # Given the R4 order (PAKET-KAOS-3 = 3 × KAOS-HITAM-M at 155,400), paid, shipped, delivered
    order_id = create(world, "order-251004BNDL01.json")
    for action in ("pay", "ship", "deliver"):
        step(world, order_id, action)
    order = world.ginee.state.get_order(order_id)

    # When a return comes naming BOTOL-750 (not on the order), quantity 1, refund 38,850
    wrong = {
        "returnId": "RT-BNDL01-X",
        "status": "COMPLETED",
        "reason": "BUYER_RETURN",
        "createAt": order["lastUpdateAt"],
        "warehouseId": order["warehouseId"],
        "refundAmount": 38850,
        "items": [{"masterSku": "BOTOL-750", "quantity": 1, "refundAmount": 38850}],
    }
    step(world, order_id, "status", orderStatus="DELIVERED", extra={"returnInfos": [wrong]})

    # Then nothing is credited: the order is held refund_unmatched, the reason giving both sides' figures
    record = record_of(world, order_id)
    assert record is not None and record.hold is not None, "no hold"
    assert record.hold.cause == "refund_unmatched"
    assert "BOTOL-750 × 1" in record.hold.reason and "38,850" in record.hold.reason, record.hold.reason
    assert "KAOS-HITAM-M × 3" in record.hold.reason, record.hold.reason
    assert record.hold.hint
    assert documents(world, "sales_return") == {}
    assert balance(world, RECEIVABLE) == Decimal(155400)
    assert dead_letters(world) == {}

    # When the reconciler releases the holds, it stays held with the same cause
    assert release_holds(world.connection_id) == {"refund_unmatched": 1}
    settle(world)
    assert hold_cause(world, order_id) == "refund_unmatched"

    # When the seller corrects the return in Ginee (one shirt of the bundle, 51,800) and the holds are released
    right = {
        **wrong,
        "refundAmount": 51800,
        "items": [{"masterSku": "KAOS-HITAM-M", "quantity": 1, "refundAmount": 51800}],
    }
    world.ginee.state.transition(
        order_id, "status", notify=False, orderStatus="DELIVERED", extra={"returnInfos": [right]}
    )
    release_holds(world.connection_id)
    settle(world)

    # Then the shirt comes back, matched by SKU to the bundle's component, and nothing is held
    assert documents(world, "sales_return") == {"SP-251004BNDL01-R1": Decimal(51800)}
    assert hold_cause(world, order_id) is None
    assert dead_letters(world) == {}


# --- a quantity raised after the invoice -----------------------------------------------------------------------


def test_units_added_after_the_invoice_correct_it_while_nothing_answers_to_it_else_hold_with_the_figures(
    open_world: OpenWorld,
) -> None:
    world = case_world(open_world)
    shirts = world.accurate.stock("KAOS-HITAM-M")
    # Given the R1 order (KAOS-HITAM-M 55,500 + BOTOL-750 38,850) paid and invoiced (94,350), nothing paying it yet
    first = create(world, "order-251001PCAN01.json")
    step(world, first, "pay")
    assert documents(world, "sales_invoice") == {"SP-251001PCAN01": Decimal(94350)}

    # When Ginee's order raises the shirt to 2 units
    items = world.ginee.state.get_order(first)["items"]
    raised = [{**line, "quantity": 2} if line["masterSku"] == "KAOS-HITAM-M" else line for line in items]
    step(world, first, "status", orderStatus="PAID", extra={"items": raised}, paymentInfo={"subTotal": 149850})

    # Then the invoice is corrected under its own number: 2 shirts and the bottle, 149,850; 2 shirts out of stock
    assert documents(world, "sales_invoice") == {"SP-251001PCAN01": Decimal(149850)}
    assert net_by_account(world.accurate.journal("SP-251001PCAN01"))[RECEIVABLE] == Decimal(149850)
    assert world.accurate.stock("KAOS-HITAM-M") == shirts - 2
    assert hold_cause(world, first) is None

    # And at completion the receipt pays all of it: the receivable ends at 0
    for action in ("ship", "deliver", "complete"):
        step(world, first, action)
    [receipt] = documents(world, "sales_receipt")
    assert net_by_account(world.accurate.journal(receipt))[RECEIVABLE] == Decimal(-149850)

    # Given another order (R5: KAOS-HITAM-M × 1, 55,500) completed and receipted
    second = create(world, "order-251007QTY001.json")
    for action in ("pay", "ship", "deliver", "complete"):
        step(world, second, action)
    assert len(documents(world, "sales_receipt")) == 2

    # When Ginee's order then raises the shirt to 3 units
    items = world.ginee.state.get_order(second)["items"]
    raised = [{**line, "quantity": 3} if line["masterSku"] == "KAOS-HITAM-M" else line for line in items]
    step(world, second, "status", orderStatus="COMPLETED", extra={"items": raised})

    # Then the invoice stands (its receipt answers to it) and the order is held with the figures
    assert documents(world, "sales_invoice")["SP-251007QTY001"] == Decimal(55500)
    record = record_of(world, second)
    assert record is not None and record.hold is not None, "no hold"
    assert record.hold.cause == "quantity_raised"
    assert "KAOS-HITAM-M +2" in record.hold.reason and "KAOS-HITAM-M × 1 at 55,500" in record.hold.reason
    assert "SP-251007QTY001-P" in record.hold.reason, record.hold.reason
    assert record.hold.hint
    assert balance(world, RECEIVABLE) == Decimal(0)
    assert dead_letters(world) == {}


# --- fees on an order that owes nothing ------------------------------------------------------------------------


def test_the_fees_of_an_order_returned_in_full_leave_the_balance_by_a_journal_voucher_not_a_skipped_receipt(
    open_world: OpenWorld,
) -> None:
    world = case_world(open_world)
    # Given a Shopee order of KAOS-HITAM-M × 1 (55,500; order processing fee 1,250), paid, shipped, delivered
    order_id = create(world, "order-251007QTY001.json")
    for action in ("pay", "ship", "deliver"):
        step(world, order_id, action)

    # When the shirt is returned in full (refund 55,500) and the order completes, still bearing its fee
    order = world.ginee.state.get_order(order_id)
    everything = {
        "returnId": "RT-QTY001-1",
        "status": "COMPLETED",
        "reason": "BUYER_RETURN",
        "createAt": order["lastUpdateAt"],
        "warehouseId": order["warehouseId"],
        "refundAmount": 55500,
        "items": [
            {"itemId": order["items"][0]["itemId"], "masterSku": "KAOS-HITAM-M", "quantity": 1, "refundAmount": 55500}
        ],
    }
    step(world, order_id, "status", orderStatus="DELIVERED", extra={"returnInfos": [everything]})
    step(world, order_id, "complete")

    # Then the invoice is credited in full, no receipt pays nothing, and the fee leaves Saldo Shopee by a journal
    assert documents(world, "sales_return") == {"SP-251007QTY001-R1": Decimal(55500)}
    assert documents(world, "sales_receipt") == {}
    assert documents(world, "journal_voucher") == {"SP-251007QTY001-PF": Decimal(1250)}
    # (Shopee issues tax invoices for its fees: 1,250 is 1,126 of expense and 124 of PPN Masukan)
    assert net_by_account(world.accurate.journal("SP-251007QTY001-PF")) == {
        ORDER_PROCESSING_EXPENSE: Decimal(1126),
        PPN_MASUKAN: Decimal(124),
        SALDO_SHOPEE: Decimal(-1250),
    }
    assert balance(world, RECEIVABLE) == Decimal(0)
    assert balance(world, SALDO_SHOPEE) == Decimal(-1250)
    record = record_of(world, order_id)
    assert record is not None and record.receipt is not None and record.receipt.number == "SP-251007QTY001-PF"
    assert world.on_hold() == {}
    assert dead_letters(world) == {}


# --- a SKU longer than Accurate's item code --------------------------------------------------------------------


def test_a_sku_longer_than_accurates_item_code_is_held_with_a_hint_never_the_dead_letter_queue(
    open_world: OpenWorld,
) -> None:
    world = case_world(open_world, mapping_yaml(auto_create=True))
    # Given the R5 order whose shirt's master SKU is 35 characters (Accurate's item code takes 30)
    long_sku = "KAOS-HITAM-M-KATUN-COMBED-30S-PRIA"
    assert len(long_sku) > 30
    case = order_file("order-251007QTY001.json")
    case["items"] = [{**case["items"][0], "sku": long_sku, "masterSku": long_sku}]
    order_id = str(world.ginee.state.create_order(case)["orderId"])
    settle(world)

    # When it is paid
    step(world, order_id, "pay")

    # Then it is on hold sku_too_long, naming the SKU, its length and the limit, with a hint; nothing failed
    record = record_of(world, order_id)
    assert record is not None and record.hold is not None, "no hold"
    assert record.hold.cause == "sku_too_long"
    assert long_sku in record.hold.reason and "at most 30" in record.hold.reason, record.hold.reason
    assert "shorten the master SKU in Ginee" in record.hold.hint
    assert documents(world, "sales_invoice") == {}
    assert dead_letters(world) == {}


# --- a return is what it refunds ---------------------------------------------------------------------------------


def test_a_refund_that_is_not_the_value_of_what_it_names_is_held_and_a_shirts_refund_on_the_bundle_returns_a_shirt(
    open_world: OpenWorld,
) -> None:
    world = case_world(open_world)
    # Given the R4 order (PAKET-KAOS-3 = 3 × KAOS-HITAM-M at 155,400, exploded), paid, shipped, delivered
    order_id = create(world, "order-251004BNDL01.json")
    for action in ("pay", "ship", "deliver"):
        step(world, order_id, action)
    order = world.ginee.state.get_order(order_id)
    back_before = world.accurate.stock("KAOS-HITAM-M", RETURN_WAREHOUSE)

    # When a return of the whole bundle refunds 70,000: neither the bundle's 155,400 nor any number of shirts
    odd = {
        "returnId": "RT-BNDL01-2",
        "status": "COMPLETED",
        "reason": "BUYER_RETURN",
        "createAt": order["lastUpdateAt"],
        "warehouseId": order["warehouseId"],
        "refundAmount": 70000,
        "items": [
            {"itemId": order["items"][0]["itemId"], "masterSku": "PAKET-KAOS-3", "quantity": 1, "refundAmount": 70000}
        ],
    }
    step(world, order_id, "status", orderStatus="DELIVERED", extra={"returnInfos": [odd]})

    # Then nothing is credited: held refund_unmatched with both figures
    record = record_of(world, order_id)
    assert record is not None and record.hold is not None, "no hold"
    assert record.hold.cause == "refund_unmatched"
    assert "70,000" in record.hold.reason and "155,400" in record.hold.reason, record.hold.reason
    assert documents(world, "sales_return") == {}
    assert balance(world, RECEIVABLE) == Decimal(155400)

    # When the seller corrects the refund to 51,800 (one shirt's share) and the order completes
    right = {**odd, "refundAmount": 51800, "items": [{**odd["items"][0], "refundAmount": 51800}]}
    world.ginee.state.transition(
        order_id, "status", notify=False, orderStatus="DELIVERED", extra={"returnInfos": [right]}
    )
    release_holds(world.connection_id)
    settle(world)
    step(world, order_id, "complete")

    # Then the return naming the bundle is the shirt its refund pays for, at the refunded amount; the receipt pays
    # the 103,600 left, the receivable ends at 0, nothing held
    assert documents(world, "sales_return") == {"SP-251004BNDL01-R1": Decimal(51800)}
    assert world.accurate.stock("KAOS-HITAM-M", RETURN_WAREHOUSE) == back_before + 1
    [receipt] = documents(world, "sales_receipt")
    assert net_by_account(world.accurate.journal(receipt))[RECEIVABLE] == Decimal(-103600)
    assert balance(world, RECEIVABLE) == Decimal(0)
    assert world.on_hold() == {}
    assert dead_letters(world) == {}


def test_r4_in_a_store_that_does_not_explode_bundles_one_shirt_back_is_held_with_the_figures_never_the_bundle(
    open_world: OpenWorld,
) -> None:
    world = case_world(open_world, mapping_yaml(store_settings={SHOPEE: {"explode_bundles": False}}))
    # Given a seller whose Accurate stocks PAKET-KAOS-3 as an item of its own (5 sets at 90,000)
    as_of = (world.scenario.start - timedelta(days=1)).date()
    opening = ItemOpeningBalance(
        quantity=Decimal(5), unit_cost=Decimal(90000), warehouse_name=SALE_WAREHOUSE, as_of=as_of
    )
    bundle_item = Item(
        no="PAKET-KAOS-3",
        name="Paket 3 Kaos Hitam M",
        item_type="INVENTORY",
        unit1_name="PCS",
        unit_price=Decimal(155400),
        detail_open_balance=[opening],
    )
    assert all(row.ok for row in world.accurate_client().bulk_save([bundle_item]))
    # And the R4 order invoiced as the bundle line, paid, shipped, delivered
    order_id = create(world, "order-251004BNDL01.json")
    for action in ("pay", "ship", "deliver"):
        step(world, order_id, action)
    assert documents(world, "sales_invoice") == {"SP-251004BNDL01": Decimal(155400)}
    order = world.ginee.state.get_order(order_id)

    # When one shirt of it comes back (refund 51,800) and the order completes
    one_shirt = {
        "returnId": "RT-BNDL01-1",
        "status": "COMPLETED",
        "reason": "BUYER_RETURN",
        "createAt": order["lastUpdateAt"],
        "warehouseId": order["warehouseId"],
        "refundAmount": 51800,
        "items": [
            {"itemId": order["items"][0]["itemId"], "masterSku": "KAOS-HITAM-M", "quantity": 1, "refundAmount": 51800}
        ],
    }
    step(world, order_id, "status", orderStatus="DELIVERED", extra={"returnInfos": [one_shirt]})
    step(world, order_id, "complete")

    # Then no whole bundle comes back: the order is held bundle_component_return, naming the shirt, its refund and
    # the bundle's parts; nothing is credited or receipted, and nothing is in a dead-letter queue
    record = record_of(world, order_id)
    assert record is not None and record.hold is not None, "no hold"
    assert record.hold.cause == "bundle_component_return"
    reason = record.hold.reason
    assert "KAOS-HITAM-M × 1 (refund 51,800)" in reason and "KAOS-HITAM-M × 3 (155,400)" in reason, reason
    assert documents(world, "sales_return") == {} and documents(world, "sales_receipt") == {}
    assert world.accurate.stock("PAKET-KAOS-3", RETURN_WAREHOUSE) == Decimal(0)
    assert balance(world, RECEIVABLE) == Decimal(155400)
    assert dead_letters(world) == {}

    # When the reconciler releases the holds, it stays held with the same cause
    assert release_holds(world.connection_id) == {"bundle_component_return": 1}
    settle(world)
    assert hold_cause(world, order_id) == "bundle_component_return"
