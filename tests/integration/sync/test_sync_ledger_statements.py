"""Specification: the Ledger writes a batch of orders' records as PartiQL statements (``BatchExecuteStatement``, 25 a
request, each failing alone) and still leases each order to one worker only (DESIGN §3, invariant 1).

Against the tests' moto server over HTTP (its PartiQL writes run as DynamoDB runs them:
`omsync_workshop.moto_partiql`); requests and write units counted as row e of the bench counts them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from boto3.dynamodb.conditions import Key

import omsync.ledger.orders as orders_module
from omsync.errors import OnHold
from omsync.ledger.orders import OrderLedger, PostedDocument, PostedLine
from omsync.ledger.tables import ledger_table
from omsync_workshop.bench_cost import AwsUsageCounter
from omsync_workshop.stack import LocalResources

CONNECTION = "conn-statements"
LINE = PostedLine("SKU-1", 2, Decimal("15000"), Decimal("500"), "Gudang Utama", True)


@pytest.fixture
def counter(aws: LocalResources) -> Iterator[AwsUsageCounter]:
    counting = AwsUsageCounter()
    with counting.counting():
        yield counting


def invoice(order_id: str) -> PostedDocument:
    return PostedDocument(f"INV/{order_id}", 7000 + int(order_id.removeprefix("SO-")), (LINE,), total=Decimal("29500"))


def record(order_id: str) -> dict[str, object]:
    item = ledger_table().get_item(Key={"pk": f"CONN#{CONNECTION}#ORDER#{order_id}", "sk": "SYNC"}, ConsistentRead=True)
    return dict(item.get("Item") or {})


def test_a_batch_of_new_orders_is_leased_and_recorded_in_statements_at_one_write_unit_each(
    counter: AwsUsageCounter,
) -> None:
    # Given 30 paid orders the Ledger has never seen, loaded by the worker first (as every flow does)
    orders = [f"SO-{n}" for n in range(30)]
    ledger = OrderLedger(CONNECTION)
    assert ledger.load(orders) == {}
    before = counter.dynamodb_wru

    # When the worker leases them all, then records their invoices
    leased = ledger.lease({oid: f"INV/{oid}" for oid in orders}, "worker-a")
    recorded = ledger.record_invoices({oid: invoice(oid) for oid in orders}, "worker-a")

    # Then every order was leased (created with an INSERT) and recorded (an UPDATE), in 25-statement requests
    assert leased == recorded == set(orders)
    assert counter.calls["dynamodb.BatchExecuteStatement"] == 4
    assert counter.calls["dynamodb.TransactWriteItems"] == 0
    assert counter.calls["dynamodb.UpdateItem"] == 0
    # And each write billed one unit (its statement under 1 KB), not a transaction's two
    assert counter.dynamodb_wru - before == 60
    # And each record holds the invoice, its lines and the index entry, and no lease
    item = record("SO-7")
    assert item["invoice_number"] == "INV/SO-7" and item["invoice_id"] == 7007
    assert item["invoice_lines"] == [LINE.to_item()] and item["invoice_total"] == Decimal("29500")
    assert item["gsi2pk"] == f"CONN#{CONNECTION}#INVOICE" and item["order_id"] == "SO-7"
    assert "lease_owner" not in item and "intent" not in item
    found = ledger_table().query(
        IndexName="gsi2",
        KeyConditionExpression=Key("gsi2pk").eq(f"CONN#{CONNECTION}#INVOICE") & Key("gsi2sk").eq("INV/SO-29"),
    )["Items"]
    assert [row["order_id"] for row in found] == ["SO-29"]


def test_an_order_another_worker_holds_is_neither_leased_nor_recorded_by_the_batch(aws: LocalResources) -> None:
    # Given worker A holds SO-1 and SO-2, and SO-3 and SO-4 exist without a lease
    a = OrderLedger(CONNECTION)
    assert a.lease({"SO-1": "INV/SO-1", "SO-2": "INV/SO-2", "SO-3": None, "SO-4": None}, "worker-a")
    assert a.release(["SO-3", "SO-4"], "worker-a") == {"SO-3", "SO-4"}

    # When worker B loads and leases the four and a new one
    b = OrderLedger(CONNECTION)
    assert set(b.load(["SO-1", "SO-2", "SO-3", "SO-4", "SO-5"])) == {"SO-1", "SO-2", "SO-3", "SO-4"}
    taken = b.lease({oid: f"INV/{oid}" for oid in ("SO-1", "SO-2", "SO-3", "SO-4", "SO-5")}, "worker-b")

    # Then B holds only the three nobody held, and cannot record the invoices of A's two
    assert taken == {"SO-3", "SO-4", "SO-5"}
    assert b.record_invoices({oid: invoice(oid) for oid in ("SO-1", "SO-2", "SO-3")}, "worker-b") == {"SO-3"}
    assert record("SO-1")["lease_owner"] == "worker-a" and "invoice_number" not in record("SO-1")
    # And A still records its own
    assert a.record_invoices({oid: invoice(oid) for oid in ("SO-1", "SO-2")}, "worker-a") == {"SO-1", "SO-2"}


def test_an_order_created_after_the_load_is_leased_by_one_worker_only(aws: LocalResources) -> None:
    # Given worker B loaded two orders the Ledger did not know
    b = OrderLedger(CONNECTION)
    assert b.load(["SO-1", "SO-2"]) == {}
    # And worker A then leased one of them
    assert OrderLedger(CONNECTION).lease({"SO-1": "INV/SO-1"}, "worker-a") == {"SO-1"}

    # When B leases both (its INSERT of SO-1 finds the record A created)
    taken = b.lease({"SO-1": "INV/SO-1", "SO-2": "INV/SO-2"}, "worker-b")

    # Then B holds only SO-2, and SO-1 stays A's
    assert taken == {"SO-2"}
    assert record("SO-1")["lease_owner"] == "worker-a"


def test_an_expired_lease_is_taken_over_and_a_hold_keeps_its_first_time(aws: LocalResources) -> None:
    now = time.time()
    # Given worker A's leases of two orders ran out a minute ago
    stale = OrderLedger(CONNECTION, clock=lambda: now - 200)
    assert stale.lease({"SO-1": "INV/SO-1", "SO-2": "INV/SO-2"}, "worker-a", seconds=90) == {"SO-1", "SO-2"}

    # When worker B leases them
    b = OrderLedger(CONNECTION, clock=lambda: now)
    assert set(b.load(["SO-1", "SO-2"])) == {"SO-1", "SO-2"}
    assert b.lease({"SO-1": "INV/SO-1", "SO-2": "INV/SO-2"}, "worker-b") == {"SO-1", "SO-2"}
    assert record("SO-2")["lease_owner"] == "worker-b"

    # And parks both on hold twice (held_at keeps the first time: if_not_exists, written as a transaction)
    unmapped = OnHold("unmapped_store", "store SH9 is not in the mapping", "Add it to the mapping.")
    assert b.hold({"SO-1": unmapped, "SO-2": unmapped}, "worker-b") == {"SO-1", "SO-2"}
    later = OrderLedger(CONNECTION, clock=lambda: now + 60)
    assert later.hold({"SO-1": unmapped, "SO-2": unmapped}, "worker-c") == {"SO-1", "SO-2"}
    assert record("SO-1")["held_at"] == Decimal(repr(round(now, 3)))


def test_a_ledger_forgets_what_it_knew_past_its_bound_and_writes_those_orders_as_before(
    counter: AwsUsageCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a Ledger that remembers at most two orders' existence (a warm Lambda keeps it across invocations)
    monkeypatch.setattr(orders_module, "EXISTS_REMEMBERED", 2)
    ledger = OrderLedger(CONNECTION)
    ledger.load(["SO-1", "SO-2", "SO-3"])
    # When it loads two more, it forgets the first three
    ledger.load(["SO-4", "SO-5"])

    # Then the forgotten orders are leased by a transaction, the remembered ones by statements, all of them taken
    assert ledger.lease({"SO-1": "INV/SO-1", "SO-2": "INV/SO-2"}, "worker-a") == {"SO-1", "SO-2"}
    assert (counter.calls["dynamodb.TransactWriteItems"], counter.calls["dynamodb.BatchExecuteStatement"]) == (1, 0)
    assert ledger.lease({"SO-4": "INV/SO-4", "SO-5": "INV/SO-5"}, "worker-a") == {"SO-4", "SO-5"}
    assert (counter.calls["dynamodb.TransactWriteItems"], counter.calls["dynamodb.BatchExecuteStatement"]) == (1, 1)
