"""The benchmark's code path, on the first 100 orders of the flash sale and without Accurate's latency.

Only correctness is asserted (every paid order invoiced once, no rate-limit violation, every figure
there); the timings of a shared test machine mean nothing.
"""

from __future__ import annotations

from omsync_workshop.bench import render, run_bench


def test_a_small_flash_sale_drains_with_every_paid_order_invoiced_once_and_no_violation(moto_endpoint: str) -> None:
    result = run_bench(100, latency_ms=0, endpoint=moto_endpoint)

    assert result.orders == 100
    assert result.paid_orders > 0
    assert result.invoices == result.paid_orders
    assert result.rate_limit_violations == 0
    assert result.accurate_requests > 0
    assert 0 < result.accurate_calls_per_invoice <= 1
    assert result.ginee_calls_per_order > 0
    assert result.dynamodb_writes_per_order > 0
    assert result.drain_seconds > 0 and result.accurate_utilization > 0
    assert set(result.time_split) == {"accurate", "ginee", "aws", "own_code"}
    assert "every paid order invoiced once: True" in render(result)
