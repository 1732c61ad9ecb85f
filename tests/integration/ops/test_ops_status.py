"""Specification: `omsync status`, `omsync holds`, `omsync order show` and `omsync connection list|disable|enable|
delete` on the local stack (moto over HTTP, the sandboxes, the workers).

The world: the small scenario's day over three stores, with Tokopedia left out of the mapping, so its paid orders
wait on hold (`unmapped_store`) while the others are posted.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from omsync.ledger.connections import ConnectionRepository, ConnectionStatus
from omsync.ledger.orders import OrderLedger
from omsync_ops.cli import main
from omsync_workshop.scenarios import load_scenario
from omsync_workshop.world import LocalWorld, default_mapping_path

SCENARIO = Path(__file__).resolve().parents[1] / "flows" / "scenarios" / "flows-small.json"
TOKOPEDIA = "SH64AAV776CFF47E0001TOKPED"


def omsync(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(list(argv))
    return status, out.getvalue()


def mapping_without_tokopedia() -> str:
    data: dict[str, Any] = yaml.safe_load(default_mapping_path().read_text(encoding="utf-8"))
    del data["stores"][TOKOPEDIA]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@pytest.fixture(scope="module")
def world(moto_endpoint: str) -> Iterator[LocalWorld]:
    scenario = load_scenario(SCENARIO)
    with LocalWorld(
        scenario,
        mapping_without_tokopedia(),
        endpoint=moto_endpoint,
        stack_parameters={"OrdersBatchingWindowSeconds": "0"},
    ) as world:
        world.play()
        world.settle()
        yield world


def buyer_data(world: LocalWorld) -> list[str]:
    return [
        str(value)
        for order in world.ginee.state.orders.values()
        for block in ("customerInfo", "shippingAddressInfo")
        for key, value in (order.get(block) or {}).items()
        if key in ("name", "mobile", "email", "fullAddress", "phone") and value
    ]


def test_status_shows_per_store_what_is_synced_what_is_held_with_its_fix_and_the_queues(world: LocalWorld) -> None:
    status, shown = omsync("status", "--connection", world.connection_id)
    assert status == 0, shown
    invoices = list(world.document_totals()["sales_invoice"])
    for store in world.loaded.mapping.stores.values():
        posted = sum(1 for number in invoices if number.startswith(store.number_prefix))
        assert re.search(rf"store {re.escape(store.name)}\s+synced: {posted} order\(s\) invoiced", shown), shown
    held = world.on_hold()
    assert held.get("unmapped_store", 0) > 0
    assert f"on hold: {sum(held.values())} order(s)" in shown
    assert re.search(rf"unmapped_store\s+{held['unmapped_store']}\s+fix: .*omsync mapping apply", shown), shown
    assert "last reconcile: never" in shown
    assert re.search(r"^orders\s+0\s+0\s+-\s+0\s+-$", shown, re.M), shown
    assert not [b for b in buyer_data(world) if b in shown]

    # After the reconciler's run, status says when it ran and what it read
    world.reconcile(max_runs=1)
    status, shown = omsync("status")
    assert status == 0 and re.search(r"last reconcile: \d{4}-\d\d-\d\dT\S+ \(\d+ s ago\)", shown), shown
    assert omsync("status", "--connection", "nosuch")[0] == 2


def test_holds_lists_each_held_order_with_why_and_the_fix(world: LocalWorld) -> None:
    status, listed = omsync("holds", "--cause", "unmapped_store")
    assert status == 0, listed
    held = world.on_hold()["unmapped_store"]
    assert f"{held} order(s) on hold for unmapped_store" in listed
    assert listed.count(f"    why: Ginee store {TOKOPEDIA} is not in the mapping") == held, listed
    assert listed.count("    fix: add stores.") == held, listed
    status, none = omsync("holds", "--cause", "missing_sku")
    assert status == 0 and "0 order(s) on hold for missing_sku" in none


def test_order_show_tells_one_orders_story(world: LocalWorld) -> None:
    completed = next(o for o in world.scenario.orders if o.outcome == "completed" and o.store_key == "shopee")
    status, shown = omsync("order", "show", completed.order_id)
    assert status == 0, shown
    assert "Ginee: COMPLETED in store SH64AAV776CFF47E0001SHOPEE" in shown
    assert re.search(r"Sales Invoice SP-\S+ \(Accurate id \d+\)", shown), shown
    assert re.search(r"Sales Receipt SP-\S+-P \(Accurate id \d+\), source estimate", shown), shown
    # Its attempts: none failed, or each flow's failures with their class and times (a lease two flows met)
    assert re.search(r"failures: none noted|\w+ failed \d+ time\(s\): \w+, first \S+, last \S+", shown), shown
    waiting = OrderLedger(world.connection_id).held()[0]
    status, shown = omsync("order", "show", waiting.order_id, "--connection", world.connection_id)
    assert status == 0 and re.search(r"on hold since \S+: unmapped_store", shown), shown
    assert not [b for b in buyer_data(world) if b in shown]


def test_connections_are_listed_disabled_enabled_and_deleted_only_once_confirmed(
    world: LocalWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = world.connection_id
    status, listed = omsync("connection", "list")
    assert status == 0 and re.search(rf"^{cid}\s+active\s", listed, re.M), listed
    assert omsync("connection", "disable", cid)[0] == 0
    assert re.search(rf"^{cid}\s+disabled\s", omsync("connection", "list")[1], re.M)
    # A disabled connection's reconcile is skipped
    assert world.reconcile(max_runs=1)[0] == {"skipped": "disabled"}
    assert omsync("connection", "enable", cid)[0] == 0
    connection = ConnectionRepository().get(cid)
    assert connection is not None and connection.status is ConnectionStatus.ACTIVE

    def no_terminal(prompt: str) -> str:
        raise EOFError

    monkeypatch.setattr("builtins.input", no_terminal)
    status, unanswered = omsync("connection", "delete", cid)
    assert status == 2 and "no answer" in unanswered and ConnectionRepository().get(cid) is not None, unanswered
    monkeypatch.setattr("builtins.input", lambda prompt: "not-the-id")
    status, refused = omsync("connection", "delete", cid)
    assert status == 2 and "not deleted" in refused and ConnectionRepository().get(cid) is not None
    monkeypatch.setattr("builtins.input", lambda prompt: cid)
    status, deleted = omsync("connection", "delete", cid)
    assert status == 0, deleted
    assert ConnectionRepository().get(cid) is None
    assert cid not in omsync("connection", "list")[1]
