"""Row e of `make bench`: what 1M orders cost on AWS, from the requests the flash sale (row a) really made.

**Counted, not estimated** (`AwsUsageCounter`, around row a's load and drain): every AWS call any function made
(botocore's ``BaseClient._make_api_call``: service, operation, and the DynamoDB items each carried), every
call of the SQS event-source emulator's pollers (Lambda's pollers are billed as SQS requests too: receives,
empty ones included, deletes, visibility changes), and each function's invocations. Row a's Accurate and Ginee
requests per order come from its own counts. Log bytes per invocation at the template's production log level,
and the CPU time of warm invocations, come from row c's fresh processes.

**Duration** (what Lambda bills: wall time, rounded to the millisecond) is modelled, not taken from row a's wall
times, which the world's one loaded process spends mostly queueing for a core: an invocation lasts its CPU time
in a fresh process (row c: the receiver's warm webhook; row d: the orders function's warm 100-order batch, per
order), stretched by the share of a core its memory buys (Lambda gives a function one vCPU at
`LAMBDA_MB_PER_VCPU` and a proportional share below: at 256 MB the CPU time takes 6.9 times as long), plus its
waits: `AWS_REQUEST_SECONDS` per AWS request it made (row a's counts) and the Accurate sandbox's latency per
Accurate or Ginee request (the bench's ``--latency-ms``; no Ginee latency is measured, so Ginee's round trip is
taken as Accurate's). Waits for the rate governor in a saturated flash sale are not priced (a steady load does
not wait). This machine's CPU time stands for an arm64 core's.

**The model** (`usage_per_million`, `price`): row a posts one webhook per order (the paid one); an order's life
brings about `WEBHOOKS_PER_ORDER` (6). The load is counted apart from the drain: the receiver's work per webhook
(its invocation and duration, its SendMessage, its read of the connection) and the queue's and workers' per
message (the event source's receives and deletes, worker invocations and duration, reads) are × 6 × 1M, each
webhook priced as the paid one (an upper bound: the others find nothing to post); the workers' writes (Ledger
records, leases, the governor) are per document posted, × `DOCUMENTS_PER_ORDER` (2: the invoice and the receipt)
× 1M. Priced lines:

- API Gateway: one request per webhook (HTTP API; the naive design: REST API);
- Lambda: requests, and GB-seconds = modelled duration × the function's MemorySize (template.yaml) / 1024;
- SQS: requests counted (each message under 64 KB, one request each);
- DynamoDB on-demand: write request units (1 per KB of item, 2 per item in a transaction) and read request units
  (1 per 4 KB strongly consistent, half eventually consistent, 2 in a transaction), an item's size taken as the
  length of its DynamoDB JSON (an upper bound of DynamoDB's own rule); an UpdateItem or DeleteItem as the size
  of its request, and so each write statement of a ``BatchExecuteStatement`` (failed ones too);
- Secrets Manager: GetSecretValue calls;
- CloudWatch Logs ingestion: handler log bytes per invocation of the receiver and of a worker (row c's processes,
  each function's own) + `PLATFORM_LOG_BYTES` of Lambda's START/END/REPORT lines per invocation. CloudWatch custom metrics (EMF) bill per metric-month, not per order: left out of the per-order
  figure (README lists them); their EMF lines are log bytes, and counted as such.

**The naive design**, priced by the same model: a REST API; each webhook processed in its own invocation (no
queue, no batch): the receiver's duration plus the orders function's warm one-order invocation's CPU (row c, at
the same share of a core), one
Ginee round trip, Accurate's for its one call per document spread over the order's webhooks, and
`NAIVE_AWS_REQUESTS_PER_WEBHOOK`'s waits; Powertools idempotency at the receiver (one DynamoDB write and one
strongly consistent read per webhook); each document's writes as measured plus the governor's two writes for its
own Accurate call; the same reads, secret reads and log bytes.

Prices (`PRICES`) are on-demand list prices, without free tiers; each names where it was read and when.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from omsync_workshop.bench_table import BenchOptions, BenchRow, Earlier, FigureSpec, Goal, RowRun

WEBHOOKS_PER_ORDER = 6
"""Webhooks in an order's life (issue 21: created, paid, packed, shipped, delivered, completed)."""
DOCUMENTS_PER_ORDER = 2
"""Accurate documents in an order's life: its Sales Invoice and its Sales Receipt (returns are the exception)."""
GOVERNOR_WRITES_PER_CALL = 2
"""The rate governor's conditional writes per Accurate request (take a slot, free it)."""
ORDERS = 1_000_000
PLATFORM_LOG_BYTES = 300
"""Lambda's own START, END and REPORT lines per invocation (text format), in bytes."""
LAMBDA_MB_PER_VCPU = 1769
"""Memory at which a Lambda function has one vCPU; below it, a proportional share (AWS Lambda Developer Guide,
"Configure Lambda function memory")."""
AWS_REQUEST_SECONDS = 0.010
"""An assumed wait per AWS request from a Lambda in the same region (DynamoDB's single-digit milliseconds, SQS's
sends somewhat longer); not measured here: the local moto's answers say nothing about AWS's."""
NAIVE_AWS_REQUESTS_PER_WEBHOOK = 3 + Decimal(4 * 2) / 6
"""The naive design's AWS requests per webhook besides the receiver's: idempotency's write, update and read, and
for each of an order's 2 documents spread over its 6 webhooks a lease, a record and the governor's two writes."""
COST_GOAL = Decimal(8)
NAIVE_RATIO_GOAL = Decimal("0.4")
PRICES_READ_ON = "2026-11-30"


