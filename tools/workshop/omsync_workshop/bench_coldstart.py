"""Rows c and d of `make bench`: each function started as Lambda starts it, in a fresh python3.13 process.

**The runtime.** The layer is built by its own Makefile target, as `sam build` runs it (and as
tests/infrastructure/test_layer_artifact.py builds it), for this machine's platform and CPython 3.13, and boto3
and botocore are pip-installed apart at the versions requirements-dev.txt pins and compiled, as the Lambda
runtime provides them. Built once per process (about two minutes on a shared 2-core machine: pip downloads the wheels).

**A measurement** (`measure_function`) starts ``python3.13 -I -S -B`` (``PYENV_VERSION=3.13.0`` finds it under
pyenv) in the function's code folder with only its code, the layer's ``python/`` folder, the standard library and
boto3 on the path, and the environment template.yaml gives the function plus what Lambda sets. ``-B`` because
Lambda's ``/opt`` is read-only: a cold start compiles whatever the layer does not ship compiled, every time. The
child (`CHILD`) times the handler module's import (``perf_counter``), then invokes the handler on each event it
is given, in order, with a Lambda-like context, timing each invocation's wall and process CPU time; it reports
those, its peak resident memory (``VmHWM`` of /proc/self/status, what Lambda's REPORT line calls Max Memory
Used; ``ru_maxrss`` would carry the forking parent's peak across exec) and, apart, the bytes its logs wrote (what CloudWatch Logs would ingest).

**Row c** (one run): every function's import time, each in a fresh process; and for the receiver and the orders
function, the first invocation's extra time over the second (both on like events: a webhook each; a batch of
one paid order each) against a local world of the flash sale's first orders (moto, the sandboxes, no Accurate
latency). **Row d** reads the same orders process: after those two, one warm batch of 100 paid orders, its
process CPU time per order and the process's peak memory.
"""

from __future__ import annotations

import atexit
import json
import os
import platform
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from omsync_workshop.bench_table import BenchOptions, BenchRow, Earlier, FigureSpec, Goal, RowRun
from omsync_workshop.esm import lambda_record, sqs_mappings
from omsync_workshop.lambdas import FunctionSpec
from omsync_workshop.stack import project_root

PYTHON_VERSION = "3.13"
"""template.yaml's Runtime (python3.13)."""
PYENV_VERSION = "3.13.0"
MANYLINUX = {"x86_64": "manylinux2014_x86_64", "aarch64": "manylinux2014_aarch64", "arm64": "manylinux2014_aarch64"}
IMPORT_GOAL_MS = 250.0
WARM_BATCH = 100
"""Orders in row d's warm batch: the template's orders batch size."""
BUILD_TIMEOUT_SECONDS = 900
CHILD_TIMEOUT_SECONDS = 300
ORDERS_FUNCTION = "OrdersFunction"
RECEIVER_FUNCTION = "ReceiverFunction"

# Run as `python3.13 -I -S -B -c CHILD <module> <attribute> <events.json> <code> <layer> <boto3>`; prints one
# JSON line last (logs go before it, to stdout as Lambda's do).
CHILD = """
import importlib, json, resource, sys, sysconfig, time, uuid
module_name, attribute, events_path, *roots = sys.argv[1:]
sys.path[:] = roots[:2] + [p for p in sys.path if p] + roots[2:]
started, cpu_started = time.perf_counter(), time.process_time()
handler = getattr(importlib.import_module(module_name), attribute)
import_ms, import_cpu_ms = (time.perf_counter() - started) * 1000, (time.process_time() - cpu_started) * 1000


def peak_rss_kb():
    # VmHWM: this process image's peak; ru_maxrss would keep the parent's from before exec.
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class Context:
    def __init__(self, name, memory, arn, timeout):
        self.function_name, self.memory_limit_in_mb, self.invoked_function_arn = name, memory, arn
        self.function_version, self.aws_request_id = "$LATEST", str(uuid.uuid4())
        self.log_group_name, self.log_stream_name = "/aws/lambda/" + name, "bench"
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


spec = json.load(open(events_path))
invocations = []
for event in spec["events"]:
    context = Context(spec["name"], spec["memory_mb"], spec["arn"], spec["timeout_seconds"])
    wall, cpu = time.perf_counter(), time.process_time()
    result = handler(event, context)
    invocations.append({
        "wall_ms": (time.perf_counter() - wall) * 1000,
        "cpu_ms": (time.process_time() - cpu) * 1000,
        "failures": len((result or {}).get("batchItemFailures") or []) if isinstance(result, dict) else 0,
        "status": result.get("statusCode") if isinstance(result, dict) else None,
    })
report = {"import_ms": import_ms, "import_cpu_ms": import_cpu_ms, "invocations": invocations, "peak_rss_kb": peak_rss_kb()}
sys.stdout.flush()
print("\\n" + json.dumps(report))
"""


