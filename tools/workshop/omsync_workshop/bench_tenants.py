"""Row (b) of `omsync bench`: is a quiet seller's order held behind another seller's flash sale?

Two connections share one local stack (the same receiver, queues and orders function), each with its own Ginee
sandbox and its own Accurate sandbox and token (so each its own governor): tenant A (the noisy one) is the
`flash-sale` scenario's first ``orders`` orders; tenant B (the quiet one, `omsync_workshop.tenants.second_tenant`,
OAuth) receives ``quiet_orders`` orders. Both Accurate sandboxes enforce 8 requests/s and 8 in flight per token
and answer 150 ms late, as in the flash-sale bench.

1. **B alone**, on the idle stack (warmed by two orders of B first): B's webhooks are posted evenly over
   ``spread`` seconds while the workers run.
2. **B during A's sale**: the workers stop, A's backlog is put on the orders queue (`enqueue_backlog`: the work
   message the receiver would enqueue for each of A's webhooks), then the workers start and B's next orders'
   webhooks are posted evenly over the same ``spread`` while A's backlog drains.

``spread`` is A's floor: A's invoices ÷ 800/s, the least time Accurate's limit allows for A's drain, so every
one of B's webhooks of phase 2 is posted while A's backlog is there. A latency is the time from posting one of
B's order webhooks to the moment B's Accurate sandbox saved that order's Sales Invoice (a probe wraps the
sandbox's ``save``; the invoice number of each order is read back from B's Ledger). The figure is the ratio of
B's median (and p95) latency during A's sale to B's alone; beside it, B's wait on the orders queue (`_DwellTimes`).

``fair=False`` measures the same without fair queues (the work messages sent without ``MessageGroupId``, by
wrapping `omsync.queues.send` for the run): the "before" of docs/ARCHITECTURE.md, not a mode of omsync.

At 20,000 orders one run took about 15 minutes on the shared two-core machine (load average 25 to 53; A's drain
alone 391 s), so ``orders`` is a parameter (``omsync bench --orders``, shared with row a) and the figures say
which size ran (``noisy_orders``).
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from omsync import queues
from omsync.config.mapping import load_mapping
from omsync.config.settings import settings
from omsync_workshop.bench import _owes_invoice, first_orders, paid_world
from omsync_workshop.bench_table import BenchOptions, BenchRow, Earlier, FigureSpec, Goal, RowRun
from omsync_workshop.moto_patches import PatchLevel
from omsync_workshop.scenarios import load_scenario
from omsync_workshop.tenants import second_tenant
from omsync_workshop.world import LocalWorld, mapping_path_for

SCENARIO = "flash-sale"
ACCURATE_DOCUMENTS_PER_SECOND = 800
"""Accurate's ceiling per token: 8 requests/s × 100 documents per bulk-save (DESIGN §4)."""
WARM_ORDERS = 2
"""B's orders posted before the measured ones, to warm the orders function for B."""
QUIET_ORDERS_SPARE = 1.25
"""B's scenario holds this many times the orders it needs in each phase: a few are not paid (owe no invoice)."""


