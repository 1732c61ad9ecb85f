"""Ginee's webhook envelope and the rule that routes it to a work queue.

Ginee posts `{id, entity, action, createAt, payload}` (reference: ginee-api §2.3). The envelope is a
hint only: routing reads the entity, the entity's id and a status hint, and the worker re-fetches the
entity from Ginee's signed API. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from omsync.config.settings import WorkQueue


class WebhookAction(StrEnum):
    """The actions Ginee documents; others are accepted as plain strings."""

    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


ActionText = Annotated[str, Field(min_length=1, max_length=64)]


class WebhookEnvelope(BaseModel):
    """One Ginee notification. Field names are Ginee's, so the model reads and writes the wire format."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1, max_length=256)
    entity: str = Field(min_length=1, max_length=128)
    # Ginee may add actions; an unknown one is kept as text rather than rejecting the notification.
    action: Annotated[WebhookAction | ActionText, Field(union_mode="left_to_right")]
    createAt: AwareDatetime | None = None  # noqa: N815 - Ginee's field name
    payload: dict[str, Any]


# Order statuses that mean "undo what was posted" (cancel or return) rather than "post it".
CANCELLATION_STATUSES: Final = frozenset({"CANCELLED", "RETURNED"})
MASTER_PRODUCT_ENTITIES: Final = frozenset(
    {"master_product", "master_product_create", "master_product_update", "master_product_delete"}
)
# Ginee has not published inbound/outbound payloads; these are the id fields we accept, in order.
STOCK_MOVEMENT_ID_FIELDS: Final = ("inboundOrderId", "inboundId", "outboundOrderId", "outboundId", "id")


class WrongShape(ValueError):
    """A known entity whose payload lacks what routing needs (the notification is rejected with 400)."""


@dataclass(frozen=True)
class Route:
    """Where a notification goes: the queue, the id of the entity to re-fetch, and a status hint."""

    queue: WorkQueue
    entity_id: str
    status_hint: str | None


def normalized_entity(entity: str) -> str:
    """Entity names compared case-insensitively, with '-' and '_' treated alike."""
    return entity.strip().lower().replace("-", "_")


def route(envelope: WebhookEnvelope) -> Route | None:
    """The queue for this notification, or None when omsync does not act on its entity.

    `order` goes to the orders queue, or to cancellations when the payload's `orderStatus` says
    CANCELLED or RETURNED; master products go to products; inbound and outbound orders to purchases.
    Raises `WrongShape` when a known entity's payload has no usable id.
    """
    entity = normalized_entity(envelope.entity)
    payload = envelope.payload
    if entity == "order":
        status = _text(payload.get("orderStatus"))
        hint = status.upper() if status else None
        queue = WorkQueue.CANCELLATIONS if hint in CANCELLATION_STATUSES else WorkQueue.ORDERS
        return Route(queue, _required_id(payload, ("orderId",)), hint)
    if entity in MASTER_PRODUCT_ENTITIES:
        return Route(WorkQueue.PRODUCTS, _required_id(payload, ("masterProductId",)), None)
    if entity.startswith(("inbound", "outbound")):
        status = _text(payload.get("status"))
        return Route(WorkQueue.PURCHASES, _required_id(payload, STOCK_MOVEMENT_ID_FIELDS), status)
    return None


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _required_id(payload: dict[str, Any], fields: tuple[str, ...]) -> str:
    for field in fields:
        value = payload.get(field)
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            return str(value)
        text = _text(value)
        if text is not None and len(text) <= 128:
            return text
    raise WrongShape(f"payload has none of {', '.join(fields)}")
