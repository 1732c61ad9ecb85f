"""Specification: `omsync dlq list|show|redrive` on the local stack (moto over HTTP, the sandboxes, the workers).

A poison message is one its worker fails every time until SQS moves it to the DLQ; here Ginee refuses every
signature (the connection's keys no longer match), so each order's message fails with `SignatureRejected`.
Once the cause is fixed, `omsync dlq redrive` moves the dead letters back and the books converge.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from omsync_ops.cli import main
from omsync_workshop.scenarios import load_scenario
from omsync_workshop.world import GINEE_ACCESS_KEY, GINEE_SECRET_KEY, LocalWorld, default_mapping_path

SCENARIO = Path(__file__).resolve().parents[1] / "flows" / "scenarios" / "reconcile-drops.json"


def omsync(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(list(argv))
    return status, out.getvalue()


@pytest.fixture(scope="module")
def poisoned(moto_endpoint: str) -> Iterator[LocalWorld]:
    """A day played while Ginee refuses the connection's signature: every message ends in its DLQ."""
    scenario = load_scenario(SCENARIO)
    with LocalWorld(
        scenario,
        default_mapping_path().read_text(encoding="utf-8"),
        endpoint=moto_endpoint,
        stack_parameters={"OrdersBatchingWindowSeconds": "0"},
    ) as world:
        world.ginee.responses.keys = {GINEE_ACCESS_KEY: "not-the-connection-s-secret"}
        world.play()
        world.settle()
        yield world


def test_dead_letters_are_listed_with_their_error_class_and_first_failure_time_and_no_buyer_data(
    poisoned: LocalWorld,
) -> None:
    status, listed = omsync("dlq", "list")
    assert status == 0, listed
    assert re.search(r"^orders-dlq: [1-9]\d* message\(s\)$", listed, re.M), listed
    lines = [line for line in listed.splitlines() if " order SO" in line]
    assert lines and all("error: SignatureRejected" in line for line in lines), listed
    assert all(re.search(r"first failed: \d{4}-\d\d-\d\dT", line) for line in lines), listed
    assert all(f"{poisoned.connection_id} order " in line for line in lines)
    buyers = [
        str(value)
        for order in poisoned.ginee.state.orders.values()
        for block in ("customerInfo", "shippingAddressInfo")
        for key, value in (order.get(block) or {}).items()
        if key in ("name", "mobile", "email", "fullAddress", "phone") and value
    ]
    assert buyers and not [b for b in buyers if b in listed]

    message_id = lines[0].split()[0]
    status, shown = omsync("dlq", "show", message_id, "--queue", "orders")
    assert status == 0, shown
    assert "error:          SignatureRejected" in shown, shown
    # Every message of the order failed as often as the queue allows (MaxReceiveCount) before it went to the DLQ
    assert int(re.search(r"^failures:\s+(\d+)$", shown, re.M)[1]) >= 5, shown  # type: ignore[index]
    assert omsync("dlq", "show", "no-such-message")[0] == 2


def test_once_the_cause_is_fixed_redrive_brings_every_dead_letter_back_and_the_books_converge(
    poisoned: LocalWorld,
) -> None:
    assert not poisoned.report().oracle_match
    # When the seller fixes the cause and the operator redrives
    poisoned.ginee.responses.keys = {GINEE_ACCESS_KEY: GINEE_SECRET_KEY}
    status, moved = omsync("dlq", "redrive")
    assert status == 0, moved
    counts = {m[1]: int(m[2]) for m in re.finditer(r"^(\w+): (\d+) message\(s\) moved back", moved, re.M)}
    assert counts["orders"] > 0, moved
    poisoned.settle()
    # Then the books are the oracle's and every DLQ is empty
    report = poisoned.report()
    assert report.oracle_match, report.comparison.report()
    status, listed = omsync("dlq", "list")
    assert status == 0 and re.findall(r"-dlq: (\d+) message", listed) == ["0"] * 5, listed
