"""`omsync bench`: a flash sale drained through the whole flow, with Accurate at its real limits.

The `flash-sale` scenario's orders are put in the Ginee sandbox as they stand once paid, and one order
webhook per order is posted to the receiver while the workers are stopped (the load). Then the SQS
emulator starts the orders function at the concurrency the template gives it, as Lambda would, and the
drain is timed until every queue is empty. The Accurate sandbox enforces 8 requests/s and 8 in flight
per token and answers every call 150 ms late.

Figures (printed, and written to bench.json):

- ``drain_seconds`` and the ``floor_seconds`` Accurate's limit allows (documents ÷ 800/s);
- ``accurate_utilization``: Accurate requests per second achieved during the drain ÷ 8;
- ``accurate_calls_per_invoice``, ``ginee_calls_per_order``, ``dynamodb_writes_per_order`` (Ledger items
  written by the workers, plus the governor's two conditional writes per Accurate request);
- ``rate_limit_violations`` counted by the sandbox (rate and parallelism);
- ``time_split``: where the workers' busy time went — Accurate, Ginee, AWS emulation (moto calls, the
  receiver's included none: it ran before the drain), our own code (the rest).

Timing is wall-clock on a shared machine: run it more than once and compare medians and ratios.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import requests

from omsync.config.mapping import ConnectionMapping, load_mapping
from omsync_workshop.bench_cost import AwsUsageCounter
from omsync_workshop.bench_table import BenchOptions, BenchRow, Earlier, FigureSpec, Goal, RowRun
from omsync_workshop.moto_patches import PatchLevel
from omsync_workshop.scenarios import load_scenario
from omsync_workshop.scenarios.facts import Scenario
from omsync_workshop.scenarios.player import apply_event, setup
from omsync_workshop.world import LocalWorld, mapping_path_for

ACCURATE_LIMIT_PER_SECOND = 8
BULK_SIZE = 100
GOVERNOR_WRITES_PER_REQUEST = 2
PAID_ACTIONS = ("create", "pay")


@dataclass
class BenchResult:
    """The figures of one drain."""

    orders: int
    invoices: int
    load_seconds: float
    drain_seconds: float
    floor_seconds: float
    accurate_requests: int
    accurate_utilization: float
    accurate_calls_per_invoice: float
    ginee_calls_per_order: float
    dynamodb_writes_per_order: float
    rate_limit_violations: int
    time_split: dict[str, float]
    paid_orders: int
    """Orders at PAID in Ginee: each must have exactly one invoice (``invoices`` equal to it)."""
    latency_ms: int = 0
    aws_usage: dict[str, Any] = field(default_factory=dict)
    """What AWS would bill (`omsync_workshop.bench_cost.AwsUsageCounter`), ``load`` (the receiver's) and ``drain``
    (the workers' and the SQS event source's) apart, each with ``calls`` by service.Operation, ``poller_calls``,
    ``dynamodb_wru``/``dynamodb_rru``; ``functions`` (logical id → invocations, seconds, memory_mb) and the
    workers' ``ledger_writes``."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _BusyClock:
    """Sums, per category, the seconds worker threads spend waiting on each remote."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()

    def add(self, category: str, seconds: float) -> None:
        with self._lock:
            self.seconds[category] += seconds


@contextmanager
def _measured(world: LocalWorld, clock: _BusyClock) -> Iterator[None]:
    """Attribute HTTP time to Accurate or Ginee (by port) and boto3 time to AWS, for the drain only.

    Only calls made inside a worker function's invocation count (a thread-local flag set around
    `FunctionRunner.invoke`): the SQS emulator's own receives and deletes are Lambda's work, not the
    function's. This wraps `requests.Session.send`, the runner's `invoke` and hooks botocore's events
    for the duration of the benchmark only: it is the benchmark's profiler, not part of any flow.
    """
    accurate_port = f":{world.accurate.base_url.rsplit(':', 1)[1]}"
    ginee_port = f":{world.ginee.base_url.rsplit(':', 1)[1]}"
    original_send = requests.Session.send
    runner = world.stack.runner
    original_invoke = runner.invoke
    inside = threading.local()

    def flagged_invoke(logical_id: str, event: Any) -> Any:
        inside.worker = logical_id != "ReceiverFunction"
        try:
            return original_invoke(logical_id, event)
        finally:
            inside.worker = False

    def timed_send(session: requests.Session, request: Any, **kwargs: Any) -> Any:
        if not getattr(inside, "worker", False):
            return original_send(session, request, **kwargs)
        started = time.perf_counter()
        try:
            return original_send(session, request, **kwargs)
        finally:
            url = str(request.url)
            if accurate_port in url:
                clock.add("accurate", time.perf_counter() - started)
            elif ginee_port in url:
                clock.add("ginee", time.perf_counter() - started)

    starts: dict[int, float] = {}

    def before(**_: Any) -> None:
        if getattr(inside, "worker", False):
            starts[threading.get_ident()] = time.perf_counter()

    def after(**_: Any) -> None:
        started = starts.pop(threading.get_ident(), None)
        if started is not None:
            clock.add("aws", time.perf_counter() - started)

    requests.Session.send = timed_send  # type: ignore[method-assign,assignment]
    runner.invoke = flagged_invoke  # type: ignore[method-assign]
    import boto3

    events = boto3.DEFAULT_SESSION._session.get_component("event_emitter") if boto3.DEFAULT_SESSION else None
    if events is not None:
        events.register("before-send", before, unique_id="omsync-bench-before")
        events.register("after-call", after, unique_id="omsync-bench-after")
        events.register("after-call-error", after, unique_id="omsync-bench-after-error")
    try:
        yield
    finally:
        requests.Session.send = original_send  # type: ignore[method-assign]
        runner.invoke = original_invoke  # type: ignore[method-assign]
        if events is not None:
            events.unregister("before-send", unique_id="omsync-bench-before")
            events.unregister("after-call", unique_id="omsync-bench-after")
            events.unregister("after-call-error", unique_id="omsync-bench-after-error")


def paid_world(state: Any, scenario: Scenario) -> list[str]:
    """Put the scenario in the sandbox as it stands once every order is paid; returns the order ids."""
    setup(state, scenario)
    order_ids: list[str] = []
    for event in scenario.events:
        if event.entity == "order" and event.action in PAID_ACTIONS:
            apply_event(state, event, notify=False)
            if event.action == "create":
                order_ids.append(event.target)
    return order_ids


def _owes_invoice(order: dict[str, Any], mapping: ConnectionMapping) -> bool:
    """The order is paid and at its store's trigger: a cash-on-delivery one is not, by default, until delivered."""
    store = mapping.stores.get(str(order.get("shopId")))
    status = str(order.get("orderStatus"))
    return status == "PAID" and store is not None and store.trigger_for(bool(order.get("isCod"))) == status


