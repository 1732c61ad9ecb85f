"""Specification: the marketplace's money becomes Sales Receipts — estimated at completion, exact from the
payout file — and the books stay true through differences, refunds and files that do not add up (issue 7,
and issue 6's "after the receipt" path).

Everything goes through the local stack: orders change in the Ginee sandbox (webhooks), settlement files
are imported with `omsync settlement import`, and the results are read from Accurate over HTTP and from
the Ledger in moto.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import yaml
from flow_world import (
    LAZADA,
    SHOPEE,
    TOKOPEDIA,
    OpenWorld,
    dead_letters,
    documents,
    envelopes_of,
    flow_scenario,
    invoice_number,
    mapping_yaml,
    net_by_account,
    omsync,
    orders_of,
    play_late,
    play_rest,
    play_through,
    record_of,
    redeliver,
    settle,
)

from omsync.ledger.payouts import PayoutLedger
from omsync.payouts.files import read_payouts, shopee_payout_id
from omsync.payouts.model import Payout, PayoutLine
from omsync.posting.numbers import jakarta_date
from omsync_workshop.ginee.webhooks import DeliveryOptions
from omsync_workshop.scenarios import OrderFacts
from omsync_workshop.scenarios.statements import write_payouts, write_statement
from omsync_workshop.world import LocalWorld

SALDO_SHOPEE = "1103"
SALDO_LAZADA = "1105"
RECEIVABLE = "1201"
COMMISSION = "6101"
PPN_MASUKAN = "1401"
PPH22_PREPAID = "1402"
UNRULY = DeliveryOptions(duplicate_rate=1.0, reorder_window=3)


def balance(world: LocalWorld, account: str) -> Decimal:
    return Decimal(world.accurate.trial_balance().get(account, Decimal(0)))


def import_file(world: LocalWorld, folder: Path, name: str, text: str, shop_id: str, *extra: str) -> tuple[int, str]:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return omsync("settlement", "import", str(path), "--store", shop_id, "--connection", world.connection_id, *extra)


def played_with_lazada_statement(open_world: OpenWorld) -> tuple[LocalWorld, str]:
    """flows-small played through the stack, and the statement Lazada exports for its payouts."""
    scenario = flow_scenario("flows-small")
    world = open_world(scenario, mapping_yaml())
    play_late(world)
    return world, write_statement(scenario, "lazada", "lazada")


def kept_net(order: OrderFacts) -> Decimal:
    return sum((line.actual_price * line.kept_quantity for line in order.lines), Decimal(0)) - order.voucher_seller


def test_a_completed_order_gets_one_estimated_receipt_whatever_the_delivery(open_world: OpenWorld) -> None:
    scenario = flow_scenario("flows-paths")
    world = open_world(scenario, mapping_yaml(), delivery=UNRULY)
    order = orders_of(scenario, "completed")[0]
    receipt_no = invoice_number("SP-", order) + "-P"
    # Given a Shopee order (estimate store) delivered and invoiced: no receipt before it completes
    play_through(world, order.order_id, "deliver")
    assert receipt_no not in documents(world, "sales_receipt")

    # When it completes (every webhook twice, shuffled) and all its webhooks are replayed
    play_through(world, order.order_id, "complete")
    redeliver(world, envelopes_of(world, order.order_id), times=2)

    # Then one receipt pays the invoice into Saldo Shopee, with the fees of Ginee's paymentInfo
    receipts = documents(world, "sales_receipt")
    assert [n for n in receipts if n.startswith(receipt_no[:-2])] == [receipt_no]
    expected_cheque = kept_net(order) - order.total_fees
    assert receipts[receipt_no] == expected_cheque
    journal = net_by_account(world.accurate.journal(receipt_no))
    assert journal[SALDO_SHOPEE] == expected_cheque
    assert journal[RECEIVABLE] == -kept_net(order)
    # Shopee issues tax invoices for its fees in the demo mapping: their PPN is PPN Masukan
    assert journal.get(PPN_MASUKAN, Decimal(0)) > 0
    record = record_of(world, order.order_id)
    assert record is not None and record.receipt is not None and record.receipt.source == "estimate"

    # And the payout webhook that follows posts nothing more; the books are the oracle's
    play_rest(world)
    assert [n for n in documents(world, "sales_receipt") if n.startswith(receipt_no[:-2])] == [receipt_no]
    report = world.report()
    assert report.oracle_match, report.comparison.report()
    assert dead_letters(world) == {}


def test_a_lazada_statement_posts_one_receipt_per_payout_and_a_second_import_changes_nothing(
    open_world: OpenWorld, tmp_path: Path
) -> None:
    world, text = played_with_lazada_statement(open_world)
    # Lazada settles from files: nothing is receipted by estimate
    assert not [n for n in documents(world, "sales_receipt") if n.startswith("LZ-")]
    payouts = read_payouts(text, "lazada")
    assert payouts

    # When the statement is imported
    status, output = import_file(world, tmp_path, "lazada.csv", text, LAZADA)
    assert status == 0, output
    world.imported_statements.add("lazada")  # so the oracle expects its payouts

    # Then each payout is one receipt paying its invoices, and Saldo Lazada holds exactly what was paid out
    receipts = {n: t for n, t in documents(world, "sales_receipt").items() if n.startswith("LZ-")}
    assert receipts == {f"LZ-{p.payout_id}": p.amount for p in payouts}
    assert balance(world, SALDO_LAZADA) == sum((p.amount for p in payouts), Decimal(0))
    report = world.report()
    assert report.oracle_match, report.comparison.report()

    # When the same file is imported again
    books_before = world.accurate.trial_balance()
    status, output = import_file(world, tmp_path, "lazada.csv", text, LAZADA)

    # Then nothing changes
    assert status == 0 and "already_posted" in output, output
    assert world.accurate.trial_balance() == books_before
    assert {n for n in documents(world, "sales_receipt") if n.startswith("LZ-")} == set(receipts)


def test_a_payout_that_does_not_add_up_is_held_with_its_difference_then_posted_once_corrected(
    open_world: OpenWorld, tmp_path: Path
) -> None:
    world, statement = played_with_lazada_statement(open_world)
    good = read_payouts(statement, "lazada")[0]
    short = replace(good, amount=good.amount - 500)

    # When a statement whose payout row is 500 short of its lines is imported
    status, output = import_file(world, tmp_path, "short.csv", write_payouts([short], "lazada"), LAZADA)

    # Then the payout is held with the difference shown, and nothing is posted
    assert status == 2, output
    assert "payout_unbalanced" in output and "difference -500" in output, output
    assert not [n for n in documents(world, "sales_receipt") if n.startswith("LZ-")]
    held = PayoutLedger(world.connection_id, LAZADA).get(good.payout_id)
    assert held is not None and held.status == "held" and held.hold_cause == "payout_unbalanced"

    # When the corrected statement is imported, the payout is posted
    status, output = import_file(world, tmp_path, "good.csv", write_payouts([good], "lazada"), LAZADA)
    assert status == 0, output
    assert documents(world, "sales_receipt")[f"LZ-{good.payout_id}"] == good.amount
    posted = PayoutLedger(world.connection_id, LAZADA).get(good.payout_id)
    assert posted is not None and posted.status == "posted"


def test_an_unknown_order_and_an_unmapped_fee_hold_the_payout_and_a_dry_run_posts_nothing(
    open_world: OpenWorld, tmp_path: Path
) -> None:
    world, statement = played_with_lazada_statement(open_world)
    good = read_payouts(statement, "lazada")[0]
    stranger = PayoutLine("LZ-NOT-AN-ORDER", Decimal(10000), {}, Decimal(10000))
    odd_fee = replace(
        good.lines[0], fees={**good.lines[0].fees, "mystery_fee": Decimal(100)}, net=good.lines[0].net - 100
    )
    bad = replace(good, lines=(odd_fee, *good.lines[1:], stranger), amount=good.amount + 10000 - 100)

    status, output = import_file(world, tmp_path, "bad.csv", write_payouts([bad], "lazada"), LAZADA)
    assert status == 2, output
    assert "unknown_order" in output and "unmapped_fee" in output and "mystery_fee" in output, output
    assert not [n for n in documents(world, "sales_receipt") if n.startswith("LZ-")]

    status, output = import_file(world, tmp_path, "good.csv", write_payouts([good], "lazada"), LAZADA, "--dry-run")
    assert status == 0 and "would_post" in output, output
    assert not [n for n in documents(world, "sales_receipt") if n.startswith("LZ-")]


def _shopee_payout_of(world: LocalWorld, order: OrderFacts, **fee_changes: Decimal) -> Payout:
    assert order.settled_at is not None
    paid_on = jakarta_date(order.settled_at)
    fees = {kind: amount for kind, amount in order.fees.items() if amount}
    for kind, change in fee_changes.items():
        fees[kind] = fees.get(kind, Decimal(0)) + change
    amount = kept_net(order)
    line = PayoutLine(order.external_order_sn, amount, fees, amount - sum(fees.values(), Decimal(0)))
    return Payout(shopee_payout_id(paid_on), paid_on, line.net, (line,), "shopee")


def test_estimate_then_exact_posts_only_the_difference_never_a_second_receipt(
    open_world: OpenWorld, tmp_path: Path
) -> None:
    scenario = flow_scenario("flows-paths")
    world = open_world(scenario, mapping_yaml())
    order = orders_of(scenario, "completed")[0]
    play_late(world)
    receipts_before = documents(world, "sales_receipt")
    saldo_before = balance(world, SALDO_SHOPEE)

    # When Shopee's income report says the commission was 333 more than Ginee's estimate
    payout = _shopee_payout_of(world, order, commission=Decimal(333))
    text = write_payouts([payout], "shopee")
    status, output = import_file(world, tmp_path, "shopee.csv", text, SHOPEE)
    assert status == 0, output

    # Then no second receipt: one journal voucher moves only the difference (its PPN split off)
    assert documents(world, "sales_receipt") == receipts_before
    journal_no = f"SP-{payout.payout_id}-J"
    assert journal_no in documents(world, "journal_voucher")
    moved = net_by_account(world.accurate.journal(journal_no))
    # 333 incl. PPN: 11/111 of it is 33 of PPN Masukan, 300 commission — split per fee, so compare sums
    assert moved[SALDO_SHOPEE] == Decimal(-333)
    assert moved[COMMISSION] + moved.get(PPN_MASUKAN, Decimal(0)) == Decimal(333)
    assert balance(world, SALDO_SHOPEE) == saldo_before - 333
    record = record_of(world, order.order_id)
    assert record is not None and record.exact_payout == payout.payout_id

    # And importing the file again changes nothing
    books = world.accurate.trial_balance()
    status, output = import_file(world, tmp_path, "shopee.csv", text, SHOPEE)
    assert status == 0 and "already_posted" in output
    assert world.accurate.trial_balance() == books


def test_a_refund_line_after_the_payout_moves_money_back_against_the_receivable(
    open_world: OpenWorld, tmp_path: Path
) -> None:
    world, statement = played_with_lazada_statement(open_world)
    first = read_payouts(statement, "lazada")[0]
    status, output = import_file(world, tmp_path, "first.csv", write_payouts([first], "lazada"), LAZADA)
    assert status == 0, output
    refunded = first.lines[0]
    commission = refunded.fees.get("commission", Decimal(0))
    assert commission > 0

    # When the buyer sends the goods back (the return recorded in Ginee, its Sales Return posted) and a later
    # statement takes the order's money back (the item refunded, its commission given back)
    returned = next(o for o in world.scenario.orders if o.external_order_sn == refunded.order_sn)
    world.ginee.state.transition(
        returned.order_id,
        "return",
        lines=[{"itemId": line.item_id, "quantity": line.kept_quantity} for line in returned.lines],
        returnId="RT-REFUND-1",
    )
    settle(world)
    back = PayoutLine(refunded.order_sn, -refunded.amount, {"commission": -commission}, -refunded.amount + commission)
    later = Payout("STMT-REFUND-1", first.paid_on, back.net, (back,), "lazada")
    saldo_before = balance(world, SALDO_LAZADA)
    status, output = import_file(world, tmp_path, "later.csv", write_payouts([later], "lazada"), LAZADA)
    assert status == 0, output

    # Then a journal voucher (never a negative receipt): Dr Piutang, Cr Komisi, Cr Saldo Lazada
    assert "LZ-STMT-REFUND-1" not in documents(world, "sales_receipt")
    moved = net_by_account(world.accurate.journal("LZ-STMT-REFUND-1-J"))
    assert moved == {RECEIVABLE: refunded.amount, COMMISSION: -commission, SALDO_LAZADA: back.net}
    assert balance(world, SALDO_LAZADA) == saldo_before + back.net


def test_a_return_after_the_estimated_receipt_takes_its_refund_out_of_the_balance_once(
    open_world: OpenWorld,
) -> None:
    scenario = flow_scenario("flows-paths")
    world = open_world(scenario, mapping_yaml(), delivery=UNRULY)
    order = orders_of(scenario, "completed")[0]
    invoice = invoice_number("SP-", order)
    play_through(world, order.order_id, "complete")
    assert invoice + "-P" in documents(world, "sales_receipt")
    saldo_before = balance(world, SALDO_SHOPEE)
    line = order.lines[0]

    # When the buyer returns one unit after the money was received (webhooks twice, shuffled)
    world.ginee.state.transition(
        order.order_id, "return", lines=[{"itemId": line.item_id, "quantity": 1}], returnId="RT-LATE-1"
    )
    settle(world)
    redeliver(world, envelopes_of(world, order.order_id)[-3:], times=2)

    # Then one Sales Return, and one journal voucher moving its refund out of Saldo Shopee
    returns = [n for n in documents(world, "sales_return") if n.startswith(invoice)]
    assert returns == [invoice + "-R1"]
    refund = documents(world, "sales_return")[invoice + "-R1"]
    journals = [n for n in documents(world, "journal_voucher") if n.startswith(invoice)]
    assert journals == [invoice + "-R1-J"]
    moved = net_by_account(world.accurate.journal(invoice + "-R1-J"))
    assert moved == {RECEIVABLE: refund, SALDO_SHOPEE: -refund}
    assert balance(world, SALDO_SHOPEE) == saldo_before - refund
    # No negative receipt, and the order's receivable is back to zero
    assert [n for n in documents(world, "sales_receipt") if n.startswith(invoice)] == [invoice + "-P"]
    order_lines = [
        line
        for number in (invoice, invoice + "-P", invoice + "-R1", invoice + "-R1-J")
        for line in world.accurate.journal(number)
    ]
    assert RECEIVABLE not in net_by_account(order_lines)
    assert dead_letters(world) == {}


def test_pph22_withheld_by_the_marketplace_is_a_prepaid_tax_on_the_receipt(open_world: OpenWorld) -> None:
    scenario = flow_scenario("flows-paths")
    data = yaml.safe_load(mapping_yaml())
    shopee = data["stores"][SHOPEE]
    shopee["tax"]["pph22_withheld"] = True
    shopee["accounts"]["pph22_prepaid"] = PPH22_PREPAID
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    world = open_world(scenario, text)
    order = orders_of(scenario, "completed")[0]
    receipt_no = invoice_number("SP-", order) + "-P"

    # When a Shopee order completes while the store has PPh 22 withheld
    play_through(world, order.order_id, "complete")

    # Then its receipt books 0.5% of the revenue without PPN on PPh 22 dibayar dimuka, and the money
    # received is that much less
    journal = net_by_account(world.accurate.journal(receipt_no))
    invoice = net_by_account(world.accurate.journal(invoice_number("SP-", order)))
    revenue = -invoice["4101"]
    withheld = (revenue * Decimal("0.005")).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert withheld > 0 and journal[PPH22_PREPAID] == withheld
    assert journal[SALDO_SHOPEE] == kept_net(order) - order.total_fees - withheld
    assert sum(journal.values()) == 0


def test_a_tiktok_settlement_whose_fees_equal_the_estimates_posts_nothing_new(
    open_world: OpenWorld, tmp_path: Path
) -> None:
    scenario = flow_scenario("flows-small")
    world = open_world(scenario, mapping_yaml())
    play_late(world)
    books = world.accurate.trial_balance()
    text = write_statement(scenario, "tokopedia", "tiktok")
    payouts = read_payouts(text, "tiktok")
    assert payouts

    # When Tokopedia's settlement (a store receipted by estimate) agrees with every estimate
    status, output = import_file(world, tmp_path, "tiktok.csv", text, TOKOPEDIA)

    # Then every payout is recorded as settled and the books do not move
    assert status == 0, output
    assert output.count("-> posted") == len(payouts), output
    assert world.accurate.trial_balance() == books
    assert not [n for n in documents(world, "journal_voucher") if n.startswith("TP-")]
