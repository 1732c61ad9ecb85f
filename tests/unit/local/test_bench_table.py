"""`make bench`'s table: rows run several times, each figure reported as its median and range, goals judged on the
median. Pure: the rows here are small functions with known figures, not the flash sale."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from omsync_workshop.bench_table import (
    BenchOptions,
    BenchRow,
    Earlier,
    FigureSpec,
    Goal,
    RowRun,
    Spread,
    render_table,
    run_table,
    write_table,
)


def test_a_spread_is_the_median_and_the_range_of_the_runs() -> None:
    assert Spread.of([3.0, 1.0, 2.0]) == Spread(median=2.0, low=1.0, high=3.0, runs=3)
    assert Spread.of([1.0, 4.0]).median == 2.5
    with pytest.raises(ValueError):
        Spread.of([])


def _utilisation(options: BenchOptions, earlier: Earlier, index: int) -> RowRun:
    return RowRun({"utilisation": [0.84, 0.79, 0.85][index], "violations": 0.0}, {"requests": 200 + index})


def _cost(options: BenchOptions, earlier: Earlier, index: int) -> RowRun:
    # Reads the same run of row a, as the cost row prices the flash sale's counts.
    return RowRun({"dollars": earlier["a"][index].counts["requests"] / 100})


ROWS = {
    "a": BenchRow(
        "a",
        "flash sale",
        (
            FigureSpec("utilisation", "Accurate utilisation", "of 8 req/s", Goal(0.8, at_most=False)),
            FigureSpec("violations", "rate-limit violations", "count", Goal(0, at_most=True)),
        ),
        _utilisation,
    ),
    "e": BenchRow(
        "e", "cost", (FigureSpec("dollars", "per 1M orders", "USD", Goal(2.0, at_most=True)),), _cost, ("a",)
    ),
}


def test_the_table_renders_each_figure_with_median_range_and_goal_from_a_result(tmp_path: Path) -> None:
    table = run_table(BenchOptions(runs=3), ["e"], available=ROWS)

    text = render_table(table)
    assert [row.key for row in table.rows] == ["a", "e"]  # e needs a: a runs first
    utilisation = next(line for line in text.splitlines() if "Accurate utilisation" in line)
    assert "0.84" in utilisation and "0.79–0.85" in utilisation and "≥ 0.8 met" in utilisation
    cost = next(line for line in text.splitlines() if "per 1M orders" in line)
    assert "2.01" in cost and "2–2.02" in cost and "≤ 2 MISSED" in cost
    assert "every goal met: False" in text and not table.goals_met

    write_table(table, tmp_path / "bench.json")
    written = json.loads((tmp_path / "bench.json").read_text(encoding="utf-8"))
    assert written["rows"]["a"]["figures"]["utilisation"] == {
        "label": "Accurate utilisation",
        "unit": "of 8 req/s",
        "median": 0.84,
        "min": 0.79,
        "max": 0.85,
        "goal": "≥ 0.8",
        "goal_met": True,
    }
    assert written["rows"]["a"]["counts"] == [{"requests": 200}, {"requests": 201}, {"requests": 202}]
    assert written["rows"]["e"]["figures"]["dollars"]["goal_met"] is False


def test_a_row_with_a_minimum_runs_at_least_that_often() -> None:
    row = BenchRow("c", "cold start", (FigureSpec("ms", "import", "ms"),), lambda o, e, i: RowRun({"ms": float(i)}))
    five = BenchRow(row.key, row.title, row.figures, row.run, min_runs=5)

    table = run_table(BenchOptions(runs=1), available={"c": five})

    assert table.rows[0].figures[0].spread == Spread(median=2.0, low=0.0, high=4.0, runs=5)
