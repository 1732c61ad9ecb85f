"""How long an order's lease (and a movement's intent) lasts: until shortly after the invocation that took it
ends, never longer than `LEASE_SECONDS`; outside an invocation, `LEASE_SECONDS`."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from omsync import deadline
from omsync.ledger.orders import LEASE_AFTER_DEADLINE_SECONDS, LEASE_SECONDS, lease_seconds
from omsync.ledger.purchases import INTENT_SECONDS


@dataclass
class LambdaContextStub:
    remaining_ms: int

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_outside_an_invocation_a_lease_lasts_lease_seconds() -> None:
    assert lease_seconds() == LEASE_SECONDS == 90
    assert lease_seconds(INTENT_SECONDS) == INTENT_SECONDS


@pytest.mark.parametrize(
    ("remaining_ms", "expected"),
    [
        (60_000, 65.0),  # a 60 s worker at its start: its end, plus 5 s
        (20_000, 25.0),  # a 20 s worker (the local chaos run's)
        (3_000, 15.0),  # less left than the safety margin: the waits have no budget, the lease still outlives it
        (900_000, 90.0),  # a 15-minute function: never longer than LEASE_SECONDS
    ],
)
def test_inside_an_invocation_a_lease_outlives_its_end_by_a_few_seconds(remaining_ms: int, expected: float) -> None:
    with deadline.invocation(LambdaContextStub(remaining_ms)):
        assert lease_seconds() == pytest.approx(expected, abs=0.1)
    assert LEASE_AFTER_DEADLINE_SECONDS == 5.0
