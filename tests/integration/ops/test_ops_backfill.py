"""Specification: `omsync backfill` on the local stack (moto over HTTP, the sandboxes, the workers).

The world: three days of a Shopee store whose webhooks never reached omsync, so nothing of them is in Accurate:
the connection's history. A dry run counts per store and day and posts nothing; a backfill stopped halfway by
Ctrl-C and run again resumes with the next day, and every order is posted exactly once.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import omsync.sync.backfill as backfill_module
from omsync.sync.backfill import BackfillProgressRepository, backfill_day
from omsync_ops.cli import main
from omsync_workshop.ginee.webhooks import DeliveryOptions
from omsync_workshop.scenarios import load_scenario
from omsync_workshop.world import LocalWorld, default_mapping_path

SCENARIO = Path(__file__).resolve().parent / "backfill-days.json"
RANGE = ("--since", "2025-09-01", "--until", "2025-09-03")


def omsync(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(list(argv))
    return status, out.getvalue()


@pytest.fixture(scope="module")
def history(moto_endpoint: str) -> Iterator[LocalWorld]:
    with LocalWorld(
        load_scenario(SCENARIO),
        default_mapping_path().read_text(encoding="utf-8"),
        endpoint=moto_endpoint,
        delivery=DeliveryOptions(drop_rate=1.0),
        stack_parameters={"OrdersBatchingWindowSeconds": "0"},
    ) as world:
        world.play()
        world.settle()
        assert world.document_totals()["sales_invoice"] == {}
        yield world


def test_a_dry_run_counts_per_store_and_day_what_would_be_posted_and_posts_nothing(history: LocalWorld) -> None:
    status, shown = omsync("backfill", "--connection", history.connection_id, *RANGE, "--dry-run")
    assert status == 0, shown
    per_day = {m[1]: int(m[2]) for m in re.finditer(r"^(2025-09-0\d)  Toko Rapi Shopee\s+(\d+) to post$", shown, re.M)}
    assert set(per_day) == {"2025-09-02", "2025-09-03"} and all(per_day.values()), shown
    assert f"{sum(per_day.values())} order(s) would be posted over 3 day(s)" in shown
    history.settle()
    assert history.document_totals()["sales_invoice"] == {}
    assert BackfillProgressRepository(history.connection_id).get() is None


def test_a_backfill_stopped_halfway_resumes_with_the_next_day_and_posts_every_order_once(
    history: LocalWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    days: list[date] = []

    def stopped_on_the_third_day(*args: Any, **kwargs: Any) -> Any:
        if len(days) == 2:
            raise KeyboardInterrupt  # the operator's Ctrl-C while the third day is read
        days.append(args[1])
        return backfill_day(*args, **kwargs)

    monkeypatch.setattr(backfill_module, "backfill_day", stopped_on_the_third_day)
    status, shown = omsync("backfill", "--connection", history.connection_id, *RANGE)
    assert status == 130 and "interrupted" in shown, shown
    progress = BackfillProgressRepository(history.connection_id).get()
    assert progress is not None and progress.done_through == date(2025, 9, 2)
    history.settle()
    halfway = history.document_totals()["sales_invoice"]
    assert halfway  # the second day's orders are posted

    # When it is run again, it resumes with the third day only
    monkeypatch.undo()
    status, shown = omsync("backfill", "--connection", history.connection_id, *RANGE)
    assert status == 0 and "resuming after 2025-09-02" in shown and "over 1 day(s)" in shown, shown
    history.settle()

    # Then the books are the oracle's: every order posted, and once
    report = history.report()
    assert report.oracle_match, report.comparison.report()
    assert set(halfway) <= set(report.totals["sales_invoice"])
