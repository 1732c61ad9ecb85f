"""Specification: the deep pass finds what changed in Accurate behind omsync's back (issue 19, item 2).

One Shopee day of three orders through the local stack (moto, the sandboxes over HTTP, the template's workers):
two are invoiced, the third is held (a line of quantity 0 in a store that holds those). Then someone works in
Accurate by hand: deletes the first invoice, and enters the second again at another price. `omsync reconcile`
finds both; the deleted invoice is healed (the Ledger's record of it dropped, the order put on its queue) and the
workers post it again, once; the invoice edited by hand (its total no longer the one Accurate saved for omsync) is
reported with both amounts, never healed; the held order is listed with its fix.
`omsync status` shows the last deep pass and its drift, and `omsync report` gives the accountant the same as a page
(checked as headless Chromium renders it) and a CSV.
"""

from __future__ import annotations

import copy
import csv
import json
import shutil
import subprocess
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from flow_world import SHOPEE, OpenWorld, documents, mapping_yaml, omsync, record_of, settle, started_player

from omsync.accurate.documents import SalesInvoice, SalesInvoiceItem
from omsync.ledger.deep_passes import DeepPassLog
from omsync.posting.numbers import JAKARTA, jakarta_date
from omsync.sync.deep_pass import nightly
from omsync_workshop.ginee.models import parse_time
from omsync_workshop.scenarios import load_scenario
from omsync_workshop.world import LocalWorld

CASES = Path(__file__).resolve().parent / "cases"
HELD = "order-251007QTY001.json"  # KAOS-HITAM-M × 1 and BOTOL-750 × 0
DELETED, EDITED = "SP-251130DEEP01", "SP-251130DEEP02"


def order_case(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CASES / "orders" / name).read_text(encoding="utf-8"))
    return data


def one_shirt(order_sn: str) -> dict[str, Any]:
    """A Shopee order of KAOS-HITAM-M × 1 at 55,500 (PPN included): its invoice comes to 55,500."""
    order = copy.deepcopy(order_case(HELD))
    order["externalOrderSn"] = order["externalOrderId"] = order_sn
    order["items"] = order["items"][:1]
    return order


BUYER = {"name": "Siti Rahayu Kusuma", "mobile": "081298765432", "email": "siti.rahayu@example.co.id"}
ADDRESS = {"name": "Siti Rahayu Kusuma", "mobile": "081298765432", "fullAddress": "Jl. Melati No. 17, Bandung"}


MORNING = datetime.combine(datetime.now(JAKARTA).date() - timedelta(days=2), time(10), JAKARTA)
"""When the day's orders are made: two days ago, mid-morning in Jakarta, so they share one business day whenever
the test runs."""


def paid(world: LocalWorld, order: dict[str, Any], minute: int) -> str:
    """Create the order in Ginee with its buyer's name, phone, e-mail and address, then pay it five minutes later."""
    order = {**order, "customerInfo": BUYER, "shippingAddressInfo": ADDRESS}
    created = MORNING + timedelta(minutes=minute)
    order_id = str(world.ginee.state.create_order(order, created)["orderId"])
    world.ginee.state.transition(order_id, "pay", created + timedelta(minutes=5))
    return order_id


def business_day(world: LocalWorld, order_id: str) -> date:
    return jakarta_date(parse_time(world.ginee.state.get_order(order_id)["payAt"]))