@dataclass(frozen=True)
class Price:
    """One on-demand list price in USD per ``unit``, and where it was read."""

    usd: Decimal
    unit: str
    source: str


PRICES: Mapping[str, Price] = {
    # AWS Price List API, regionCode ap-southeast-1 (APS1-Request-ARM, APS1-Lambda-GB-Second-ARM, tier 1), as
    # quoted on 2026-08-12 in a public cost review found in the docs corpus on PRICES_READ_ON.
    "lambda_request": Price(Decimal("0.0000002"), "request", "AWS Price List API ap-southeast-1, 2026-08-12"),
    "lambda_gb_second": Price(Decimal("0.0000133334"), "GB-s (arm64)", "AWS Price List API ap-southeast-1, 2026-08-12"),
    "logs_ingest_gb": Price(Decimal("0.70"), "GB ingested", "AWS Price List API ap-southeast-1, 2026-08-12"),
    # No ap-southeast-1 figure for these was found on PRICES_READ_ON: the published us-east-1 list prices.
    "http_api_request": Price(Decimal("0.000001"), "request (first 300M)", "aws.amazon.com/api-gateway/pricing, us-east-1"),
    "rest_api_request": Price(Decimal("0.0000035"), "request (first 333M)", "aws.amazon.com/api-gateway/pricing, us-east-1"),
    "sqs_request": Price(Decimal("0.0000004"), "request (standard queue)", "aws.amazon.com/sqs/pricing, us-east-1"),
    "dynamodb_wru": Price(Decimal("0.000000625"), "write request unit", "aws.amazon.com/dynamodb/pricing/on-demand, us-east-1"),
    "dynamodb_rru": Price(Decimal("0.000000125"), "read request unit", "aws.amazon.com/dynamodb/pricing/on-demand, us-east-1"),
    "secret_read": Price(Decimal("0.000005"), "API call ($0.05 per 10,000)", "aws.amazon.com/secrets-manager/pricing"),
}  # fmt: skip
"""On-demand prices, no free tier. ap-southeast-1 where found; else us-east-1 (Singapore's are equal or higher)."""


@dataclass(frozen=True)
class Usage:
    """What AWS bills for ``ORDERS`` orders, by meter (plain counts; GB-seconds and GB as decimals)."""

    api_requests: Decimal
    rest_api: bool
    lambda_requests: Decimal
    lambda_gb_seconds: Decimal
    sqs_requests: Decimal
    dynamodb_wru: Decimal
    dynamodb_rru: Decimal
    secret_reads: Decimal
    log_gb: Decimal


