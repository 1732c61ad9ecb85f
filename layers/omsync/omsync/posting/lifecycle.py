"""Where an order stands in its lifecycle, as the posting rules need to know it.

Ginee's statuses run PENDING_PAYMENT → PAID → READY_TO_SHIP → SHIPPING → DELIVERED → COMPLETED; an order
returned after delivery (RETURNED) has passed every step up to DELIVERED. A store's trigger status says
from which step on the order is a sale to invoice. CANCELLED orders and statuses omsync does not know
are never invoiced by the orders flow: the first belong to the cancellations flow, the second wait
until Ginee reports something omsync understands.
"""

from __future__ import annotations

from omsync.ginee.models import Order, OrderStatus

_RANK: dict[OrderStatus, int] = {
    OrderStatus.PENDING_PAYMENT: 0,
    OrderStatus.PARTIALLY_PAID: 0,
    OrderStatus.PAID: 1,
    OrderStatus.READY_TO_SHIP: 2,
    OrderStatus.SHIPPING: 3,
    OrderStatus.DELIVERED: 4,
    OrderStatus.RETURNED: 4,
    OrderStatus.COMPLETED: 5,
}


def rank(status: str) -> int | None:
    """The step of a status in the lifecycle, or None for CANCELLED and unknown statuses."""
    try:
        return _RANK.get(OrderStatus(status))
    except ValueError:
        return None


def is_cancelled(order: Order) -> bool:
    """Ginee reports the order cancelled."""
    return order.order_status == OrderStatus.CANCELLED


def reached_trigger(order: Order, trigger_status: str) -> bool:
    """The (not cancelled) order has reached the store's trigger status, so it is a sale to invoice."""
    current = rank(order.order_status or "")
    trigger = rank(trigger_status)
    if current is None or trigger is None:
        return False
    return current >= trigger


def reached_trigger_before_cancel(order: Order, trigger_status: str) -> bool:
    """A cancelled order had reached the trigger status before it was cancelled, read from its timestamps.

    Ginee keeps an order's earlier timestamps when it is cancelled: paid orders keep ``payAt``, shipped
    ones their logistics times, completed ones ``closeAt``.
    """
    trigger = rank(trigger_status)
    if trigger is None:
        return False
    shipped = any(info.shipped_at is not None for info in order.logistics_infos)
    delivered = any(info.delivered_at is not None for info in order.logistics_infos)
    reached = 0
    if order.pay_at is not None:
        reached = _RANK[OrderStatus.PAID]
    if shipped:
        reached = _RANK[OrderStatus.SHIPPING]
    if delivered:
        reached = _RANK[OrderStatus.DELIVERED]
    if order.close_at is not None:
        reached = _RANK[OrderStatus.COMPLETED]
    # READY_TO_SHIP leaves no timestamp of its own; a paid order counts as having reached it only when
    # the trigger is PAID itself (the conservative reading).
    return reached >= trigger
