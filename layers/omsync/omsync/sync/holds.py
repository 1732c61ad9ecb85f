"""Releasing orders on hold once their cause may be fixed (invariant 5: on hold, not failing).

A hold is parked work, not a failure: the order's message left its queue with the hold recorded. When
the seller may have fixed the cause — a mapping applied, an item created in Accurate, a period opened —
the held orders are put back on the orders queue, and the orders flow converges them as if their
webhook had just come (the flow forwards cancelled and returned ones to their own flow). An order whose
cause is not fixed simply goes on hold again, with the same reason.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from aws_lambda_powertools.metrics import MetricUnit

from omsync import queues
from omsync.config.settings import WorkQueue
from omsync.ledger.connections import ConnectionRepository
from omsync.ledger.orders import OrderLedger
from omsync.observability import logger, metrics
from omsync.queues import WorkMessage


def release_holds(connection_id: str, causes: set[str] | None = None) -> dict[str, int]:
    """Re-enqueue a connection's held orders (only those with one of ``causes``, if given); counts by cause."""
    released: Counter[str] = Counter()
    now = datetime.now(UTC)
    for record in OrderLedger(connection_id).held():
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