def run_two_tenants(
    orders: int = 20_000,
    quiet_orders: int = 200,
    *,
    latency_ms: int = 150,
    endpoint: str | None = None,
    moto_patches: PatchLevel = PatchLevel.SPEED,
    fair: bool = True,
) -> dict[str, Any]:
    """Run the two-tenant experiment once; returns its figures (seconds unless named otherwise):

    ``noisy_orders``, ``noisy_invoices``, ``quiet_orders`` (B's orders measured per phase), ``spread_seconds``,
    ``noisy_load_seconds`` and ``noisy_drain_seconds`` (A's), ``quiet_alone_median``, ``quiet_alone_p95``,
    ``quiet_during_sale_median``, ``quiet_during_sale_p95``, ``median_ratio`` and ``p95_ratio`` (during ÷
    alone), the same of B's wait on the orders queue (``quiet_alone_dwell_median``, ``…_p95``,
    ``quiet_during_sale_dwell_median``, ``…_p95``, ``dwell_median_ratio``: from SQS's ``SentTimestamp`` to the
    invocation, what fair queues govern), ``quiet_sent_during_drain`` (B's webhooks posted before A's backlog
    was empty), ``quiet_missing`` (B's paid orders with no invoice at the end: 0 when all is well), ``rate_limit_violations`` (both
    sandboxes), ``fair``.

    ``endpoint`` reuses a running moto server (reset first), as the tests do; by default one is started with
    ``moto_patches``. Raises TimeoutError when the queues do not empty within an hour.
    """
    scenario = load_scenario(SCENARIO)
    noisy = first_orders(scenario, orders)
    quiet = first_orders(scenario, int(2 * quiet_orders * QUIET_ORDERS_SPARE) + 2 * WARM_ORDERS)
    mapping_yaml = mapping_path_for(SCENARIO).read_text(encoding="utf-8")
    mapping = load_mapping(mapping_yaml).mapping
    faults = {"latency_ms": latency_ms, "enforce_rate_limit": True}
    quiet_env = {"POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true"}
    with (
        _group_ids_left_out(not fair),
        LocalWorld(
            noisy,
            mapping_yaml,
            endpoint=endpoint,
            accurate_faults=faults,
            environment_overrides=quiet_env,
            start_workers=False,
            moto_patches=moto_patches,
        ) as world,
        second_tenant(
            world, mapping_yaml, "quiet-seller", scenario=quiet, accurate_auth="oauth", accurate_faults=faults
        ) as tenant,
    ):
        noisy_ids = paid_world(world.ginee.state, noisy)
        noisy_invoices = sum(1 for oid in noisy_ids if _owes_invoice(world.ginee.state.get_order(oid), mapping))
        quiet_ids = [
            oid
            for oid in paid_world(tenant.ginee.state, quiet)
            if _owes_invoice(tenant.ginee.state.get_order(oid), mapping)
        ]
        if len(quiet_ids) < 2 * quiet_orders + WARM_ORDERS:
            raise RuntimeError(f"the quiet tenant's scenario owes only {len(quiet_ids)} invoices")
        alone, during = quiet_ids[:quiet_orders], quiet_ids[quiet_orders : 2 * quiet_orders]
        warm = quiet_ids[2 * quiet_orders :][:WARM_ORDERS]
        spread = noisy_invoices / ACCURATE_DOCUMENTS_PER_SECOND
        saved = SavedAt(tenant)
        dwell = _DwellTimes(world, tenant.connection_id)

        world.start_workers()
        # Warm: the orders function's first invocation for B (imports, B's context, its OAuth token) is row (c)'s
        # cold start, not what B waits behind A; A's first batches pay their own during the drain.
        announce_spread(tenant, warm, 0.0)
        world.settle(timeout=3600)
        sent_alone = announce_spread(tenant, alone, spread)
        world.settle(timeout=3600)
        world.stack.esm.stop()

        started = time.monotonic()
        enqueue_backlog(world, noisy_ids, fair=fair)
        load_seconds = time.monotonic() - started
        world.stack.freeze_heaps()
        sending: dict[str, float] = {}
        sender = threading.Thread(target=lambda: sending.update(announce_spread(tenant, during, spread)))
        started = time.monotonic()
        world.start_workers()
        sender.start()
        drained_at = _wait_for_empty_backlog(world, len(noisy_ids))
        sender.join()
        world.settle(timeout=3600)
        drain_seconds = time.monotonic() - started
        violations = sum(
            sandbox.rate_violations + sandbox.parallel_violations for sandbox in (world.accurate, tenant.accurate)
        )
        numbers = _invoice_numbers(tenant.connection_id, alone + during)
    alone_latencies = _latencies(sent_alone, numbers, saved.at)
    during_latencies = _latencies(sending, numbers, saved.at)
    figures = {
        "fair": fair,
        "noisy_orders": len(noisy_ids),
        "noisy_invoices": noisy_invoices,
        "quiet_orders": quiet_orders,
        "spread_seconds": round(spread, 2),
        "noisy_load_seconds": round(load_seconds, 1),
        "noisy_drain_seconds": round(drain_seconds, 2),
        "quiet_alone_median": _median(alone_latencies),
        "quiet_alone_p95": _p95(alone_latencies),
        "quiet_during_sale_median": _median(during_latencies),
        "quiet_during_sale_p95": _p95(during_latencies),
        "quiet_sent_during_drain": sum(1 for at in sending.values() if at <= drained_at),
        "quiet_missing": 2 * quiet_orders - len(alone_latencies) - len(during_latencies),
        "rate_limit_violations": violations,
    }
    figures["median_ratio"] = _ratio(figures["quiet_during_sale_median"], figures["quiet_alone_median"])
    figures["p95_ratio"] = _ratio(figures["quiet_during_sale_p95"], figures["quiet_alone_p95"])
    alone_dwell = [dwell.seconds[oid] for oid in alone if oid in dwell.seconds]
    during_dwell = [dwell.seconds[oid] for oid in during if oid in dwell.seconds]
    figures["quiet_alone_dwell_median"] = _median(alone_dwell)
    figures["quiet_during_sale_dwell_median"] = _median(during_dwell)
    figures["quiet_alone_dwell_p95"] = _p95(alone_dwell)
    figures["quiet_during_sale_dwell_p95"] = _p95(during_dwell)
    figures["dwell_median_ratio"] = _ratio(
        figures["quiet_during_sale_dwell_median"], figures["quiet_alone_dwell_median"]
    )
    return figures


