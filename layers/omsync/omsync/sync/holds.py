"""Releasing orders on hold once their cause may be fixed (invariant 5: on hold, not failing).

A hold is parked work, not a failure: the order's message left its queue with the hold recorded. When
the seller may have fixed the cause — a mapping applied, an item created in Accurate, a period opened —
the held orders are put back on the orders queue, and the orders flow converges them as if their
webhook had just come (the flow forwards cancelled and returned ones to their own flow). An order whose
cause is not fixed simply goes on hold again, with the same reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from aws_lambda_powertools.metrics import MetricUnit

from omsync import queues
from omsync.config.settings import WorkQueue
from omsync.ledger.connections import ConnectionRepository
from omsync.ledger.orders import OrderLedger, SyncRecord
from omsync.observability import logger, metrics
from omsync.queues import WorkMessage


@dataclass(frozen=True)
class HoldCensus:
    """How many orders are on hold and since when the oldest waits (``oldest_since``: epoch seconds, None when
    none is held). A hold's time is when the order first went on hold: a release that puts it back on hold
    keeps it (`OrderLedger.hold`), so the age grows until the seller fixes the cause."""

    orders: int = 0
    oldest_since: float | None = None

    def oldest_age_seconds(self, now: float) -> float:
        """Seconds the oldest held order has waited at ``now`` (epoch seconds); 0 when none is held."""
        return max(0.0, now - self.oldest_since) if self.oldest_since is not None else 0.0

    def __add__(self, other: HoldCensus) -> HoldCensus:
        times = [t for t in (self.oldest_since, other.oldest_since) if t is not None]
        return HoldCensus(self.orders + other.orders, min(times) if times else None)


def hold_census(records: Iterable[SyncRecord]) -> HoldCensus:
    """The census of held ``records`` (as `OrderLedger.held` lists them; a record without a hold is not counted).

    A hold written before its time was kept (``held_at`` 0 or missing) counts, but not for the oldest age.
    """
    holds = [record.hold for record in records if record.hold is not None]
    times = [hold.since for hold in holds if hold.since > 0]
    return HoldCensus(len(holds), min(times) if times else None)


def release_holds(
    connection_id: str, causes: set[str] | None = None, *, held: Iterable[SyncRecord] | None = None
) -> dict[str, int]:
    """Re-enqueue a connection's held orders (only those with one of ``causes``, if given); counts by cause.

    ``held`` is the connection's held records when the caller has just read them (`OrderLedger.held`), so
    they are not queried twice; by default they are read here.
    """
    released: Counter[str] = Counter()
    now = datetime.now(UTC)
    for record in OrderLedger(connection_id).held() if held is None else held:
        if record.hold is None or (causes is not None and record.hold.cause not in causes):
            continue
        queues.send(
            WorkQueue.ORDERS,
            WorkMessage(
                connection_id=connection_id,
                entity="order",
                action="UPDATE",
                entity_id=record.order_id,
                status_hint=None,
                received_at=now,
            ),
        )
        released[record.hold.cause] += 1
    if released:
        logger.info("held orders released", extra={"connection_id": connection_id, **released})
    return dict(released)


def release_all_holds() -> dict[str, dict[str, int]]:
    """Release the held orders of every connection (the reconciler's schedule calls this); counts by cause per
    connection. A connection whose release fails is logged (class and id only, never the error's text) and
    counted (metric ``holds.release_failed``); the others are released all the same, and its holds stay for
    the next run."""
    released: dict[str, dict[str, int]] = {}
    for connection_id in ConnectionRepository().ids():
        try:
            counts = release_holds(connection_id)
        except Exception as error:  # noqa: BLE001 - one connection's failure must not keep the others' holds
            logger.error(
                "held orders of a connection not released",
                extra={"connection_id": connection_id, "error": type(error).__name__},
            )
            metrics.add_metric(name="holds.release_failed", unit=MetricUnit.Count, value=1)
            continue
        if counts:
            released[connection_id] = counts
    return released
