"""`make bench`'s table (issue 21): each row run several times, each figure as its median and range.

A row is a `BenchRow`: a key (``a``…``e``), a title, and ``run``, which measures once and returns a `RowRun`
(its figures by name, plus raw counts that only bench.json carries). `run_table` runs every chosen row
``runs`` times, in key order, and hands each run the runs of the rows before it (the cost row prices the
flash sale's counted requests); `render_table` prints the table, `write_table` writes bench.json.

The rows, in `rows()`:

- ``a``: the flash sale drained through the whole flow (`omsync_workshop.bench`), a regression check;
- ``b``: two tenants, one in a flash sale and one quiet (`omsync_workshop.bench_tenants`);
- ``c``: cold start of each function (`omsync_workshop.bench_coldstart`);
- ``d``: warm CPU per order and peak memory in the orders handler (`omsync_workshop.bench_coldstart` too: the
  same fresh orders process);
- ``e``: AWS cost per 1M orders beside a naive design (`omsync_workshop.bench_cost`).

A figure may carry a `Goal` (issue 21's "done when"); the table marks each goal met or not on the median,
and `BenchTable.goals_met` is false when any is missed. Timings are wall-clock or CPU time on whatever
machine runs it: on a shared one, compare medians, and read the range as the noise.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

DEFAULT_RUNS = 3
"""Runs per row unless ``--runs`` says otherwise: with row a's full flash sale (about 5 minutes a run on a
2-core machine) `make bench` takes about 25 minutes; ``--runs 1 --orders 2000`` is a quick look."""


@dataclass(frozen=True)
class BenchOptions:
    """What the command line chose for every row."""

    runs: int = DEFAULT_RUNS
    orders: int | None = None
    """Row a's flash sale: only its first N orders (None: all 20,000)."""
    latency_ms: int = 150
    """Latency the Accurate sandbox adds to each call (rows a and b)."""
    moto_patches: str = "speed"


@dataclass(frozen=True)
class Goal:
    """A bound a figure's median must keep: ``at_most`` (≤ limit) or at least (≥ limit)."""

    limit: float
    at_most: bool

    def met(self, value: float) -> bool:
        return value <= self.limit if self.at_most else value >= self.limit

    def __str__(self) -> str:
        return f"{'≤' if self.at_most else '≥'} {_number(self.limit)}"


@dataclass(frozen=True)
class FigureSpec:
    """One figure a row reports: its name in bench.json, its label and unit in the table, and its goal."""

    name: str
    label: str
    unit: str = ""
    goal: Goal | None = None


@dataclass(frozen=True)
class RowRun:
    """One run of a row: ``figures`` by `FigureSpec.name`, ``counts`` anything else worth keeping (bench.json)."""

    figures: Mapping[str, float]
    counts: Mapping[str, Any] = field(default_factory=dict)


Earlier = Mapping[str, Sequence[RowRun]]
"""Runs of the rows already done in this table, by row key (e.g. row e reads row a's)."""


@dataclass(frozen=True)
class BenchRow:
    """A row of the table: ``run(options, earlier, index)`` measures once (``index`` counts from 0)."""

    key: str
    title: str
    figures: tuple[FigureSpec, ...]
    run: Callable[[BenchOptions, Earlier, int], RowRun]
    needs: tuple[str, ...] = ()
    """Keys of rows whose runs this one reads (run first; chosen with it)."""
    min_runs: int = 1
    """At least this many runs whatever ``--runs`` says (row c: median of 5)."""


@dataclass(frozen=True)
class Spread:
    """The median and range (min–max) of a figure over several runs."""

    median: float
    low: float
    high: float
    runs: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        """Raises ValueError on no values."""
        if not values:
            raise ValueError("a spread needs at least one value")
        return cls(float(statistics.median(values)), float(min(values)), float(max(values)), len(values))


@dataclass(frozen=True)
class FigureResult:
    spec: FigureSpec
    spread: Spread

    @property
    def goal_met(self) -> bool | None:
        return None if self.spec.goal is None else self.spec.goal.met(self.spread.median)


@dataclass(frozen=True)
class RowResult:
    key: str
    title: str
    figures: tuple[FigureResult, ...]
    runs: tuple[RowRun, ...]
    seconds: float
    """Wall time of all of the row's runs."""


@dataclass(frozen=True)
class BenchTable:
    """Every row's result, and the machine it ran on."""

    rows: tuple[RowResult, ...]
    machine: Mapping[str, Any]

    @property
    def goals_met(self) -> bool:
        return all(figure.goal_met is not False for row in self.rows for figure in row.figures)

    def to_dict(self) -> dict[str, Any]:
        """bench.json's shape: ``{"machine": {...}, "rows": {key: {title, runs, seconds, figures, counts}}}``,
        each figure ``{label, unit, median, min, max, goal, goal_met}``, counts one entry per run."""
        return {
            "machine": dict(self.machine),
            "rows": {
                row.key: {
                    "title": row.title,
                    "runs": len(row.runs),
                    "seconds": round(row.seconds, 1),
                    "figures": {
                        figure.spec.name: {
                            "label": figure.spec.label,
                            "unit": figure.spec.unit,
                            "median": figure.spread.median,
                            "min": figure.spread.low,
                            "max": figure.spread.high,
                            "goal": str(figure.spec.goal) if figure.spec.goal else None,
                            "goal_met": figure.goal_met,
                        }
                        for figure in row.figures
                    },
                    "counts": [dict(run.counts) for run in row.runs],
                }
                for row in self.rows
            },
        }


