"""Specification: a small seeded chaos run loses nothing, doubles nothing and leaks nothing (issue 20).

Two connections share the local stack (A: the demo's Shopee and Tokopedia stores, B: its Lazada store, over
OAuth), every fault of `omsync_workshop.chaos.ChaosFaults` on: webhooks dropped, duplicated and shuffled;
Accurate's 5xx, timeouts after commit, limits and expiring sessions and tokens; Ginee's 429s, cut answers and
odd records; workers killed between I/O steps. After the reconciler converges, each connection's books must
be its oracle's and every count of the report zero. A failure names the seed: `omsync chaos --orders N --seed S`
replays the same scenario and faults (the threads' interleaving is the machine's).

The run starts moto in a process of its own (`omsync_workshop.moto_process`, the fixture's fidelity patches), as
`omsync chaos` does: sharing the test's interpreter lock with the run's hundred-odd threads, 48 orders took 15%
longer (461 s against 403 s, side by side on the loaded shared machine).
"""

from __future__ import annotations

import pytest

from omsync_workshop.chaos import ChaosFaults, render, run_chaos

SEED = 20_201_120
ORDERS = 40
"""The fewest orders that take every order path of the demo file, 246 changes over two connections (24 orders
left out returns after settlement, lines cancelled after the invoice, exchanges, split packages and a bundle's
component returned). They take about the time 24 orders took before a killed worker's lease lasted 25 s instead
of 90 s: side by side on the loaded shared machine, this test 252 s and 187 s where the 24-order run of before
took 266 s and 158 s (48 orders now against 24 before: 349 s and 340 s, 403 s and 304 s); a few hundred orders
would take several times longer."""
FAULTS = ChaosFaults(max_kills=1)
"""Every fault at issue 20's rates, but one killed worker: each kill holds its batch's orders until its lease
lapses (25 s, `omsync_workshop.chaos.WORKER_TIMEOUT_SECONDS`)."""


@pytest.mark.slow  # about two and a half minutes: the longest test of make test
def test_a_small_seeded_chaos_run_converges_to_the_oracles_books_with_every_count_zero() -> None:
    report = run_chaos(ORDERS, SEED, faults=FAULTS, converge_timeout=600)

    summary = f"seed {SEED}:\n{render(report)}"

    # Then the faults did strike: webhooks were dropped and duplicated, odd records served, lines scanned
    injected = report.faults_injected
    assert injected["webhooks_dropped"] > 0, summary
    assert injected["webhooks_delivered"] > injected["webhooks_emitted"] - injected["webhooks_dropped"], summary
    assert injected["malformed_orders"] > 0, summary
    assert report.log_lines > 0, summary
    assert report.documents_expected > 0 and report.orders >= ORDERS, summary
    # And nothing was lost, doubled, misbooked, crossed between tenants, leaked or left dead
    assert report.ok, summary