def rendered(page: Path, folder: Path) -> str:
    """The page's DOM after headless Chromium (Debian's package, `make chromium`) loaded and laid it out."""
    chromium = shutil.which("chromium")
    assert chromium is not None, "Chromium is not installed: run `make chromium` (CI runs it as part of `make test`)"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={folder / 'chromium-profile'}",
    ]
    done = subprocess.run(
        [chromium, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout


def test_an_invoice_deleted_by_hand_is_posted_again_once_and_an_amount_changed_by_hand_is_reported(
    open_world: OpenWorld, tmp_path: Path
) -> None:
    scenario = replace(load_scenario(CASES / "settlements" / "bug-orders.json"), orders=(), events=())
    world = open_world(scenario, mapping_yaml(store_settings={SHOPEE: {"zero_quantity_lines": "hold"}}))
    started_player(world)
    # Given three paid Shopee orders of one day: two invoiced, one held
    deleted_id = paid(world, one_shirt("251130DEEP01"), 0)
    edited_id = paid(world, one_shirt("251130DEEP02"), 10)
    held_id = paid(world, order_case(HELD), 20)
    settle(world)
    day = business_day(world, deleted_id)
    assert day == MORNING.date() == business_day(world, held_id)
    assert documents(world, "sales_invoice") == {DELETED: Decimal(55500), EDITED: Decimal(55500)}
    posted = record_of(world, deleted_id)
    assert posted is not None and posted.invoice is not None

    # When, in Accurate, someone deletes the first invoice and enters the second again at 50,000
    accurate = world.accurate_client()
    accurate.delete(SalesInvoice, number=DELETED)
    accurate.delete(SalesInvoice, number=EDITED)
    accurate.save(
        SalesInvoice(
            number=EDITED,
            customer_no="C-SHOPEE",
            branch_name="Cabang Online",
            trans_date=day,
            taxable=True,
            inclusive_tax=True,
            tax1_name="PPN",
            detail_item=[
                SalesInvoiceItem(
                    item_no="KAOS-HITAM-M",
                    quantity=Decimal(1),
                    unit_price=Decimal(50000),
                    warehouse_name="Gudang Utama",
                    use_tax1=True,
                )
            ],
        )
    )
    # and the deep pass runs for that day
    status, shown = omsync("reconcile", "--connection", world.connection_id, "--date", day.isoformat())

    # Then the deleted invoice is found and healed, the changed amount reported, the held order listed
    assert status == 1, shown
    assert f"deleted_by_hand  {day.isoformat()}  Toko Rapi Shopee  invoice {DELETED}  order {deleted_id}" in shown
    assert "Ginee 55,500  Accurate -  healed" in shown, shown
    assert f"edited_by_hand   {day.isoformat()}  Toko Rapi Shopee  invoice {EDITED}  order {edited_id}" in shown
    assert "Ginee 55,500  Accurate 50,000  reported" in shown, shown
    assert f"on hold zero_quantity_line  {day.isoformat()}  order {held_id}" in shown, shown
    assert f"  {day.isoformat()}  Toko Rapi Shopee                  3         111,000        1          50,000" in shown

    # And the workers post the deleted invoice again, under its number, once
    settle(world)
    assert documents(world, "sales_invoice") == {DELETED: Decimal(55500), EDITED: Decimal(50000)}
    again = record_of(world, deleted_id)
    assert again is not None and again.invoice is not None and again.invoice.number == DELETED
    assert again.invoice.accurate_id != posted.invoice.accurate_id
    saves = world.accurate.company.saves["sales-invoice"]

    # And a second pass finds the healed invoice in step: only the changed amount is left, and nothing is posted
    status, shown = omsync("reconcile", "--connection", world.connection_id, "--date", day.isoformat())
    settle(world)
    assert status == 1 and "deleted_by_hand" not in shown and "edited_by_hand" in shown, shown
    assert "1 drift(s) left to look at" in shown
    assert world.accurate.company.saves["sales-invoice"] == saves
    assert documents(world, "sales_invoice") == {DELETED: Decimal(55500), EDITED: Decimal(50000)}

    # And `omsync status` shows the last deep pass and its drift
    status, shown = omsync("status", "--connection", world.connection_id)
    assert status == 0, shown
    assert f"over {day.isoformat()}: drift 1 (Toko Rapi Shopee: edited_by_hand 1), 0 healed" in shown, shown

    # And the accountant's report shows, as Chromium renders it, the store's totals side by side with a chart, the
    # difference with its order and invoice, and the held order with its fix; the CSV beside it has the same rows
    page = tmp_path / "report.html"
    status, shown = omsync("report", "--connection", world.connection_id, "--date", day.isoformat(), "--out", str(page))
    assert status == 0, shown
    dom = rendered(page, tmp_path)
    assert '<h3 class="store">Toko Rapi Shopee</h3>' in dom and "<svg" in dom
    assert '<td class="n">111,000</td>' in dom and '<td class="n">105,500</td>' in dom, dom
    difference = dom[dom.index("Differences (1)") :]
    assert EDITED in difference and edited_id in difference and "edited_by_hand" in difference
    assert '<td class="n">-5,500</td>' in difference
    on_hold = dom[dom.index("On hold (1)") :]
    assert held_id in on_hold and "zero_quantity_line" in on_hold and "zero_quantity_lines" in on_hold
    table = page.with_suffix(".csv").read_text(encoding="utf-8")
    for buyer in {*BUYER.values(), *ADDRESS.values()}:
        assert buyer not in dom and buyer not in table, "buyer data in the report"
    rows = list(csv.DictReader(table.splitlines()))
    assert [(r["section"], r["kind"], r["ginee_order_id"]) for r in rows] == [
        ("day", "", ""),
        ("difference", "edited_by_hand", edited_id),
        ("on_hold", "", held_id),
    ]
    assert (rows[0]["ginee_total"], rows[0]["accurate_total"], rows[0]["difference"]) == ("111000", "105500", "-5500")

    # And the nightly run (the reconciler's, the night after) compares that day once, keeping its result
    night = datetime.combine(day + timedelta(days=1), time(2), JAKARTA)
    run = nightly(world.connection_id, now=night)
    assert run.day == day and run.drift == {SHOPEE: {"edited_by_hand": 1}}, run
    last = DeepPassLog(world.connection_id).last()
    assert last is not None and last.nightly and last.total == 1
    assert nightly(world.connection_id, now=night + timedelta(hours=1)).skipped == "not due"