@dataclass(frozen=True)
class LambdaRuntime:
    """What Lambda puts on a function's path besides its code, and the interpreter to run it."""

    python: str
    layer: Path
    """The layer's ``python/`` folder (``/opt/python`` on Lambda)."""
    boto3: Path


@dataclass(frozen=True)
class Measurement:
    """One fresh process of a function: import time, each invocation, peak memory, log bytes."""

    import_ms: float
    import_cpu_ms: float
    invocations: tuple[Mapping[str, Any], ...]
    peak_rss_kb: int
    """The process's peak resident memory (``VmHWM``; what Lambda's REPORT line calls Max Memory Used)."""
    log_bytes: int
    """Bytes the process wrote besides its report (the handler's logs and metrics)."""


def interpreter() -> str:
    """The python3.13 executable itself (a pyenv shim resolved with ``PYENV_VERSION=3.13.0``, so that the children
    need no pyenv variables); raises RuntimeError when there is none."""
    found = shutil.which(f"python{PYTHON_VERSION}")
    if found is not None:
        done = subprocess.run(
            [found, "-c", "import sys; print(sys.executable)"],
            capture_output=True, text=True, check=False, env=_python_environment(), timeout=60,
        )  # fmt: skip
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    raise RuntimeError(f"python{PYTHON_VERSION} is not on PATH: the cold-start rows need Lambda's interpreter")


def _python_environment() -> dict[str, str]:
    return {**os.environ, "PYENV_VERSION": os.environ.get("PYENV_VERSION", PYENV_VERSION)}