def price(usage: Usage, prices: Mapping[str, Price] = PRICES) -> dict[str, Decimal]:
    """USD per meter and ``total``, each rounded half up to the cent."""
    lines = {
        "api_gateway": usage.api_requests * prices["rest_api_request" if usage.rest_api else "http_api_request"].usd,
        "lambda_requests": usage.lambda_requests * prices["lambda_request"].usd,
        "lambda_duration": usage.lambda_gb_seconds * prices["lambda_gb_second"].usd,
        "sqs": usage.sqs_requests * prices["sqs_request"].usd,
        "dynamodb": usage.dynamodb_wru * prices["dynamodb_wru"].usd + usage.dynamodb_rru * prices["dynamodb_rru"].usd,
        "secrets_manager": usage.secret_reads * prices["secret_read"].usd,
        "cloudwatch_logs": usage.log_gb * prices["logs_ingest_gb"].usd,
    }
    lines["total"] = sum(lines.values(), Decimal(0))
    return {name: value.quantize(Decimal("0.01"), ROUND_HALF_UP) for name, value in lines.items()}


# ---------------------------------------------------------------------------------------------- counting


def _size(value: Any) -> int:
    """Bytes of a DynamoDB item (or request) as its JSON: an upper bound of DynamoDB's size rule."""
    return len(json.dumps(value, default=str, separators=(",", ":")).encode("utf-8"))


def _read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units if consistent else units / 2)


def dynamodb_units(operation: str, params: Mapping[str, Any], response: Mapping[str, Any]) -> tuple[float, float]:
    """(write request units, read request units) one DynamoDB call consumed, by the on-demand billing rules."""
    consistent = bool(params.get("ConsistentRead"))
    if operation == "PutItem":
        return float(max(1, math.ceil(_size(params.get("Item")) / 1024))), 0.0
    if operation in ("UpdateItem", "DeleteItem"):
        return float(max(1, math.ceil(_size(params) / 1024))), 0.0
    if operation == "BatchWriteItem":
        requests = [r for batch in (params.get("RequestItems") or {}).values() for r in batch]
        return float(sum(max(1, math.ceil(_size(r) / 1024)) for r in requests)), 0.0
    if operation == "TransactWriteItems":
        return float(sum(2 * max(1, math.ceil(_size(item) / 1024)) for item in params.get("TransactItems") or [])), 0.0
    if operation == "BatchExecuteStatement":
        # Each statement is billed as the single write or read it is, failed ones too (a failed conditional write
        # consumes its units): a write as the size of its statement and parameters, a read as the item it found.
        statements = params.get("Statements") or []
        answers = response.get("Responses") or [{}] * len(statements)
        write = read = 0.0
        for statement, answer in zip(statements, answers, strict=False):
            if str(statement.get("Statement", "")).lstrip().upper().startswith("SELECT"):
                read += _read_units(_size(answer.get("Item") or {}), bool(statement.get("ConsistentRead")))
            else:
                write += max(1, math.ceil(_size(statement) / 1024))
        return write, read
    if operation == "GetItem":
        return 0.0, _read_units(_size(response.get("Item") or {}), consistent)
    if operation in ("Query", "Scan"):
        return 0.0, _read_units(_size(response.get("Items") or []), consistent)
    if operation == "BatchGetItem":
        items = [item for found in (response.get("Responses") or {}).values() for item in found]
        return 0.0, sum(_read_units(_size(item), consistent) for item in items)
    if operation == "TransactGetItems":
        return 0.0, float(sum(2 * max(1, math.ceil(_size(r) / 4096)) for r in response.get("Responses") or []))
    return 0.0, 0.0