class _DwellTimes:
    """How long each of a connection's order messages waited on the orders queue before the orders function got
    it: from its ``SentTimestamp`` (SQS's clock: moto's, on this machine) to the invocation; order id → seconds,
    its first delivery only. What fair queues govern; the latency adds the receiver before it and the worker
    after. The bench's probe, wrapping the local runner's ``invoke`` for the rest of the world's life."""

    def __init__(self, world: LocalWorld, connection_id: str) -> None:
        self.seconds: dict[str, float] = {}
        runner = world.stack.runner
        original = runner.invoke

        def invoke(logical_id: str, event: Any) -> Any:
            if logical_id == "OrdersFunction":
                now = time.time()
                for record in event.get("Records", []):
                    body = json.loads(record["body"])
                    if body.get("connectionId") == connection_id and body.get("entityId") not in self.seconds:
                        sent = int(record["attributes"]["SentTimestamp"]) / 1000
                        self.seconds[str(body.get("entityId"))] = now - sent
            return original(logical_id, event)

        runner.invoke = invoke  # type: ignore[method-assign]


class SavedAt:
    """When a world's Accurate sandbox saved each Sales Invoice (number → `time.monotonic`): the bench's probe,
    wrapping the sandbox's own ``save`` from now on (its ``bulk_save`` saves each row through it)."""

    def __init__(self, world: LocalWorld) -> None:
        self.at: dict[str, float] = {}
        company = world.accurate.company
        original = company.save

        def save(module: str, body: Mapping[str, Any]) -> dict[str, Any]:
            record = original(module, body)
            if module == "sales-invoice":
                self.at[str(record.get("number"))] = time.monotonic()
            return record

        company.save = save  # type: ignore[method-assign]


def announce_spread(tenant: LocalWorld, order_ids: list[str], seconds: float) -> dict[str, float]:
    """Post one order webhook per order, evenly over ``seconds``; order id → when it was handed to the sender."""
    if tenant.sender is None:
        raise RuntimeError("the quiet tenant is not started")
    gap = seconds / max(len(order_ids), 1)
    started = time.monotonic()
    sent: dict[str, float] = {}
    for index, order_id in enumerate(order_ids):
        delay = started + index * gap - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        order = tenant.ginee.state.get_order(order_id)
        payload = {key: order.get(key) for key in ("orderId", "channel", "shopId", "orderStatus", "payAt")}
        sent[order_id] = time.monotonic()
        tenant.sender("order", "UPDATE", payload, datetime.now(UTC))
    tenant.sender.flush()
    return sent


def enqueue_backlog(world: LocalWorld, order_ids: list[str], *, fair: bool) -> None:
    """A's flash sale on the orders queue: for each order the work message the receiver would enqueue for its
    webhook (routed by `omsync.ginee.webhook.route`, in A's message group when ``fair``), sent ten at a time.

    Straight to SQS rather than through the receiver: 20,000 webhooks through the local API front take more
    than three minutes on a shared two-core machine (README, Benchmark), and what is measured is B behind A's
    backlog, not the receiver."""
    from omsync.ginee.webhook import WebhookEnvelope, route
    from omsync.receive import work_message

    if world.sender is None:
        raise RuntimeError("the local world is not started")
    sqs = world.stack.esm.target.client("sqs")
    now = datetime.now(UTC)
    entries: dict[str, list[dict[str, Any]]] = {}
    for order_id in order_ids:
        order = world.ginee.state.get_order(order_id)
        payload = {key: order.get(key) for key in ("orderId", "channel", "shopId", "orderStatus", "payAt")}
        envelope = WebhookEnvelope.model_validate(world.sender.envelope("order", "UPDATE", payload, now))
        destination = route(envelope)
        if destination is None:
            continue
        message = work_message(world.connection_id, envelope, destination, now)
        entry: dict[str, Any] = {
            "Id": str(len(entries.get(destination.queue.value, []))),
            "MessageBody": message.to_json(),
        }
        if fair:
            entry["MessageGroupId"] = world.connection_id
        batch = entries.setdefault(destination.queue.value, [])
        batch.append(entry)
        if len(batch) == 10:
            sqs.send_message_batch(QueueUrl=settings().queue_url(destination.queue), Entries=batch)
            batch.clear()
    for queue, batch in entries.items():
        if batch:
            sqs.send_message_batch(QueueUrl=settings().queue_url(queues.WorkQueue(queue)), Entries=batch)


