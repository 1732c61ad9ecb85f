"""Ginee's webhook envelope and the rule that routes it to a work queue.

Ginee posts `{id, entity, action, createAt, payload}` (reference: ginee-api §2.3). The envelope is a
hint only: routing reads the entity, the entity's id and a status hint, and the worker re-fetches the
entity from Ginee's signed API. Nothing here does I/O.

Every string the receiver keeps (the envelope's id, entity and action; the entity id and status hint
routing reads) is *kept text*: 1 to 128 characters, none of them a control character, a surrogate or
U+FFFE/U+FFFF. They travel in SQS message bodies, which refuse those characters, and ids become parts
of Ledger keys (`CONN#{connection}#ORDER#{orderId}`, hold sort keys `{cause}#{orderId}`), which
DynamoDB caps at 2,048 bytes (partition) and 1,024 bytes (sort): 128 characters are at most 512 UTF-8
bytes. Anything else is a wrong shape, answered 400 before anything is enqueued or recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from omsync.config.settings import WorkQueue


class WebhookAction(StrEnum):
    """The actions Ginee documents; others are accepted as plain strings."""

    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


MAX_KEPT_LENGTH: Final = 128
# What SQS accepts in a message body (#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF)
# less every control character (C0, DEL, C1): no Ginee id or status carries one, and they would reach
# log lines. Checked in Python: pydantic's Rust regex cannot see a lone surrogate in a Python string.
_KEPT_TEXT: Final = re.compile(rf"[\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]{{1,{MAX_KEPT_LENGTH}}}")


def is_kept_text(value: str) -> bool:
    """Whether the receiver can keep `value` (see the module docstring): 1-128 allowed characters."""
    return _KEPT_TEXT.fullmatch(value) is not None


def _kept_text(value: str) -> str:
    if not is_kept_text(value):
        raise ValueError(
            f"must be 1 to {MAX_KEPT_LENGTH} characters, none of them a control character or one SQS refuses"
        )
    return value


KeptText = Annotated[str, AfterValidator(_kept_text)]


class WebhookEnvelope(BaseModel):
    """One Ginee notification. Field names are Ginee's, so the model reads and writes the wire format.

    `id`, `entity` and `action` are kept text; validation raises pydantic's `ValidationError` otherwise.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: KeptText
    entity: KeptText
    # Ginee may add actions; an unknown one is kept as text rather than rejecting the notification.
    action: Annotated[WebhookAction | KeptText, Field(union_mode="left_to_right")]
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
    The entity id is the first id field present (not null, not blank): kept text, or a JSON integer
    whose decimal string is kept text. The status hint is absent (null or blank) or kept text.
    Raises `WrongShape` when a known entity's payload has no id, or when its id or status hint is
    anything else (the error names the field, never its value).
    """
    entity = normalized_entity(envelope.entity)
    payload = envelope.payload
    if entity == "order":
        status = _optional_text(payload, "orderStatus")
        hint = status.upper() if status else None
        if hint is not None and not is_kept_text(hint):  # upper() may lengthen it ("ß" is "SS")
            raise WrongShape("orderStatus is not kept text once upper-cased")
        queue = WorkQueue.CANCELLATIONS if hint in CANCELLATION_STATUSES else WorkQueue.ORDERS
        return Route(queue, _required_id(payload, ("orderId",)), hint)
    if entity in MASTER_PRODUCT_ENTITIES:
        return Route(WorkQueue.PRODUCTS, _required_id(payload, ("masterProductId",)), None)
    if entity.startswith(("inbound", "outbound")):
        status = _optional_text(payload, "status")
        return Route(WorkQueue.PURCHASES, _required_id(payload, STOCK_MOVEMENT_ID_FIELDS), status)
    return None


def _is_absent(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _optional_text(payload: dict[str, Any], field: str) -> str | None:
    value = payload.get(field)
    if _is_absent(value):
        return None
    if isinstance(value, str) and is_kept_text(value.strip()):
        return value.strip()
    raise WrongShape(f"{field} is neither absent nor kept text")


# The largest integer id whose decimal string fits; compared before str(), which refuses (ValueError)
# integers of more than 4,300 digits.
_LARGEST_INTEGER_ID: Final = 10**MAX_KEPT_LENGTH - 1


def _required_id(payload: dict[str, Any], fields: tuple[str, ...]) -> str:
    for field in fields:
        value = payload.get(field)
        if _is_absent(value):
            continue
        # A present but unusable id is refused, never passed over for the next field: the next one may
        # name another entity.
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= _LARGEST_INTEGER_ID:
            text = str(value)
        elif isinstance(value, str):
            text = value.strip()
        else:
            raise WrongShape(f"{field} is neither kept text nor an integer of at most {MAX_KEPT_LENGTH} digits")
        if not is_kept_text(text):
            raise WrongShape(f"{field} is neither kept text nor an integer of at most {MAX_KEPT_LENGTH} digits")
        return text
    raise WrongShape(f"payload has none of {', '.join(fields)}")