class AwsUsageCounter:
    """Counts AWS calls made in this process while `counting()` is open (see the module's docstring).

    ``calls`` by "service.Operation"; ``dynamodb_wru``/``dynamodb_rru`` summed; ``poller_calls`` by operation.
    """

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.poller_calls: Counter[str] = Counter()
        self.dynamodb_wru = 0.0
        self.dynamodb_rru = 0.0
        self._lock = threading.Lock()

    @contextmanager
    def counting(self) -> Iterator[None]:
        """Wrap botocore's client call and the SQS emulator's calls (class-wide) for the block's duration."""
        from botocore.client import BaseClient

        from omsync_workshop.sqs_wire import SqsWire

        # botocore's public event hooks belong to one session each, and omsync and Powertools make clients from
        # several; ``_make_api_call`` is where every client's call passes. The bench's counter only, for the run.
        original_call = getattr(BaseClient, "_make_api_call", None)
        if original_call is None:
            raise RuntimeError("botocore's BaseClient has no _make_api_call: re-read botocore and fix the counter")
        counter = self

        def counted_call(client: Any, operation: str, params: Any) -> Any:
            response = original_call(client, operation, params)
            service = str(client.meta.service_model.service_name)
            with counter._lock:
                counter.calls[f"{service}.{operation}"] += 1
                if service == "dynamodb":
                    write, read = dynamodb_units(operation, params, response)
                    counter.dynamodb_wru += write
                    counter.dynamodb_rru += read
            return response

        originals = {name: getattr(SqsWire, name) for name in ("receive_message", "delete_message_batch",
                                                                "change_message_visibility")}  # fmt: skip

        def wire(name: str) -> Any:
            def counted(wire_client: Any, **params: Any) -> Any:
                with counter._lock:
                    counter.poller_calls[name] += 1
                return originals[name](wire_client, **params)

            return counted

        BaseClient._make_api_call = counted_call  # type: ignore[attr-defined]
        for name in originals:
            setattr(SqsWire, name, wire(name))
        try:
            yield
        finally:
            BaseClient._make_api_call = original_call  # type: ignore[attr-defined]
            for name, method in originals.items():
                setattr(SqsWire, name, method)

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": dict(sorted(self.calls.items())),
            "poller_calls": dict(sorted(self.poller_calls.items())),
            "dynamodb_wru": self.dynamodb_wru,
            "dynamodb_rru": self.dynamodb_rru,
        }


# ---------------------------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class MeasuredWebhook:
    """Row a's counts per webhook (one per order), per worker message or per document, and row c's CPU times;
    units as named."""

    receiver_cpu_seconds: float
    """The receiver's warm invocation (row c: its second webhook in a fresh process), CPU time."""
    receiver_aws_requests: float
    """The receiver's AWS requests per webhook (row a's load)."""
    receiver_memory_mb: int
    receiver_sqs: float
    receiver_wru: float
    receiver_rru: float
    receiver_secret_reads: float
    worker_invocations: float
    """Worker invocations per message (1 ÷ the batch a worker took)."""
    worker_cpu_seconds: float
    """Worker CPU time per message (row d: the orders function's warm 100-order batch, per order)."""
    worker_aws_requests: float
    """The workers' AWS requests per message (row a's drain; the event source's pollers are Lambda's, not theirs)."""
    upstream_requests: float
    """Accurate and Ginee requests per message (row a)."""
    worker_memory_mb: int
    message_sqs: float
    """The workers' and the event source's SQS requests per message."""
    message_rru: float
    message_secret_reads: float
    document_wru: float
    """The workers' write request units per document posted (Ledger records, leases, the governor's slots)."""
    receiver_log_bytes: float
    """The receiver's handler log bytes per invocation at INFO (row c's process, its cold start's lines included),
    without Lambda's own lines."""
    worker_log_bytes: float
    """The orders function's handler log bytes per invocation at INFO (row c's process, likewise)."""
    single_order_cpu_seconds: float
    """A warm orders invocation of one order (row c), CPU time: the naive design's work per webhook."""
    upstream_latency_seconds: float
    """The Accurate sandbox's latency per request in row a, taken for Ginee's too."""

    @property
    def receiver_seconds(self) -> float:
        """Modelled duration of one receiver invocation: its CPU at its share of a core, and its AWS requests'
        waits."""
        return on_lambda(self.receiver_cpu_seconds, self.receiver_memory_mb) + (
            self.receiver_aws_requests * AWS_REQUEST_SECONDS
        )

    @property
    def worker_seconds(self) -> float:
        """Modelled worker duration per message: its CPU at its share of a core, its AWS requests' and its
        Accurate and Ginee waits."""
        return (
            on_lambda(self.worker_cpu_seconds, self.worker_memory_mb)
            + self.worker_aws_requests * AWS_REQUEST_SECONDS
            + self.upstream_requests * self.upstream_latency_seconds
        )


def on_lambda(cpu_seconds: float, memory_mb: int) -> float:
    """Seconds that ``cpu_seconds`` of CPU take in a Lambda function of ``memory_mb`` (its share of a vCPU)."""
    return cpu_seconds * max(1.0, LAMBDA_MB_PER_VCPU / memory_mb)


def _per_service(calls: Mapping[str, int], service: str) -> int:
    return sum(count for name, count in calls.items() if name.startswith(f"{service}."))