def _wait_for_empty_backlog(world: LocalWorld, noisy_orders: int) -> float:
    """When the orders queue first held nothing visible (A's backlog taken), by `time.monotonic`."""
    sqs = world.stack.esm.target.client("sqs")
    url = next(m.queue_url for m in world.stack.esm.mappings if m.queue == "OrdersQueue")
    deadline = time.monotonic() + 3600
    while time.monotonic() < deadline:
        visible = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        if int(visible["Attributes"]["ApproximateNumberOfMessages"]) == 0:
            return time.monotonic()
        time.sleep(0.2)
    raise TimeoutError(f"A's {noisy_orders} orders still queued after an hour")


def _invoice_numbers(connection_id: str, order_ids: list[str]) -> dict[str, str]:
    from omsync.ledger.orders import OrderLedger

    records = OrderLedger(connection_id).load(order_ids)
    return {oid: record.invoice.number for oid, record in records.items() if record.invoice is not None}


def _latencies(sent: Mapping[str, float], numbers: Mapping[str, str], saved: Mapping[str, float]) -> list[float]:
    return [saved[numbers[oid]] - at for oid, at in sent.items() if oid in numbers and numbers[oid] in saved]


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def _p95(values: list[float]) -> float | None:
    if len(values) < 2:
        return _median(values)
    return round(statistics.quantiles(values, n=20, method="inclusive")[-1], 3)


def _ratio(during: float | None, alone: float | None) -> float | None:
    return round(during / alone, 3) if during is not None and alone else None


@contextmanager
def _group_ids_left_out(active: bool) -> Iterator[None]:
    """For the "before" figure only: work messages sent without a ``MessageGroupId`` (plain standard queues)."""
    if not active:
        yield
        return
    original = queues.send

    def send(queue: queues.WorkQueue, message: queues.WorkMessage) -> str:
        response = queues.sqs().send_message(QueueUrl=settings().queue_url(queue), MessageBody=message.to_json())
        return response["MessageId"]

    queues.send = send
    try:
        yield
    finally:
        queues.send = original


def tenants_run(options: BenchOptions, earlier: Earlier, index: int) -> RowRun:
    """One run of row b: A's sale of ``options.orders`` orders (all 20,000 when None) beside B's 200."""
    figures = run_two_tenants(
        options.orders or 20_000, latency_ms=options.latency_ms, moto_patches=PatchLevel(options.moto_patches)
    )
    numbers = {
        name: float(value) for name, value in figures.items() if isinstance(value, int | float) and name != "fair"
    }
    return RowRun(figures=numbers, counts=figures)


ROW = BenchRow(
    key="b",
    title="two tenants: B's webhook-to-invoice latency during A's flash sale beside B alone",
    figures=(
        FigureSpec("noisy_orders", "A's flash sale (orders)", "orders"),
        FigureSpec("quiet_alone_median", "B alone: median latency", "s"),
        FigureSpec("quiet_during_sale_median", "B during A's sale: median latency", "s"),
        FigureSpec("median_ratio", "median ratio (during ÷ alone)", "×", Goal(1.5, at_most=True)),
        FigureSpec("quiet_alone_p95", "B alone: p95 latency", "s"),
        FigureSpec("quiet_during_sale_p95", "B during A's sale: p95 latency", "s"),
        FigureSpec("p95_ratio", "p95 ratio (during ÷ alone)", "×", Goal(2.0, at_most=True)),
        FigureSpec("quiet_alone_dwell_median", "B alone: median wait on the queue", "s"),
        FigureSpec("quiet_during_sale_dwell_median", "B during A's sale: median wait on the queue", "s"),
        FigureSpec("dwell_median_ratio", "queue wait median ratio (during ÷ alone)", "×"),
        FigureSpec("noisy_drain_seconds", "A's drain", "s"),
        FigureSpec("quiet_missing", "B's paid orders not invoiced", "orders", Goal(0, at_most=True)),
        FigureSpec("rate_limit_violations", "rate-limit violations (both)", "count", Goal(0, at_most=True)),
    ),
    run=tenants_run,
)
"""Row b of `make bench`'s table (`omsync_workshop.bench_table`)."""