def first_orders(scenario: Scenario, count: int) -> Scenario:
    """The scenario with only its first ``count`` orders (and their events): the smaller bench of the tests."""
    kept = scenario.orders[:count]
    ids = {order.order_id for order in kept}
    events = tuple(event for event in scenario.events if event.entity != "order" or event.target in ids)
    return replace(scenario, orders=kept, events=events)


def run_bench(
    orders: int | None = None,
    *,
    latency_ms: int = 150,
    scenario_name: str = "flash-sale",
    endpoint: str | None = None,
    moto_patches: PatchLevel = PatchLevel.SPEED,
) -> BenchResult:
    """Load the flash sale's webhooks, then time the drain; ``orders`` keeps only the first N orders.

    ``endpoint`` reuses a running moto server (reset first, as its owner patched it), as the tests do; by
    default one is started with ``moto_patches``: with the speed-only patches, so that a 20,000-order drain
    measures omsync rather than moto's scans and copies (`omsync_workshop.moto_patches`).
    """
    scenario = load_scenario(scenario_name)
    if orders is not None:
        scenario = first_orders(scenario, orders)
    mapping_yaml = mapping_path_for(scenario_name).read_text(encoding="utf-8")
    mapping = load_mapping(mapping_yaml).mapping
    faults = {"latency_ms": latency_ms, "enforce_rate_limit": True}
    quiet = {"POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true"}
    with LocalWorld(
        scenario,
        mapping_yaml,
        endpoint=endpoint,
        accurate_faults=faults,
        environment_overrides=quiet,
        start_workers=False,
        moto_patches=moto_patches,
    ) as world:
        order_ids = paid_world(world.ginee.state, scenario)
        # Counted apart: the load is the receiver's work (the workers are stopped), the drain the workers'.
        receiving, draining = AwsUsageCounter(), AwsUsageCounter()
        stats_before = {lid: (s.invocations, s.seconds) for lid, s in world.stack.runner.stats.items()}
        with receiving.counting():
            started = time.monotonic()
            world.announce_orders(order_ids)
            load_seconds = time.monotonic() - started

        # The loaded world (Ginee's orders, moto's messages) is long-lived: keep Python's garbage collector
        # from rescanning it, pausing every thread, during the timed drain (`omsync_workshop.gc_tuning`).
        world.stack.freeze_heaps()
        clock = _BusyClock()
        requests_before = world.accurate.request_count
        with draining.counting(), _measured(world, clock):
            started = time.monotonic()
            world.start_workers()
            world.settle(timeout=3600)
            drain_seconds = time.monotonic() - started
            busy = world.worker_busy_seconds()
        functions = {
            lid: {
                "invocations": stats.invocations - stats_before.get(lid, (0, 0.0))[0],
                "seconds": round(stats.seconds - stats_before.get(lid, (0, 0.0))[1], 3),
                "memory_mb": world.stack.functions[lid].memory_mb,
            }
            for lid, stats in world.stack.runner.stats.items()
            if stats.invocations > stats_before.get(lid, (0, 0.0))[0]
        }
        accurate_requests = world.accurate.request_count - requests_before
        # Counted before the books are read back: that reader has its own in-process governor, so its
        # list calls right after the workers' last requests are the bench's doing, not the drain's.
        violations = world.accurate.rate_violations + world.accurate.parallel_violations
        counters = world.worker_counters()
        invoices = len(world.document_totals().get("sales_invoice", {}))
        paid = sum(1 for oid in order_ids if _owes_invoice(world.ginee.state.get_order(oid), mapping))
    split = _split(clock.seconds, busy)
    return BenchResult(
        orders=len(order_ids),
        invoices=invoices,
        load_seconds=round(load_seconds, 1),
        drain_seconds=round(drain_seconds, 2),
        floor_seconds=round(invoices / (ACCURATE_LIMIT_PER_SECOND * BULK_SIZE), 2),
        accurate_requests=accurate_requests,
        accurate_utilization=round(accurate_requests / drain_seconds / ACCURATE_LIMIT_PER_SECOND, 3),
        accurate_calls_per_invoice=round(accurate_requests / max(invoices, 1), 4),
        ginee_calls_per_order=round(counters["ginee_calls"] / max(len(order_ids), 1), 4),
        dynamodb_writes_per_order=round(
            (counters["ledger_writes"] + GOVERNOR_WRITES_PER_REQUEST * accurate_requests) / max(len(order_ids), 1), 3
        ),
        rate_limit_violations=violations,
        time_split=split,
        paid_orders=paid,
        latency_ms=latency_ms,
        aws_usage={
            "load": receiving.to_dict(),
            "drain": draining.to_dict(),
            "functions": functions,
            "ledger_writes": counters["ledger_writes"],
        },
    )