def measured_webhook(flash_sale: Mapping[str, Any], coldstart: Mapping[str, Any]) -> MeasuredWebhook:
    """Row a's counts (its `BenchResult` as a dict) and row c's, per webhook, message or document."""
    from omsync_workshop.bench_coldstart import WARM_BATCH

    usage = flash_sale["aws_usage"]
    load, drain = usage["load"], usage["drain"]
    webhooks = float(flash_sale["orders"])
    documents = float(max(flash_sale["invoices"], 1))
    functions = usage["functions"]
    receiver = functions["ReceiverFunction"]
    workers = [stats for name, stats in functions.items() if name != "ReceiverFunction"]
    orders_process, receiver_process = coldstart["OrdersFunction"], coldstart["ReceiverFunction"]
    upstream = float(flash_sale["accurate_calls_per_invoice"]) * documents / webhooks + float(
        flash_sale["ginee_calls_per_order"]
    )
    return MeasuredWebhook(
        receiver_cpu_seconds=float(receiver_process["invocations"][1]["cpu_ms"]) / 1000,
        receiver_aws_requests=sum(load["calls"].values()) / webhooks,
        receiver_memory_mb=int(receiver["memory_mb"]),
        receiver_sqs=(_per_service(load["calls"], "sqs") + sum(load["poller_calls"].values())) / webhooks,
        receiver_wru=float(load["dynamodb_wru"]) / webhooks,
        receiver_rru=float(load["dynamodb_rru"]) / webhooks,
        receiver_secret_reads=_per_service(load["calls"], "secretsmanager") / webhooks,
        worker_invocations=sum(s["invocations"] for s in workers) / webhooks,
        worker_cpu_seconds=float(orders_process["invocations"][2]["cpu_ms"]) / 1000 / WARM_BATCH,
        worker_aws_requests=sum(drain["calls"].values()) / webhooks,
        upstream_requests=upstream,
        worker_memory_mb=int(max((s["memory_mb"] for s in workers), default=receiver["memory_mb"])),
        message_sqs=(_per_service(drain["calls"], "sqs") + sum(drain["poller_calls"].values())) / webhooks,
        message_rru=float(drain["dynamodb_rru"]) / webhooks,
        message_secret_reads=_per_service(drain["calls"], "secretsmanager") / webhooks,
        document_wru=float(drain["dynamodb_wru"]) / documents,
        receiver_log_bytes=receiver_process["log_bytes"] / len(receiver_process["invocations"]),
        worker_log_bytes=orders_process["log_bytes"] / len(orders_process["invocations"]),
        single_order_cpu_seconds=float(orders_process["invocations"][1]["cpu_ms"]) / 1000,
        upstream_latency_seconds=float(flash_sale.get("latency_ms", 150)) / 1000,
    )


def _d(value: float) -> Decimal:
    return Decimal(repr(value))


def usage_per_million(measured: MeasuredWebhook) -> Usage:
    """omsync as built: each webhook as row a's paid one (receiver, queue, worker), each document's writes as
    the invoices' were."""
    webhooks = Decimal(WEBHOOKS_PER_ORDER * ORDERS)
    documents = Decimal(DOCUMENTS_PER_ORDER * ORDERS)
    invocations = webhooks * (1 + _d(measured.worker_invocations))
    gb_seconds = webhooks * (
        _d(measured.receiver_seconds) * Decimal(measured.receiver_memory_mb) / 1024
        + _d(measured.worker_seconds) * Decimal(measured.worker_memory_mb) / 1024
    )
    log_bytes = webhooks * (_d(measured.receiver_log_bytes) + PLATFORM_LOG_BYTES) + webhooks * _d(
        measured.worker_invocations
    ) * (_d(measured.worker_log_bytes) + PLATFORM_LOG_BYTES)
    return Usage(
        api_requests=webhooks,
        rest_api=False,
        lambda_requests=invocations,
        lambda_gb_seconds=gb_seconds,
        sqs_requests=webhooks * (_d(measured.receiver_sqs) + _d(measured.message_sqs)),
        dynamodb_wru=webhooks * _d(measured.receiver_wru) + documents * _d(measured.document_wru),
        dynamodb_rru=webhooks * (_d(measured.receiver_rru) + _d(measured.message_rru)),
        secret_reads=webhooks * (_d(measured.receiver_secret_reads) + _d(measured.message_secret_reads)),
        log_gb=log_bytes / Decimal(1024**3),
    )