@cache
def lambda_runtime() -> LambdaRuntime:
    """The layer as `sam build` builds it and boto3 as the runtime has it, in a temporary folder kept until exit.

    Raises RuntimeError with the build's last lines when a step fails.
    """
    machine = platform.machine()
    if machine not in MANYLINUX:
        raise RuntimeError(f"no manylinux wheels for {machine}: Lambda runs x86_64 and arm64 only")
    folder = Path(tempfile.mkdtemp(prefix="omsync-bench-runtime-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    python = interpreter()
    runtime = LambdaRuntime(python, folder / "layer" / "python", folder / "boto3")
    root = project_root()
    scratch = folder / "scratch"
    scratch.mkdir()
    make = [
        *("make", "--makefile", str(root / "layers" / "omsync" / "Makefile"), "build-OmsyncLayer"),
        f"LAYER_PLATFORM={MANYLINUX[machine]}",
        f"LAYER_PYTHON_VERSION={PYTHON_VERSION}",
        f"PYTHON={python}",
    ]
    pip = [
        *(python, "-m", "pip", "--quiet", "--disable-pip-version-check", "install", "--no-compile"),
        *("--target", str(runtime.boto3), "--constraint", str(root / "requirements-dev.txt"), "boto3", "botocore"),
    ]
    environment = _python_environment()
    steps = [
        (make, subprocess.Popen(make, cwd=scratch, env={**environment, "ARTIFACTS_DIR": str(runtime.layer.parent)},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)),
        (pip, subprocess.Popen(pip, cwd=root, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)),
    ]  # fmt: skip
    for command, process in steps:
        output, _ = process.communicate(timeout=BUILD_TIMEOUT_SECONDS)
        if process.returncode != 0:
            tail = "\n".join(output.splitlines()[-15:])
            raise RuntimeError(f"{' '.join(command[:4])}… exited {process.returncode}:\n{tail}")
    # The runtime's own boto3 comes compiled (pip compiles what it installs; the test's --no-compile is for speed).
    compile_boto3 = [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]
    subprocess.run([*compile_boto3, str(runtime.boto3)], check=True, capture_output=True, env=environment,
                   timeout=BUILD_TIMEOUT_SECONDS)  # fmt: skip
    return runtime


def lambda_environment(spec: FunctionSpec) -> dict[str, str]:
    """What the Lambda service itself sets in a python3.13 execution environment, for ``spec``."""
    region = os.environ.get("AWS_REGION", "ap-southeast-1")
    return {
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }


def measure_function(
    runtime: LambdaRuntime,
    spec: FunctionSpec,
    code_root: Path,
    environment: Mapping[str, str],
    events: Sequence[Any] = (),
) -> Measurement:
    """Import ``spec``'s handler in a fresh process and invoke it on ``events`` in order.

    ``environment``: the function's variables and, for invocations, where AWS and the sandboxes are. Raises
    RuntimeError with the child's last lines when it fails.
    """
    module_path = spec.module.split(".")
    code = code_root.joinpath(*module_path[:-1])
    with tempfile.TemporaryDirectory(prefix="omsync-bench-events-") as scratch:
        events_path = Path(scratch) / "events.json"
        events_path.write_text(
            json.dumps(
                {
                    "events": list(events),
                    "name": spec.name,
                    "arn": spec.arn,
                    "memory_mb": spec.memory_mb,
                    "timeout_seconds": spec.timeout_seconds,
                }
            ),
            encoding="utf-8",
        )
        done = subprocess.run(
            [runtime.python, "-I", "-S", "-B", "-c", CHILD, module_path[-1], spec.attribute, str(events_path),
             str(code), str(runtime.layer), str(runtime.boto3)],
            capture_output=True, text=True, check=False, cwd=code, timeout=CHILD_TIMEOUT_SECONDS,
            env={**lambda_environment(spec), **environment},
        )  # fmt: skip
    if done.returncode != 0:
        tail = "\n".join(done.stderr.splitlines()[-15:])
        raise RuntimeError(f"{spec.logical_id}: the fresh process failed:\n{tail}")
    *logs, last = done.stdout.rstrip("\n").split("\n")
    report = json.loads(last)
    return Measurement(
        import_ms=float(report["import_ms"]),
        import_cpu_ms=float(report["import_cpu_ms"]),
        invocations=tuple(report["invocations"]),
        peak_rss_kb=int(report["peak_rss_kb"]),
        log_bytes=len("\n".join(logs).encode("utf-8")) + len(done.stderr.encode("utf-8")),
    )


@contextmanager
def _recorded_events(runner: Any, logical_id: str) -> Iterator[list[Any]]:
    """The events ``runner`` passes to ``logical_id`` while inside (the receiver's webhooks, as API Gateway's)."""
    seen: list[Any] = []
    lock = threading.Lock()
    original = runner.invoke

    def recording(function: str, event: Any) -> Any:
        if function == logical_id:
            with lock:
                seen.append(json.loads(json.dumps(event)))
        return original(function, event)

    runner.invoke = recording
    try:
        yield seen
    finally:
        runner.invoke = original


def coldstart_run(options: BenchOptions, earlier: Earlier, index: int) -> RowRun:
    """Row c once (and the orders process row d reads); see the module's docstring."""
    from omsync.config.mapping import load_mapping
    from omsync_workshop.bench import _owes_invoice, first_orders, paid_world
    from omsync_workshop.scenarios import load_scenario
    from omsync_workshop.world import LocalWorld, mapping_path_for

    runtime = lambda_runtime()
    scenario = first_orders(load_scenario("flash-sale"), WARM_BATCH + 30)
    mapping_yaml = mapping_path_for("flash-sale").read_text(encoding="utf-8")
    mapping = load_mapping(mapping_yaml).mapping
    figures: dict[str, float] = {}
    counts: dict[str, Any] = {}
    with LocalWorld(
        scenario,
        mapping_yaml,
        accurate_faults={"latency_ms": 0, "enforce_rate_limit": True},
        environment_overrides={"POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true"},
        start_workers=False,
        moto_patches=None,
    ) as world:
        stack = world.stack
        order_ids = paid_world(world.ginee.state, scenario)
        owing = [oid for oid in order_ids if _owes_invoice(world.ginee.state.get_order(oid), mapping)]
        if len(owing) < WARM_BATCH + 4:
            raise RuntimeError(f"the flash sale's first orders hold {len(owing)} paid ones; row d needs more")
        with _recorded_events(stack.runner, RECEIVER_FUNCTION) as webhooks:
            world.announce_orders(owing[: WARM_BATCH + 2])
        records = _orders_records(world, WARM_BATCH + 2)
        # The children see AWS and the sandboxes as the functions here do (the connection's secret names the
        # sandboxes), at the template's log level for a production stage.
        shared = {
            key: os.environ[key]
            for key in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "POWERTOOLS_TRACE_DISABLED")
            if key in os.environ
        }
        for logical_id, spec in sorted(stack.functions.items()):
            environment = {**spec.environment, **shared, "POWERTOOLS_LOG_LEVEL": "INFO"}
            events: list[Any] = []
            if logical_id == RECEIVER_FUNCTION:
                events = webhooks[:2]
            elif logical_id == ORDERS_FUNCTION:
                events = [
                    {"Records": records[:1]},
                    {"Records": records[1:2]},
                    {"Records": records[2 : 2 + WARM_BATCH]},
                ]
            measured = measure_function(runtime, spec, stack.code_root, environment, events)
            figures[f"import_ms.{logical_id}"] = round(measured.import_ms, 1)
            figures[f"import_cpu_ms.{logical_id}"] = round(measured.import_cpu_ms, 1)
            if events:
                first, second = measured.invocations[0], measured.invocations[1]
                figures[f"first_invocation_extra_ms.{logical_id}"] = round(first["wall_ms"] - second["wall_ms"], 1)
                figures[f"first_invocation_extra_cpu_ms.{logical_id}"] = round(first["cpu_ms"] - second["cpu_ms"], 1)
                counts[logical_id] = {
                    "invocations": list(measured.invocations),
                    "peak_rss_kb": measured.peak_rss_kb,
                    "log_bytes": measured.log_bytes,
                }
        counts["invoices_posted"] = len(world.document_totals().get("sales_invoice", {}))
    if counts["invoices_posted"] != WARM_BATCH + 2:
        raise RuntimeError(f"the orders process posted {counts['invoices_posted']} invoices, {WARM_BATCH + 2} expected")
    warm = counts[ORDERS_FUNCTION]["invocations"][2]
    if warm["failures"]:
        raise RuntimeError(f"row d's warm batch reported {warm['failures']} failed records")
    counts["warm_batch_orders"] = WARM_BATCH
    return RowRun(figures=figures, counts=counts)


def _orders_records(world: Any, count: int) -> list[dict[str, Any]]:
    """``count`` messages of the orders queue as Lambda's SQS event source delivers them (left in the queue)."""
    stack = world.stack
    mapping = next(m for m in sqs_mappings(stack.functions.values(), stack.resources) if m.function == ORDERS_FUNCTION)
    sqs = stack.target.client("sqs")
    records: list[dict[str, Any]] = []
    deadline = time.monotonic() + 60
    while len(records) < count and time.monotonic() < deadline:
        received = sqs.receive_message(
            QueueUrl=mapping.queue_url,
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            VisibilityTimeout=900,
        ).get("Messages", [])
        records.extend(lambda_record(message, mapping.queue_arn, stack.region) for message in received)
    if len(records) < count:
        raise RuntimeError(f"the orders queue held {len(records)} messages, {count} expected")
    return records[:count]


def _function_figures(functions: Sequence[str]) -> tuple[FigureSpec, ...]:
    """Per function: the import's CPU time, which carries the goal, and its wall time beside it.

    The goal (≤ 250 ms) is judged on CPU time: on a quiet machine the two agree within the disk's reads, and
    on a shared one the wall time mostly measures the queue for a core (load 12 on 2 cores: wall 3 to 8 times
    the CPU time of the same import).
    """
    imports = [
        figure
        for name in functions
        for figure in (
            FigureSpec(f"import_cpu_ms.{name}", f"import {name} (CPU)", "ms", Goal(IMPORT_GOAL_MS, at_most=True)),
            FigureSpec(f"import_ms.{name}", f"import {name} (wall)", "ms"),
        )
    ]
    first = [
        figure
        for name in (RECEIVER_FUNCTION, ORDERS_FUNCTION)
        for figure in (
            FigureSpec(f"first_invocation_extra_cpu_ms.{name}", f"first invocation's extra, {name} (CPU)", "ms"),
            FigureSpec(f"first_invocation_extra_ms.{name}", f"first invocation's extra, {name} (wall)", "ms"),
        )
    ]
    return (*imports, *first)


FUNCTIONS = (
    "CancellationsFunction",
    "OrdersFunction",
    "ProductsFunction",
    "PurchasesFunction",
    "ReceiverFunction",
    "ReconcilerFunction",
    "SettlementsFunction",
)
"""template.yaml's functions, by logical id (a function missing from a run is left out of the table)."""

ROW = BenchRow(
    key="c",
    title="cold start in a fresh python3.13 with the built layer (median of 5)",
    figures=_function_figures(FUNCTIONS),
    run=coldstart_run,
    min_runs=5,
)
"""Row c of `make bench`'s table (`omsync_workshop.bench_table`)."""


def warm_run(options: BenchOptions, earlier: Earlier, index: int) -> RowRun:
    """Row d once: the warm 100-order batch of row c's run ``index`` (its orders process)."""
    counts = earlier["c"][index].counts[ORDERS_FUNCTION]
    warm = counts["invocations"][2]
    orders = WARM_BATCH
    return RowRun(
        figures={
            "cpu_ms_per_order": round(warm["cpu_ms"] / orders, 3),
            "wall_ms_per_order": round(warm["wall_ms"] / orders, 3),
            "peak_rss_mb": round(counts["peak_rss_kb"] / 1024, 1),
        },
        counts={"batch_cpu_ms": warm["cpu_ms"], "batch_wall_ms": warm["wall_ms"], "orders": orders},
    )


WARM_ROW = BenchRow(
    key="d",
    title=f"warm orders handler, a {WARM_BATCH}-order batch (process CPU time; peak resident memory, VmHWM)",
    figures=(
        FigureSpec("cpu_ms_per_order", "CPU per order", "ms"),
        FigureSpec("wall_ms_per_order", "wall per order (no Accurate latency)", "ms"),
        FigureSpec("peak_rss_mb", "peak memory of the process (VmHWM)", "MB"),
    ),
    run=warm_run,
    needs=("c",),
)
"""Row d of `make bench`'s table."""
