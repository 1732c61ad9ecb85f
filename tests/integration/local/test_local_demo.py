"""`omsync demo` keeps its promise: every sample gets its status and the queues hold what was accepted."""

from __future__ import annotations

import json

import pytest

from omsync_ops.cli import main
from omsync_workshop.demo import run_demo
from omsync_workshop.stack import LocalStack


def test_the_demo_gets_every_promised_status_and_leaves_unconsumed_work_queued(moto_endpoint: str) -> None:
    with LocalStack(endpoint=moto_endpoint, run_event_sources=False) as stack:
        result = run_demo(stack)

    assert result.ok, [a for a in result.attempts if not a.as_expected]
    # No worker runs: each accepted webhook waits in its flow's queue, the envelope sent three times three times
    # (the receiver keeps no record of what it has seen; the orders worker would find the second already done)
    assert {queue: depth for queue, depth in result.queue_depths.items() if depth} == {
        "OrdersQueue": 3,
        "CancellationsQueue": 1,
        "ProductsQueue": 1,
        "PurchasesQueue": 1,
    }


def test_omsync_demo_json_prints_one_object_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--front-door", "--json"]) == 0

    printed = json.loads(capsys.readouterr().out)
    assert printed["ok"] is True
    assert [w["status"] for w in printed["webhooks"]] == [200, 200, 200, 401, 404, 400, 400, 413, 200, 200, 200, 200]