def rows() -> dict[str, BenchRow]:
    """Every row of the table by key, imported here so that each row's module loads only when it is run."""
    from omsync_workshop import bench, bench_coldstart, bench_cost, bench_tenants

    found = [bench.FLASH_SALE_ROW, bench_tenants.ROW, bench_coldstart.ROW, bench_coldstart.WARM_ROW, bench_cost.ROW]
    return {row.key: row for row in sorted(found, key=lambda row: row.key)}


def summarise(row: BenchRow, runs: Sequence[RowRun], seconds: float) -> RowResult:
    """A row's figures over its runs (a figure missing from every run is left out)."""
    figures = tuple(
        FigureResult(spec, Spread.of([run.figures[spec.name] for run in runs if spec.name in run.figures]))
        for spec in row.figures
        if any(spec.name in run.figures for run in runs)
    )
    return RowResult(row.key, row.title, figures, tuple(runs), seconds)


def run_table(
    options: BenchOptions,
    keys: Sequence[str] | None = None,
    *,
    available: Mapping[str, BenchRow] | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> BenchTable:
    """Run the rows named by ``keys`` (default all; a row's ``needs`` are added) ``options.runs`` times each.

    Raises KeyError for an unknown key.
    """
    table_rows = dict(available if available is not None else rows())
    wanted = set(keys if keys is not None else table_rows)
    for key in list(wanted):
        wanted.update(table_rows[key].needs)
    done: dict[str, list[RowRun]] = {}
    results: list[RowResult] = []
    for key in sorted(wanted):
        row = table_rows[key]
        started = time.monotonic()
        runs: list[RowRun] = []
        count = max(options.runs, row.min_runs)
        for index in range(count):
            progress(f"row {key} ({row.title}): run {index + 1} of {count}")
            runs.append(row.run(options, done, index))
        done[key] = runs
        results.append(summarise(row, runs, time.monotonic() - started))
    return BenchTable(tuple(results), machine_description())


def machine_description() -> dict[str, Any]:
    """What the figures were measured on: CPUs, the load average as the table ended, Python."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cpus": os.cpu_count(),
        "load_average_1_5_15": [round(value, 2) for value in load],
        "python": platform.python_version(),
        "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _number(value: float) -> str:
    """A figure as the table prints it: thousands separated, at most 4 significant decimals."""
    if value == int(value) and abs(value) >= 1:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.1f}"
    return f"{value:.4g}"


def _range(spread: Spread) -> str:
    return _number(spread.low) if spread.low == spread.high else f"{_number(spread.low)}–{_number(spread.high)}"


def render_table(table: BenchTable) -> str:
    """The table as the terminal shows it: one line per figure, median then range, and its goal if any."""
    header = ("row", "figure", "unit", "median", "range (min–max)", "runs", "goal")
    lines: list[tuple[str, ...]] = []
    for row in table.rows:
        for index, figure in enumerate(row.figures):
            goal = ""
            if figure.spec.goal is not None:
                goal = f"{figure.spec.goal} {'met' if figure.goal_met else 'MISSED'}"
            lines.append(
                (
                    row.key if index == 0 else "",
                    figure.spec.label,
                    figure.spec.unit,
                    _number(figure.spread.median),
                    _range(figure.spread),
                    str(figure.spread.runs),
                    goal,
                )
            )
    widths = [max(len(cells[column]) for cells in [header, *lines]) for column in range(len(header))]
    align: tuple[Literal["<", ">"], ...] = ("<", "<", "<", ">", ">", ">", "<")

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(f"{cell:{side}{width}}" for cell, side, width in zip(cells, align, widths, strict=True))

    titles = [f"{row.key}: {row.title} ({len(row.runs)} runs, {row.seconds:.0f} s)" for row in table.rows]
    machine = table.machine
    footer = (
        f"machine: {machine.get('cpus')} CPUs, load average {machine.get('load_average_1_5_15')} at the end; "
        f"every goal met: {table.goals_met}"
    )
    rule = "-" * len(line(header))
    return "\n".join([*titles, rule, line(header), rule, *(line(cells).rstrip() for cells in lines), rule, footer])


def write_table(table: BenchTable, path: Path) -> None:
    """bench.json: `BenchTable.to_dict`."""
    path.write_text(json.dumps(table.to_dict(), indent=2) + "\n", encoding="utf-8")