def naive_usage_per_million(measured: MeasuredWebhook) -> Usage:
    """The naive design (module docstring), from the same measurements."""
    webhooks = Decimal(WEBHOOKS_PER_ORDER * ORDERS)
    documents = Decimal(DOCUMENTS_PER_ORDER * ORDERS)
    seconds_per_webhook = (
        _d(measured.receiver_seconds)
        + _d(on_lambda(measured.single_order_cpu_seconds, measured.worker_memory_mb))
        + _d(measured.upstream_latency_seconds) * (1 + Decimal(DOCUMENTS_PER_ORDER) / WEBHOOKS_PER_ORDER)
        + NAIVE_AWS_REQUESTS_PER_WEBHOOK * _d(AWS_REQUEST_SECONDS)
    )
    return Usage(
        api_requests=webhooks,
        rest_api=True,
        lambda_requests=webhooks,
        lambda_gb_seconds=webhooks * seconds_per_webhook * Decimal(measured.worker_memory_mb) / 1024,
        sqs_requests=Decimal(0),
        # Idempotency's write per webhook; each document's writes as ours, plus the governor's two writes for its
        # own Accurate call.
        dynamodb_wru=webhooks + documents * (_d(measured.document_wru) + GOVERNOR_WRITES_PER_CALL),
        dynamodb_rru=webhooks * (1 + _d(measured.message_rru)),
        secret_reads=webhooks * (_d(measured.receiver_secret_reads) + _d(measured.message_secret_reads)),
        # One invocation writes the receiver's lines and a worker invocation's.
        log_gb=webhooks
        * (_d(measured.receiver_log_bytes) + _d(measured.worker_log_bytes) + PLATFORM_LOG_BYTES)
        / Decimal(1024**3),
    )


def cost_run(options: BenchOptions, earlier: Earlier, index: int) -> RowRun:
    """Row e once: row a's run ``index`` and row c's run ``index`` priced (ours and the naive design's)."""
    measured = measured_webhook(earlier["a"][index].counts, earlier["c"][index].counts)
    ours = usage_per_million(measured)
    naive = naive_usage_per_million(measured)
    ours_usd, naive_usd = price(ours), price(naive)
    figures = {f"usd.{name}": float(value) for name, value in ours_usd.items()}
    figures["naive_usd.total"] = float(naive_usd["total"])
    figures["ratio_to_naive"] = float((ours_usd["total"] / naive_usd["total"]).quantize(Decimal("0.001")))
    return RowRun(
        figures=figures,
        counts={
            "measured_per_webhook": {
                **asdict(measured),
                "receiver_seconds": measured.receiver_seconds,
                "worker_seconds": measured.worker_seconds,
            },
            "usage": {key: str(value) for key, value in asdict(ours).items()},
            "naive_usage": {key: str(value) for key, value in asdict(naive).items()},
            "naive_usd": {key: str(value) for key, value in naive_usd.items()},
            "prices": {key: {"usd": str(p.usd), "unit": p.unit, "source": p.source} for key, p in PRICES.items()},
            "prices_read_on": PRICES_READ_ON,
        },
    )


ROW = BenchRow(
    key="e",
    title=f"AWS cost per 1M orders ({WEBHOOKS_PER_ORDER} webhooks each), from row a's counts, beside a naive design",
    figures=(
        FigureSpec("usd.total", "omsync per 1M orders", "USD", Goal(float(COST_GOAL), at_most=True)),
        FigureSpec("usd.api_gateway", "  API Gateway (HTTP API)", "USD"),
        FigureSpec("usd.lambda_requests", "  Lambda requests", "USD"),
        FigureSpec("usd.lambda_duration", "  Lambda duration", "USD"),
        FigureSpec("usd.sqs", "  SQS", "USD"),
        FigureSpec("usd.dynamodb", "  DynamoDB", "USD"),
        FigureSpec("usd.secrets_manager", "  Secrets Manager", "USD"),
        FigureSpec("usd.cloudwatch_logs", "  CloudWatch Logs", "USD"),
        FigureSpec("naive_usd.total", "naive design per 1M orders", "USD"),
        FigureSpec("ratio_to_naive", "omsync ÷ naive", "", Goal(float(NAIVE_RATIO_GOAL), at_most=True)),
    ),
    run=cost_run,
    needs=("a", "c"),
)
"""Row e of `make bench`'s table."""