def _split(remote: dict[str, float], busy: float) -> dict[str, float]:
    """Shares of the workers' busy time (remote waits overlap across threads; the rest is our code)."""
    own = max(busy - sum(remote.values()), 0.0)
    total = max(busy, sum(remote.values()), 1e-9)
    shares = {name: remote.get(name, 0.0) / total for name in ("accurate", "ginee", "aws")}
    shares["own_code"] = own / total
    return {name: round(share, 3) for name, share in shares.items()}


def write(result: BenchResult, path: Path) -> None:
    """bench.json: the figures of this run."""
    path.write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")


def render(result: BenchResult) -> str:
    """The human summary."""
    lines = [
        f"orders                      {result.orders:>10,}",
        f"invoices                    {result.invoices:>10,}",
        f"load (webhooks) seconds     {result.load_seconds:>10}",
        f"drain seconds               {result.drain_seconds:>10}",
        f"floor seconds (÷ 800/s)     {result.floor_seconds:>10}",
        f"accurate requests           {result.accurate_requests:>10,}",
        f"accurate_utilization        {result.accurate_utilization:>10}",
        f"accurate_calls_per_invoice  {result.accurate_calls_per_invoice:>10}",
        f"ginee_calls_per_order       {result.ginee_calls_per_order:>10}",
        f"dynamodb_writes_per_order   {result.dynamodb_writes_per_order:>10}",
        f"rate_limit_violations       {result.rate_limit_violations:>10}",
        "time split of worker busy time: "
        + ", ".join(f"{name} {share:.0%}" for name, share in result.time_split.items()),
        f"every paid order invoiced once: {result.invoices == result.paid_orders} ({result.paid_orders:,} paid)",
    ]
    return "\n".join(lines)


def median(values: list[float]) -> float:
    """The median of several runs' figures."""
    return float(statistics.median(values))


def flash_sale_run(options: BenchOptions, earlier: Earlier, index: int) -> RowRun:
    """Row a, once: `run_bench` with the table's options; its figures, and the whole result as counts."""
    result = run_bench(options.orders, latency_ms=options.latency_ms, moto_patches=PatchLevel(options.moto_patches))
    figures = {
        "orders": float(result.orders),
        "drain_seconds": result.drain_seconds,
        "accurate_utilization": result.accurate_utilization,
        "accurate_calls_per_invoice": result.accurate_calls_per_invoice,
        "rate_limit_violations": float(result.rate_limit_violations),
        "paid_orders_not_invoiced_once": float(abs(result.paid_orders - result.invoices)),
        "dynamodb_writes_per_order": result.dynamodb_writes_per_order,
    }
    return RowRun(figures=figures, counts=result.to_dict())


FLASH_SALE_ROW = BenchRow(
    key="a",
    title="flash sale drained with Accurate at its limits (regression check)",
    figures=(
        FigureSpec("orders", "orders (webhooks)", "orders"),
        FigureSpec("drain_seconds", "drain", "s"),
        FigureSpec("accurate_utilization", "Accurate utilisation", "of 8 req/s", Goal(0.8, at_most=False)),
        FigureSpec("accurate_calls_per_invoice", "Accurate calls per invoice", "calls"),
        FigureSpec("rate_limit_violations", "rate-limit violations", "count", Goal(0, at_most=True)),
        FigureSpec("paid_orders_not_invoiced_once", "paid orders not invoiced exactly once", "orders", Goal(0, True)),
        FigureSpec("dynamodb_writes_per_order", "DynamoDB writes per order (workers)", "writes"),
    ),
    run=flash_sale_run,
)
"""Row a of `make bench`'s table (`omsync_workshop.bench_table`)."""
