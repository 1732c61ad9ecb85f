"""`omsync local up` and `omsync demo`: the embedded stack from the command line."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omsync.config.mapping import MappingError, load_mapping
from omsync_ops.errors import CommandError
from omsync_ops.mappings import read_mapping_text
from omsync_workshop.arguments import port_number, positive_int
from omsync_workshop.bench_table import DEFAULT_RUNS

if TYPE_CHECKING:
    from omsync_workshop.scenarios import Scenario

# Every local function runs in this one process, and Powertools keeps one metric set per process: a
# handler's flush can take another's metrics, and the other's then finds none and fails its invocation
# (seen as a receiver 500 in the demo's log). The demo keeps the functions' logs and leaves metrics off.
SHARED_PROCESS_METRICS_OFF = {"POWERTOOLS_METRICS_DISABLED": "true"}


def register(subparsers: Any) -> None:
    """Add `local` and `demo` to the `omsync` command."""
    local = subparsers.add_parser("local", help="run the embedded stack (moto, API front, SQS poller)")
    local_commands = local.add_subparsers(dest="local_command", metavar="ACTION", required=True)
    up = local_commands.add_parser(
        "up", help="run until Ctrl-C; print the webhook URL base and the line that points another shell at it"
    )
    up.add_argument("--port", type=port_number, default=0, help="port of the local API front (default: any free one)")
    up.add_argument(
        "--schedule-every", type=float, default=None, metavar="SECONDS", help="fire every schedule this often"
    )
    up.set_defaults(func=run_up)

    demo = subparsers.add_parser(
        "demo", help="play a scenario end to end on loopback and check the books against the oracle"
    )
    demo.add_argument("--json", action="store_true", help="print the result as one JSON object")
    demo.add_argument("--scenario", default="demo", help="a scenario in events/scenarios/ (default: demo)")
    demo.add_argument("--scenario-file", type=Path, default=None, help="play a scenario file of your own")
    demo.add_argument(
        "--mapping",
        type=Path,
        default=None,
        help="mapping YAML (default: events/mapping.<scenario>.yaml if it exists, else events/mapping.example.yaml)",
    )
    demo.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    demo.add_argument("--journal-out", type=Path, default=None, help="write every journal line to this CSV file")
    demo.add_argument(
        "--front-door",
        action="store_true",
        help="only post the sample webhooks in events/webhooks/ and report what the receiver accepted",
    )
    demo.set_defaults(func=run_demo_command)

    bench = subparsers.add_parser(
        "bench",
        help="issue 21's table: flash sale at Accurate's limits, cold start, warm CPU, cost per 1M orders",
    )
    bench.add_argument(
        "--runs",
        type=positive_int,
        default=DEFAULT_RUNS,
        help=f"runs of each row, reported as median and range (default {DEFAULT_RUNS}; the cold start row runs 5)",
    )
    bench.add_argument(
        "--rows",
        type=lambda text: [key.strip() for key in text.split(",") if key.strip()],
        default=None,
        help="only these rows, comma-separated (e.g. a,e; a row's inputs are added); default: every row",
    )
    bench.add_argument(
        "--orders", type=positive_int, default=None, help="row a: only the first N orders (default: all 20,000)"
    )
    bench.add_argument("--latency-ms", type=int, default=150, help="latency the Accurate sandbox adds per call")
    bench.add_argument("--out", type=Path, default=Path("bench.json"), help="where to write the figures")
    bench.add_argument(
        "--moto-patches",
        choices=("speed", "fidelity"),
        default="speed",
        help="moto's patches: speed (the default: with the speed-only ones) or fidelity (to measure without them)",
    )
    bench.set_defaults(func=run_bench_command)

    chaos = subparsers.add_parser(
        "chaos",
        help="N order lives over two connections under every fault, converged, compared with the oracle",
    )
    chaos.add_argument("--orders", type=positive_int, default=5000, help="order lives to play (default: 5,000)")
    chaos.add_argument("--seed", type=int, default=None, help="replay a run's seed (default: a new one, printed)")
    chaos.add_argument("--json", type=Path, default=Path("chaos.json"), help="where to write the figures (chaos.json)")
    chaos.set_defaults(func=run_chaos_command)


def run_up(args: argparse.Namespace) -> int:
    """Start the stack and keep it running until interrupted (Ctrl-C: one line, exit 0).

    The terminal shows what the operator needs; the functions' logs and warnings go to a log file, as
    the demo's do, and metrics stay off for the same reason (`SHARED_PROCESS_METRICS_OFF`).
    """
    from omsync_workshop.stack import LocalStack
    from omsync_workshop.terminal import functions_output_to, new_log_path

    out = sys.stdout  # the operator's lines stay on stdout; the block below sends stdout to the log
    log_path = new_log_path("local")
    interrupted = threading.Event()
    try:
        with (
            functions_output_to(log_path),
            LocalStack(
                api_port=args.port,
                schedule_interval_seconds=args.schedule_every,
                describe_as_deployed=True,
                environment_overrides=SHARED_PROCESS_METRICS_OFF,
            ) as stack,
        ):
            # Once the stack runs, Ctrl-C only sets an event: a KeyboardInterrupt raised mid-print (or again
            # while the stack stops) would cut a line or skip a stop step.
            previous = signal.signal(signal.SIGINT, lambda number, frame: interrupted.set())
            try:
                print(f"webhook URL base: {stack.webhook_base_url}/{{connectionId}}/{{token}}", file=out)
                print(f"AWS (moto) endpoint: {stack.endpoint}", file=out)
                print(
                    "in another terminal, point `omsync connection|mapping|settlement …` at this stack with:", file=out
                )
                print(f"  {stack.operator_command()}", file=out)
                print(f"the functions' logs: {log_path}", file=out)
                print("Ctrl-C to stop.", file=out, flush=True)
                while not interrupted.wait(0.5):
                    pass
                # Said before the stack stops (pollers first, then moto), which takes a second or two.
                print("stopping", file=out, flush=True)
            finally:
                signal.signal(signal.SIGINT, previous)
    except KeyboardInterrupt:
        print("stopping", file=out, flush=True)  # Ctrl-C while the stack was still starting
    return 0


def run_demo_command(args: argparse.Namespace) -> int:
    """Play the scenario end to end; exit 0 only when the books match the oracle.

    The scenario and the mapping are checked before anything starts: a problem is one line, exit 2.
    While it plays, the terminal shows one progress line; the functions' logs and warnings go to a log
    file whose path the report names.
    """
    if args.front_door:
        return run_front_door(args)
    from omsync_workshop.moto_patches import PatchLevel, level_from_environment
    from omsync_workshop.scenario_demo import render, run_scenario_demo
    from omsync_workshop.terminal import Progress, functions_output_to, new_log_path
    from omsync_workshop.world import mapping_path_for

    scenario = _scenario(args)
    mapping_path = args.mapping or mapping_path_for(args.scenario)
    mapping_yaml = _mapping(mapping_path, scenario)
    if args.journal_out is not None:
        _check_journal_target(args.journal_out)
    log_path = new_log_path("demo")
    with functions_output_to(log_path) as terminal, Progress(terminal) as progress:
        demo = run_scenario_demo(
            scenario,
            mapping_yaml,
            journal_out=args.journal_out,
            environment_overrides=SHARED_PROCESS_METRICS_OFF,
            progress=progress,
            # The speed-only patches save about 30% of the demo's time (README, "Benchmark").
            moto_patches=level_from_environment(PatchLevel.SPEED),
        )
    _report(demo.to_dict(), lambda: render(demo), log_path, as_json=args.json)
    return 0 if demo.ok else 1


def _report(figures: dict[str, Any], rendered: Callable[[], str], log_path: Path, *, as_json: bool) -> None:
    """Print a demo's report (one JSON object, or the rendered text) naming the functions' log file."""
    if as_json:
        json.dump({**figures, "log": str(log_path)}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(rendered())
        print(f"\nThe functions' logs: {log_path}")


def _scenario(args: argparse.Namespace) -> Scenario:
    from omsync_workshop.scenarios.generator import load_scenario
    from omsync_workshop.scenarios.spec import ScenarioError

    try:
        return load_scenario(args.scenario_file or args.scenario, seed=args.seed)
    except ScenarioError as error:
        raise CommandError(str(error)) from None


def _check_journal_target(path: Path) -> None:
    """Refuse, before minutes of play, a journal path that could not be written at the end."""
    folder = path.parent
    if path.is_dir():
        raise CommandError(f"--journal-out {path} is a folder: name a CSV file, e.g. {path / 'journal.csv'}")
    if not folder.is_dir():
        raise CommandError(f"--journal-out {path}: folder {folder} does not exist; create it or name another")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise CommandError(f"--journal-out {path} cannot be written here: name a file in a folder you may write to")


def _mapping(path: Path, scenario: Scenario) -> str:
    """The mapping's text, once it is valid and maps at least one of the scenario's warehouses."""
    text = read_mapping_text(path)
    try:
        mapping = load_mapping(text).mapping
    except MappingError as error:
        more = f" (and {len(error.problems) - 1} more)" if len(error.problems) > 1 else ""
        raise CommandError(
            f"{path} is not a valid mapping: {error.problems[0]}{more}\n"
            f"  omsync mapping validate {path} lists every problem with its line"
        ) from None
    warehouses = [str(warehouse["id"]) for warehouse in scenario.warehouses]
    if not any(ginee_id in store.warehouses for store in mapping.stores.values() for ginee_id in warehouses):
        raise CommandError(
            f"{path} maps none of the scenario's warehouses ({', '.join(warehouses)}): "
            "add one under a store's warehouses"
        )
    return text


def run_front_door(args: argparse.Namespace) -> int:
    """Post the sample webhooks; exit 0 when every webhook got its promised status."""
    from omsync_workshop.demo import render, run_demo
    from omsync_workshop.stack import LocalStack
    from omsync_workshop.terminal import Progress, functions_output_to, new_log_path

    log_path = new_log_path("demo-front-door")
    with functions_output_to(log_path) as terminal, Progress(terminal) as progress:
        progress.phase("posting the sample webhooks to the local stack")
        # Only the receiver: no worker consumes, so each accepted webhook stays in its queue to be counted
        # (the samples name orders no Ginee holds; workers would only retry them until their deadline).
        with LocalStack(environment_overrides=SHARED_PROCESS_METRICS_OFF, run_event_sources=False) as stack:
            result = run_demo(stack)
    _report(result.to_dict(), lambda: render(result), log_path, as_json=args.json)
    return 0 if result.ok else 1


def run_bench_command(args: argparse.Namespace) -> int:
    """Run the bench table's rows, print the table and write bench.json; exit 0 only when every goal is met."""
    from omsync_workshop.bench_table import BenchOptions, render_table, rows, run_table, write_table

    available = rows()
    unknown = sorted(set(args.rows or ()) - set(available))
    if unknown:
        raise CommandError(f"no such bench row: {', '.join(unknown)} (rows: {', '.join(available)})")
    options = BenchOptions(
        runs=args.runs, orders=args.orders, latency_ms=args.latency_ms, moto_patches=args.moto_patches
    )

    def progress(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    with contextlib.redirect_stdout(sys.stderr):
        table = run_table(options, args.rows, available=available, progress=progress)
    print(render_table(table))
    write_table(table, args.out)
    print(f"figures written to {args.out}")
    return 0 if table.goals_met else 1


def run_chaos_command(args: argparse.Namespace) -> int:
    """Run the chaos run; print the seed first and the summary last, write chaos.json; exit 0 only when every
    count is zero. The functions' logs go to a log file, as the demo's do (and are scanned as they are written).
    """
    import secrets

    from omsync_workshop.moto_patches import PatchLevel, level_from_environment
    from omsync_workshop.terminal import Progress, functions_output_to, new_log_path

    seed = args.seed if args.seed is not None else secrets.randbelow(10**9)
    if args.orders < 3:
        raise CommandError(f"--orders {args.orders}: the chaos run needs at least 3 (one per store)")
    print(f"chaos run: {args.orders:,} orders, seed {seed} (replay: omsync chaos --orders {args.orders} --seed {seed})")
    sys.stdout.flush()
    log_path = new_log_path("chaos")
    with functions_output_to(log_path) as terminal, Progress(terminal) as progress:
        # Imported here: the runtime's logger must be created once its output points at the log file.
        from omsync_workshop.chaos import run_chaos

        report = run_chaos(
            args.orders,
            seed,
            progress=progress,
            environment_overrides=SHARED_PROCESS_METRICS_OFF,
            moto_patches=level_from_environment(PatchLevel.SPEED),
        )
    from omsync_workshop.chaos import render, write

    print(render(report))
    write(report, args.json)
    print(f"figures written to {args.json}; the functions' logs: {log_path}")
    return 0 if report.ok else 1
