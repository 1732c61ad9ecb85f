"""The SQS event-source-mapping emulator and the schedule firing, on a tiny fixture template."""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omsync_workshop.stack import LocalStack

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixture_stack(moto_endpoint: str) -> Iterator[LocalStack]:
    with LocalStack(FIXTURES / "template.yaml", endpoint=moto_endpoint, stack_name="esm-test") as stack:
        flaky: Any = importlib.import_module("local_fixture_functions.flaky.app")
        flaky.deliveries.clear()
        flaky.most_at_once = 0
        yield stack


def deliveries() -> list[tuple[str, int]]:
    flaky: Any = importlib.import_module("local_fixture_functions.flaky.app")
    return list(flaky.deliveries)


def send(stack: LocalStack, *bodies: dict[str, Any]) -> None:
    stack.target.client("sqs").send_message_batch(
        QueueUrl=stack.resources.queue_url("WorkQueue"),
        Entries=[{"Id": str(i), "MessageBody": json.dumps(body)} for i, body in enumerate(bodies)],
    )


def test_the_mapping_is_read_from_the_template(fixture_stack: LocalStack) -> None:
    [mapping] = fixture_stack.esm.mappings
    assert (mapping.function, mapping.queue, mapping.batch_size) == ("FlakyFunction", "WorkQueue", 10)
    assert mapping.report_batch_item_failures
    assert (mapping.concurrency, mapping.pollers) == (2, 4)
    assert mapping.batching_window_seconds == 1


def test_a_partial_batch_failure_retries_only_the_failed_message(fixture_stack: LocalStack) -> None:
    send(fixture_stack, {"id": "a"}, {"id": "b", "fail_times": 1}, {"id": "c"})

    fixture_stack.esm.drain_until_idle(timeout=30)

    seen = deliveries()
    assert sorted(i for i, _ in seen) == ["a", "b", "b", "c"]
    assert [count for i, count in seen if i == "b"] == [1, 2]
    assert fixture_stack.queue_depths() == {"WorkQueue": 0, "WorkDLQ": 0}
    stats = fixture_stack.esm.stats["FlakyFunction.Work"]
    assert (stats.records, stats.failed_records) == (4, 1)


def test_invocations_never_exceed_maximum_concurrency_while_pollers_keep_them_busy(fixture_stack: LocalStack) -> None:
    for start in range(0, 60, 10):
        send(fixture_stack, *({"id": f"m{n}", "hold": 0.3} for n in range(start, start + 10)))

    fixture_stack.esm.drain_until_idle(timeout=30)

    flaky: Any = importlib.import_module("local_fixture_functions.flaky.app")
    assert len(deliveries()) == 60
    assert flaky.most_at_once == 2  # MaximumConcurrency, though four pollers received batches


def test_pollers_scale_up_with_work_and_rest_when_the_queue_is_empty(fixture_stack: LocalStack) -> None:
    assert fixture_stack.esm.active_pollers() == {"FlakyFunction.Work": 1}
    for start in range(0, 40, 10):
        send(fixture_stack, *({"id": f"m{n}", "hold": 0.5} for n in range(start, start + 10)))
    deadline = time.monotonic() + 10
    while fixture_stack.esm.active_pollers()["FlakyFunction.Work"] < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fixture_stack.esm.active_pollers() == {"FlakyFunction.Work": 4}

    fixture_stack.esm.drain_until_idle(timeout=30)
    deadline = time.monotonic() + 10
    while fixture_stack.esm.active_pollers()["FlakyFunction.Work"] > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fixture_stack.esm.active_pollers() == {"FlakyFunction.Work": 1}
    assert len(deliveries()) == 40


def test_a_poison_message_ends_in_the_dlq_after_max_receive_count(fixture_stack: LocalStack) -> None:
    send(fixture_stack, {"id": "poison", "poison": True}, {"id": "fine"})

    fixture_stack.esm.drain_until_idle(timeout=30)

    assert [count for i, count in deliveries() if i == "poison"] == [1, 2]  # maxReceiveCount: 2
    assert fixture_stack.queue_depths() == {"WorkQueue": 0, "WorkDLQ": 1}
    dead = fixture_stack.target.client("sqs").receive_message(QueueUrl=fixture_stack.resources.queue_url("WorkDLQ"))
    assert json.loads(dead["Messages"][0]["Body"])["id"] == "poison"


def test_schedules_fire_on_demand_with_their_event_shapes(fixture_stack: LocalStack) -> None:
    fired = {f.event: f for f in fixture_stack.fire_schedules()}

    assert set(fired) == {"Nightly", "EveryFewMinutes"}
    assert all(f.ok for f in fired.values())
    nightly = fired["Nightly"].result["event"]
    assert (nightly["source"], nightly["detail-type"]) == ("aws.events", "Scheduled Event")
    assert fired["EveryFewMinutes"].result["event"] == {"source": "scheduler", "window": "recent"}
    assert fired["Nightly"].result["function"] == "esm-test-TickerFunction"


def test_disabled_schedules_can_be_left_out(fixture_stack: LocalStack) -> None:
    assert [f.event for f in fixture_stack.fire_schedules(include_disabled=False)] == ["Nightly"]
