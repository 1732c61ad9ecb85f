"""`omsync demo` keeps its promise: every sample gets its status and the queues hold what was accepted."""

from __future__ import annotations

import json

import pytest

from omsync_ops.cli import main
from omsync_workshop.demo import run_demo
from omsync_workshop.stack import LocalStack


def test_the_demo_gets_every_promised_status_and_leaves_unconsumed_work_queued(local_stack: LocalStack) -> None:
    result = run_demo(local_stack)

    assert result.ok, [a for a in result.attempts if not a.as_expected]
    consumed = {m.queue for m in local_stack.esm.mappings}
    accepted_into = {"OrdersQueue", "CancellationsQueue", "ProductsQueue", "PurchasesQueue"}
    for queue in accepted_into - consumed:  # queues no worker drains yet keep the one message routed there
        assert result.queue_depths[queue] == 1, queue
    assert result.queue_depths["SettlementsQueue"] == 0


def test_omsync_demo_json_prints_one_object_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--front-door", "--json"]) == 0

    printed = json.loads(capsys.readouterr().out)
    assert printed["ok"] is True
    assert [w["status"] for w in printed["webhooks"]] == [200, 200, 200, 401, 404, 400, 400, 413, 200, 200, 200, 200]
